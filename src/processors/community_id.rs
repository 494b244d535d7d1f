//! `community_id`: the Community ID v1 flow hash (https://github.com/corelight/community-id-spec)
//! as Elasticsearch's CommunityIdProcessor computes it.

use super::network_direction::{IpBytes, for_string};
use super::uri_parts::{LazyPath, get_object, get_string, lazy_path, path_of};
use crate::document::IngestDocument;
use crate::error::{ConfigError, IngestError};
use crate::pipeline::{BuildError, Builder, Config, Env, Flow as Next, Processor};
use crate::value::Value;
use base64::Engine as _;
use sha1::{Digest, Sha1};

#[derive(Debug)]
struct CommunityId {
    source_ip: LazyPath,
    source_port: LazyPath,
    destination_ip: LazyPath,
    destination_port: LazyPath,
    iana_number: LazyPath,
    transport: LazyPath,
    icmp_type: LazyPath,
    icmp_code: LazyPath,
    target: LazyPath,
    seed: [u8; 2],
    ignore_missing: bool,
}

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    let mut path = |key: &str, default: &str| cfg.str_or(key, default).map(|s| lazy_path(&s));
    let source_ip = path("source_ip", "source.ip")?;
    let source_port = path("source_port", "source.port")?;
    let destination_ip = path("destination_ip", "destination.ip")?;
    let destination_port = path("destination_port", "destination.port")?;
    let iana_number = path("iana_number", "network.iana_number")?;
    let transport = path("transport", "network.transport")?;
    let icmp_type = path("icmp_type", "icmp.type")?;
    let icmp_code = path("icmp_code", "icmp.code")?;
    let target = path("target_field", "network.community_id")?;
    let seed = cfg.opt_int("seed")?.unwrap_or(0);
    if !(0..=65535).contains(&seed) {
        return Err(ConfigError::property("seed", "must be a value between 0 and 65535").into());
    }
    Ok(Box::new(CommunityId {
        source_ip,
        source_port,
        destination_ip,
        destination_port,
        iana_number,
        transport,
        icmp_type,
        icmp_code,
        target,
        seed: (seed as u16).to_be_bytes(),
        ignore_missing: cfg.bool_or("ignore_missing", true)?,
    }))
}

impl Processor for CommunityId {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Next, IngestError> {
        let im = self.ignore_missing;
        let source_ip = get_string(doc, path_of(&self.source_ip)?, im)?;
        let destination_ip = get_string(doc, path_of(&self.destination_ip)?, im)?;
        let optional = |p: &LazyPath| -> Result<Option<Value>, IngestError> {
            Ok(get_object(doc, path_of(p)?, true)?.cloned())
        };
        let iana_number = optional(&self.iana_number)?;
        let icmp_type = optional(&self.icmp_type)?;
        let icmp_code = optional(&self.icmp_code)?;
        // Transport and ports are read only when the flow needs them.
        let lazy = |p: &LazyPath| -> Result<Option<Value>, IngestError> {
            Ok(get_object(doc, path_of(p)?, im)?.cloned())
        };
        let flow = build_flow(
            source_ip.as_deref(),
            destination_ip.as_deref(),
            iana_number.as_ref(),
            &|| lazy(&self.transport),
            &|| lazy(&self.source_port),
            &|| lazy(&self.destination_port),
            icmp_type.as_ref(),
            icmp_code.as_ref(),
        )?;
        let Some(flow) = flow else {
            if im {
                return Ok(Next::Continue);
            }
            return Err(IngestError::illegal_argument(
                "unable to construct flow from document",
            ));
        };
        let id = flow.community_id(&self.seed)?;
        doc.set(path_of(&self.target)?, Value::String(id))?;
        Ok(Next::Continue)
    }
}

