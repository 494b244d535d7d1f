//! Document validation with elastic-package's rules (`internal/fields/validate.go`) and messages.

use super::gofmt::{as_go_float, go_q, go_q_strings, go_quote, go_type, go_v};
use super::lookup::{Found, Lookup};
use super::{FieldProblem, RuleSet, SpecVersion, ValidationSettings};
use crate::value::{Map, Value};
use std::net::IpAddr;

/// Everything one validation run looks at.
pub(crate) struct Run<'a> {
    pub lookup: &'a Lookup,
    pub settings: &'a ValidationSettings,
    pub numeric_keyword_fields: &'a [String],
    pub string_number_fields: &'a [String],
    pub doc: &'a Map,
}

const V2_0_0: SpecVersion = SpecVersion(2, 0, 0);
const V3_0_1: SpecVersion = SpecVersion(3, 0, 1);

/// Field families elastic-package never reports as undefined (`skipValidationForField`).
const SKIPPED_FAMILIES: &[&str] = &[
    "agent",
    "elastic_agent",
    "cloud",
    "event",
    "host",
    "metricset",
    "event.module",
];

fn in_family(family: &str, key: &str) -> bool {
    key.strip_prefix(family)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

/// `common.MapStr.GetValue`: a dotted path through nested objects.
pub(crate) fn get_path<'v>(doc: &'v Map, path: &str) -> Option<&'v Value> {
    let mut parts = path.split('.');
    let mut cur = doc.get(parts.next()?)?;
    for p in parts {
        cur = cur.as_map()?.get(p)?;
    }
    Some(cur)
}

impl<'a> Run<'a> {
    /// All problems of the document, in document order.
    pub(crate) fn run(&self) -> Vec<FieldProblem> {
        let mut out = self.validate_document_values();
        self.validate_map(&mut String::new(), self.doc, &mut out);
        out
    }

    fn latest(&self) -> bool {
        self.settings.rules == RuleSet::Latest
    }

