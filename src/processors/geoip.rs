//! `geoip` (and `ip_location`): looks an IP address up in a MaxMind database
//! (Elasticsearch's GeoIpProcessor with MaxmindIpDataLookups).

// Helpers return the core `IngestError` unboxed, as `IngestDocument`'s methods do.
#![allow(clippy::result_large_err)]

use crate::document::{FieldPath, IngestDocument};
use crate::error::{ConfigError, IngestError};
use crate::pipeline::{BuildError, Builder, Config, Env, Flow, Processor};
use crate::resources::{GeoIpCache, GeoIpReader, GeoIpRecord};
use crate::value::{Map, Value};
use serde_json::Value as Json;
use std::net::IpAddr;
use std::sync::Arc;

/// Declares `Prop` and `ALL_PROPS` from one list, in Elasticsearch's declaration order.
macro_rules! props {
    ($($name:ident),* $(,)?) => {
        /// Elasticsearch's `Database.Property`, in its declaration order (used to sort error messages).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
        enum Prop {
            $($name),*
        }

        const ALL_PROPS: &[Prop] = &[$(Prop::$name),*];
    };
}

props!(
    Ip,
    CountryConfidence,
    CountryInEuropeanUnion,
    CountryIsoCode,
    CountryName,
    ContinentCode,
    ContinentName,
    RegionIsoCode,
    RegionName,
    CityConfidence,
    CityName,
    Timezone,
    Location,
    Asn,
    OrganizationName,
    Network,
    HostingProvider,
    TorExitNode,
    AnonymousVpn,
    Anonymous,
    PublicProxy,
    ResidentialProxy,
    Domain,
    Isp,
    IspOrganizationName,
    MobileCountryCode,
    MobileNetworkCode,
    ConnectionType,
    UserType,
    PostalCode,
    PostalConfidence,
    AccuracyRadius,
    RegisteredCountryInEuropeanUnion,
    RegisteredCountryIsoCode,
    RegisteredCountryName,
);

use Prop::*;

impl Prop {
    /// The output field name (and, upper-cased, the option value).
    fn name(self) -> &'static str {
        match self {
            Ip => "ip",
            CountryConfidence => "country_confidence",
            CountryInEuropeanUnion => "country_in_european_union",
            CountryIsoCode => "country_iso_code",
            CountryName => "country_name",
            ContinentCode => "continent_code",
            ContinentName => "continent_name",
            RegionIsoCode => "region_iso_code",
            RegionName => "region_name",
            CityConfidence => "city_confidence",
            CityName => "city_name",
            Timezone => "timezone",
            Location => "location",
            Asn => "asn",
            OrganizationName => "organization_name",
            Network => "network",
            HostingProvider => "hosting_provider",
            TorExitNode => "tor_exit_node",
            AnonymousVpn => "anonymous_vpn",
            Anonymous => "anonymous",
            PublicProxy => "public_proxy",
            ResidentialProxy => "residential_proxy",
            Domain => "domain",
            Isp => "isp",
            IspOrganizationName => "isp_organization_name",
            MobileCountryCode => "mobile_country_code",
            MobileNetworkCode => "mobile_network_code",
            ConnectionType => "connection_type",
            UserType => "user_type",
            PostalCode => "postal_code",
            PostalConfidence => "postal_confidence",
            AccuracyRadius => "accuracy_radius",
            RegisteredCountryInEuropeanUnion => "registered_country_in_european_union",
            RegisteredCountryIsoCode => "registered_country_iso_code",
            RegisteredCountryName => "registered_country_name",
        }
    }
}

/// The database kinds Elasticsearch reads from MaxMind files (by `database_type` suffix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    City,
    Country,
    Asn,
    AnonymousIp,
    ConnectionType,
    Domain,
    Enterprise,
    Isp,
}

const REGISTERED: [Prop; 3] = [
    RegisteredCountryInEuropeanUnion,
    RegisteredCountryIsoCode,
    RegisteredCountryName,
];
const CITY_DEFAULTS: &[Prop] = &[
    CountryIsoCode,
    CountryName,
    ContinentName,
    RegionIsoCode,
    RegionName,
    CityName,
    Location,
];

