//! `network_direction`: internal / external / inbound / outbound from source and destination IPs
//! and a list of internal networks (Elasticsearch's NetworkDirectionProcessor, with its
//! `InetAddresses` parser and `CIDRUtils` range checks).

use super::uri_parts::{LazyPath, cast_error, get_object, get_string, lazy_path, path_of};
use crate::document::IngestDocument;
use crate::error::{ConfigError, IngestError};
use crate::pipeline::{BuildError, Builder, Config, Env, Flow, Processor};
use crate::template::Template;
use crate::value::Value;

#[derive(Debug)]
struct NetworkDirection {
    source_ip: LazyPath,
    destination_ip: LazyPath,
    target: LazyPath,
    networks: Networks,
    ignore_missing: bool,
}

#[derive(Debug)]
enum Networks {
    /// `internal_networks`: templates rendered per document.
    Listed(Vec<Template>),
    /// `internal_networks_field`: a list read from the document.
    Field(LazyPath),
}

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    let source_ip = cfg.str_or("source_ip", "source.ip")?;
    let destination_ip = cfg.str_or("destination_ip", "destination.ip")?;
    let target = cfg.str_or("target_field", "network.direction")?;
    let ignore_missing = cfg.bool_or("ignore_missing", true)?;
    let listed = cfg.opt_list("internal_networks")?;
    let field = cfg.opt_str("internal_networks_field")?;
    let networks = match (listed, field) {
        (None, None) => {
            return Err(ConfigError::property(
                "internal_networks",
                "or [internal_networks_field] must be specified",
            )
            .into());
        }
        (Some(_), Some(_)) => {
            return Err(ConfigError::property(
                "internal_networks",
                "and [internal_networks_field] cannot both be used in the same processor",
            )
            .into());
        }
        (Some(list), None) => Networks::Listed(
            list.iter()
                .map(|v| {
                    let text = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_java_string(),
                    };
                    Template::compile(&text)
                        .map_err(|e| ConfigError::property("internal_networks", e))
                })
                .collect::<Result<_, _>>()?,
        ),
        (None, Some(f)) => Networks::Field(lazy_path(&f)),
    };
    Ok(Box::new(NetworkDirection {
        source_ip: lazy_path(&source_ip),
        destination_ip: lazy_path(&destination_ip),
        target: lazy_path(&target),
        networks,
        ignore_missing,
    }))
}

impl Processor for NetworkDirection {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        match self.direction(doc)? {
            Some(d) => {
                doc.set(path_of(&self.target)?, Value::from(d))?;
                Ok(Flow::Continue)
            }
            None if self.ignore_missing => Ok(Flow::Continue),
            None => Err(IngestError::illegal_argument(
                "unable to calculate network direction from document",
            )),
        }
    }
}

impl NetworkDirection {
    fn direction(&self, doc: &IngestDocument) -> Result<Option<&'static str>, IngestError> {
        let networks: Vec<String> = match &self.networks {
            Networks::Listed(ts) => ts.iter().map(|t| t.render(doc)).collect(),
            Networks::Field(path) => {
                let path = path_of(path)?;
                match get_object(doc, path, self.ignore_missing)? {
                    None => return Ok(None),
                    Some(Value::List(items)) => items
                        .iter()
                        .map(|v| match v {
                            Value::String(s) => Ok(s.clone()),
                            Value::Null => Err(IngestError::new(
                                "null_pointer_exception",
                                "Cannot invoke \"String.hashCode()\" because \"<local5>\" is null",
                            )),
                            other => Err(IngestError::new(
                                "class_cast_exception",
                                format!(
                                    "class {0} cannot be cast to class java.lang.String ({0} and java.lang.String are in module java.base of loader 'bootstrap')",
                                    other.java_type()
                                ),
                            )),
                        })
                        .collect::<Result<_, _>>()?,
                    Some(other) => return Err(cast_error(path, other, "java.util.ArrayList")),
                }
            }
        };
        let Some(source) = get_string(doc, path_of(&self.source_ip)?, self.ignore_missing)? else {
            return Ok(None);
        };
        let Some(dest) = get_string(doc, path_of(&self.destination_ip)?, self.ignore_missing)?
        else {
            return Ok(None);
        };
        let source_internal = is_internal(&networks, &source)?;
        let dest_internal = is_internal(&networks, &dest)?;
        Ok(Some(match (source_internal, dest_internal) {
            (true, true) => "internal",
            (true, false) => "outbound",
            (false, true) => "inbound",
            (false, false) => "external",
        }))
    }
}

