//! `uri_parts`: splits a URI into its parts as Elasticsearch's UriPartsProcessor does, parsing with
//! the rules of `java.net.URI` (RFC 2396) and falling back to those of `java.net.URL`.

use crate::document::{FieldPath, IngestDocument};
use crate::error::IngestError;
use crate::pipeline::{BuildError, Builder, Config, Env, Flow, Processor};
use crate::value::{Map, Value};

#[derive(Debug)]
struct UriParts {
    field: LazyPath,
    target: LazyPath,
    same_field: bool,
    keep_original: bool,
    remove_if_successful: bool,
    ignore_missing: bool,
}

/// A field path read from a plain string option; a bad path fails when a document runs, as in
/// Elasticsearch, where such paths are only parsed then.
pub(super) type LazyPath = Result<FieldPath, IngestError>;

/// Parses a plain (non-template) field option into a path that may fail later.
pub(super) fn lazy_path(text: &str) -> LazyPath {
    FieldPath::parse(text)
}

/// The path, or the error it failed with.
pub(super) fn path_of(p: &LazyPath) -> Result<&FieldPath, IngestError> {
    p.as_ref().map_err(Clone::clone)
}

/// Elasticsearch's `getFieldValue(path, String.class, ignoreMissing)`: `None` for a missing field
/// when `ignore_missing`, or for a null value.
pub(super) fn get_string(
    doc: &IngestDocument,
    path: &FieldPath,
    ignore_missing: bool,
) -> Result<Option<String>, IngestError> {
    match get_object(doc, path, ignore_missing)? {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(cast_error(path, other, "java.lang.String")),
    }
}

/// Elasticsearch's `getFieldValue(path, Object.class, ignoreMissing)`: `None` for a missing field
/// when `ignore_missing`, or for a null value.
pub(super) fn get_object<'d>(
    doc: &'d IngestDocument,
    path: &FieldPath,
    ignore_missing: bool,
) -> Result<Option<&'d Value>, IngestError> {
    match doc.get(path) {
        Ok(Value::Null) => Ok(None),
        Ok(v) => Ok(Some(v)),
        Err(_) if ignore_missing => Ok(None),
        Err(e) => Err(e),
    }
}

/// Elasticsearch's message when a field holds the wrong type.
pub(super) fn cast_error(path: &FieldPath, value: &Value, class: &str) -> IngestError {
    IngestError::illegal_argument(format!(
        "field [{}] of type [{}] cannot be cast to [{class}]",
        path.original(),
        value.java_type()
    ))
}

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    let field = cfg.req_str("field")?;
    let target = cfg.str_or("target_field", "url")?;
    Ok(Box::new(UriParts {
        field: lazy_path(&field),
        target: lazy_path(&target),
        same_field: field == target,
        remove_if_successful: cfg.bool_or("remove_if_successful", false)?,
        keep_original: cfg.bool_or("keep_original", true)?,
        ignore_missing: cfg.bool_or("ignore_missing", false)?,
    }))
}

impl Processor for UriParts {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        let field = path_of(&self.field)?;
        let Some(value) = get_string(doc, field, self.ignore_missing)? else {
            if self.ignore_missing {
                return Ok(Flow::Continue);
            }
            // `new URI(null)` throws before anything is parsed.
            return Err(IngestError::new(
                "null_pointer_exception",
                "Cannot invoke \"String.length()\" because \"this.input\" is null",
            ));
        };
        let mut parts = uri_parts(&value).map_err(IngestError::illegal_argument)?;
        if self.keep_original {
            parts.insert("original".into(), Value::String(value));
        }
        if self.remove_if_successful && !self.same_field {
            doc.remove(field)?;
        }
        doc.set(path_of(&self.target)?, Value::Map(parts))?;
        Ok(Flow::Continue)
    }
}

/// The parts of a URI as Elasticsearch's `UriPartsProcessor.apply` returns them (without
/// `original`), or its error message; Painless' `Processors.uriParts` uses it too.
pub(crate) fn uri_parts(s: &str) -> Result<Map, String> {
    let parts = match JavaUri::parse(s) {
        Some(uri) => uri.into_parts(),
        None => parse_url(s).ok_or_else(|| format!("unable to parse URI [{s}]"))?,
    };
    Ok(parts.into_map())
}

/// The components Elasticsearch reads from a parsed URI or URL.
#[derive(Debug, Default, PartialEq)]
struct Parts {
    domain: Option<String>,
    fragment: Option<String>,
    path: Option<String>,
    port: i32,
    query: Option<String>,
    scheme: Option<String>,
    user_info: Option<String>,
}