    fn find(&self, key: &str) -> Option<Found<'a>> {
        self.lookup.find(key, self.latest())
    }

    fn spec_at_least(&self, v: SpecVersion) -> bool {
        self.settings.spec_version >= v
    }

    /// `validateDocumentValues`: the dataset fields hold one of the expected datasets.
    fn validate_document_values(&self) -> Vec<FieldProblem> {
        let mut out = Vec::new();
        let Some(expected) = &self.settings.expected_datasets else {
            return out;
        };
        if !self.spec_at_least(V2_0_0) {
            return out;
        }
        for field in ["event.dataset", "data_stream.dataset"] {
            let Some(value) = get_path(self.doc, field) else {
                continue;
            };
            let rendered: Vec<String> = expected
                .iter()
                .map(|t| render_mustache(t, self.doc))
                .collect();
            let ok = value
                .as_str()
                .is_some_and(|s| rendered.iter().any(|r| r == s));
            if !ok {
                out.push(FieldProblem {
                    field: field.to_string(),
                    message: format!(
                        "field {} should have value in {}, it has \"{}\"",
                        go_quote(field),
                        go_q_strings(expected),
                        go_v(value)
                    ),
                });
            }
        }
        out
    }

    /// `validateMapElement`: the problems of `elem`, whose dotted name is `path`, appended to
    /// `out`. `path` is one buffer for the whole walk (extended and cut back per key), so a deeply
    /// nested document costs time linear in its size.
    fn validate_map(&self, path: &mut String, elem: &Map, out: &mut Vec<FieldProblem>) {
        let root_len = path.len();
        for (name, val) in elem {
            // elastic-package joins `root + "." + name` and trims leading dots.
            if root_len == 0 {
                path.push_str(name.trim_start_matches('.'));
            } else {
                path.push('.');
                path.push_str(name);
            }
            match val {
                Value::Map(m) => {
                    // The whole object is one flattened field, or its members are checked.
                    if self.find(path).is_none_or(|f| f.ty != "flattened") {
                        self.validate_map(path, m, out);
                    }
                }
                _ => {
                    let key = path.as_str();
                    // `root_len` was the length of `path` before this key was pushed onto it.
                    if !self.skip_leaf_of_object(&key[..root_len], name)
                        && let Err(message) = self.validate_scalar(key, val)
                    {
                        out.push(FieldProblem {
                            field: key.to_string(),
                            message,
                        });
                    }
                }
            }
            path.truncate(root_len);
        }
    }

    /// `skipLeafOfObject`: before spec 3.0.1, dotted leaves below an object-like ancestor pass.
    fn skip_leaf_of_object(&self, root: &str, name: &str) -> bool {
        if !self.latest() || self.spec_at_least(V3_0_1) || !name.contains('.') {
            return false;
        }
        let key = if root.is_empty() {
            name.to_string()
        } else {
            format!("{root}.{name}")
        };
        self.lookup
            .find_ancestor(&key, true, |k, def| {
                k.len() >= root.len()
                    && matches!(def.ty, "group" | "object" | "nested" | "flattened")
            })
            .is_some()
    }

    /// `validateScalarElement`.
    fn validate_scalar(&self, key: &str, val: &Value) -> Result<(), String> {
        if key.is_empty() {
            return Ok(());
        }
        let Some(def) = self.find(key) else {
            return self.undefined(key, val);
        };
        if self.spec_at_least(V2_0_0)
            && def.node.normalize_array
            && !val.is_null()
            && !matches!(val, Value::List(_))
        {
            return Err(format!(
                "field {} is not normalized as expected: expected array, found {} ({})",
                go_quote(key),
                go_q(val),
                go_type(val)
            ));
        }
        self.parse_element_value(key, def, val)
            .map_err(|e| format!("parsing field value failed: {e}"))
    }

    fn undefined(&self, key: &str, val: &Value) -> Result<(), String> {
        if SKIPPED_FAMILIES.iter().any(|f| in_family(f, key)) {
            return Ok(());
        }
        if self
            .lookup
            .find_ancestor(key, self.latest(), |_, d| d.ty == "flattened")
            .is_some()
        {
            return Ok(());
        }
        if matches!(val, Value::List(items) if items.iter().any(|i| matches!(i, Value::Map(_)))) {
            return Err(format!(
                "field {} is used as array of objects, expected explicit definition with type group or nested",
                go_quote(key)
            ));
        }
        let parent = self.lookup.find_parent(key, self.latest());
        if parent.is_some_and(|p| !matches!(p.ty, "" | "group" | "nested" | "object")) {
            return Err(format!(
                "field {} is undefined, could be a multifield",
                go_quote(key)
            ));
        }
        if parent.is_some_and(|p| p.node.enabled == Some(false)) {
            return Ok(());
        }
        Err(format!("field {} is undefined", go_quote(key)))
    }

    /// `parseElementValue`: per-element type checks, then checks over all values.
    fn parse_element_value(&self, key: &str, def: Found<'_>, val: &Value) -> Result<(), String> {
        self.for_each_element(key, def, val)?;
        if matches!(def.ty, "constant_keyword" | "keyword" | "text") && self.spec_at_least(V2_0_0) {
            self.ensure_expected_event_type(key, val, def)?;
        }
        Ok(())
    }

    fn for_each_element(&self, key: &str, def: Found<'_>, val: &Value) -> Result<(), String> {
        match val {
            Value::List(items) => items
                .iter()
                .try_for_each(|item| self.parse_single(key, def, item)),
            _ => self.parse_single(key, def, val),
        }
    }

    /// `parseSingleElementValue`.
    fn parse_single(&self, key: &str, def: Found<'_>, val: &Value) -> Result<(), String> {
        let invalid = || {
            format!(
                "field {}'s Go type, {}, does not match the expected field type: {} (field value: {})",
                go_quote(key),
                go_type(val),
                def.ty,
                go_v(val)
            )
        };
        let string_value = || -> Option<String> {
            match val {
                Value::String(s) => Some(s.clone()),
                Value::Bool(_)
                | Value::Int(_)
                | Value::Long(_)
                | Value::Float(_)
                | Value::Double(_)
                    if self.settings.default_numeric_conversion
                        || self.numeric_keyword_fields.iter().any(|f| f == key) =>
                {
                    Some(go_v(val))
                }
                _ => None,
            }
        };
        let node = def.node;
        match def.ty {
            "constant_keyword" => {
                let s = string_value().ok_or_else(invalid)?;
                if !node.value.is_empty() && s != node.value {
                    return Err(format!(
                        "field {}'s value {} does not match the declared constant_keyword value {}",
                        go_quote(key),
                        go_quote(&s),
                        go_quote(&node.value)
                    ));
                }
                ensure_pattern(key, &s, def)?;
                ensure_allowed(key, &s, def)
            }
            "keyword" | "text" => {
                let s = string_value().ok_or_else(invalid)?;
                ensure_pattern(key, &s, def)?;
                ensure_allowed(key, &s, def)
            }
            "date" => match val {
                Value::String(s) => ensure_pattern(key, s, def),
                v if as_go_float(v).is_some() => {
                    if node.pattern.is_empty() {
                        Ok(())
                    } else {
                        Err(format!(
                            "numeric date in field {}, but pattern defined",
                            go_quote(key)
                        ))
                    }
                }
                _ => Err(invalid()),
            },
            "ip" => {
                let Value::String(s) = val else {
                    return Err(invalid());
                };
                ensure_pattern(key, s, def)?;
                if self.settings.allowed_ip_check && !is_allowed_ip(s) {
                    return Err(format!(
                        "the IP {} is not one of the allowed test IPs (see: https://github.com/elastic/elastic-package/blob/main/internal/fields/_static/allowed_geo_ips.txt)",
                        go_quote(s)
                    ));
                }
                Ok(())
            }
            // Before PR #2054, `object` fields took any value.
            "object" if !self.latest() => Ok(()),
            "group" | "nested" | "object" => match val {
                Value::Map(m) => {
                    if !self.spec_at_least(V3_0_1) {
                        return Ok(());
                    }
                    let mut problems = Vec::new();
                    self.validate_map(&mut key.to_string(), m, &mut problems);
                    if problems.is_empty() {
                        Ok(())
                    } else {
                        Err(multierror(&problems))
                    }
                }
                Value::List(_) => {
                    if !self.spec_at_least(V3_0_1) {
                        return Ok(());
                    }
                    self.for_each_element(key, def, val)
                }
                Value::Null => Ok(()),
                _ => {
                    if def.ty == "object" && !def.object_type.is_empty() {
                        let leaf = Found {
                            node,
                            ty: def.object_type,
                            object_type: "",
                        };
                        return self.parse_single(key, leaf, val);
                    }
                    if def.ty == "object" {
                        return Ok(());
                    }
                    Err(format!(
                        "field {} is a group of fields of type {}, it cannot store values",
                        go_quote(key),
                        def.ty
                    ))
                }
            },
            "float" | "long" | "double" => match val {
                v if as_go_float(v).is_some() => Ok(()),
                Value::String(s)
                    if self.string_number_fields.iter().any(|f| f == key)
                        && s.parse::<f64>().is_ok() =>
                {
                    Ok(())
                }
                _ => Err(invalid()),
            },
            _ => Ok(()),
        }
    }

    /// `ensureExpectedEventType`: ECS `allowed_values` name the `event.type`s each value expects.
    fn ensure_expected_event_type(
        &self,
        key: &str,
        val: &Value,
        def: Found<'_>,
    ) -> Result<(), String> {
        let event_types = values_to_strings(get_path(self.doc, "event.type"));
        let values = values_to_strings(Some(val));
        let mut expected: Vec<String> = Vec::new();
        for v in &values {
            let for_value = def
                .node
                .allowed_values
                .iter()
                .find(|a| &a.name.0 == v)
                .and_then(|a| a.expected_event_types.as_ref());
            for t in for_value.into_iter().flatten() {
                if !expected.contains(&t.0) {
                    expected.push(t.0.clone());
                }
            }
        }
        if expected.is_empty() {
            return Ok(());
        }
        for et in &event_types {
            if !expected.contains(et) {
                return Err(format!(
                    "field \"event.type\" value {} is not one of the expected values ({}) for any of the values of {} ({})",
                    go_quote(et),
                    expected.join(", "),
                    go_quote(key),
                    values.join(", ")
                ));
            }
        }
        Ok(())
    }
}