fn is_internal(networks: &[String], ip: &str) -> Result<bool, IngestError> {
    for network in networks {
        if in_network(ip, network)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn in_network(ip: &str, network: &str) -> Result<bool, IngestError> {
    let addr = for_string(ip)?;
    Ok(match network {
        "loopback" => addr.is_loopback(),
        "global_unicast" | "unicast" => {
            !addr.is_broadcast()
                && !addr.is_unspecified()
                && !addr.is_loopback()
                && !addr.is_multicast()
                && !addr.is_link_local()
        }
        "link_local_unicast" => addr.is_link_local(),
        "interface_local_multicast" => addr.is_mc_node_local(),
        "link_local_multicast" => addr.is_mc_link_local(),
        "multicast" => addr.is_multicast(),
        "unspecified" => addr.is_unspecified(),
        "private" => is_private(ip)?,
        "public" => {
            !(is_private(ip)?
                || addr.is_loopback()
                || addr.is_unspecified()
                || addr.is_link_local()
                || addr.is_mc_link_local()
                || addr.is_mc_node_local()
                || addr.is_broadcast())
        }
        cidr => is_in_range(ip, &[cidr])?,
    })
}

fn is_private(ip: &str) -> Result<bool, IngestError> {
    is_in_range(
        ip,
        &["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fd00::/8"],
    )
}

/// An address as `InetAddress.getAddress()` gives it: 4 bytes for IPv4 (IPv4-mapped IPv6
/// included), 16 for IPv6.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct IpBytes(pub(super) Vec<u8>);

impl IpBytes {
    fn b(&self, i: usize) -> u8 {
        self.0.get(i).copied().unwrap_or(0)
    }

    fn is_v4(&self) -> bool {
        self.0.len() == 4
    }

    fn is_loopback(&self) -> bool {
        if self.is_v4() {
            self.b(0) == 127
        } else {
            self.0.get(..15).is_some_and(|s| s.iter().all(|&b| b == 0)) && self.b(15) == 1
        }
    }

    fn is_link_local(&self) -> bool {
        if self.is_v4() {
            self.b(0) == 169 && self.b(1) == 254
        } else {
            self.b(0) == 0xfe && self.b(1) & 0xc0 == 0x80
        }
    }

    fn is_multicast(&self) -> bool {
        if self.is_v4() {
            self.b(0) & 0xf0 == 0xe0
        } else {
            self.b(0) == 0xff
        }
    }

    fn is_mc_node_local(&self) -> bool {
        !self.is_v4() && self.b(0) == 0xff && self.b(1) & 0x0f == 0x01
    }

    fn is_mc_link_local(&self) -> bool {
        if self.is_v4() {
            self.b(0) == 224 && self.b(1) == 0 && self.b(2) == 0
        } else {
            self.b(0) == 0xff && self.b(1) & 0x0f == 0x02
        }
    }

    fn is_unspecified(&self) -> bool {
        self.0.iter().all(|&b| b == 0)
    }

    fn is_broadcast(&self) -> bool {
        self.0 == [0xff; 4]
    }
}

/// Elasticsearch's `InetAddresses.forString`: an IP literal, or its error.
pub(super) fn for_string(ip: &str) -> Result<IpBytes, IngestError> {
    let bytes = ip_string_to_bytes(ip.as_bytes()).ok_or_else(|| {
        IngestError::illegal_argument(format!("'{ip}' is not an IP string literal."))
    })?;
    // InetAddress.getByAddress turns IPv4-mapped IPv6 addresses into IPv4 ones.
    // Only indexed when bytes.len() == 16 (the first test).
    if bytes.len() == 16 && bytes[..10].iter().all(|&b| b == 0) && bytes[10..12] == [0xff, 0xff] {
        return Ok(IpBytes(bytes[12..].to_vec()));
    }
    Ok(IpBytes(bytes))
}

fn ip_string_to_bytes(ip: &[u8]) -> Option<Vec<u8>> {
    let mut len = ip.len();
    let mut last_colon = None;
    let mut has_dot = false;
    for (i, &c) in ip.iter().enumerate() {
        match c {
            c if c & 0x80 != 0 => return None,
            b'.' => has_dot = true,
            b':' => {
                if has_dot {
                    return None;
                }
                last_colon = Some(i);
            }
            b'%' => {
                // A scope id is ignored, but must not be empty.
                if i == ip.len() - 1 {
                    return None;
                }
                len = i;
                break;
            }
            _ => {}
        }
    }
    // len is ip.len() or the offset of a '%' in ip.
    let ip = &ip[..len];
    match last_colon {
        Some(colon) if has_dot => {
            // colon is the offset of a ':' in ip, so colon + 1 <= ip.len().
            let quad = text_to_v4(&ip[colon + 1..])?;
            let mut hex = ip[..colon + 1].to_vec();
            hex.extend(
                format!(
                    "{:02x}{:02x}:{:02x}{:02x}",
                    // text_to_v4 returns exactly four bytes.
                    quad[0],
                    quad[1],
                    quad[2],
                    quad[3]
                )
                .bytes(),
            );
            text_to_v6(&hex)
        }
        Some(_) => text_to_v6(ip),
        None if has_dot => text_to_v4(ip),
        None => None,
    }
}

fn text_to_v4(ip: &[u8]) -> Option<Vec<u8>> {
    let mut bytes = Vec::with_capacity(4);
    let (mut digits, mut current) = (0u32, 0u32);
    for &c in ip {
        match c {
            b'.' => {
                if bytes.len() >= 4 || digits == 0 || current > 255 {
                    return None;
                }
                bytes.push(current as u8);
                current = 0;
                digits = 0;
            }
            b'0'..=b'9' => {
                // No leading zeros.
                if digits != 0 && current == 0 {
                    return None;
                }
                current = current * 10 + u32::from(c - b'0');
                if current > 255 {
                    return None;
                }
                digits += 1;
            }
            _ => return None,
        }
    }
    if bytes.len() != 3 || digits == 0 || current > 255 {
        return None;
    }
    bytes.push(current as u8);
    Some(bytes)
}

fn text_to_v6(ip: &[u8]) -> Option<Vec<u8>> {
    let n = ip.len();
    // The indices are read only when n >= 2 (the first test).
    if n < 2 || (ip[0] == b':' && ip[1] != b':') || (ip[n - 1] == b':' && ip[n - 2] != b':') {
        return None;
    }
    let mut hextets: Vec<u32> = Vec::with_capacity(8);
    let mut compressed: Option<usize> = None;
    let mut hextet_start = 0;
    let mut current: u32 = 0;
    for (i, &c) in ip.iter().enumerate() {
        match c {
            b':' => {
                if hextet_start == i {
                    if compressed.is_some() && i != 1 {
                        return None;
                    }
                    compressed = Some(hextets.len());
                } else {
                    if hextets.len() >= 8 || current > 0xffff {
                        return None;
                    }
                    hextets.push(current);
                    current = 0;
                }
                hextet_start = i + 1;
            }
            _ => {
                let d = (c as char).to_digit(16)?;
                current = current.checked_mul(16)?.checked_add(d)?;
            }
        }
    }
    if hextet_start < n {
        if hextets.len() >= 8 || current > 0xffff {
            return None;
        }
        hextets.push(current);
    }
    let mut out = vec![0u8; 16];
    match compressed {
        Some(at) => {
            if hextets.len() >= 8 {
                return None;
            }
            let shift = 8 - hextets.len();
            for (i, h) in hextets.iter().enumerate() {
                let slot = if i >= at { i + shift } else { i };
                out[slot * 2] = (h >> 8) as u8;
                out[slot * 2 + 1] = *h as u8;
            }
        }
        None => {
            if hextets.len() != 8 {
                return None;
            }
            for (i, h) in hextets.iter().enumerate() {
                out[i * 2] = (h >> 8) as u8;
                out[i * 2 + 1] = *h as u8;
            }
        }
    }
    Some(out)
}

/// Java's `String.split("/")`: trailing empty strings are dropped.
fn java_split_slash(s: &str) -> Vec<&str> {
    let mut parts: Vec<&str> = s.split('/').collect();
    while parts.len() > 1 && parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    if parts == [""] && !s.is_empty() {
        parts.clear();
    }
    parts
}

/// Elasticsearch's `CIDRUtils.isInRange(address, cidrs...)`.
fn is_in_range(address: &str, cidrs: &[&str]) -> Result<bool, IngestError> {
    let addr = for_string(address)?;
    for cidr in cidrs {
        let (lower, upper) = if cidr.contains('/') {
            cidr_bounds(cidr)?
        } else {
            let b = for_string(cidr)?;
            (b.clone(), b)
        };
        if is_between(&addr, &lower, &upper) {
            return Ok(true);
        }
    }
    Ok(false)
}

fn cidr_bounds(cidr: &str) -> Result<(IpBytes, IpBytes), IngestError> {
    let fields = java_split_slash(cidr);
    let [addr_text, prefix_text] = fields[..] else {
        return Err(IngestError::illegal_argument(format!(
            "Expected [ip/prefix] but was [{cidr}]"
        )));
    };
    let addr = for_string(addr_text)?;
    if addr_text.contains(':') && addr.is_v4() {
        return Err(IngestError::illegal_argument(format!(
            "CIDR notation is not allowed with IPv6-mapped IPv4 address [{addr_text} as it introduces ambiguity as to whether the prefix length should be interpreted as a v4 prefix length or a v6 prefix length"
        )));
    }
    let prefix = java_parse_int(prefix_text).ok_or_else(|| {
        IngestError::new(
            "number_format_exception",
            format!("For input string: \"{prefix_text}\""),
        )
    })?;
    let bits = 8 * addr.0.len() as i64;
    if prefix < 0 || i64::from(prefix) > bits {
        return Err(IngestError::illegal_argument(format!(
            "Illegal prefix length [{prefix}] in [{cidr}]. Must be 0-32 for IPv4 ranges, 0-128 for IPv6 ranges"
        )));
    }
    let (mut lower, mut upper) = (addr.0.clone(), addr.0);
    for i in prefix as usize..lower.len() * 8 {
        let m = 1u8 << (7 - (i & 7));
        lower[i >> 3] &= !m;
        upper[i >> 3] |= m;
    }
    Ok((IpBytes(lower), IpBytes(upper)))
}

/// Java's `Integer.parseInt(s)` (ASCII digits, optional sign).
fn java_parse_int(s: &str) -> Option<i32> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// As a 16-byte address: IPv4 in its IPv4-mapped IPv6 form.
fn to_v6(b: &IpBytes) -> Vec<u8> {
    if b.is_v4() {
        let mut v = vec![0u8; 10];
        v.extend([0xff, 0xff]);
        v.extend(&b.0);
        v
    } else {
        b.0.clone()
    }
}

fn is_between(addr: &IpBytes, lower: &IpBytes, upper: &IpBytes) -> bool {
    if addr.0.len() != lower.0.len() {
        let (a, l, u) = (to_v6(addr), to_v6(lower), to_v6(upper));
        return l <= a && u >= a;
    }
    lower.0 <= addr.0 && upper.0 >= addr.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::processors::testing::{bad_config, fails, give};

    #[test]
    fn parses_ip_literals_as_elasticsearch() {
        let ok: &[(&str, &[u8])] = &[
            ("1.2.3.4", &[1, 2, 3, 4]),
            ("::ffff:10.0.0.1", &[10, 0, 0, 1]),
            ("::1", &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
            (
                "fe80::1%eth0",
                &[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
            ),
            ("1::", &[0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            ("::", &[0; 16]),
        ];
        for (text, bytes) in ok {
            assert_eq!(for_string(text).map(|b| b.0), Ok(bytes.to_vec()), "{text}");
        }
        for bad in [
            "01.2.3.4",
            "1.2.3",
            "1.2.3.256",
            "1::2::3",
            ":1::",
            "fe80::1%",
            "a.b",
            "",
            "1:2:3:4:5:6:7:8:9",
            "12345::",
        ] {
            assert!(for_string(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn named_networks_and_cidrs() {
        let cases: &[(&str, &str, bool)] = &[
            ("127.0.0.1", "loopback", true),
            ("::1", "loopback", true),
            ("10.1.2.3", "private", true),
            ("172.32.0.1", "private", false),
            ("fd12::1", "private", true),
            ("8.8.8.8", "public", true),
            ("192.168.1.1", "public", false),
            ("255.255.255.255", "unicast", false),
            ("8.8.8.8", "global_unicast", true),
            ("224.0.0.251", "link_local_multicast", true),
            ("ff02::1", "link_local_multicast", true),
            ("ff01::1", "interface_local_multicast", true),
            ("239.1.1.1", "multicast", true),
            ("169.254.1.1", "link_local_unicast", true),
            ("0.0.0.0", "unspecified", true),
            ("10.0.0.5", "10.0.0.0/29", true),
            ("10.0.0.5", "10.0.0.0/30", false),
            ("10.0.0.5", "10.0.0.4/31", true),
            ("10.0.0.6", "10.0.0.4/31", false),
            ("10.0.0.6", "10.0.0.6", true),
            ("::ffff:10.0.0.6", "10.0.0.0/8", true),
            ("2001:db8::1", "2001:db8::/32", true),
            ("10.0.0.1", "2001:db8::/32", false),
        ];
        for (ip, net, want) in cases {
            assert_eq!(in_network(ip, net), Ok(*want), "{ip} in {net}");
        }
        let errors: &[(&str, &str, &str)] = &[
            ("x", "private", "'x' is not an IP string literal."),
            (
                "1.2.3.4",
                "10.0.0.0/33",
                "Illegal prefix length [33] in [10.0.0.0/33]. Must be 0-32 for IPv4 ranges, 0-128 for IPv6 ranges",
            ),
            (
                "1.2.3.4",
                "10.0.0.0/",
                "Expected [ip/prefix] but was [10.0.0.0/]",
            ),
            ("1.2.3.4", "10.0.0.0/x", "For input string: \"x\""),
            ("1.2.3.4", "corp", "'corp' is not an IP string literal."),
        ];
        for (ip, net, msg) in errors {
            assert_eq!(
                in_network(ip, net).unwrap_err().reason,
                *msg,
                "{ip} in {net}"
            );
        }
    }

    #[test]
    fn processor() {
        let opts = r#"{"internal_networks":["private"]}"#;
        let doc = |s: &str, d: &str| {
            format!(r#"{{"source":{{"ip":"{s}"}},"destination":{{"ip":"{d}"}}}}"#)
        };
        let with = |s: &str, d: &str, dir: &str| {
            format!(
                r#"{{"source":{{"ip":"{s}"}},"destination":{{"ip":"{d}"}},"network":{{"direction":"{dir}"}}}}"#
            )
        };
        for (s, d, dir) in [
            ("10.0.0.1", "10.0.0.2", "internal"),
            ("10.0.0.1", "8.8.8.8", "outbound"),
            ("8.8.8.8", "10.0.0.1", "inbound"),
            ("8.8.8.8", "1.1.1.1", "external"),
        ] {
            give("network_direction", opts, &doc(s, d), &with(s, d, dir));
        }
        give(
            "network_direction",
            r#"{"internal_networks_field":"nets","target_field":"dir"}"#,
            r#"{"nets":["192.168.0.0/16"],"source":{"ip":"192.168.1.1"},"destination":{"ip":"8.8.8.8"}}"#,
            r#"{"nets":["192.168.0.0/16"],"source":{"ip":"192.168.1.1"},"destination":{"ip":"8.8.8.8"},"dir":"outbound"}"#,
        );
        give(
            "network_direction",
            r#"{"internal_networks":["{{net}}"]}"#,
            r#"{"net":"8.8.8.0/24","source":{"ip":"8.8.8.8"},"destination":{"ip":"1.1.1.1"}}"#,
            r#"{"net":"8.8.8.0/24","source":{"ip":"8.8.8.8"},"destination":{"ip":"1.1.1.1"},"network":{"direction":"outbound"}}"#,
        );
        give(
            "network_direction",
            opts,
            r#"{"source":{"ip":"1.1.1.1"}}"#,
            r#"{"source":{"ip":"1.1.1.1"}}"#,
        );
        fails(
            "network_direction",
            r#"{"internal_networks":["private"],"ignore_missing":false}"#,
            r#"{"source":{"ip":"1.1.1.1"}}"#,
            "field [destination] not present as part of path [destination.ip]",
        );
        fails(
            "network_direction",
            r#"{"internal_networks":["private"],"ignore_missing":false}"#,
            r#"{"source":{"ip":"1.1.1.1"},"destination":{"ip":null}}"#,
            "unable to calculate network direction from document",
        );
        fails(
            "network_direction",
            opts,
            &doc("nope", "1.1.1.1"),
            "'nope' is not an IP string literal.",
        );
        fails(
            "network_direction",
            r#"{"internal_networks_field":"nets"}"#,
            r#"{"nets":"10.0.0.0/8","source":{"ip":"1.1.1.1"},"destination":{"ip":"1.1.1.1"}}"#,
            "field [nets] of type [java.lang.String] cannot be cast to [java.util.ArrayList]",
        );
        bad_config(
            "network_direction",
            "{}",
            "[internal_networks] or [internal_networks_field] must be specified",
        );
        bad_config(
            "network_direction",
            r#"{"internal_networks":["a"],"internal_networks_field":"b"}"#,
            "[internal_networks] and [internal_networks_field] cannot both be used in the same processor",
        );
        bad_config(
            "network_direction",
            r#"{"internal_networks":"private"}"#,
            "[internal_networks] property isn't a list",
        );
    }
}