impl Parts {
    fn into_map(self) -> Map {
        let mut m = Map::default();
        m.insert("domain".into(), opt(self.domain));
        if let Some(f) = self.fragment {
            m.insert("fragment".into(), Value::String(f));
        }
        if let Some(path) = self.path {
            // The extension comes from the last path segment only, without its dot.
            // slash and dot are offsets of ASCII '/' and '.': char boundaries.
            if let Some(slash) = path.rfind('/')
                && let Some(dot) = path[slash..].rfind('.')
            {
                let ext = path[slash + dot + 1..].to_string();
                m.insert("extension".into(), Value::String(ext));
            }
            m.insert("path".into(), Value::String(path));
        }
        if self.port != -1 {
            m.insert("port".into(), Value::Int(self.port));
        }
        if let Some(q) = self.query {
            m.insert("query".into(), Value::String(q));
        }
        m.insert("scheme".into(), opt(self.scheme));
        if let Some(ui) = self.user_info {
            if let Some((user, pass)) = ui.split_once(':') {
                m.insert("username".into(), Value::String(user.to_string()));
                m.insert("password".into(), Value::String(pass.to_string()));
            }
            m.insert("user_info".into(), Value::String(ui));
        }
        m
    }
}

fn opt(s: Option<String>) -> Value {
    s.map(Value::String).unwrap_or(Value::Null)
}

// ---------------------------------------------------------------------------------------------
// java.net.URI: RFC 2396 with Java's deviations. Character classes are 128-bit masks; bit 0
// (NUL, which never matches) marks classes that also allow escapes and visible non-ASCII.

const fn set_of(chars: &str) -> u128 {
    let b = chars.as_bytes();
    let mut m = 0u128;
    let mut i = 0;
    while i < b.len() {
        // Evaluated at compile time over fixed ASCII sets (bytes < 128); i < b.len().
        m |= 1u128 << b[i];
        i += 1;
    }
    m
}

const fn range(first: u8, last: u8) -> u128 {
    let mut m = 0u128;
    let mut c = first;
    while c <= last {
        m |= 1u128 << c;
        c += 1;
    }
    m
}

const DIGIT: u128 = range(b'0', b'9');
const ALPHA: u128 = range(b'a', b'z') | range(b'A', b'Z');
const ALPHANUM: u128 = DIGIT | ALPHA;
const HEX: u128 = DIGIT | range(b'a', b'f') | range(b'A', b'F');
const UNRESERVED: u128 = ALPHANUM | set_of("-_.!~*'()");
const RESERVED: u128 = set_of(";/?:@&=+$,[]");
const ESCAPED: u128 = 1;
const URIC: u128 = RESERVED | UNRESERVED | ESCAPED;
const PCHAR: u128 = UNRESERVED | ESCAPED | set_of(":@&=+$,");
const PATH: u128 = PCHAR | set_of(";/");
const DASH: u128 = set_of("-");
const DOT: u128 = set_of(".");
const USERINFO: u128 = UNRESERVED | ESCAPED | set_of(";:&=+$,");
const REG_NAME: u128 = UNRESERVED | ESCAPED | set_of("$,;:@&=+");
const SERVER: u128 = USERINFO | ALPHANUM | DASH | set_of(".:@[]");
const SERVER_PERCENT: u128 = SERVER | set_of("%");
const SCHEME: u128 = ALPHA | DIGIT | set_of("+-.");
const SCOPE_ID: u128 = ALPHANUM | set_of("_.");

fn matches(c: char, mask: u128) -> bool {
    let n = c as u32;
    n != 0 && n < 128 && (mask >> n) & 1 == 1
}

/// Java's `Character.isSpaceChar` (Unicode Zs, Zl, Zp).
fn is_space_char(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    )
}

/// Java's `Character.isISOControl`.
fn is_iso_control(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
}

/// A parse failure (`URISyntaxException`); the message is never shown, so it carries nothing.
struct Fail;

type Res<T> = Result<T, Fail>;

/// The components of a `java.net.URI` parsed from a string.
#[derive(Debug, Default)]
struct JavaUri {
    scheme: Option<String>,
    user_info: Option<String>,
    host: Option<String>,
    port: i32,
    path: Option<String>,
    query: Option<String>,
    fragment: Option<String>,
}

struct UriParser {
    s: Vec<char>,
    uri: JavaUri,
    ipv6_bytes: i32,
}

impl JavaUri {
    /// `new URI(s)`, or `None` where Java throws `URISyntaxException`.
    fn parse(s: &str) -> Option<JavaUri> {
        let mut p = UriParser {
            s: s.chars().collect(),
            uri: JavaUri {
                port: -1,
                ..JavaUri::default()
            },
            ipv6_bytes: 0,
        };
        p.parse().ok()?;
        Some(p.uri)
    }

