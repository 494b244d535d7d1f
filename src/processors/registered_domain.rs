//! `registered_domain`: splits a domain name into registered domain, effective TLD and subdomain
//! with the Public Suffix List, matching as Apache HttpClient 4.5's `PublicSuffixMatcher` does
//! (Elasticsearch's RegisteredDomainProcessor).

use super::uri_parts::{LazyPath, get_string, lazy_path, path_of};
use crate::document::IngestDocument;
use crate::error::IngestError;
use crate::pipeline::{BuildError, Builder, Config, Env, Flow, Processor};
use crate::value::Value;
use std::collections::HashMap;
use std::sync::LazyLock;

/// The list exactly as HttpClient 4.5.14 bundles it (see `data/psl/SOURCE.md`).
const PSL_TEXT: &str = include_str!("../../data/psl/public_suffix_list.dat");

static PSL: LazyLock<SuffixList> = LazyLock::new(|| SuffixList::parse(PSL_TEXT));

#[derive(Debug)]
struct RegisteredDomain {
    field: LazyPath,
    domain: LazyPath,
    registered_domain: LazyPath,
    top_level_domain: LazyPath,
    subdomain: LazyPath,
    ignore_missing: bool,
}

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    let field = cfg.req_str("field")?;
    let target = cfg.str_or("target_field", "")?;
    let prefix = if target.is_empty() {
        String::new()
    } else {
        format!("{target}.")
    };
    Ok(Box::new(RegisteredDomain {
        field: lazy_path(&field),
        domain: lazy_path(&format!("{prefix}domain")),
        registered_domain: lazy_path(&format!("{prefix}registered_domain")),
        top_level_domain: lazy_path(&format!("{prefix}top_level_domain")),
        subdomain: lazy_path(&format!("{prefix}subdomain")),
        ignore_missing: cfg.bool_or("ignore_missing", true)?,
    }))
}

impl Processor for RegisteredDomain {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        let value = get_string(doc, path_of(&self.field)?, self.ignore_missing)?;
        let Some(info) = value.as_deref().and_then(domain_info) else {
            if self.ignore_missing {
                return Ok(Flow::Continue);
            }
            return Err(IngestError::illegal_argument(
                "unable to set domain information for document",
            ));
        };
        let outputs = [
            (&self.domain, info.domain),
            (&self.registered_domain, info.registered_domain),
            (&self.top_level_domain, info.top_level_domain),
            (&self.subdomain, info.subdomain),
        ];
        for (path, value) in outputs {
            if let Some(v) = value {
                doc.set(path_of(path)?, Value::String(v))?;
            }
        }
        Ok(Flow::Continue)
    }
}

/// What the processor writes; `None` parts are left out.
#[derive(Debug, Default, PartialEq)]
struct DomainInfo {
    domain: Option<String>,
    registered_domain: Option<String>,
    top_level_domain: Option<String>,
    subdomain: Option<String>,
}

/// Elasticsearch's `getRegisteredDomain`: `None` when the domain matches no rule.
fn domain_info(domain: &str) -> Option<DomainInfo> {
    let Some(root) = PSL.domain_root(domain) else {
        if PSL.matches(domain) {
            // The whole name is a public suffix.
            return Some(DomainInfo {
                domain: Some(domain.to_string()),
                top_level_domain: Some(domain.to_string()),
                ..DomainInfo::default()
            });
        }
        return None;
    };
    // A root without a dot means no rule matched at all.
    let dot = root.find('.')?;
    if dot + 1 >= root.len() {
        return Some(DomainInfo::default());
    }
    let subdomain = domain
        .rfind(&format!(".{root}"))
        .filter(|&i| i > 0)
        // i is where an ASCII '.' starts in domain: a char boundary.
        .map(|i| domain[..i].to_string());
    Some(DomainInfo {
        domain: Some(domain.to_string()),
        // dot + 1 < root.len() (checked above) and '.' is one byte.
        top_level_domain: Some(root[dot + 1..].to_string()),
        registered_domain: Some(root),
        subdomain,
    })
}

/// Which section of the list a rule came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Icann,
    Private,
}

/// The rules of the list, keyed as written (Unicode; wildcards keep their `*.`).
#[derive(Debug, Default)]
struct SuffixList {
    rules: HashMap<String, Section>,
    exceptions: HashMap<String, Section>,
}