impl Kind {
    fn from_type(database_type: &str) -> Option<Kind> {
        [
            ("-City", Kind::City),
            ("-Country", Kind::Country),
            ("-ASN", Kind::Asn),
            ("-Anonymous-IP", Kind::AnonymousIp),
            ("-Connection-Type", Kind::ConnectionType),
            ("-Domain", Kind::Domain),
            ("-Enterprise", Kind::Enterprise),
            ("-ISP", Kind::Isp),
        ]
        .into_iter()
        .find(|(suffix, _)| database_type.ends_with(suffix))
        .map(|(_, k)| k)
    }

    /// (valid properties, default properties)
    fn properties(self) -> (Vec<Prop>, Vec<Prop>) {
        match self {
            Kind::City => {
                let mut v = vec![
                    Ip,
                    CountryInEuropeanUnion,
                    CountryIsoCode,
                    ContinentCode,
                    CountryName,
                    ContinentName,
                    RegionIsoCode,
                    RegionName,
                    CityName,
                    Timezone,
                    Location,
                    PostalCode,
                    AccuracyRadius,
                ];
                v.extend(REGISTERED);
                (v, CITY_DEFAULTS.to_vec())
            }
            Kind::Country => {
                let mut v = vec![
                    Ip,
                    ContinentCode,
                    ContinentName,
                    CountryName,
                    CountryInEuropeanUnion,
                    CountryIsoCode,
                ];
                v.extend(REGISTERED);
                (v, vec![ContinentName, CountryName, CountryIsoCode])
            }
            Kind::Asn => {
                let v = vec![Ip, Asn, OrganizationName, Network];
                (v.clone(), v)
            }
            Kind::AnonymousIp => {
                let d = vec![
                    HostingProvider,
                    TorExitNode,
                    AnonymousVpn,
                    Anonymous,
                    PublicProxy,
                    ResidentialProxy,
                ];
                let mut v = vec![Ip];
                v.extend(d.iter().copied());
                (v, d)
            }
            Kind::ConnectionType => (vec![Ip, ConnectionType], vec![ConnectionType]),
            Kind::Domain => (vec![Ip, Domain], vec![Domain]),
            Kind::Enterprise => {
                let v: Vec<Prop> = ALL_PROPS.to_vec();
                (v, CITY_DEFAULTS.to_vec())
            }
            Kind::Isp => {
                let v = vec![
                    Ip,
                    Asn,
                    OrganizationName,
                    Network,
                    Isp,
                    IspOrganizationName,
                    MobileCountryCode,
                    MobileNetworkCode,
                ];
                (v.clone(), v)
            }
        }
    }
}

#[derive(Debug)]
struct GeoIp {
    field: FieldPath,
    target: FieldPath,
    reader: Arc<GeoIpReader>,
    database: String,
    cache: Arc<GeoIpCache>,
    kind: Kind,
    properties: Vec<Prop>,
    ignore_missing: bool,
    first_only: bool,
    /// This processor's output per address: what it builds from a database record depends only
    /// on the address, the record (fixed for an address in a database) and the options, so a
    /// repeated address is a copy rather than a rebuild. Bounded like the record cache.
    built: super::Memo<IpAddr, Map>,
}

pub(crate) fn build(cfg: &mut Config, b: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    build_with_target(cfg, b, "geoip")
}

/// `ip_location`: the same processor with `ip_location` as default target (ES 8.16+).
#[allow(dead_code)]
pub(crate) fn build_ip_location(
    cfg: &mut Config,
    b: &Builder<'_>,
) -> Result<Box<dyn Processor>, BuildError> {
    build_with_target(cfg, b, "ip_location")
}