    /// The getters ES calls: host and scheme raw, the rest percent-decoded.
    fn into_parts(self) -> Parts {
        Parts {
            domain: self.host,
            fragment: self.fragment.map(|f| decode(&f)),
            path: self.path.map(|p| decode(&p)),
            port: self.port,
            query: self.query.map(|q| decode(&q)),
            scheme: self.scheme,
            user_info: self.user_info.map(|u| decode(&u)),
        }
    }
}

/// Java's `URI.decode`: `%XX` runs are decoded as UTF-8, malformed bytes become U+FFFD.
fn decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut bytes = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let hi = chars.next().and_then(|h| h.to_digit(16)).unwrap_or(0);
        let lo = chars.next().and_then(|l| l.to_digit(16)).unwrap_or(0);
        bytes.push((hi * 16 + lo) as u8);
        if chars.peek() != Some(&'%') {
            out.push_str(&String::from_utf8_lossy(&bytes));
            bytes.clear();
        }
    }
    if !bytes.is_empty() {
        out.push_str(&String::from_utf8_lossy(&bytes));
    }
    out
}

impl UriParser {
    fn at(&self, start: usize, end: usize, c: char) -> bool {
        start < end && self.s.get(start) == Some(&c)
    }

    fn at_str(&self, start: usize, end: usize, pat: &str) -> bool {
        let n = pat.chars().count();
        if start + n > end {
            return false;
        }
        pat.chars()
            .enumerate()
            .all(|(i, c)| self.s.get(start + i) == Some(&c))
    }

    fn sub(&self, start: usize, end: usize) -> String {
        // Callers pass positions from the scanners over s: start <= end <= s.len().
        self.s[start..end].iter().collect()
    }

    /// One char: the position after it when it is `c`, else `start`.
    fn scan_char(&self, start: usize, end: usize, c: char) -> usize {
        if self.at(start, end, c) {
            start + 1
        } else {
            start
        }
    }

    /// Up to the first char of `stop`; `None` when a char of `err` comes first.
    fn scan_err(&self, start: usize, end: usize, err: &str, stop: &str) -> Option<usize> {
        let mut p = start;
        while p < end {
            // p < end, and callers pass end <= s.len().
            let c = self.s[p];
            if err.contains(c) {
                return None;
            }
            if stop.contains(c) {
                break;
            }
            p += 1;
        }
        Some(p)
    }

    /// Up to the first char of `stop`, or `end`.
    fn scan_stop(&self, start: usize, end: usize, stop: &str) -> usize {
        let mut p = start;
        // p < end <= s.len() is tested first.
        while p < end && !stop.contains(self.s[p]) {
            p += 1;
        }
        p
    }

    fn scan_escape(&self, start: usize, n: usize, first: char) -> Res<usize> {
        if first == '%' {
            // start + 3 <= n = s.len() is tested first.
            if start + 3 <= n && matches(self.s[start + 1], HEX) && matches(self.s[start + 2], HEX)
            {
                return Ok(start + 3);
            }
            return Err(Fail);
        }
        if (first as u32) > 128 && !is_space_char(first) && !is_iso_control(first) {
            return Ok(start + 1);
        }
        Ok(start)
    }

    /// Chars of the class `mask` (with escapes where the class allows them).
    fn scan(&self, start: usize, n: usize, mask: u128) -> Res<usize> {
        let mut p = start;
        while p < n {
            // p < n, and callers pass n <= s.len().
            let c = self.s[p];
            if matches(c, mask) {
                p += 1;
                continue;
            }
            if mask & ESCAPED != 0 {
                let q = self.scan_escape(p, n, c)?;
                if q > p {
                    p = q;
                    continue;
                }
            }
            break;
        }
        Ok(p)
    }

    fn check_chars(&self, start: usize, end: usize, mask: u128) -> Res<()> {
        if self.scan(start, end, mask)? < end {
            return Err(Fail);
        }
        Ok(())
    }