/// Go's `multierror.Error` text: `[0] first\n[1] second`.
fn multierror(problems: &[FieldProblem]) -> String {
    problems
        .iter()
        .enumerate()
        .map(|(i, p)| format!("[{i}] {}", p.message))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `valueToStringsSlice`.
fn values_to_strings(v: Option<&Value>) -> Vec<String> {
    match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::List(items)) => items.iter().map(go_v).collect(),
        Some(other) => vec![go_v(other)],
    }
}

/// `ensurePatternMatches` (unanchored search, as Go's `regexp.MatchString`).
fn ensure_pattern(key: &str, value: &str, def: Found<'_>) -> Result<(), String> {
    match &def.node.regex {
        None => Ok(()),
        Some(Err(e)) => Err(format!("invalid pattern: {e}")),
        Some(Ok(re)) if re.is_match(value) => Ok(()),
        Some(Ok(_)) => Err(format!(
            "field {}'s value, {}, does not match the expected pattern: {}",
            go_quote(key),
            value,
            def.node.pattern
        )),
    }
}

/// `ensureAllowedValues`.
fn ensure_allowed(key: &str, value: &str, def: Found<'_>) -> Result<(), String> {
    let allowed = &def.node.allowed_values;
    if !allowed.is_empty() && !allowed.iter().any(|a| a.name.0 == value) {
        let names: Vec<&str> = allowed.iter().map(|a| a.name.0.as_str()).collect();
        return Err(format!(
            "field {}'s value {} is not one of the allowed values ({})",
            go_quote(key),
            go_quote(value),
            names.join(", ")
        ));
    }
    let expected = &def.node.expected_values;
    if !expected.is_empty() && !expected.iter().any(|e| e == value) {
        return Err(format!(
            "field {}'s value {} is not one of the expected values ({})",
            go_quote(key),
            go_quote(value),
            expected.join(", ")
        ));
    }
    Ok(())
}