fn build_with_target(
    cfg: &mut Config,
    b: &Builder<'_>,
    default_target: &str,
) -> Result<Box<dyn Processor>, BuildError> {
    let field = cfg.req_str("field")?;
    let field = FieldPath::parse(&field).map_err(|e| ConfigError::property("field", e.reason))?;
    let target = cfg.str_or("target_field", default_target)?;
    let target =
        FieldPath::parse(&target).map_err(|e| ConfigError::property("target_field", e.reason))?;
    let database_file = cfg.str_or("database_file", "GeoLite2-City.mmdb")?;
    let names = cfg.opt_list("properties")?;
    let ignore_missing = cfg.bool_or("ignore_missing", false)?;
    let first_only = cfg.bool_or("first_only", true)?;
    // Accepted for compatibility; databases are local here.
    let _ = cfg.bool_or("download_database_on_pipeline_creation", true)?;
    let reader = b.resources.geoip(&database_file).map_err(|_| {
        ConfigError::property(
            "database_file",
            format!("database file [{database_file}] doesn't exist"),
        )
    })?;
    let database_type = reader.metadata().database_type.clone();
    let kind = Kind::from_type(&database_type).ok_or_else(|| {
        ConfigError::property(
            "database_file",
            format!("Unsupported database type [{database_type}] for file [{database_file}]"),
        )
    })?;
    let (valid, defaults) = kind.properties();
    let properties = match names {
        None => defaults,
        Some(names) => {
            let mut props = Vec::new();
            for n in names {
                let text = n.to_java_string();
                let upper = text.to_uppercase();
                let p = ALL_PROPS
                    .iter()
                    .copied()
                    .find(|p| p.name().to_uppercase() == upper && valid.contains(p));
                match p {
                    Some(p) if !props.contains(&p) => props.push(p),
                    Some(_) => {}
                    None => {
                        let mut sorted = valid.clone();
                        sorted.sort();
                        let list: Vec<String> =
                            sorted.iter().map(|p| p.name().to_uppercase()).collect();
                        return Err(ConfigError::property(
                            "properties",
                            format!(
                                "illegal property value [{text}]. valid values are [{}]",
                                list.join(", ")
                            ),
                        )
                        .into());
                    }
                }
            }
            props
        }
    };
    Ok(Box::new(GeoIp {
        field,
        target,
        reader,
        cache: b.resources.geoip_cache(),
        database: database_file,
        kind,
        properties,
        ignore_missing,
        first_only,
        built: super::Memo::default(),
    }))
}

/// Elasticsearch's `InetAddresses.forString`, with IPv4-mapped IPv6 turned into IPv4 as Java does.
fn parse_ip(s: &str) -> Result<IpAddr, IngestError> {
    let bare = s.split_once('%').map(|(a, _)| a).unwrap_or(s);
    let ip: IpAddr = bare.parse().map_err(|_| {
        IngestError::illegal_argument(format!("'{s}' is not an IP string literal."))
    })?;
    Ok(match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    })
}

/// Java's `InetAddress.getHostAddress()` (IPv6 uncompressed, as maxmind's `Network.toString`).
fn host_address(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => v6
            .segments()
            .iter()
            .map(|s| format!("{s:x}"))
            .collect::<Vec<_>>()
            .join(":"),
    }
}

fn at<'a>(v: &'a Json, path: &[&str]) -> Option<&'a Json> {
    path.iter().try_fold(v, |cur, k| cur.get(k))
}

fn str_at(v: &Json, path: &[&str]) -> Option<Value> {
    at(v, path)
        .and_then(Json::as_str)
        .map(|s| Value::String(s.to_string()))
}

fn int_at(v: &Json, path: &[&str]) -> Option<Value> {
    at(v, path)
        .and_then(Json::as_i64)
        .map(|n| Value::Int(n as i32))
}

/// `isInEuropeanUnion`: only for a real country (one with an ISO code).
fn eu(v: &Json, country: &str) -> Option<Value> {
    at(v, &[country, "iso_code"])?;
    Some(Value::Bool(
        at(v, &[country, "is_in_european_union"])
            .and_then(Json::as_bool)
            .unwrap_or(false),
    ))
}