    fn parse(&mut self) -> Res<()> {
        let n = self.s.len();
        let mut p;
        match self.scan_err(0, n, "/?#", ":") {
            Some(q) if self.at(q, n, ':') => {
                if q == 0 {
                    return Err(Fail);
                }
                self.check_chars(0, 1, ALPHA)?;
                self.check_chars(1, q, SCHEME)?;
                self.uri.scheme = Some(self.sub(0, q));
                p = q + 1;
                if self.at(p, n, '/') {
                    p = self.parse_hierarchical(p, n)?;
                } else {
                    // Opaque: no authority, path or query.
                    let q = self.scan_stop(p, n, "#");
                    if q <= p {
                        return Err(Fail);
                    }
                    self.check_chars(p, q, URIC)?;
                    p = q;
                }
            }
            _ => p = self.parse_hierarchical(0, n)?,
        }
        if self.at(p, n, '#') {
            self.check_chars(p + 1, n, URIC)?;
            self.uri.fragment = Some(self.sub(p + 1, n));
            p = n;
        }
        if p < n {
            return Err(Fail);
        }
        Ok(())
    }

    fn parse_hierarchical(&mut self, start: usize, n: usize) -> Res<usize> {
        let mut p = start;
        if self.at(p, n, '/') && self.at(p + 1, n, '/') {
            p += 2;
            let q = self.scan_stop(p, n, "/?#");
            if q > p {
                p = self.parse_authority(p, q)?;
            } else if q >= n {
                return Err(Fail);
            }
        }
        let q = self.scan_stop(p, n, "?#");
        self.check_chars(p, q, PATH)?;
        self.uri.path = Some(self.sub(p, q));
        p = q;
        if self.at(p, n, '?') {
            p += 1;
            let q = self.scan_stop(p, n, "#");
            self.check_chars(p, q, URIC)?;
            self.uri.query = Some(self.sub(p, q));
            p = q;
        }
        Ok(p)
    }

    fn reset_server(&mut self) {
        self.uri.user_info = None;
        self.uri.host = None;
        self.uri.port = -1;
    }

    fn parse_authority(&mut self, start: usize, n: usize) -> Res<usize> {
        let p = start;
        let server_chars = if self.scan_stop(p, n, "]") > p {
            self.scan(p, n, SERVER_PERCENT)? == n
        } else {
            self.scan(p, n, SERVER)? == n
        };
        let reg_chars = self.scan(p, n, REG_NAME)? == n;
        if reg_chars && !server_chars {
            return Ok(n);
        }
        // Try a server-based authority; when that fails, fall back to a registry name.
        let mut q = p;
        if server_chars {
            match self.parse_server(p, n, reg_chars) {
                Ok(end) if end >= n => q = end,
                _ => self.reset_server(),
            }
        }
        if q < n && !reg_chars {
            return Err(Fail);
        }
        Ok(n)
    }

    fn parse_server(&mut self, start: usize, n: usize, skip: bool) -> Res<usize> {
        let mut p = start;
        if let Some(q) = self.scan_err(p, n, "/?#", "@")
            && self.at(q, n, '@')
        {
            self.check_chars(p, q, USERINFO)?;
            self.uri.user_info = Some(self.sub(p, q));
            p = q + 1;
        }
        if self.at(p, n, '[') {
            p += 1;
            match self.scan_err(p, n, "/?#", "]") {
                Some(q) if q > p && self.at(q, n, ']') => {
                    let r = self.scan_stop(p, q, "%");
                    if r > p {
                        self.parse_ipv6(p, r)?;
                        if r + 1 == q {
                            return Err(Fail);
                        }
                        self.check_chars(r + 1, q, SCOPE_ID)?;
                    } else {
                        self.parse_ipv6(p, q)?;
                    }
                    self.uri.host = Some(self.sub(p - 1, q + 1));
                    p = q + 1;
                }
                _ => return Err(Fail),
            }
        } else {
            let q = match self.parse_ipv4_address(p, n) {
                Some(q) if q > p => q,
                _ => self.parse_hostname(p, n, skip)?,
            };
            p = q;
        }
        if self.at(p, n, ':') {
            p += 1;
            let q = self.scan_stop(p, n, "/");
            if q > p {
                self.check_chars(p, q, DIGIT)?;
                let digits = self.sub(p, q);
                self.uri.port = digits.parse::<i32>().map_err(|_| Fail)?;
                p = q;
            }
        } else if skip {
            return Ok(p);
        }
        if p < n {
            return Err(Fail);
        }
        Ok(p)
    }

    /// Digits whose value fits a byte; returns `start` when they do not.
    fn scan_byte(&self, start: usize, n: usize) -> Res<usize> {
        let q = self.scan(start, n, DIGIT)?;
        if q <= start {
            return Ok(q);
        }
        // Integer.parseInt overflow is a NumberFormatException: a failure either way.
        let v: i64 = self.sub(start, q).parse().map_err(|_| Fail)?;
        if v > i32::MAX as i64 {
            return Err(Fail);
        }
        Ok(if v > 255 { start } else { q })
    }

