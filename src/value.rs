//! `Value`: the Java types an ingest document holds, with JSON in and out and Java's `toString`.

use indexmap::IndexMap;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt::{self, Write as _};

/// An ordered map of field names to values (insertion order, deterministic).
pub type Map = IndexMap<String, Value, HashState>;

/// The hasher of every map and set pipette builds: fast, and seeded per process.
pub type HashState = foldhash::fast::RandomState;

/// Sorts a map's keys at every level (iteratively: documents may nest arbitrarily deep).
pub fn sort_keys(m: &mut Map) {
    m.sort_unstable_keys();
    sort_keys_within(m.values_mut().collect());
}

/// Sorts the keys of every map in and below these values.
pub fn sort_keys_within(mut stack: Vec<&mut Value>) {
    while let Some(v) = stack.pop() {
        match v {
            Value::Map(m) => {
                m.sort_unstable_keys();
                stack.extend(m.values_mut());
            }
            Value::List(l) => stack.extend(l.iter_mut()),
            _ => {}
        }
    }
}

/// One value of an ingest document, keeping Elasticsearch's Java number types apart.
#[derive(Debug, Clone, Default)]
pub enum Value {
    /// Java `null`.
    #[default]
    Null,
    /// `java.lang.Boolean`.
    Bool(bool),
    /// `java.lang.Integer`.
    Int(i32),
    /// `java.lang.Long`.
    Long(i64),
    /// `java.lang.Float`.
    Float(f32),
    /// `java.lang.Double`.
    Double(f64),
    /// `java.lang.String`.
    String(String),
    /// `java.util.ArrayList`.
    List(Vec<Value>),
    /// `java.util.HashMap`.
    Map(Map),
}

impl PartialEq for Value {
    /// Java `equals`: numbers of different boxed types are not equal.
    fn eq(&self, other: &Self) -> bool {
        use Value::*;
        match (self, other) {
            (Null, Null) => true,
            (Bool(a), Bool(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (Long(a), Long(b)) => a == b,
            (Float(a), Float(b)) => a.to_bits() == b.to_bits() || a == b,
            (Double(a), Double(b)) => a.to_bits() == b.to_bits() || a == b,
            (String(a), String(b)) => a == b,
            (List(a), List(b)) => a == b,
            (Map(a), Map(b)) => {
                a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| v == w))
            }
            _ => false,
        }
    }
}

impl Value {
    /// The Java class name Elasticsearch prints in error messages.
    pub fn java_type(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "java.lang.Boolean",
            Value::Int(_) => "java.lang.Integer",
            Value::Long(_) => "java.lang.Long",
            Value::Float(_) => "java.lang.Float",
            Value::Double(_) => "java.lang.Double",
            Value::String(_) => "java.lang.String",
            Value::List(_) => "java.util.ArrayList",
            Value::Map(_) => "java.util.HashMap",
        }
    }

    /// True for Java `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The string inside, if this is a String.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The map inside, if this is a Map.
    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The mutable map inside, if this is a Map.
    pub fn as_map_mut(&mut self) -> Option<&mut Map> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The list inside, if this is a List.
    pub fn as_list(&self) -> Option<&Vec<Value>> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// True for any of the four number types.
    pub fn is_number(&self) -> bool {
        matches!(
            self,
            Value::Int(_) | Value::Long(_) | Value::Float(_) | Value::Double(_)
        )
    }

    /// The number as f64, if this is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Int(i) => Some(i as f64),
            Value::Long(l) => Some(l as f64),
            Value::Float(f) => Some(f as f64),
            Value::Double(d) => Some(d),
            _ => None,
        }
    }

    /// An integer from JSON: Integer when it fits 32 bits, else Long.
    pub fn from_i64(n: i64) -> Value {
        match i32::try_from(n) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Long(n),
        }
    }

    /// Java `String.valueOf(value)`: the text templates and `toString()` produce.
    pub fn to_java_string(&self) -> String {
        let mut s = String::new();
        self.write_java_string(&mut s);
        s
    }

    fn write_java_string(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Long(l) => {
                let _ = write!(out, "{l}");
            }
            Value::Float(f) => out.push_str(&java_float_to_string(*f)),
            Value::Double(d) => out.push_str(&java_double_to_string(*d)),
            Value::String(s) => out.push_str(s),
            Value::List(l) => {
                out.push('[');
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.write_java_string(out);
                }
                out.push(']');
            }
            Value::Map(m) => {
                // java.util.HashMap's toString: entries in its iteration order.
                out.push('{');
                for (i, idx) in java_hash_map_order(m.keys().map(String::as_str))
                    .into_iter()
                    .enumerate()
                {
                    let Some((k, v)) = m.get_index(idx) else {
                        continue;
                    };
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(k);
                    out.push('=');
                    v.write_java_string(out);
                }
                out.push('}');
            }
        }
    }

    /// Parses JSON text into a Value with Elasticsearch's number typing.
    pub fn from_json_str(text: &str) -> Result<Value, serde_json::Error> {
        if let Some(v) = FastJson::read(text) {
            return Ok(v);
        }
        Self::from_json_str_serde(text)
    }

    /// [`Value::from_json_str`] through serde_json: the reference for [`FastJson`], and what
    /// gives the value or the error whenever that reader gives up.
    fn from_json_str_serde(text: &str) -> Result<Value, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(text);
        let v = Value::deserialize(&mut de)?;
        de.end()?;
        Ok(v)
    }

    /// Compact JSON, numbers printed as Java prints them.
    pub fn to_json(&self) -> String {
        let mut s = String::new();
        write_json_compact(self, &mut s);
        s
    }

    /// Appends [`Value::to_json`]'s text to `out` (a buffer reused across documents).
    pub fn write_json_to(&self, out: &mut String) {
        write_json_compact(self, out);
    }

    /// Pretty JSON with the given indent and keys sorted at every level (golden-file format).
    pub fn to_json_pretty_sorted(&self, indent: usize) -> String {
        let mut s = String::new();
        write_json(self, &mut s, Some(indent), 0, true);
        s
    }

    /// Pretty JSON with the given indent, keys in document order.
    pub fn to_json_pretty(&self, indent: usize) -> String {
        let mut s = String::new();
        write_json(self, &mut s, Some(indent), 0, false);
        s
    }

    /// Converts from a serde_json value (numbers typed as Elasticsearch types them).
    pub fn from_serde(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Value::from_i64(i)
                } else if let Some(u) = n.as_u64() {
                    Value::Double(u as f64)
                } else {
                    Value::Double(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(a) => Value::List(a.iter().map(Value::from_serde).collect()),
            serde_json::Value::Object(o) => Value::Map(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_serde(v)))
                    .collect(),
            ),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<i32> for Value {
    fn from(i: i32) -> Self {
        Value::Int(i)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Long(i)
    }
}
impl From<f64> for Value {
    fn from(d: f64) -> Self {
        Value::Double(d)
    }
}
impl From<Map> for Value {
    fn from(m: Map) -> Self {
        Value::Map(m)
    }
}
impl From<Vec<Value>> for Value {
    fn from(l: Vec<Value>) -> Self {
        Value::List(l)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_java_string())
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::from_i64(n))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(match i64::try_from(n) {
            Ok(i) => Value::from_i64(i),
            // Elasticsearch keeps a BigInteger here; a Double is the closest type we hold.
            Err(_) => Value::Double(n as f64),
        })
    }
    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(Value::Double(n))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(x) = seq.next_element()? {
            v.push(x);
        }
        Ok(Value::List(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut m = Map::with_capacity_and_hasher(
            map.size_hint().unwrap_or(0).min(4096),
            Default::default(),
        );
        while let Some(k) = map.next_key::<KeyString>()? {
            let v: Value = map.next_value()?;
            m.insert(k.0, v);
        }
        Ok(Value::Map(m))
    }
}