impl GeoIp {
    /// The properties for one address; empty when the database has no record for it.
    fn lookup(&self, text: &str) -> Result<Map, IngestError> {
        let ip = parse_ip(text)?;
        self.built.get_or_build(&ip, || self.build_properties(ip))
    }

    /// The properties for one address, built from its database record.
    fn build_properties(&self, ip: IpAddr) -> Result<Map, IngestError> {
        let failed = |e: maxminddb::MaxMindDbError| IngestError::illegal_argument(e.to_string());
        let found = self.cache.get_or_insert(&self.database, ip, || {
            let result = self.reader.lookup(ip).map_err(failed)?;
            Ok::<_, IngestError>(GeoIpRecord {
                record: result.decode::<Json>().map_err(failed)?,
                network: result.network().ok().map(|n| (n.ip(), n.prefix())),
            })
        })?;
        let Some(rec) = &found.record else {
            return Ok(Map::default());
        };
        let network = found
            .network
            .map(|(ip, prefix)| format!("{}/{prefix}", host_address(ip)));
        let enterprise = self.kind == Kind::Enterprise;
        // ASN-like fields live at the top level of ASN/ISP records, under `traits` elsewhere.
        let top = |k: &str| {
            if enterprise {
                at(rec, &["traits", k])
            } else {
                rec.get(k)
            }
        };
        let null = Json::Null;
        let subdivision = rec
            .get("subdivisions")
            .and_then(Json::as_array)
            .and_then(|l| l.last())
            .unwrap_or(&null);
        let mut out = Map::default();
        for &p in &self.properties {
            let v: Option<Value> = match p {
                Ip => Some(Value::String(ip.to_string())),
                CountryConfidence => int_at(rec, &["country", "confidence"]),
                CountryInEuropeanUnion => eu(rec, "country"),
                CountryIsoCode => str_at(rec, &["country", "iso_code"]),
                CountryName => str_at(rec, &["country", "names", "en"]),
                ContinentCode => str_at(rec, &["continent", "code"]),
                ContinentName => str_at(rec, &["continent", "names", "en"]),
                RegionIsoCode => match (
                    at(rec, &["country", "iso_code"]).and_then(Json::as_str),
                    subdivision.get("iso_code").and_then(Json::as_str),
                ) {
                    (Some(c), Some(s)) => Some(Value::String(format!("{c}-{s}"))),
                    _ => None,
                },
                RegionName => str_at(subdivision, &["names", "en"]),
                CityConfidence => int_at(rec, &["city", "confidence"]),
                CityName => str_at(rec, &["city", "names", "en"]),
                Timezone => str_at(rec, &["location", "time_zone"]),
                Location => match (
                    at(rec, &["location", "latitude"]).and_then(Json::as_f64),
                    at(rec, &["location", "longitude"]).and_then(Json::as_f64),
                ) {
                    (Some(lat), Some(lon)) => {
                        let mut m = Map::default();
                        m.insert("lat".into(), Value::Double(lat));
                        m.insert("lon".into(), Value::Double(lon));
                        Some(Value::Map(m))
                    }
                    _ => None,
                },
                Asn => top("autonomous_system_number")
                    .and_then(Json::as_i64)
                    .map(Value::Long),
                OrganizationName => top("autonomous_system_organization")
                    .and_then(Json::as_str)
                    .map(Value::from),
                Network => network.clone().map(Value::String),
                HostingProvider | TorExitNode | AnonymousVpn | Anonymous | PublicProxy
                | ResidentialProxy => {
                    let key = format!("is_{}", p.name());
                    Some(Value::Bool(
                        top(&key).and_then(Json::as_bool).unwrap_or(false),
                    ))
                }
                Domain => top("domain").and_then(Json::as_str).map(Value::from),
                Isp => top("isp").and_then(Json::as_str).map(Value::from),
                IspOrganizationName => top("organization").and_then(Json::as_str).map(Value::from),
                MobileCountryCode => top("mobile_country_code")
                    .and_then(Json::as_str)
                    .map(Value::from),
                MobileNetworkCode => top("mobile_network_code")
                    .and_then(Json::as_str)
                    .map(Value::from),
                ConnectionType => top("connection_type")
                    .and_then(Json::as_str)
                    .map(Value::from),
                UserType => top("user_type").and_then(Json::as_str).map(Value::from),
                PostalCode => str_at(rec, &["postal", "code"]),
                PostalConfidence => int_at(rec, &["postal", "confidence"]),
                AccuracyRadius => int_at(rec, &["location", "accuracy_radius"]),
                RegisteredCountryInEuropeanUnion => eu(rec, "registered_country"),
                RegisteredCountryIsoCode => str_at(rec, &["registered_country", "iso_code"]),
                RegisteredCountryName => str_at(rec, &["registered_country", "names", "en"]),
            };
            if let Some(v) = v {
                out.insert(p.name().to_string(), v);
            }
        }
        Ok(out)
    }
}