    /// `None` for Java's -1 (not an IPv4 address); `Err` where Java throws.
    fn scan_ipv4(&self, start: usize, n: usize, strict: bool) -> Res<Option<usize>> {
        let m = self.scan(start, n, DIGIT | DOT)?;
        if m <= start || (strict && m != n) {
            return Ok(None);
        }
        let mut p = start;
        for i in 0..7 {
            let q = if i % 2 == 0 {
                self.scan_byte(p, m)?
            } else {
                self.scan_char(p, m, '.')
            };
            if q <= p {
                return Err(Fail);
            }
            p = q;
        }
        if p < m {
            return Err(Fail);
        }
        Ok(Some(p))
    }

    fn take_ipv4(&self, start: usize, n: usize) -> Res<usize> {
        match self.scan_ipv4(start, n, true)? {
            Some(p) if p > start => Ok(p),
            _ => Err(Fail),
        }
    }

    fn parse_ipv4_address(&mut self, start: usize, n: usize) -> Option<usize> {
        let mut p = self.scan_ipv4(start, n, false).ok()??;
        // p < n is tested first.
        if p > start && p < n && self.s[p] != ':' {
            return None;
        }
        if p > start {
            self.uri.host = Some(self.sub(start, p));
        } else {
            p = start;
        }
        Some(p)
    }

    fn parse_hostname(&mut self, start: usize, n: usize, skip: bool) -> Res<usize> {
        let mut p = start;
        let mut last_label: Option<usize> = None;
        loop {
            let q = self.scan(p, n, ALPHANUM)?;
            if q <= p {
                break;
            }
            last_label = Some(p);
            p = q;
            let q = self.scan(p, n, ALPHANUM | DASH)?;
            if q > p {
                // q > p >= 0, and q <= n.
                if self.s[q - 1] == '-' {
                    return Err(Fail);
                }
                p = q;
            }
            let q = self.scan_char(p, n, '.');
            if q <= p {
                break;
            }
            p = q;
            if p >= n {
                break;
            }
        }
        if p < n && !self.at(p, n, ':') {
            if skip {
                return Ok(p);
            }
            return Err(Fail);
        }
        let Some(l) = last_label else {
            return Err(Fail);
        };
        // The rightmost label of a qualified name starts with a letter.
        // l is the start of a label that scan found non-empty, so l < n.
        if l > start && !matches(self.s[l], ALPHA) {
            return Err(Fail);
        }
        self.uri.host = Some(self.sub(start, p));
        Ok(p)
    }

    fn parse_ipv6(&mut self, start: usize, n: usize) -> Res<usize> {
        let mut p = start;
        let mut compressed = false;
        let q = self.scan_hex_seq(p, n)?;
        if let Some(q) = q.filter(|&q| q > p) {
            p = q;
            if self.at_str(p, n, "::") {
                compressed = true;
                p = self.scan_hex_post(p + 2, n)?;
            } else if self.at(p, n, ':') {
                p = self.take_ipv4(p + 1, n)?;
                self.ipv6_bytes += 4;
            }
        } else if self.at_str(p, n, "::") {
            compressed = true;
            p = self.scan_hex_post(p + 2, n)?;
        }
        if p < n
            || self.ipv6_bytes > 16
            || (!compressed && self.ipv6_bytes < 16)
            || (compressed && self.ipv6_bytes == 16)
        {
            return Err(Fail);
        }
        Ok(p)
    }

    fn scan_hex_post(&mut self, start: usize, n: usize) -> Res<usize> {
        if start == n {
            return Ok(start);
        }
        match self.scan_hex_seq(start, n)? {
            Some(q) if q > start => {
                let mut p = q;
                if self.at(p, n, ':') {
                    p = self.take_ipv4(p + 1, n)?;
                    self.ipv6_bytes += 4;
                }
                Ok(p)
            }
            _ => {
                let p = self.take_ipv4(start, n)?;
                self.ipv6_bytes += 4;
                Ok(p)
            }
        }
    }

    /// `None` for Java's -1.
    fn scan_hex_seq(&mut self, start: usize, n: usize) -> Res<Option<usize>> {
        let q = self.scan(start, n, HEX)?;
        if q <= start || self.at(q, n, '.') {
            return Ok(None);
        }
        if q > start + 4 {
            return Err(Fail);
        }
        self.ipv6_bytes += 2;
        let mut p = q;
        while p < n {
            if !self.at(p, n, ':') || self.at(p + 1, n, ':') {
                break;
            }
            p += 1;
            let q = self.scan(p, n, HEX)?;
            if q <= p {
                return Err(Fail);
            }
            if self.at(q, n, '.') {
                p -= 1;
                break;
            }
            if q > p + 4 {
                return Err(Fail);
            }
            self.ipv6_bytes += 2;
            p = q;
        }
        Ok(Some(p))
    }
}