/// The inputs of Painless' `Processors.communityId(...)`; `None` and `Value::Null` both mean null.
#[allow(
    dead_code,
    reason = "for Painless' Processors.communityId, not wired yet"
)]
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FlowFields<'a> {
    /// Source IP literal.
    pub source_ip: Option<&'a str>,
    /// Destination IP literal.
    pub destination_ip: Option<&'a str>,
    /// IANA protocol number (number or numeric string); wins over `transport`.
    pub iana_number: Option<&'a Value>,
    /// Transport name (`tcp`, `udp`, …) or number.
    pub transport: Option<&'a Value>,
    /// Source port.
    pub source_port: Option<&'a Value>,
    /// Destination port.
    pub destination_port: Option<&'a Value>,
    /// ICMP type.
    pub icmp_type: Option<&'a Value>,
    /// ICMP code.
    pub icmp_code: Option<&'a Value>,
}

/// Elasticsearch's `CommunityIdProcessor.apply`: the community id of a flow, or the processor's
/// error (`unable to construct flow from document` when an address or protocol is missing).
#[allow(
    dead_code,
    reason = "for Painless' Processors.communityId, not wired yet"
)]
pub(crate) fn community_id(f: &FlowFields<'_>, seed: i32) -> Result<String, IngestError> {
    let nn = |v: Option<&Value>| v.filter(|v| !v.is_null()).cloned();
    let flow = build_flow(
        f.source_ip,
        f.destination_ip,
        nn(f.iana_number).as_ref(),
        &|| Ok(nn(f.transport)),
        &|| Ok(nn(f.source_port)),
        &|| Ok(nn(f.destination_port)),
        nn(f.icmp_type).as_ref(),
        nn(f.icmp_code).as_ref(),
    )?
    .ok_or_else(|| IngestError::illegal_argument("unable to construct flow from document"))?;
    flow.community_id(&to_uint16(i64::from(seed))?)
}

type Lazy<'a> = &'a dyn Fn() -> Result<Option<Value>, IngestError>;

/// The protocols the hash knows by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Icmp,
    Tcp,
    Udp,
    IcmpV6,
    Sctp,
    Other,
}

fn kind_of(number: i32) -> Kind {
    match number {
        1 => Kind::Icmp,
        6 => Kind::Tcp,
        17 => Kind::Udp,
        58 => Kind::IcmpV6,
        132 => Kind::Sctp,
        _ => Kind::Other,
    }
}

/// A five-tuple ready to hash.
#[derive(Debug)]
struct FlowTuple {
    source: IpBytes,
    destination: IpBytes,
    protocol: i32,
    source_port: i32,
    destination_port: i32,
    icmp_type: i32,
    icmp_code: i32,
}

#[allow(clippy::too_many_arguments)]
fn build_flow(
    source_ip: Option<&str>,
    destination_ip: Option<&str>,
    iana_number: Option<&Value>,
    transport: Lazy<'_>,
    source_port: Lazy<'_>,
    destination_port: Lazy<'_>,
    icmp_type: Option<&Value>,
    icmp_code: Option<&Value>,
) -> Result<Option<FlowTuple>, IngestError> {
    let (Some(source_ip), Some(destination_ip)) = (source_ip, destination_ip) else {
        return Ok(None);
    };
    let source = for_string(source_ip)?;
    let destination = for_string(destination_ip)?;
    let protocol = match iana_number {
        Some(v) => transport_number(v)?,
        None => match transport()? {
            Some(v) => transport_number(&v)?,
            None => return Ok(None),
        },
    };
    let mut flow = FlowTuple {
        source,
        destination,
        protocol,
        source_port: 0,
        destination_port: 0,
        icmp_type: 0,
        icmp_code: 0,
    };
    match kind_of(protocol) {
        Kind::Tcp | Kind::Udp | Kind::Sctp => {
            let sp = source_port()?;
            flow.source_port = parse_int(sp.as_ref(), "source port")?;
            // Released Elasticsearch accepts 1..=65535 (port 0 support, elastic/elasticsearch#125733,
            // is not merged): a missing port reads as 0 and is invalid.
            if !(1..=65535).contains(&flow.source_port) {
                return Err(invalid_port("source", sp.as_ref()));
            }
            let dp = destination_port()?;
            flow.destination_port = parse_int(dp.as_ref(), "destination port")?;
            if !(1..=65535).contains(&flow.destination_port) {
                return Err(invalid_port("destination", dp.as_ref()));
            }
        }
        Kind::Icmp | Kind::IcmpV6 => {
            flow.icmp_type = parse_int(icmp_type, "icmp type")?;
            flow.icmp_code = parse_int(icmp_code, "icmp code")?;
        }
        Kind::Other => {}
    }
    Ok(Some(flow))
}