impl Processor for GeoIp {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        let value = if self.ignore_missing {
            doc.get_opt(&self.field)
        } else {
            Some(doc.get(&self.field)?)
        };
        match value {
            None | Some(Value::Null) if self.ignore_missing => Ok(Flow::Continue),
            None | Some(Value::Null) => Err(IngestError::illegal_argument(format!(
                "field [{}] is null, cannot extract geoip information.",
                self.field
            ))),
            Some(Value::String(ip)) => {
                let data = self.lookup(ip)?;
                if !data.is_empty() {
                    doc.set(&self.target, Value::Map(data))?;
                }
                Ok(Flow::Continue)
            }
            Some(Value::List(ips)) => {
                let ips = ips.clone();
                let mut found = false;
                let mut out = Vec::with_capacity(ips.len());
                for ip in ips {
                    let Value::String(ip) = ip else {
                        return Err(IngestError::illegal_argument(format!(
                            "array in field [{}] should only contain strings",
                            self.field
                        )));
                    };
                    let data = self.lookup(&ip)?;
                    if data.is_empty() {
                        out.push(Value::Null);
                        continue;
                    }
                    if self.first_only {
                        doc.set(&self.target, Value::Map(data))?;
                        return Ok(Flow::Continue);
                    }
                    found = true;
                    out.push(Value::Map(data));
                }
                if found {
                    doc.set(&self.target, Value::List(out))?;
                }
                Ok(Flow::Continue)
            }
            Some(_) => Err(IngestError::illegal_argument(format!(
                "field [{}] should contain only string or array of strings",
                self.field
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{Pipeline, PipelineSet};
    use crate::processors::testing::{bad_config, fails, give};
    use crate::resources::Resources;

    #[test]
    fn a_repeated_address_gets_the_same_output_from_the_processor_cache() {
        use crate::processors::testing::{execute, pipeline};
        let p = pipeline("geoip", r#"{"field":"ip"}"#).unwrap();
        let run = |doc: &str| execute(&p, doc).map(|(_, d)| Value::Map(d.into_source()).to_json());
        let (bt, none) = (r#"{"ip":"67.43.156.0"}"#, r#"{"ip":"127.0.0.1"}"#);
        let first_bt = run(bt).unwrap();
        assert!(first_bt.contains("Bhutan"), "{first_bt}");
        assert_eq!(run(none).unwrap(), r#"{"ip":"127.0.0.1"}"#);
        assert_eq!(run(bt).unwrap(), first_bt);
        assert_eq!(run(none).unwrap(), r#"{"ip":"127.0.0.1"}"#);
        // The same address written another way is the same address.
        assert_eq!(
            run(r#"{"ip":"::ffff:67.43.156.0"}"#).unwrap(),
            first_bt.replace(r#""ip":"67.43.156.0""#, r#""ip":"::ffff:67.43.156.0""#)
        );
    }

    #[test]
    fn city_test_database() {
        give(
            "geoip",
            r#"{"field":"ip"}"#,
            r#"{"ip":"67.43.156.0"}"#,
            r#"{"ip":"67.43.156.0","geoip":{"continent_name":"Asia","country_iso_code":"BT","country_name":"Bhutan","location":{"lat":27.5,"lon":90.5}}}"#,
        );
        give(
            "geoip",
            r#"{"field":"ip","target_field":"g","properties":["ip","region_iso_code","region_name","city_name","country_in_european_union","timezone","location","continent_code","accuracy_radius"]}"#,
            r#"{"ip":"89.160.20.128"}"#,
            r#"{"ip":"89.160.20.128","g":{"ip":"89.160.20.128","region_iso_code":"SE-E","region_name":"Östergötland County","city_name":"Linköping","country_in_european_union":true,"timezone":"Europe/Stockholm","location":{"lat":58.4167,"lon":15.6167},"continent_code":"EU","accuracy_radius":76}}"#,
        );
        // Not in the database: nothing written.
        give(
            "geoip",
            r#"{"field":"ip"}"#,
            r#"{"ip":"10.0.0.1"}"#,
            r#"{"ip":"10.0.0.1"}"#,
        );
    }

    #[test]
    fn asn_and_lists() {
        give(
            "geoip",
            r#"{"field":"ip","database_file":"GeoLite2-ASN.mmdb"}"#,
            r#"{"ip":"89.160.20.128"}"#,
            r#"{"ip":"89.160.20.128","geoip":{"ip":"89.160.20.128","asn":29518,"organization_name":"Bredband2 AB","network":"89.160.0.0/17"}}"#,
        );
        give(
            "geoip",
            r#"{"field":"ips","properties":["country_iso_code"],"first_only":false}"#,
            r#"{"ips":["10.0.0.1","89.160.20.128"]}"#,
            r#"{"ips":["10.0.0.1","89.160.20.128"],"geoip":[null,{"country_iso_code":"SE"}]}"#,
        );
        give(
            "geoip",
            r#"{"field":"ips","properties":["country_iso_code"]}"#,
            r#"{"ips":["10.0.0.1","89.160.20.128"]}"#,
            r#"{"ips":["10.0.0.1","89.160.20.128"],"geoip":{"country_iso_code":"SE"}}"#,
        );
    }

    #[test]
    fn asn_is_a_long() {
        let v = Value::from_json_str(
            r#"{"processors":[{"geoip":{"field":"ip","database_file":"GeoLite2-ASN.mmdb"}}]}"#,
        )
        .unwrap();
        let p = Pipeline::from_value("t", &v, None, None, &Resources::new()).unwrap();
        let mut set = PipelineSet::new();
        set.insert(p);
        let Value::Map(src) = Value::from_json_str(r#"{"ip":"89.160.20.128"}"#).unwrap() else {
            panic!()
        };
        let doc = set
            .run("t", IngestDocument::new(src, "2024-01-01T00:00:00Z"))
            .unwrap()
            .unwrap();
        let g = doc.ctx["geoip"].as_map().unwrap();
        assert!(matches!(g["asn"], Value::Long(29518)));
    }

    #[test]
    fn errors() {
        fails(
            "geoip",
            r#"{"field":"ip"}"#,
            r#"{"ip":"nope"}"#,
            "'nope' is not an IP string literal.",
        );
        fails(
            "geoip",
            r#"{"field":"ip"}"#,
            r#"{"ip":null}"#,
            "field [ip] is null, cannot extract geoip information.",
        );
        fails(
            "geoip",
            r#"{"field":"ip"}"#,
            "{}",
            "field [ip] not present as part of path [ip]",
        );
        give(
            "geoip",
            r#"{"field":"ip","ignore_missing":true}"#,
            "{}",
            "{}",
        );
        fails(
            "geoip",
            r#"{"field":"ip"}"#,
            r#"{"ip":1}"#,
            "field [ip] should contain only string or array of strings",
        );
        fails(
            "geoip",
            r#"{"field":"ip"}"#,
            r#"{"ip":[1]}"#,
            "array in field [ip] should only contain strings",
        );
        bad_config(
            "geoip",
            r#"{"field":"ip","properties":["asn"]}"#,
            "[properties] illegal property value [asn]. valid values are [IP, COUNTRY_IN_EUROPEAN_UNION, COUNTRY_ISO_CODE, COUNTRY_NAME, CONTINENT_CODE, CONTINENT_NAME, REGION_ISO_CODE, REGION_NAME, CITY_NAME, TIMEZONE, LOCATION, POSTAL_CODE, ACCURACY_RADIUS, REGISTERED_COUNTRY_IN_EUROPEAN_UNION, REGISTERED_COUNTRY_ISO_CODE, REGISTERED_COUNTRY_NAME]",
        );
        bad_config(
            "geoip",
            r#"{"field":"ip","database_file":"Nope.mmdb"}"#,
            "[database_file] database file [Nope.mmdb] doesn't exist",
        );
    }

    /// Real Elasticsearch outputs in the corpus: `<side>.geo` next to `<side>.ip`, computed with
    /// elastic-package's 2023 databases and the default City properties.
    #[test]
    fn matches_corpus_outputs() {
        let dir = &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/geoip/elastic-package-2023");
        let corpus =
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/packages");
        if !dir.is_dir() || !corpus.is_dir() {
            return;
        }
        let res = Resources::with_geoip_dir(Some(dir.to_path_buf()));
        let def = Value::from_json_str(
            r#"{"processors":[{"geoip":{"field":"ip","ignore_missing":true}}]}"#,
        )
        .unwrap();
        let p = Pipeline::from_value("t", &def, None, None, &res).unwrap();
        let mut set = PipelineSet::new();
        set.insert(p);
        let (mut checked, mut mismatches) = (0, Vec::new());
        for entry in walkdir::WalkDir::new(corpus)
            .into_iter()
            .filter_map(Result::ok)
        {
            let path = entry.path();
            if !path.to_string_lossy().ends_with("-expected.json") || checked >= 2000 {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            let Ok(Value::Map(top)) = Value::from_json_str(&text) else {
                continue;
            };
            let Some(Value::List(docs)) = top.get("expected") else {
                continue;
            };
            for d in docs {
                for side in ["source", "destination", "client", "server"] {
                    let Some(s) = d.as_map().and_then(|m| m.get(side)).and_then(Value::as_map)
                    else {
                        continue;
                    };
                    let (Some(Value::String(ip)), Some(Value::Map(want))) =
                        (s.get("ip"), s.get("geo"))
                    else {
                        continue;
                    };
                    let mut src = Map::default();
                    src.insert("ip".into(), Value::from(ip.as_str()));
                    let out = set
                        .run("t", IngestDocument::new(src, "t"))
                        .unwrap()
                        .unwrap();
                    let got = out
                        .ctx
                        .get("geoip")
                        .and_then(Value::as_map)
                        .cloned()
                        .unwrap_or_default();
                    if got.is_empty() {
                        // Not in the database: `geo` came from the event itself.
                        continue;
                    }
                    checked += 1;
                    // Pipelines may add keys to `geo`; every key geoip writes must agree.
                    let agrees = got.iter().all(|(k, v)| want.get(k) == Some(v))
                        && CITY_DEFAULTS
                            .iter()
                            .all(|p| got.contains_key(p.name()) || !want.contains_key(p.name()));
                    if !agrees {
                        mismatches.push(format!(
                            "{}: {ip}: got {} want {}",
                            path.display(),
                            Value::Map(got).to_json(),
                            Value::Map(want.clone()).to_json()
                        ));
                    }
                }
            }
        }
        assert!(checked > 100, "only {checked} corpus values checked");
        assert!(
            mismatches.is_empty(),
            "{} of {checked} differ, e.g.\n{}",
            mismatches.len(),
            mismatches
                .iter()
                .take(10)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    #[test]
    fn java_formats() {
        assert_eq!(
            host_address("2001:db8::".parse().unwrap()),
            "2001:db8:0:0:0:0:0:0"
        );
        assert_eq!(parse_ip("::ffff:1.2.3.4").unwrap().to_string(), "1.2.3.4");
    }
}