// ---------------------------------------------------------------------------------------------
// java.net.URL: URL(String) with the JDK's built-in protocol handlers.

/// Java's `Integer.parseInt(s, 10)` (ASCII digits, optional sign).
fn java_parse_int(s: &str) -> Option<i32> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn is_valid_protocol(p: &str) -> bool {
    let mut chars = p.chars();
    chars.next().is_some_and(char::is_alphabetic)
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '.' | '+' | '-'))
}

/// `new URL(s)`, or `None` where Java throws `MalformedURLException`.
fn parse_url(spec: &str) -> Option<Parts> {
    let chars: Vec<char> = spec.chars().collect();
    let mut limit = chars.len();
    // limit > 0 is tested first; limit <= chars.len().
    while limit > 0 && chars[limit - 1] <= ' ' {
        limit -= 1;
    }
    let mut start = 0;
    // start < limit <= chars.len() is tested first.
    while start < limit && chars[start] <= ' ' {
        start += 1;
    }
    // start <= limit <= chars.len().
    let region: String = chars[start..chars.len().min(start + 4)].iter().collect();
    if region.eq_ignore_ascii_case("url:") {
        start += 4;
    }
    let a_ref = chars.get(start) == Some(&'#');
    let mut protocol = None;
    if !a_ref {
        let mut i = start;
        // i < limit <= chars.len() is tested first.
        while i < limit && chars[i] != '/' {
            // i < limit <= chars.len() (loop condition); start <= i.
            if chars[i] == ':' {
                let s: String = chars[start..i].iter().collect::<String>().to_lowercase();
                if is_valid_protocol(&s) {
                    protocol = Some(s);
                    start = i + 1;
                }
                break;
            }
            i += 1;
        }
    }
    let protocol = protocol?;
    let mut fragment = None;
    // start is clamped to chars.len().
    if let Some(i) = chars[start.min(chars.len())..]
        .iter()
        .position(|&c| c == '#')
    {
        let i = start + i;
        if i + 1 > limit {
            return None;
        }
        // i + 1 <= limit (checked above) <= chars.len().
        fragment = Some(chars[i + 1..limit].iter().collect::<String>());
        limit = i;
    }
    let mut parts = match protocol.as_str() {
        "http" | "https" | "ftp" | "file" | "jrt" | "jmod" => {
            generic_parse_url(&chars, start, limit)?
        }
        "mailto" => {
            // start <= limit.max(start) <= chars.len() (start never passes the input's end).
            let file: String = chars[start..limit.max(start)].iter().collect();
            if file.chars().all(|c| c <= ' ') {
                return None;
            }
            file_parts(&file)
        }
        "jar" => {
            // start <= limit.max(start) <= chars.len() (start never passes the input's end).
            let file: String = chars[start..limit.max(start)].iter().collect();
            let bang = file.find("!/")?;
            // bang is the offset of an ASCII "!/": a char boundary.
            parse_url(&file[..bang])?;
            file_parts(&file)
        }
        _ => return None,
    };
    parts.scheme = Some(protocol);
    parts.fragment = fragment;
    Some(parts)
}

/// `URL.set(protocol, "", -1, file, ref)`: the query is what follows the last `?`.
fn file_parts(file: &str) -> Parts {
    let (path, query) = match file.rfind('?') {
        // q is the offset of an ASCII '?': q and q + 1 are char boundaries.
        Some(q) => (&file[..q], Some(file[q + 1..].to_string())),
        None => (file, None),
    };
    Parts {
        domain: Some(String::new()),
        path: Some(path.to_string()),
        port: -1,
        query,
        ..Parts::default()
    }
}