fn invalid_port(which: &str, v: Option<&Value>) -> IngestError {
    let text = v
        .map(Value::to_java_string)
        .unwrap_or_else(|| "null".into());
    IngestError::illegal_argument(format!("invalid {which} port [{text}]"))
}

/// Java's `Number.intValue()`.
fn int_value(v: &Value) -> Option<i32> {
    match *v {
        Value::Int(i) => Some(i),
        Value::Long(l) => Some(l as i32),
        Value::Float(f) => Some(f as i32),
        Value::Double(d) => Some(d as i32),
        _ => None,
    }
}

/// Java's `Integer.parseInt` (ASCII digits, optional sign).
fn java_parse_int(s: &str) -> Option<i32> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `parseIntFromObjectOrString`: null is 0, numbers truncate, strings must be integers.
fn parse_int(v: Option<&Value>, what: &str) -> Result<i32, IngestError> {
    let Some(v) = v else { return Ok(0) };
    if let Some(i) = int_value(v) {
        return Ok(i);
    }
    if let Value::String(s) = v
        && let Some(i) = java_parse_int(s)
    {
        return Ok(i);
    }
    Err(IngestError::illegal_argument(format!(
        "unable to parse {what} [{}]",
        v.to_java_string()
    )))
}

/// `Transport.fromObject`: a protocol number from a number, a name or a numeric string.
fn transport_number(v: &Value) -> Result<i32, IngestError> {
    let number = match v {
        Value::String(s) => match s.to_lowercase().as_str() {
            "icmp" => 1,
            "igmp" => 2,
            "tcp" => 6,
            "udp" => 17,
            "gre" => 47,
            "ipv6-icmp" | "icmpv6" => 58,
            "eigrp" => 88,
            "ospf" => 89,
            "pim" => 103,
            "sctp" => 132,
            _ => java_parse_int(s).ok_or_else(|| {
                IngestError::illegal_argument(format!(
                    "could not convert string [{s}] to transport protocol"
                ))
            })?,
        },
        other => int_value(other).ok_or_else(|| {
            IngestError::illegal_argument(format!(
                "could not convert value of type [{}] to transport protocol",
                other.java_type()
            ))
        })?,
    };
    if !(0..255).contains(&number) {
        return Err(IngestError::illegal_argument(format!(
            "invalid transport protocol number [{number}]"
        )));
    }
    Ok(number)
}

/// `toUint16`: big-endian bytes of a number in 0..=65535.
fn to_uint16(n: i64) -> Result<[u8; 2], IngestError> {
    u16::try_from(n).map(u16::to_be_bytes).map_err(|_| {
        IngestError::illegal_state(format!("number [{n}] must be a value between 0 and 65535"))
    })
}

/// The ICMP type that answers (or asks) another, which makes a flow two-way.
fn icmp_equivalent(icmp_type: i32, v6: bool) -> Option<i32> {
    if v6 {
        match icmp_type {
            128 => Some(129),
            129 => Some(128),
            133 => Some(134),
            134 => Some(133),
            135 => Some(136),
            136 => Some(135),
            130 => Some(131),
            139 => Some(140),
            140 => Some(139),
            144 => Some(145),
            145 => Some(144),
            _ => None,
        }
    } else {
        match icmp_type {
            8 => Some(0),
            0 => Some(8),
            13 => Some(14),
            14 => Some(13),
            15 => Some(16),
            10 => Some(9),
            9 => Some(10),
            17 => Some(18),
            18 => Some(17),
            _ => None,
        }
    }
}