impl SuffixList {
    /// HttpClient's `PublicSuffixListParser.parseByType`: only lines inside the ICANN and PRIVATE
    /// sections count; a leading `.` is dropped and `!` marks an exception. Later entries win.
    fn parse(text: &str) -> SuffixList {
        let mut list = SuffixList::default();
        let mut section = None;
        for line in text.lines() {
            if line.is_empty() {
                continue;
            }
            if line.starts_with("//") {
                match section {
                    None if line.contains("===BEGIN ICANN DOMAINS===") => {
                        section = Some(Section::Icann)
                    }
                    None if line.contains("===BEGIN PRIVATE DOMAINS===") => {
                        section = Some(Section::Private)
                    }
                    Some(_)
                        if line.contains("===END ICANN DOMAINS===")
                            || line.contains("===END PRIVATE DOMAINS===") =>
                    {
                        section = None
                    }
                    _ => {}
                }
                continue;
            }
            let Some(kind) = section else { continue };
            let rule = line.strip_prefix('.').unwrap_or(line);
            match rule.strip_prefix('!') {
                Some(exc) => list.exceptions.insert(exc.to_string(), kind),
                None => list.rules.insert(rule.to_string(), kind),
            };
        }
        list
    }

    /// HttpClient 4.5's `getDomainRoot(domain)` with no expected type: the registrable part, or
    /// `None` when the name is itself a public suffix. A rule from the PRIVATE section makes the
    /// matching name itself the root; a name no rule matches yields its last label.
    fn domain_root(&self, domain: &str) -> Option<String> {
        if domain.starts_with('.') {
            return None;
        }
        let normalized = domain.to_ascii_lowercase();
        let mut segment = normalized.as_str();
        let mut result: Option<&str> = None;
        loop {
            let key = idn_to_unicode(segment);
            if self.exceptions.contains_key(&key) {
                return Some(segment.to_string());
            }
            if let Some(kind) = self.rules.get(&key) {
                return match kind {
                    Section::Private => Some(segment.to_string()),
                    Section::Icann => result.map(str::to_string),
                };
            }
            // '.' is one byte, so i + 1 is a char boundary within segment.
            let next = segment.find('.').map(|i| &segment[i + 1..]);
            if let Some(next) = next
                && let Some(kind) = self.rules.get(&format!("*.{}", idn_to_unicode(next)))
            {
                return match kind {
                    Section::Private => Some(segment.to_string()),
                    Section::Icann => result.map(str::to_string),
                };
            }
            result = Some(segment);
            match next {
                Some(n) => segment = n,
                None => return result.map(str::to_string),
            }
        }
    }

    /// HttpClient's `matches(domain)`: true when the name (without a leading dot) is a suffix.
    fn matches(&self, domain: &str) -> bool {
        self.domain_root(domain.strip_prefix('.').unwrap_or(domain))
            .is_none()
    }
}

/// `java.net.IDN.toUnicode`: labels (split on any IDNA dot) in ACE form are decoded when they
/// round-trip; every other label is returned as it is.
fn idn_to_unicode(name: &str) -> String {
    if !name.contains(['\u{3002}', '\u{ff0e}', '\u{ff61}']) && !name.contains("xn--") {
        return name.to_string();
    }
    name.split(['.', '\u{3002}', '\u{ff0e}', '\u{ff61}'])
        .map(label_to_unicode)
        .collect::<Vec<_>>()
        .join(".")
}

fn label_to_unicode(label: &str) -> String {
    // get(..4), not [..4]: a non-ASCII label (`日本`) may have no char boundary at byte 4.
    let ace = label
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("xn--"));
    if !label.is_ascii() || !ace {
        return label.to_string();
    }
    // Here label is ASCII and at least 4 bytes long (ace).
    let Some(decoded) = punycode::decode(&label[4..]) else {
        return label.to_string();
    };
    // toASCII(decoded) must give the label back; ASCII-only or case-changing decodings do not.
    let stable = !decoded.is_ascii() && decoded.to_lowercase() == decoded;
    match punycode::encode(&decoded) {
        Some(enc) if stable && format!("xn--{enc}").eq_ignore_ascii_case(label) => decoded,
        _ => label.to_string(),
    }
}

/// RFC 3492 Punycode.
mod punycode {
    const BASE: u32 = 36;
    const TMIN: u32 = 1;
    const TMAX: u32 = 26;
    const SKEW: u32 = 38;
    const DAMP: u32 = 700;
    const INITIAL_BIAS: u32 = 72;
    const INITIAL_N: u32 = 128;

    fn adapt(mut delta: u32, points: u32, first: bool) -> u32 {
        delta /= if first { DAMP } else { 2 };
        delta += delta / points;
        let mut k = 0;
        while delta > ((BASE - TMIN) * TMAX) / 2 {
            delta /= BASE - TMIN;
            k += BASE;
        }
        k + (BASE - TMIN + 1) * delta / (delta + SKEW)
    }