/// The CIDRs of elastic-package's `_static/allowed_geo_ips.txt` (networks of the GeoIP test
/// databases its stack installs). Its latest copy lists 81.2.69.142/31 and 81.2.69.192/28 only;
/// the corpus (2024) holds 2,000 accepted documents with 81.2.69.144 and .145, and both test
/// database generations (2023, 2025) hold 81.2.69.144/28 and 81.2.69.160/27, so those are allowed.
const ALLOWED_CIDRS: &[(&str, u8)] = &[
    ("1.128.0.0", 11),
    ("175.16.199.0", 24),
    ("216.160.83.56", 29),
    ("81.2.69.142", 31),
    ("81.2.69.144", 28),
    ("81.2.69.160", 27),
    ("81.2.69.192", 28),
    ("89.160.20.112", 28),
    ("89.160.20.128", 25),
    ("67.43.156.0", 24),
    ("2a02:cf40::", 29),
];

fn in_cidr(ip: &IpAddr, net: &str, bits: u8) -> bool {
    match (ip, net.parse::<IpAddr>()) {
        (IpAddr::V4(a), Ok(IpAddr::V4(n))) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(*a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), Ok(IpAddr::V6(n))) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(*a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// `isAllowedIPValue`: test-database ranges, private, documentation, loopback, link-local,
/// multicast, unspecified and broadcast addresses (Go's `net.IP` predicates).
pub(crate) fn is_allowed_ip(s: &str) -> bool {
    let Ok(ip) = s.parse::<IpAddr>() else {
        return false;
    };
    // Go treats IPv4-mapped IPv6 addresses as IPv4.
    let ip = match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    };
    if ALLOWED_CIDRS.iter().any(|(n, b)| in_cidr(&ip, n, *b)) {
        return true;
    }
    match ip {
        // Constant indices into the fixed-size octet arrays ([u8; 4], [u8; 16]).
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_unspecified()
                || o[0] == 10
                || (o[0] == 172 && o[1] & 0xf0 == 16)
                || (o[0] == 192 && o[1] == 168)
                || (o[0] == 192 && o[1] == 0 && o[2] == 2)
                || (o[0] == 198 && o[1] == 51 && o[2] == 100)
                || (o[0] == 203 && o[1] == 0 && o[2] == 113)
                || o[0] == 127
                || (o[0] == 169 && o[1] == 254)
                || o[0] & 0xf0 == 0xe0
                || v4.is_broadcast()
        }
        IpAddr::V6(v6) => {
            let o = v6.octets();
            v6.is_unspecified()
                || o[0] & 0xfe == 0xfc
                || (o[0] == 0x20 && o[1] == 0x01 && o[2] == 0x0d && o[3] == 0xb8)
                || v6.is_loopback()
                || (o[0] == 0xfe && o[1] & 0xc0 == 0x80)
                || o[0] == 0xff
        }
    }
}