/// An address as the unsigned number `new BigInteger(1, bytes)` gives.
fn as_number(ip: &IpBytes) -> u128 {
    ip.0.iter()
        .fold(0u128, |acc, &b| (acc << 8) | u128::from(b))
}

impl FlowTuple {
    fn flow_bytes(&mut self) -> Result<Vec<u8>, IngestError> {
        let kind = kind_of(self.protocol);
        let icmp = matches!(kind, Kind::Icmp | Kind::IcmpV6);
        let has_port = kind != Kind::Other;
        let mut one_way = false;
        if icmp {
            // ICMP type and code stand in for the ports.
            let equivalent = icmp_equivalent(self.icmp_type, kind == Kind::IcmpV6);
            one_way = equivalent.is_none();
            self.source_port = self.icmp_type;
            self.destination_port = equivalent.unwrap_or(self.icmp_code);
        }
        let (s, d) = (as_number(&self.source), as_number(&self.destination));
        let ordered = s < d || (s == d && self.source_port < self.destination_port);
        let keep = ordered || (icmp && one_way);
        let (first, second) = if keep {
            (&self.source, &self.destination)
        } else {
            (&self.destination, &self.source)
        };
        let mut bytes = Vec::with_capacity(38);
        bytes.extend(&first.0);
        bytes.extend(&second.0);
        bytes.extend(to_uint16(i64::from(self.protocol) << 8)?);
        if has_port {
            let (p1, p2) = if keep {
                (self.source_port, self.destination_port)
            } else {
                (self.destination_port, self.source_port)
            };
            bytes.extend(to_uint16(i64::from(p1))?);
            bytes.extend(to_uint16(i64::from(p2))?);
        }
        Ok(bytes)
    }