/// `URLStreamHandler.parseURL` without a context URL.
fn generic_parse_url(chars: &[char], mut start: usize, mut limit: usize) -> Option<Parts> {
    let mut spec: &[char] = chars;
    let mut query = None;
    let mut query_only = false;
    if start < limit
        && let Some(q) = spec.iter().position(|&c| c == '?')
    {
        query_only = q == start;
        if q < limit {
            // q < limit <= spec.len() (checked above).
            query = Some(spec[q + 1..limit].iter().collect::<String>());
            limit = q;
            spec = &spec[..q];
        }
    }
    // Called with start <= end <= limit <= spec.len() below.
    let collect = |a: usize, b: usize| -> String { spec[a..b].iter().collect() };
    let mut host: Option<String> = None;
    let mut authority: Option<String> = None;
    let mut user_info = None;
    let mut port: i32 = -1;
    let mut path: Option<String> = None;
    // Both tests check the bounds (start + 4, start + 2 <= limit) before indexing.
    let unc = start + 4 <= limit && spec[start..start + 4].iter().all(|&c| c == '/');
    if !unc && start + 2 <= limit && spec[start] == '/' && spec[start + 1] == '/' {
        start += 2;
        // start + 2 <= limit before the step, so start <= spec.len().
        let i = match spec[start..].iter().position(|&c| c == '/') {
            Some(i) if start + i <= limit => start + i,
            _ => limit,
        };
        let auth = collect(start, i);
        let mut h: Option<String> = Some(auth.clone());
        if let Some(at) = auth.find('@') {
            if Some(at) != auth.rfind('@') {
                h = None;
            } else {
                // at is the offset of an ASCII '@': at and at + 1 are char boundaries.
                user_info = Some(auth[..at].to_string());
                h = Some(auth[at + 1..].to_string());
            }
        }
        match h {
            Some(hs) if hs.starts_with('[') => {
                let close = hs.find(']').filter(|&i| i > 2)?;
                // hs starts with ASCII '[' and close (> 2) is the offset of an ASCII ']'.
                if !is_ipv6_literal(&hs[1..close]) {
                    return None;
                }
                let rest = &hs[close + 1..];
                port = -1;
                if !rest.is_empty() {
                    let digits = rest.strip_prefix(':')?;
                    if !digits.is_empty() {
                        port = java_parse_int(digits)?;
                    }
                }
                // close is the offset of an ASCII ']': close + 1 is a char boundary.
                host = Some(hs[..close + 1].to_string());
            }
            Some(hs) => {
                port = -1;
                match hs.find(':') {
                    Some(c) => {
                        if hs.len() > c + 1 {
                            // c is the offset of an ASCII ':': c and c + 1 are char boundaries.
                            port = java_parse_int(&hs[c + 1..])?;
                        }
                        host = Some(hs[..c].to_string());
                    }
                    None => host = Some(hs),
                }
            }
            None => host = Some(String::new()),
        }
        if port < -1 {
            return None;
        }
        start = i;
        if !auth.is_empty() {
            path = Some(String::new());
        }
        authority = Some(auth);
    }
    if start < limit {
        let spec_str = collect(start, limit);
        // start < limit <= spec.len() (checked above).
        path = Some(if spec[start] == '/' || authority.is_none() {
            spec_str
        } else {
            format!("/{spec_str}")
        });
    } else if query_only && path.is_some() {
        path = Some("/".into());
    }
    Some(Parts {
        domain: Some(host.unwrap_or_default()),
        fragment: None,
        path: Some(path.unwrap_or_default()),
        port,
        query,
        scheme: None,
        user_info,
    })
}