/// Renders the `{{name}}` / `{{{name}}}` references of an expected dataset against the document
/// (cbroglie/mustache: dotted names walk objects, missing names render empty, `{{}}` HTML-escapes).
pub(crate) fn render_mustache(template: &str, doc: &Map) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some((before, after)) = rest.split_once("{{") {
        out.push_str(before);
        let (triple, body) = match after.strip_prefix('{') {
            Some(b) => (true, b),
            None => (false, after),
        };
        let close = if triple { "}}}" } else { "}}" };
        let Some((name, tail)) = body.split_once(close) else {
            out.push_str("{{");
            out.push_str(after);
            return out;
        };
        let name = name.trim();
        let text = get_path(doc, name)
            .filter(|v| !v.is_null())
            .map(go_v)
            .unwrap_or_default();
        if triple {
            out.push_str(&text);
        } else {
            for c in text.chars() {
                match c {
                    '&' => out.push_str("&amp;"),
                    '\'' => out.push_str("&#39;"),
                    '<' => out.push_str("&lt;"),
                    '>' => out.push_str("&gt;"),
                    '"' => out.push_str("&#34;"),
                    c => out.push(c),
                }
            }
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_ips_follow_elastic_package() {
        for (ip, ok) in [
            ("89.160.20.128", true),
            ("81.2.69.143", true),
            ("81.2.69.144", true),
            ("81.2.69.191", true),
            ("81.2.69.208", false),
            ("8.8.8.8", false),
            ("10.1.2.3", true),
            ("172.31.0.1", true),
            ("172.32.0.1", false),
            ("192.0.2.1", true),
            ("127.0.0.1", true),
            ("169.254.1.1", true),
            ("239.1.1.1", true),
            ("255.255.255.255", true),
            ("0.0.0.0", true),
            ("::1", true),
            ("fe80::1", true),
            ("fd00::1", true),
            ("2001:db8::1", true),
            ("2a02:cf40::1", true),
            ("2a00::1", false),
            ("::ffff:10.0.0.1", true),
            ("not-an-ip", false),
            ("1.2.3", false),
        ] {
            assert_eq!(is_allowed_ip(ip), ok, "{ip}");
        }
    }

    #[test]
    fn mustache_renders_doc_fields() {
        let doc = Value::from_json_str(r#"{"k":{"labels":{"ds":"a.b"}}}"#).unwrap();
        let doc = doc.as_map().unwrap();
        assert_eq!(render_mustache("{{k.labels.ds}}", doc), "a.b");
        assert_eq!(render_mustache("x-{{ missing }}-y", doc), "x--y");
        assert_eq!(render_mustache("plain", doc), "plain");
    }
}