    fn community_id(mut self, seed: &[u8; 2]) -> Result<String, IngestError> {
        let mut h = Sha1::new();
        h.update(seed);
        h.update(self.flow_bytes()?);
        let digest = h.finalize();
        Ok(format!(
            "1:{}",
            base64::engine::general_purpose::STANDARD.encode(digest)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::processors::testing::{bad_config, fails, give};

    fn id(src: &str, dst: &str, proto: Value, sp: Value, dp: Value, seed: i32) -> String {
        let f = FlowFields {
            source_ip: Some(src),
            destination_ip: Some(dst),
            transport: Some(&proto),
            source_port: Some(&sp),
            destination_port: Some(&dp),
            icmp_type: Some(&sp),
            icmp_code: Some(&dp),
            ..FlowFields::default()
        };
        community_id(&f, seed).unwrap_or_else(|e| e.reason)
    }

    #[test]
    fn spec_vectors() {
        // Values from the community-id spec's baseline and Elasticsearch's tests.
        let tcp = || Value::from("tcp");
        assert_eq!(
            id(
                "66.35.250.204",
                "128.232.110.120",
                tcp(),
                Value::Int(80),
                Value::Int(34855),
                0
            ),
            "1:LQU9qZlK+B5F3KDmev6m5PMibrg="
        );
        assert_eq!(
            id(
                "128.232.110.120",
                "66.35.250.204",
                tcp(),
                Value::Int(34855),
                Value::Int(80),
                0
            ),
            "1:LQU9qZlK+B5F3KDmev6m5PMibrg="
        );
        assert_eq!(
            id(
                "66.35.250.204",
                "128.232.110.120",
                tcp(),
                Value::Int(80),
                Value::Int(34855),
                1
            ),
            "1:3V71V58M3Ksw/yuFALMcW0LAHvc="
        );
        assert_eq!(
            id(
                "8.8.8.8",
                "192.168.1.52",
                Value::from("udp"),
                Value::Int(53),
                Value::Int(54585),
                0
            ),
            "1:d/FP5EW3wiY1vCndhwleRRKHowQ="
        );
        // ICMP echo request and reply hash alike.
        assert_eq!(
            id(
                "192.168.0.89",
                "192.168.0.1",
                Value::from("icmp"),
                Value::Int(8),
                Value::Int(0),
                0
            ),
            "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="
        );
        assert_eq!(
            id(
                "192.168.0.1",
                "192.168.0.89",
                Value::from("icmp"),
                Value::Int(0),
                Value::Int(0),
                0
            ),
            "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="
        );
        let cases: &[(&str, &str, &str, i32, i32, &str)] = &[
            (
                "fe80::200:86ff:fe05:80da",
                "fe80::260:97ff:fe07:69ea",
                "ipv6-icmp",
                135,
                0,
                "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=",
            ),
            (
                "fe80::260:97ff:fe07:69ea",
                "fe80::200:86ff:fe05:80da",
                "icmpv6",
                136,
                0,
                "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=",
            ),
            (
                "3ffe:507:0:1:260:97ff:fe07:69ea",
                "3ffe:507:0:1:200:86ff:fe05:80da",
                "58",
                3,
                0,
                "1:NdobDX8PQNJbAyfkWxhtL2Pqp5w=",
            ),
            (
                "3ffe:507:0:1:200:86ff:fe05:80da",
                "3ffe:507:0:1:260:97ff:fe07:69ea",
                "58",
                3,
                0,
                "1:/OGBt9BN1ofenrmSPWYicpij2Vc=",
            ),
            // ICMP type 20 is one-way: the code counts and the order is kept.
            (
                "192.168.0.89",
                "192.168.0.1",
                "icmp",
                20,
                0,
                "1:3o2RFccXzUgjl7zDpqmY7yJi8rI=",
            ),
            (
                "192.168.0.89",
                "192.168.0.1",
                "icmp",
                20,
                1,
                "1:tz/fHIDUHs19NkixVVoOZywde+I=",
            ),
            (
                "192.168.0.1",
                "192.168.0.89",
                "icmp",
                0,
                20,
                "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=",
            ),
            (
                "192.168.170.8",
                "192.168.170.56",
                "sctp",
                7,
                80,
                "1:jQgCxbku+pNGw8WPbEc/TS/uTpQ=",
            ),
            (
                "192.168.170.56",
                "192.168.170.8",
                "132",
                80,
                7,
                "1:jQgCxbku+pNGw8WPbEc/TS/uTpQ=",
            ),
            (
                "10.0.0.1",
                "10.0.0.2",
                "tcp",
                10,
                11569,
                "1:SXBGMX1lBOwhhoDrZynfROxnhnM=",
            ),
            // A protocol without ports hashes the addresses only.
            (
                "10.1.24.4",
                "10.1.12.1",
                "46",
                1,
                2,
                "1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4=",
            ),
            (
                "10.1.12.1",
                "10.1.24.4",
                "46",
                3,
                4,
                "1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4=",
            ),
        ];
        for (src, dst, proto, sp, dp, want) in cases {
            assert_eq!(
                id(
                    src,
                    dst,
                    Value::from(*proto),
                    Value::Int(*sp),
                    Value::Int(*dp),
                    0
                ),
                *want,
                "{src} {dst} {proto}"
            );
        }
    }

    #[test]
    fn errors() {
        let tcp = || Value::from("tcp");
        assert_eq!(
            id("a", "1.1.1.1", tcp(), Value::Int(1), Value::Int(2), 0),
            "'a' is not an IP string literal."
        );
        assert_eq!(
            id(
                "1.1.1.1",
                "2.2.2.2",
                tcp(),
                Value::Int(65536),
                Value::Int(2),
                0
            ),
            "invalid source port [65536]"
        );
        assert_eq!(
            id(
                "1.1.1.1",
                "2.2.2.2",
                tcp(),
                Value::from("x"),
                Value::Int(2),
                0
            ),
            "unable to parse source port [x]"
        );
        assert_eq!(
            id(
                "1.1.1.1",
                "2.2.2.2",
                Value::from("foo"),
                Value::Int(1),
                Value::Int(2),
                0
            ),
            "could not convert string [foo] to transport protocol"
        );
        assert_eq!(
            id(
                "1.1.1.1",
                "2.2.2.2",
                Value::Int(255),
                Value::Int(1),
                Value::Int(2),
                0
            ),
            "invalid transport protocol number [255]"
        );
        assert_eq!(
            id(
                "1.1.1.1",
                "2.2.2.2",
                Value::Bool(true),
                Value::Int(1),
                Value::Int(2),
                0
            ),
            "could not convert value of type [java.lang.Boolean] to transport protocol"
        );
        assert_eq!(
            id(
                "1.1.1.1",
                "2.2.2.2",
                tcp(),
                Value::Int(1),
                Value::Int(2),
                70000
            ),
            "number [70000] must be a value between 0 and 65535"
        );
    }

    #[test]
    fn port_zero_and_missing_ports_are_invalid() {
        fails(
            "community_id",
            "{}",
            r#"{"source":{"ip":"10.0.0.1","port":0},"destination":{"ip":"10.0.0.2","port":80},"network":{"transport":"udp"}}"#,
            "invalid source port [0]",
        );
        fails(
            "community_id",
            "{}",
            r#"{"source":{"ip":"10.0.0.1","port":53},"destination":{"ip":"10.0.0.2"},"network":{"transport":"udp"}}"#,
            "invalid destination port [null]",
        );
    }

    #[test]
    fn processor() {
        let doc = r#"{"source":{"ip":"128.232.110.120","port":34855},"destination":{"ip":"66.35.250.204","port":"80"},"network":{"transport":"TCP"}}"#;
        give(
            "community_id",
            "{}",
            doc,
            r#"{"source":{"ip":"128.232.110.120","port":34855},"destination":{"ip":"66.35.250.204","port":"80"},"network":{"transport":"TCP","community_id":"1:LQU9qZlK+B5F3KDmev6m5PMibrg="}}"#,
        );
        give(
            "community_id",
            r#"{"target_field":"c","iana_number":"n"}"#,
            r#"{"n":6,"source":{"ip":"128.232.110.120","port":34855},"destination":{"ip":"66.35.250.204","port":80}}"#,
            r#"{"n":6,"source":{"ip":"128.232.110.120","port":34855},"destination":{"ip":"66.35.250.204","port":80},"c":"1:LQU9qZlK+B5F3KDmev6m5PMibrg="}"#,
        );
        give(
            "community_id",
            "{}",
            r#"{"source":{"ip":"1.1.1.1"}}"#,
            r#"{"source":{"ip":"1.1.1.1"}}"#,
        );
        fails(
            "community_id",
            r#"{"ignore_missing":false}"#,
            r#"{"source":{"ip":"1.1.1.1"}}"#,
            "field [destination] not present as part of path [destination.ip]",
        );
        fails(
            "community_id",
            r#"{"ignore_missing":false}"#,
            r#"{"source":{"ip":"1.1.1.1"},"destination":{"ip":"2.2.2.2"},"network":{"transport":"tcp"}}"#,
            "field [port] not present as part of path [source.port]",
        );
        fails(
            "community_id",
            r#"{"ignore_missing":false}"#,
            r#"{"source":{"ip":"1.1.1.1"},"destination":{"ip":"2.2.2.2"}}"#,
            "field [network] not present as part of path [network.transport]",
        );
        bad_config(
            "community_id",
            r#"{"seed":65536}"#,
            "[seed] must be a value between 0 and 65535",
        );
    }
}