/// A strict JSON reader straight into [`Value`], for [`Value::from_json_str`]: it builds what
/// serde_json and [`ValueVisitor`] build, or gives up (`None`) on anything else (invalid JSON,
/// unpaired surrogate escapes, numbers out of range, deep nesting), and serde_json then reads
/// the text again, giving the value or its own error message.
struct FastJson<'t> {
    text: &'t str,
    pos: usize,
    depth: usize,
    /// Entries of the objects being read, innermost last: a map is built at its final size.
    pending: Vec<(String, Value)>,
}

/// Nesting deeper than this is left to serde_json (whose limit is 127 levels).
const FAST_JSON_MAX_DEPTH: usize = 100;

impl<'t> FastJson<'t> {
    /// The whole text as one value (surrounded by JSON whitespace), or `None`.
    fn read(text: &'t str) -> Option<Value> {
        let mut r = FastJson {
            text,
            pos: 0,
            depth: 0,
            pending: Vec::new(),
        };
        r.skip_ws();
        let v = r.value()?;
        r.skip_ws();
        (r.pos == text.len()).then_some(v)
    }

    fn byte(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// Skips JSON whitespace (what serde_json skips).
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.byte() {
            self.pos += 1;
        }
    }

    fn value(&mut self) -> Option<Value> {
        match self.byte()? {
            b'"' => {
                self.pos += 1;
                self.string().map(Value::String)
            }
            b'{' => self.object(),
            b'[' => self.list(),
            b't' => self.word("true", Value::Bool(true)),
            b'f' => self.word("false", Value::Bool(false)),
            b'n' => self.word("null", Value::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn word(&mut self, word: &str, v: Value) -> Option<Value> {
        if !self
            .text
            .as_bytes()
            .get(self.pos..)?
            .starts_with(word.as_bytes())
        {
            return None;
        }
        self.pos += word.len();
        Some(v)
    }

    /// Steps into a container (over its opening byte), unless that nests too deep.
    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        self.pos += 1;
        self.skip_ws();
        (self.depth <= FAST_JSON_MAX_DEPTH).then_some(())
    }

    /// Reads a container's items up to `close`, from its opening byte: `item` reads each one,
    /// the commas between them are checked here.
    fn items(&mut self, close: u8, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.enter()?;
        if self.byte()? != close {
            loop {
                item(self)?;
                self.skip_ws();
                match self.byte()? {
                    b',' => {
                        self.pos += 1;
                        self.skip_ws();
                    }
                    b if b == close => break,
                    _ => return None,
                }
            }
        }
        self.pos += 1;
        self.depth -= 1;
        Some(())
    }

    fn object(&mut self) -> Option<Value> {
        let base = self.pending.len();
        self.items(b'}', |r| {
            if r.byte()? != b'"' {
                return None;
            }
            r.pos += 1;
            let key = r.string()?;
            r.skip_ws();
            if r.byte()? != b':' {
                return None;
            }
            r.pos += 1;
            r.skip_ws();
            let v = r.value()?;
            r.pending.push((key, v));
            Some(())
        })?;
        // base is the length `pending` had when this object began; it only grew since. A
        // repeated key keeps its first place and takes the last value, as `visit_map` does.
        let mut m = Map::with_capacity_and_hasher(self.pending.len() - base, HashState::default());
        for (k, v) in self.pending.drain(base..) {
            m.insert(k, v);
        }
        Some(Value::Map(m))
    }

    fn list(&mut self) -> Option<Value> {
        let mut l = Vec::new();
        self.items(b']', |r| {
            l.push(r.value()?);
            Some(())
        })?;
        Some(Value::List(l))
    }

    /// A string body after its opening quote.
    fn string(&mut self) -> Option<String> {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        let mut end = next_escape(bytes, start);
        if bytes.get(end) == Some(&b'"') {
            // Nothing to unescape: one copy. The quote is ASCII, so `end` is a char boundary.
            self.pos = end + 1;
            return Some(self.text[start..end].to_owned());
        }
        let mut out = String::with_capacity(end - start + 16);
        // The run of text not yet copied starts at `run`, always a char boundary: the start, or
        // just past an escape sequence (ASCII).
        let mut run = start;
        loop {
            match *bytes.get(end)? {
                b'"' => {
                    out.push_str(&self.text[run..end]);
                    self.pos = end + 1;
                    return Some(out);
                }
                b'\\' => {
                    out.push_str(&self.text[run..end]);
                    self.pos = end + 2;
                    let c = match *bytes.get(end + 1)? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return None,
                    };
                    out.push(c);
                    run = self.pos;
                }
                // 0xE2 (where next_escape stops for the writer's U+2028 and U+2029) needs
                // nothing here: keep scanning after it (it is a lead byte).
                0xE2 => self.pos = end + 1,
                // A raw control character, which serde_json rejects.
                _ => return None,
            }
            end = string_stop(bytes, self.pos);
        }
    }

    /// The character of a `\u` escape whose `\u` was just read; a surrogate must be the
    /// first of a pair written as two escapes.
    fn unicode_escape(&mut self) -> Option<char> {
        let hi = self.hex4()?;
        if (0xDC00..0xE000).contains(&hi) {
            return None;
        }
        if !(0xD800..0xDC00).contains(&hi) {
            return char::from_u32(hi);
        }
        if self.text.as_bytes().get(self.pos..self.pos + 2)? != b"\\u" {
            return None;
        }
        self.pos += 2;
        let lo = self.hex4()?;
        if !(0xDC00..0xE000).contains(&lo) {
            return None;
        }
        char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.text.as_bytes().get(self.pos..self.pos + 4)?;
        let mut n = 0;
        for &d in digits {
            n = n * 16 + char::from(d).to_digit(16)?;
        }
        self.pos += 4;
        Some(n)
    }

    /// Steps over ASCII digits; returns how many.
    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.byte().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// A number typed as serde_json and [`ValueVisitor`] type it: integers as Int or Long
    /// (beyond i64 a Double), `-0` and anything with a fraction or an exponent as a Double.
    fn number(&mut self) -> Option<Value> {
        let start = self.pos;
        let negative = self.byte() == Some(b'-');
        self.pos += usize::from(negative);
        let int_start = self.pos;
        let int_digits = self.digits();
        // pos > int_start here, so the first digit exists.
        if int_digits == 0 || (int_digits > 1 && self.text.as_bytes()[int_start] == b'0') {
            return None;
        }
        let mut float = false;
        if self.byte() == Some(b'.') {
            float = true;
            self.pos += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if matches!(self.byte(), Some(b'e' | b'E')) {
            float = true;
            self.pos += 1;
            if matches!(self.byte(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        // start..pos holds ASCII number characters: char boundaries.
        let text = &self.text[start..self.pos];
        let magnitude = if float {
            None
        } else {
            // int_start..pos holds the digits only.
            self.text[int_start..self.pos].parse::<u64>().ok()
        };
        let Some(n) = magnitude else {
            // Both parse to the nearest double (serde_json's `float_roundtrip`), and serde_json
            // rejects what overflows.
            let d = text.parse::<f64>().ok()?;
            return d.is_finite().then_some(Value::Double(d));
        };
        Some(if !negative {
            match i64::try_from(n) {
                Ok(i) => Value::from_i64(i),
                Err(_) => Value::Double(n as f64),
            }
        } else {
            // serde_json's negation: -0 and magnitudes beyond i64 become doubles.
            let i = (n as i64).wrapping_neg();
            if i >= 0 {
                Value::Double(-(n as f64))
            } else {
                Value::from_i64(i)
            }
        })
    }
}

/// The offset of the first `"`, `\\` or control character at or after `from` (`bytes.len()` if
/// none): where a run of string text being read ends. Eight bytes at a time, as [`next_escape`]
/// (without its 0xE2, which only the writer needs).
#[inline(always)]
fn string_stop(bytes: &[u8], mut from: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // As in `escape_bits`: the lowest bit set is exactly the first flagged byte.
    let below = |w: u64, n: u64| w.wrapping_sub(ONES * n) & !w;
    while from + 8 <= bytes.len() {
        let v = word8(bytes, from);
        let hit = (below(v ^ (ONES * 0x02), 0x21) | below(v ^ (ONES * u64::from(b'\\')), 1))
            & (ONES * 0x80);
        if hit != 0 {
            return from + (hit.trailing_zeros() / 8) as usize;
        }
        from += 8;
    }
    while from < bytes.len() && !matches!(bytes[from], b'"' | b'\\' | 0..0x20) {
        from += 1;
    }
    from
}

/// A map key: YAML allows non-string scalars as keys; Elasticsearch sees them as strings.
struct KeyString(String);

impl<'de> Deserialize<'de> for KeyString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KV;
        impl<'de> Visitor<'de> for KV {
            type Value = KeyString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map key")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<KeyString, E> {
                Ok(KeyString(s.to_string()))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<KeyString, E> {
                Ok(KeyString(s))
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<KeyString, E> {
                Ok(KeyString(b.to_string()))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<KeyString, E> {
                Ok(KeyString(n.to_string()))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<KeyString, E> {
                Ok(KeyString(n.to_string()))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<KeyString, E> {
                Ok(KeyString(n.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<KeyString, E> {
                Ok(KeyString("null".to_string()))
            }
        }
        d.deserialize_any(KV)
    }
}

/// Java `Double.toString`: shortest round-trip digits, scientific outside [1e-3, 1e7).
pub fn java_double_to_string(d: f64) -> String {
    java_fp_to_string(d, format!("{:e}", d), d.abs())
}

/// Java `Float.toString`.
pub fn java_float_to_string(f: f32) -> String {
    java_fp_to_string(f as f64, format!("{:e}", f), (f as f64).abs())
}

fn java_fp_to_string(d: f64, sci: String, abs: f64) -> String {
    if d.is_nan() {
        return "NaN".into();
    }
    if d.is_infinite() {
        return if d > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    if d == 0.0 {
        return if d.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    // `sci` is like "-1.2345e6" or "5e-4": split into sign, digits and exponent.
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if (1e-3..1e7).contains(&abs) {
        if exp >= 0 {
            let int_len = (exp + 1) as usize;
            if digits.len() <= int_len {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
                out.push_str(".0");
            } else {
                // digits is ASCII and longer than int_len (the branch above took the rest).
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(&digits);
        }
    } else {
        // A finite non-zero double's scientific form has at least one (ASCII) digit.
        out.push_str(&digits[..1]);
        out.push('.');
        if digits.len() > 1 {
            out.push_str(&digits[1..]);
        } else {
            out.push('0');
        }
        let _ = write!(out, "E{exp}");
    }
    out
}

/// Bit 7 set for bytes of `v` that [`write_json_string`] must look at: below 0x20, `"`, `\`,
/// or 0xE2. The lowest bit set is exactly the first such byte; higher bits may be false alarms
/// (a borrow runs upwards from a flagged byte), so only the lowest is used.
#[inline(always)]
fn escape_bits(v: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Bytes of `w` below `n` (for bytes with bit 7 clear): subtracting `n` sets their bit 7.
    let below = |w: u64, n: u64| w.wrapping_sub(ONES * n) & !w;
    // A byte is below 0x20 or equal to 0x22 (`"`) exactly when its `x ^ 0x02` is below 0x21.
    let control_or_quote = below(v ^ (ONES * 0x02), 0x21);
    let backslash = below(v ^ (ONES * u64::from(b'\\')), 1);
    let e2 = below(v ^ (ONES * 0xE2), 1);
    (control_or_quote | backslash | e2) & (ONES * 0x80)
}

/// Eight bytes of `bytes` from `at` as a little-endian word (the caller checks the bounds).
#[inline(always)]
fn word8(bytes: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(b)
}

/// Four bytes of `bytes` from `at` as a little-endian word (the caller checks the bounds).
#[inline(always)]
fn word4(bytes: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&bytes[at..at + 4]);
    u64::from(u32::from_le_bytes(b))
}

/// The offset of the first byte at or after `from` that [`write_json_string`] must look at
/// (`bytes.len()` if none), eight bytes at a time: quotes, backslashes, control characters, and
/// 0xE2, the first byte of U+2028 and U+2029 (checked in full there). The last few bytes are
/// read as one overlapping word rather than one by one.
#[inline(always)]
pub(crate) fn next_escape(bytes: &[u8], mut from: usize) -> usize {
    let len = bytes.len();
    while from + 8 <= len {
        let hit = escape_bits(word8(bytes, from));
        if hit != 0 {
            return from + (hit.trailing_zeros() / 8) as usize;
        }
        from += 8;
    }
    if from >= len {
        return len;
    }
    if len >= 8 {
        // The last eight bytes; those before `from` (already passed) are replaced by 'A', which
        // is no hit.
        let start = len - 8;
        let keep = u64::MAX << (8 * (from - start));
        let v = (word8(bytes, start) & keep) | (0x4141_4141_4141_4141 & !keep);
        let hit = escape_bits(v);
        return if hit == 0 {
            len
        } else {
            start + (hit.trailing_zeros() / 8) as usize
        };
    }
    if len - from >= 4 {
        // Four to seven bytes: the first four and the last four (they may overlap). A hit in
        // the low half is the earliest; without one, the lowest hit of the high half is.
        let v = word4(bytes, from) | (word4(bytes, len - 4) << 32);
        let hit = escape_bits(v);
        if hit == 0 {
            return len;
        }
        let k = (hit.trailing_zeros() / 8) as usize;
        return if k < 4 { from + k } else { len + k - 8 };
    }
    // One to three bytes, one at a time.
    while from < len && !ESCAPE[usize::from(bytes[from])] {
        from += 1;
    }
    from
}

/// The bytes [`next_escape`] stops at, as a table for its last few bytes.
static ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    // i < 0x20 < 256, in range of t (evaluated at compile time).
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t[0xE2] = true;
    t
};

/// Writes a JSON string literal with the escapes Go's encoder uses (no HTML escaping).
pub fn write_json_string(s: &str, out: &mut String) {
    let first = next_escape(s.as_bytes(), 0);
    out.reserve(s.len() + 2);
    out.push('"');
    if first == s.len() {
        // Nothing to escape (most strings): one copy.
        out.push_str(s);
    } else {
        write_escaped(s, first, out);
    }
    out.push('"');
}

/// Bit 7 set for every byte of `v` that [`escape_bits`] flags, exactly (no false alarms): each
/// byte is tested on its own, without a borrow or carry crossing into the next.
#[inline(always)]
fn escape_bits_all(v: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = ONES * 0x7F;
    // For a byte x with bit 7 clear, `(x & 0x7F) + (0x80 - n)` has bit 7 set exactly when
    // x >= n, and stays below 0x100; a byte with bit 7 set is never below n.
    let below = |w: u64, n: u64| !(((w & LOW7) + ONES * (0x80 - n)) | w) & !LOW7;
    below(v ^ (ONES * 0x02), 0x21)
        | below(v ^ (ONES * u64::from(b'\\')), 1)
        | below(v ^ (ONES * 0xE2), 1)
}

/// The body of [`write_json_string`] for a string with a byte to look at, first at `first`:
/// eight bytes at a time, handling every flagged byte of a word (strings holding JSON text are
/// full of quotes).
#[inline(never)]
fn write_escaped(s: &str, first: usize, out: &mut String) {
    let bytes = s.as_bytes();
    // The first byte not copied yet: 0 or just past an escaped character, a char boundary.
    let mut start = 0;
    let mut pos = first;
    while pos + 8 <= bytes.len() {
        let mut hits = escape_bits_all(word8(bytes, pos));
        while hits != 0 {
            start = escape_at(s, pos + (hits.trailing_zeros() / 8) as usize, start, out);
            hits &= hits - 1;
        }
        pos += 8;
    }
    for i in pos..bytes.len() {
        if ESCAPE[usize::from(bytes[i])] {
            start = escape_at(s, i, start, out);
        }
    }
    out.push_str(&s[start..]);
}

/// Writes what precedes the flagged byte at `i` (from `start`) and its escape; returns where
/// the text still to copy starts. An 0xE2 other than U+2028 or U+2029 needs no escape. The
/// bytes after a flagged 0xE2 (0x80-0xBF) are never flagged, so `i >= start` always.
#[inline(always)]
fn escape_at(s: &str, i: usize, start: usize, out: &mut String) -> usize {
    let bytes = s.as_bytes();
    // Callers pass the offset of a byte of s: i < s.len().
    if bytes[i] == 0xE2 {
        // U+2028 and U+2029 are E2 80 A8 and E2 80 A9.
        if bytes.get(i + 1) != Some(&0x80) || !matches!(bytes.get(i + 2), Some(0xA8 | 0xA9)) {
            return start;
        }
        // i is at an 0xE2 lead byte (a char boundary); bytes.get(i + 2) matched above.
        out.push_str(&s[start..i]);
        out.push_str(if bytes[i + 2] == 0xA8 {
            "\\u2028"
        } else {
            "\\u2029"
        });
        return i + 3;
    }
    // start and i sit on char boundaries (i on an ASCII byte).
    out.push_str(&s[start..i]);
    push_escape(bytes[i], out);
    i + 1
}

/// Writes the escape of an ASCII byte flagged by [`escape_bits`].
#[inline(always)]
fn push_escape(b: u8, out: &mut String) {
    // The character after the backslash; 'u' for a \u00XX escape.
    let esc = match b {
        b'"' => '"',
        b'\\' => '\\',
        b'\n' => 'n',
        b'\r' => 'r',
        b'\t' => 't',
        0x08 => 'b',
        0x0C => 'f',
        _ => 'u',
    };
    out.push('\\');
    out.push(esc);
    if esc == 'u' {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        out.push_str("00");
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xF)]));
    }
}

fn newline(out: &mut String, indent: Option<usize>, level: usize) {
    if let Some(n) = indent {
        out.push('\n');
        out.extend(std::iter::repeat_n(' ', n * level));
    }
}

/// A container [`write_json`] is in the middle of: the entries still to write, and its level.
enum Open<'a> {
    List(std::slice::Iter<'a, Value>, usize),
    Map(MapEntries<'a>, usize),
}

/// A map's entries in document order, or sorted by key (golden files).
enum MapEntries<'a> {
    InOrder(indexmap::map::Iter<'a, String, Value>),
    Sorted(std::vec::IntoIter<(&'a String, &'a Value)>),
}

impl<'a> Iterator for MapEntries<'a> {
    type Item = (&'a String, &'a Value);
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            MapEntries::InOrder(it) => it.next(),
            MapEntries::Sorted(it) => it.next(),
        }
    }
}

/// Writes JSON without recursion (documents may nest arbitrarily deep): containers being written
/// wait on an explicit stack.
fn write_json(v: &Value, out: &mut String, indent: Option<usize>, level: usize, sort: bool) {
    let mut stack: Vec<Open> = Vec::new();
    let mut next = Some((v, level));
    loop {
        if let Some((v, level)) = next.take() {
            match v {
                Value::List(l) if !l.is_empty() => {
                    out.push('[');
                    stack.push(Open::List(l.iter(), level));
                }
                Value::Map(m) if !m.is_empty() => {
                    out.push('{');
                    let entries = if sort {
                        let mut entries: Vec<(&String, &Value)> = m.iter().collect();
                        entries.sort_by(|a, b| a.0.cmp(b.0));
                        MapEntries::Sorted(entries.into_iter())
                    } else {
                        MapEntries::InOrder(m.iter())
                    };
                    stack.push(Open::Map(entries, level));
                }
                other => write_json_scalar(other, out),
            }
        }
        // Find the next value to write, closing the containers that are done.
        let Some(top) = stack.last_mut() else {
            return;
        };
        match top {
            Open::List(it, level) => {
                // Right after '[' nothing has been written yet: no comma.
                match it.next() {
                    Some(x) => {
                        if !out.ends_with('[') {
                            out.push(',');
                        }
                        newline(out, indent, *level + 1);
                        next = Some((x, *level + 1));
                    }
                    None => {
                        newline(out, indent, *level);
                        out.push(']');
                        stack.pop();
                    }
                }
            }
            Open::Map(it, level) => match it.next() {
                Some((k, x)) => {
                    if !out.ends_with('{') {
                        out.push(',');
                    }
                    newline(out, indent, *level + 1);
                    write_json_string(k, out);
                    out.push(':');
                    if indent.is_some() {
                        out.push(' ');
                    }
                    next = Some((x, *level + 1));
                }
                None => {
                    newline(out, indent, *level);
                    out.push('}');
                    stack.pop();
                }
            },
        }
    }
}

/// [`write_json`] without indentation or sorting (what [`Value::to_json`] writes, once per
/// document): the same output, with less to decide per value. Containers being written wait on
/// an explicit stack, as there.
fn write_json_compact(v: &Value, out: &mut String) {
    /// The entries still to write of a container that has written at least one.
    enum Rest<'a> {
        List(std::slice::Iter<'a, Value>),
        Map(indexmap::map::Iter<'a, String, Value>),
    }
    let mut stack: Vec<Rest> = Vec::new();
    let mut next = v;
    loop {
        match next {
            Value::List(l) if !l.is_empty() => {
                out.push('[');
                let mut rest = l.iter();
                if let Some(first) = rest.next() {
                    stack.push(Rest::List(rest));
                    next = first;
                    continue;
                }
            }
            Value::Map(m) if !m.is_empty() => {
                out.push('{');
                let mut rest = m.iter();
                if let Some((k, first)) = rest.next() {
                    write_json_string(k, out);
                    out.push(':');
                    stack.push(Rest::Map(rest));
                    next = first;
                    continue;
                }
            }
            other => write_json_scalar(other, out),
        }
        // The value is written: find the next one, closing the containers that are done.
        loop {
            match stack.last_mut() {
                None => return,
                Some(Rest::List(rest)) => {
                    if let Some(x) = rest.next() {
                        out.push(',');
                        next = x;
                        break;
                    }
                    out.push(']');
                }
                Some(Rest::Map(rest)) => {
                    if let Some((k, x)) = rest.next() {
                        out.push(',');
                        write_json_string(k, out);
                        out.push(':');
                        next = x;
                        break;
                    }
                    out.push('}');
                }
            }
            stack.pop();
        }
    }
}

/// Writes a scalar, or an empty list or map.
fn write_json_scalar(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(itoa::Buffer::new().format(*i)),
        Value::Long(l) => out.push_str(itoa::Buffer::new().format(*l)),
        Value::Float(f) if f.is_finite() => out.push_str(&java_float_to_string(*f)),
        Value::Double(d) if d.is_finite() => out.push_str(&java_double_to_string(*d)),
        Value::Float(_) | Value::Double(_) => {
            write_json_string(&v.to_java_string(), out);
        }
        Value::String(s) => write_json_string(s, out),
        Value::List(_) => out.push_str("[]"),
        Value::Map(_) => out.push_str("{}"),
    }
}

/// Java's `String.hashCode()` (over UTF-16 code units).
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// The order in which a `java.util.HashMap` filled with `keys` (in this order, one `put` each,
/// default capacity 16 and load factor 0.75) iterates them: by bucket
/// `(h ^ h >>> 16) & (capacity - 1)`, ties in insertion order. Returns indices into `keys`.
/// (Bins of 8+ colliding keys, which Java may turn into trees, are not modelled.)
pub fn java_hash_map_order<'a>(keys: impl Iterator<Item = &'a str>) -> Vec<usize> {
    let buckets: Vec<u32> = keys
        .map(|k| {
            let h = java_string_hash(k) as u32;
            h ^ (h >> 16)
        })
        .collect();
    let mut capacity: usize = 16;
    while buckets.len() > capacity / 4 * 3 {
        capacity *= 2;
    }
    let mask = (capacity - 1) as u32;
    let mut order: Vec<usize> = (0..buckets.len()).collect();
    // order holds the indices 0..buckets.len().
    order.sort_by_key(|&i| buckets[i] & mask);
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_print_in_java_hash_map_order() {
        // Orders seen in Elasticsearch output (darktrace, o365 goldens).
        let v = Value::from_json_str(r#"{"left":"A","operator":"AND","right":"B"}"#).unwrap();
        assert_eq!(v.to_java_string(), "{left=A, right=B, operator=AND}");
        let keys = [
            "ActorUserId",
            "ActorYammerUserId",
            "ClientIP",
            "ClientIPAddress",
            "CreationTime",
            "GroupName",
            "Id",
            "ObjectId",
            "Operation",
            "OrganizationId",
            "RecordType",
            "ResultStatus",
            "UserId",
            "UserKey",
            "UserType",
            "Version",
            "Workload",
            "YammerNetworkId",
        ];
        let order: Vec<&str> = java_hash_map_order(keys.iter().copied())
            .into_iter()
            .map(|i| keys[i])
            .collect();
        assert_eq!(
            order,
            [
                "GroupName",
                "ObjectId",
                "ResultStatus",
                "UserKey",
                "YammerNetworkId",
                "ActorUserId",
                "ActorYammerUserId",
                "Operation",
                "OrganizationId",
                "ClientIP",
                "ClientIPAddress",
                "Workload",
                "RecordType",
                "Version",
                "UserId",
                "CreationTime",
                "Id",
                "UserType",
            ]
        );
        assert_eq!(java_string_hash("hello"), 99162322);
    }

    #[test]
    fn java_double_formatting() {
        for (d, s) in [
            (1.0, "1.0"),
            (123.42, "123.42"),
            (1e7, "1.0E7"),
            (1.3893632e7, "1.3893632E7"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (-2.5, "-2.5"),
            (2555904.0, "2555904.0"),
            (100.0, "100.0"),
        ] {
            assert_eq!(java_double_to_string(d), s);
        }
        assert_eq!(java_float_to_string(123.42f32), "123.42");
        assert_eq!(
            Value::Double(123.42f32 as f64).to_java_string(),
            "123.41999816894531"
        );
    }

    #[test]
    fn fast_json_reader_agrees_with_serde() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        let mut inputs: Vec<String> = [
            "0",
            "-0",
            "1",
            "-1",
            "2147483647",
            "2147483648",
            "-2147483648",
            "-2147483649",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "18446744073709551615",
            "18446744073709551616",
            "-18446744073709551616",
            "123456789012345678901234567890",
            "1.0",
            "-0.0",
            "1e2",
            "1E+2",
            "1e-2",
            "0.1",
            "1.7976931348623157e308",
            "1.8e308",
            "-1e400",
            "1e-400",
            "4.9e-324",
            "2.2250738585072011e-308",
            "0.30000000000000004",
            "0e999999",
            "01",
            "-",
            "1.",
            "1e",
            ".5",
            "+1",
            "1.5e",
            "--1",
            "0x1",
            "1 2",
            "[1,]",
            "Infinity",
            "NaN",
            r#""""#,
            r#""a\"b""#,
            r#""\"\\\/\b\f\n\r\t""#,
            r#""\u00e9\u00E9""#,
            r#""\ud83d\ude00""#,
            r#""\ud83d""#,
            r#""\ude00""#,
            r#""\ud83d\u0041""#,
            r#""\ud83dx""#,
            r#""\uZZZZ""#,
            "\"a\u{1}b\"",
            "\"a\u{7f}b\"",
            "\"\u{2028}x\u{2029}\u{2027}\"",
            "\"é€😀\"",
            r#""\x""#,
            "\"abc",
            "\"ab\\",
            "{}",
            "[]",
            " { \"a\" : [ 1 , 2 ] , \"b\" : { } } ",
            "{\"a\":1,\"b\":2,\"a\":3}",
            "{\"a\":1,}",
            "{,}",
            "{\"a\"}",
            "{1:2}",
            "[1 2]",
            "nul",
            "truex",
            "true false",
            "[true,false,null]",
            "",
            "  ",
            "\u{feff}{}",
            "\t\r\n[1]\n",
            "\u{c}{}",
            "{\"a\":1}x",
            "[\"a\"]]",
            "{\"é\":{\"\":[{},[],\"x\"]}}",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        inputs.extend([deep(100), deep(101), deep(127), deep(128), deep(300)]);
        // A large object: many keys, escapes at varied offsets, a repeated key.
        let mut big = String::from("{");
        for i in 0..60 {
            let pad = "x".repeat(i % 19);
            big.push_str(&format!(
                r#""k{}":"{pad}\"{pad}\\\n","n{i}":{i}.5,"#,
                i % 50
            ));
        }
        big.push_str(r#""end":[1,-2,3000000000,null]}"#);
        inputs.push(big);
        for text in &inputs {
            let serde = Value::from_json_str_serde(text);
            match FastJson::read(text) {
                Some(fast) => match &serde {
                    Ok(v) => assert_eq!(format!("{fast:?}"), format!("{v:?}"), "{text}"),
                    Err(e) => panic!("serde_json fails ({e}) but the fast reader reads {text}"),
                },
                None => assert!(
                    serde.is_err() || text.starts_with("[[[["),
                    "the fast reader gives up on valid {text}"
                ),
            }
            let got = Value::from_json_str(text).map_err(|e| e.to_string());
            assert_eq!(
                format!("{got:?}"),
                format!("{:?}", serde.map_err(|e| e.to_string())),
                "{text}"
            );
        }
    }

    #[test]
    fn json_numbers_keep_java_types() {
        let v = Value::from_json_str(r#"{"a":1,"b":3000000000,"c":1.0,"d":1e3}"#).unwrap();
        let m = v.as_map().unwrap();
        assert!(matches!(m["a"], Value::Int(1)));
        assert!(matches!(m["b"], Value::Long(3000000000)));
        assert!(matches!(m["c"], Value::Double(_)));
        assert_eq!(m["d"].to_json(), "1000.0");
    }

    #[test]
    fn json_strings_escape_as_go_does() {
        let mut out = String::new();
        write_json_string(
            "a\"b\\c\n\r\t\u{8}\u{c}\u{1}\u{1f}<>&é€\u{2028}x\u{2029}\u{2027}",
            &mut out,
        );
        assert_eq!(
            out,
            "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f<>&é€\\u2028x\\u2029\u{2027}\""
        );
        // A reference escaper, one character at a time.
        let full = |s: &str| {
            let mut o = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' => o.push_str("\\\""),
                    '\\' => o.push_str("\\\\"),
                    '\n' => o.push_str("\\n"),
                    '\r' => o.push_str("\\r"),
                    '\t' => o.push_str("\\t"),
                    '\u{8}' => o.push_str("\\b"),
                    '\u{c}' => o.push_str("\\f"),
                    '\u{2028}' => o.push_str("\\u2028"),
                    '\u{2029}' => o.push_str("\\u2029"),
                    c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
                    c => o.push(c),
                }
            }
            o.push('"');
            o
        };
        // The eight-byte scan finds a special character at any offset.
        for special in ["\"", "\\", "\n", "\u{1}", "\u{2028}", "€", "é", "\u{7f}"] {
            for at in 0..20 {
                let text = format!("{}{special}{}", "a".repeat(at), "b".repeat(20 - at));
                let mut out = String::new();
                write_json_string(&text, &mut out);
                assert_eq!(out, full(&text), "{text:?}");
            }
        }
        // Many special characters in one string, at every offset of a word and of the tail.
        let pieces = [
            "a", "\"", "\\", "\n", "\r", "\t", "\u{8}", "\u{c}", "\u{0}", "\u{1f}", "é", "€",
            "\u{2028}", "\u{2029}", "\u{2027}", "😀", "#", "]",
        ];
        let mut seed = 7u64;
        for len in 1..40 {
            for _ in 0..40 {
                let mut text = String::new();
                for _ in 0..len {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    // Plain text half of the time, else any piece.
                    let k = (seed >> 33) as usize % (2 * pieces.len());
                    text.push_str(pieces.get(k).copied().unwrap_or("x"));
                }
                let mut out = String::new();
                write_json_string(&text, &mut out);
                assert_eq!(out, full(&text), "{text:?}");
            }
        }
        // Every byte value at every offset of a chunk and of a tail.
        let flagged = |b: u8| b < 0x20 || b == b'"' || b == b'\\' || b == 0xE2;
        for len in [5usize, 8, 13, 16] {
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut bytes = vec![b'x'; len];
                    bytes[at] = b;
                    let want = if flagged(b) { at } else { len };
                    assert_eq!(next_escape(&bytes, 0), want, "byte {b:#x} at {at} of {len}");
                    assert_eq!(next_escape(&bytes, at), want);
                }
            }
        }
        // The reader's stop: the same bytes but 0xE2, from every start.
        let stops = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
        for len in 0..=18usize {
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut bytes = vec![b'x'; len];
                    bytes[at] = b;
                    if at + 1 < len {
                        bytes[at + 1] = b'"';
                    }
                    for from in 0..=len {
                        let want = (from..len).find(|&k| stops(bytes[k])).unwrap_or(len);
                        assert_eq!(string_stop(&bytes, from), want, "{bytes:x?} from {from}");
                    }
                }
            }
        }
        // Two flagged-or-neighbouring bytes at every pair of offsets, scanned from every start:
        // the first of several flagged bytes, the overlapping tail words, skipped bytes before `from`.
        let firsts = [
            0x00, 0x1f, 0x20, 0x21, b'"', b'#', b'\\', 0xE2, 0xE3, 0x80, 0xFF, 0x7F,
        ];
        let seconds = [0x01, b'"', b'#', 0x5D, 0xE2];
        for len in 0..=18usize {
            for i in 0..len {
                for j in i + 1..=len {
                    for &a in &firsts {
                        for &b in &seconds {
                            let mut bytes = vec![b'x'; len];
                            bytes[i] = a;
                            if j < len {
                                bytes[j] = b;
                            }
                            for from in 0..=len {
                                let want = (from..len).find(|&k| flagged(bytes[k])).unwrap_or(len);
                                assert_eq!(
                                    next_escape(&bytes, from),
                                    want,
                                    "{bytes:x?} from {from}"
                                );
                            }
                        }
                    }
                }
            }
        }
        let ints = Value::List(vec![
            Value::Int(0),
            Value::Int(-7),
            Value::Int(i32::MIN),
            Value::Long(i64::MIN),
            Value::Long(i64::MAX),
        ]);
        assert_eq!(
            ints.to_json(),
            "[0,-7,-2147483648,-9223372036854775808,9223372036854775807]"
        );
    }

    #[test]
    fn java_equals_separates_number_types() {
        assert_ne!(Value::Int(3), Value::Long(3));
        assert_ne!(Value::Int(3), Value::from("3"));
    }

    #[test]
    fn golden_format_sorts_and_indents() {
        let v = Value::from_json_str(r#"{"b":[1,{"z":1,"a":"<"}],"a":{}}"#).unwrap();
        assert_eq!(
            v.to_json_pretty_sorted(4),
            "{\n    \"a\": {},\n    \"b\": [\n        1,\n        {\n            \"a\": \"<\",\n            \"z\": 1\n        }\n    ]\n}"
        );
    }

    #[test]
    fn compact_writer_matches_the_general_one() {
        let texts = [
            r#"{"a":[],"b":{},"c":[[],[{}],{"d":[1,2.5,"x\"y"]}],"e":null,"f":[true,[false]]}"#,
            "[]",
            "{}",
            "[[[[]]]]",
            r#"[{"k":{"k":{"k":[1,{"z":[]}]}}},"s",-3]"#,
            r#""only a string""#,
            "12",
        ];
        for text in texts {
            let v = Value::from_json_str(text).unwrap();
            let mut general = String::new();
            write_json(&v, &mut general, None, 0, false);
            assert_eq!(v.to_json(), general, "{text}");
            assert_eq!(general, text);
        }
    }

    #[test]
    fn json_of_deep_values_without_recursion() {
        // Deep enough to overflow a recursive writer on a test thread's 2 MB stack.
        let mut v = Value::Int(1);
        for i in 0..100_000 {
            v = if i % 2 == 0 {
                Value::List(vec![Value::Null, v])
            } else {
                Value::Map([("k".to_string(), v)].into_iter().collect())
            };
        }
        let json = v.to_json();
        let pretty = v.to_json_pretty_sorted(0);
        // Take the value apart piece by piece before asserting: a failed assertion would drop
        // it recursively and overflow the stack instead of reporting.
        let mut stack = vec![v];
        while let Some(v) = stack.pop() {
            match v {
                Value::List(l) => stack.extend(l),
                Value::Map(m) => stack.extend(m.into_values()),
                _ => {}
            }
        }
        assert!(
            json.starts_with(r#"{"k":[null,{"k":[null,"#),
            "{}",
            &json[..40]
        );
        assert!(json.contains(r#"{"k":[null,1]}]}]}"#));
        assert!(json.ends_with("]}]}"), "{}", &json[json.len() - 20..]);
        assert_eq!(json.matches("null").count(), 50_000);
        assert_eq!(json.matches('{').count(), 50_000);
        // Each container takes an opening and a closing line; each `null` and the `1` one line.
        assert_eq!(pretty.lines().count(), 2 * 100_000 + 50_000 + 1);
    }
}