    fn threshold(k: u32, bias: u32) -> u32 {
        if k <= bias {
            TMIN
        } else if k >= bias + TMAX {
            TMAX
        } else {
            k - bias
        }
    }

    fn digit_value(c: char) -> Option<u32> {
        match c {
            'a'..='z' => Some(c as u32 - 'a' as u32),
            'A'..='Z' => Some(c as u32 - 'A' as u32),
            '0'..='9' => Some(c as u32 - '0' as u32 + 26),
            _ => None,
        }
    }

    fn digit_char(d: u32) -> char {
        if d < 26 {
            char::from(b'a' + d as u8)
        } else {
            char::from(b'0' + (d - 26) as u8)
        }
    }

    /// Decodes the part after `xn--`.
    pub(super) fn decode(input: &str) -> Option<String> {
        let chars: Vec<char> = input.chars().collect();
        let delim = chars.iter().rposition(|&c| c == '-');
        let mut output: Vec<char> = Vec::new();
        let mut pos = 0;
        if let Some(d) = delim.filter(|&d| d > 0) {
            // d is a position in chars (rposition).
            for &c in &chars[..d] {
                if !c.is_ascii() {
                    return None;
                }
                output.push(c);
            }
            pos = d + 1;
        }
        let (mut n, mut i, mut bias) = (INITIAL_N, 0u32, INITIAL_BIAS);
        while pos < chars.len() {
            let old_i = i;
            let mut w = 1u32;
            let mut k = BASE;
            loop {
                let digit = digit_value(*chars.get(pos)?)?;
                pos += 1;
                i = i.checked_add(digit.checked_mul(w)?)?;
                let t = threshold(k, bias);
                if digit < t {
                    break;
                }
                w = w.checked_mul(BASE - t)?;
                k += BASE;
            }
            let len = output.len() as u32 + 1;
            bias = adapt(i - old_i, len, old_i == 0);
            n = n.checked_add(i / len)?;
            i %= len;
            output.insert(i as usize, char::from_u32(n)?);
            i += 1;
        }
        Some(output.into_iter().collect())
    }