/// `IPAddressUtil.isIPv6LiteralAddress`: an IPv6 address, optionally with a `%scope`.
fn is_ipv6_literal(s: &str) -> bool {
    let addr = match s.split_once('%') {
        Some((a, scope)) if !scope.is_empty() => a,
        Some(_) => return false,
        None => s,
    };
    addr.parse::<std::net::Ipv6Addr>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::processors::testing::{bad_config, fails, give};

    fn parts(s: &str) -> String {
        match uri_parts(s) {
            Ok(mut m) => {
                m.sort_keys();
                Value::Map(m).to_json()
            }
            Err(e) => e,
        }
    }

    #[test]
    fn java_uri_cases() {
        let cases: &[(&str, &str)] = &[
            (
                "https://user:pw@testing.google.com:8080/foo/bar.txt?foo1=bar1&foo2=bar2#anchorVal",
                r#"{"domain":"testing.google.com","extension":"txt","fragment":"anchorVal","password":"pw","path":"/foo/bar.txt","port":8080,"query":"foo1=bar1&foo2=bar2","scheme":"https","user_info":"user:pw","username":"user"}"#,
            ),
            (
                "http://www.example.com",
                r#"{"domain":"www.example.com","path":"","scheme":"http"}"#,
            ),
            // Percent escapes are decoded in path, query, fragment and user info.
            (
                "http://a.com/x%20y.PDF?q=%C3%A9#f%2F",
                r#"{"domain":"a.com","extension":"PDF","fragment":"f/","path":"/x y.PDF","query":"q=é","scheme":"http"}"#,
            ),
            // An underscore makes the authority registry-based: no host, no port.
            (
                "http://my_host.com:8080/a",
                r#"{"domain":null,"path":"/a","scheme":"http"}"#,
            ),
            (
                "http://[::1]:9200/_bulk",
                r#"{"domain":"[::1]","path":"/_bulk","port":9200,"scheme":"http"}"#,
            ),
            (
                "http://10.0.0.1/",
                r#"{"domain":"10.0.0.1","path":"/","scheme":"http"}"#,
            ),
            // Relative and opaque URIs.
            (
                "/a/b.c?x",
                r#"{"domain":null,"extension":"c","path":"/a/b.c","query":"x","scheme":null}"#,
            ),
            ("mailto:a@b.com", r#"{"domain":null,"scheme":"mailto"}"#),
            // User info without a colon has no username.
            (
                "ftp://bob@h.org/",
                r#"{"domain":"h.org","path":"/","scheme":"ftp","user_info":"bob"}"#,
            ),
            (
                "http://h/a.b/c",
                r#"{"domain":"h","path":"/a.b/c","scheme":"http"}"#,
            ),
            (
                "http://h/a/.",
                r#"{"domain":"h","extension":"","path":"/a/.","scheme":"http"}"#,
            ),
            // Trailing dot in a host is allowed.
            (
                "http://www.a.com./",
                r#"{"domain":"www.a.com.","path":"/","scheme":"http"}"#,
            ),
            // Port too large for an int: registry-based authority.
            (
                "http://h:99999999999/",
                r#"{"domain":null,"path":"/","scheme":"http"}"#,
            ),
        ];
        for (input, want) in cases {
            assert_eq!(parts(input), *want, "{input}");
        }
    }

    #[test]
    fn java_url_fallback() {
        let cases: &[(&str, &str)] = &[
            // A space is illegal for URI; URL keeps everything raw.
            (
                "http://h.com/a b.txt?q=1 2#x y",
                r#"{"domain":"h.com","extension":"txt","fragment":"x y","path":"/a b.txt","query":"q=1 2","scheme":"http"}"#,
            ),
            (
                "HTTP://u:p@h.com:81/%zz",
                r#"{"domain":"h.com","password":"p","path":"/%zz","port":81,"scheme":"http","user_info":"u:p","username":"u"}"#,
            ),
            (
                "http://h|x/",
                r#"{"domain":"h|x","path":"/","scheme":"http"}"#,
            ),
            (
                "mailto:a b@c",
                r#"{"domain":"","path":"a b@c","scheme":"mailto"}"#,
            ),
            (
                "  url:http://h/{x}  ",
                r#"{"domain":"h","path":"/{x}","scheme":"http"}"#,
            ),
        ];
        for (input, want) in cases {
            assert_eq!(parts(input), *want, "{input}");
        }
        for bad in [
            "foo://a b",
            "no scheme here",
            "http://h:abc/x y",
            "/a b",
            "http://[zz]/ x",
        ] {
            assert_eq!(parts(bad), format!("unable to parse URI [{bad}]"), "{bad}");
        }
    }

    #[test]
    fn processor() {
        give(
            "uri_parts",
            r#"{"field":"u"}"#,
            r#"{"u":"http://h.com:80/x"}"#,
            r#"{"u":"http://h.com:80/x","url":{"domain":"h.com","path":"/x","port":80,"scheme":"http","original":"http://h.com:80/x"}}"#,
        );
        give(
            "uri_parts",
            r#"{"field":"u","target_field":"t","keep_original":false,"remove_if_successful":true}"#,
            r#"{"u":"http://h.com/"}"#,
            r#"{"t":{"domain":"h.com","path":"/","scheme":"http"}}"#,
        );
        give(
            "uri_parts",
            r#"{"field":"u","ignore_missing":true}"#,
            "{}",
            "{}",
        );
        give(
            "uri_parts",
            r#"{"field":"u","ignore_missing":true}"#,
            r#"{"u":null}"#,
            r#"{"u":null}"#,
        );
        fails(
            "uri_parts",
            r#"{"field":"u"}"#,
            "{}",
            "field [u] not present as part of path [u]",
        );
        fails(
            "uri_parts",
            r#"{"field":"u"}"#,
            r#"{"u":1}"#,
            "field [u] of type [java.lang.Integer] cannot be cast to [java.lang.String]",
        );
        fails(
            "uri_parts",
            r#"{"field":"u"}"#,
            r#"{"u":"a b"}"#,
            "unable to parse URI [a b]",
        );
        bad_config("uri_parts", "{}", "[field] required property is missing");
        bad_config(
            "uri_parts",
            r#"{"field":"u","keep_original":"yes"}"#,
            "[keep_original]",
        );
    }
}