    /// Encodes a label (without the `xn--` prefix).
    pub(super) fn encode(input: &str) -> Option<String> {
        let chars: Vec<u32> = input.chars().map(|c| c as u32).collect();
        let mut output: String = input.chars().filter(char::is_ascii).collect();
        let basic = output.len() as u32;
        let mut handled = basic;
        if basic > 0 {
            output.push('-');
        }
        let (mut n, mut delta, mut bias) = (INITIAL_N, 0u32, INITIAL_BIAS);
        while (handled as usize) < chars.len() {
            let m = chars.iter().copied().filter(|&c| c >= n).min()?;
            delta = delta.checked_add((m - n).checked_mul(handled + 1)?)?;
            n = m;
            for &c in &chars {
                if c < n {
                    delta = delta.checked_add(1)?;
                }
                if c == n {
                    let mut q = delta;
                    let mut k = BASE;
                    loop {
                        let t = threshold(k, bias);
                        if q < t {
                            break;
                        }
                        output.push(digit_char(t + (q - t) % (BASE - t)));
                        q = (q - t) / (BASE - t);
                        k += BASE;
                    }
                    output.push(digit_char(q));
                    bias = adapt(delta, handled + 1, handled == basic);
                    delta = 0;
                    handled += 1;
                }
            }
            delta += 1;
            n += 1;
        }
        Some(output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::processors::testing::{bad_config, fails, give};

    fn info(d: &str) -> Option<[Option<&'static str>; 4]> {
        domain_info(d).map(|i| {
            let leak = |s: Option<String>| s.map(|s| &*Box::leak(s.into_boxed_str()));
            [
                leak(i.domain),
                leak(i.registered_domain),
                leak(i.top_level_domain),
                leak(i.subdomain),
            ]
        })
    }

    #[test]
    fn httpclient_semantics() {
        let cases: &[(&str, Option<[Option<&str>; 4]>)] = &[
            (
                "www.google.com",
                Some([
                    Some("www.google.com"),
                    Some("google.com"),
                    Some("com"),
                    Some("www"),
                ]),
            ),
            (
                "google.com",
                Some([Some("google.com"), Some("google.com"), Some("com"), None]),
            ),
            ("com", Some([Some("com"), None, Some("com"), None])),
            (
                "www.books.amazon.co.uk",
                Some([
                    Some("www.books.amazon.co.uk"),
                    Some("amazon.co.uk"),
                    Some("co.uk"),
                    Some("www.books"),
                ]),
            ),
            // PRIVATE rules make the matching name the registered domain (ES's own tests).
            (
                "global.ssl.fastly.net",
                Some([
                    Some("global.ssl.fastly.net"),
                    Some("global.ssl.fastly.net"),
                    Some("ssl.fastly.net"),
                    None,
                ]),
            ),
            (
                "1.www.global.ssl.fastly.net",
                Some([
                    Some("1.www.global.ssl.fastly.net"),
                    Some("global.ssl.fastly.net"),
                    Some("ssl.fastly.net"),
                    Some("1.www"),
                ]),
            ),
            (
                "content-autofill.googleapis.com",
                Some([
                    Some("content-autofill.googleapis.com"),
                    Some("googleapis.com"),
                    Some("com"),
                    Some("content-autofill"),
                ]),
            ),
            // Wildcards and exceptions (`*.ck`, `!www.ck`).
            (
                "a.b.foo.ck",
                Some([
                    Some("a.b.foo.ck"),
                    Some("b.foo.ck"),
                    Some("foo.ck"),
                    Some("a"),
                ]),
            ),
            (
                "x.www.ck",
                Some([Some("x.www.ck"), Some("www.ck"), Some("ck"), Some("x")]),
            ),
            // Upper case is matched lower-cased, but the subdomain is searched in the input as is.
            (
                "WWW.Example.COM",
                Some([
                    Some("WWW.Example.COM"),
                    Some("example.com"),
                    Some("com"),
                    None,
                ]),
            ),
            // Punycode labels are matched in Unicode (`公司.cn`).
            (
                "a.b.xn--55qx5d.cn",
                Some([
                    Some("a.b.xn--55qx5d.cn"),
                    Some("b.xn--55qx5d.cn"),
                    Some("xn--55qx5d.cn"),
                    Some("a"),
                ]),
            ),
            ("foo.bar.baz", None),
            ("123", None),
            ("", None),
            (".", None),
            ("$", None),
            ("10.1.2.3", None),
        ];
        for (domain, want) in cases {
            assert_eq!(info(domain), *want, "{domain}");
        }
    }

    #[test]
    fn punycode_round_trip() {
        assert_eq!(punycode::decode("55qx5d").as_deref(), Some("公司"));
        assert_eq!(punycode::encode("公司").as_deref(), Some("55qx5d"));
        assert_eq!(punycode::decode("bcher-kva").as_deref(), Some("bücher"));
        assert_eq!(idn_to_unicode("xn--bcher-kva.de"), "bücher.de");
        assert_eq!(idn_to_unicode("xn--zz!.de"), "xn--zz!.de");
        // A non-ASCII label stays as it is, even when byte 4 falls inside a character.
        assert_eq!(idn_to_unicode("日本.xn--p1ai"), "日本.рф");
        assert_eq!(idn_to_unicode("😀.xn--p1ai"), "😀.рф");
    }

    #[test]
    fn processor() {
        give(
            "registered_domain",
            r#"{"field":"d","target_field":"p"}"#,
            r#"{"d":"www.google.com"}"#,
            r#"{"d":"www.google.com","p":{"domain":"www.google.com","registered_domain":"google.com","top_level_domain":"com","subdomain":"www"}}"#,
        );
        give(
            "registered_domain",
            r#"{"field":"d"}"#,
            r#"{"d":"example.com"}"#,
            r#"{"d":"example.com","domain":"example.com","registered_domain":"example.com","top_level_domain":"com"}"#,
        );
        give(
            "registered_domain",
            r#"{"field":"d"}"#,
            r#"{"d":"foo.bar.baz"}"#,
            r#"{"d":"foo.bar.baz"}"#,
        );
        give("registered_domain", r#"{"field":"d"}"#, "{}", "{}");
        fails(
            "registered_domain",
            r#"{"field":"d","ignore_missing":false}"#,
            r#"{"d":"foo.bar.baz"}"#,
            "unable to set domain information for document",
        );
        fails(
            "registered_domain",
            r#"{"field":"d","ignore_missing":false}"#,
            "{}",
            "field [d] not present as part of path [d]",
        );
        fails(
            "registered_domain",
            r#"{"field":"d"}"#,
            r#"{"d":1}"#,
            "field [d] of type [java.lang.Integer] cannot be cast to [java.lang.String]",
        );
        bad_config(
            "registered_domain",
            "{}",
            "[field] required property is missing",
        );
    }
}
