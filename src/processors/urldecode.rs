//! `urldecode`: decodes URL-encoded strings (Java's `URLDecoder.decode(s, UTF_8)`), strings or lists.
//! Also home of the runner for string functions that may change the value's type (bytes,
//! html_strip, urldecode), over the shared AbstractStringProcessor options in `lowercase`.

use super::lowercase::StringField;
use crate::document::IngestDocument;
use crate::error::IngestError;
use crate::pipeline::{BuildError, Builder, Config, Env, Flow, Processor};
use crate::value::Value;

/// A string function applied the AbstractStringProcessor way.
pub(super) type StringFn = fn(&str) -> Result<Value, IngestError>;

/// Elasticsearch's AbstractStringProcessor with a function that may change the value's type.
#[derive(Debug)]
pub(super) struct StringProcessor {
    opts: StringField,
    op: StringFn,
}

impl StringProcessor {
    /// Reads the shared options.
    pub(super) fn build(cfg: &mut Config, op: StringFn) -> Result<Box<dyn Processor>, BuildError> {
        Ok(Box::new(StringProcessor {
            opts: StringField::read(cfg)?,
            op,
        }))
    }
}

impl Processor for StringProcessor {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        self.opts.apply(doc, self.op)
    }
}

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    StringProcessor::build(cfg, |s| url_decode(s).map(Value::String))
}

/// Java `URLDecoder.decode(s, UTF_8)`: `+` is a space, runs of `%XX` are UTF-8 bytes.
pub fn url_decode(s: &str) -> Result<String, IngestError> {
    let units: Vec<u16> = s.encode_utf16().collect();
    let n = units.len();
    let mut out: Vec<u16> = Vec::with_capacity(n);
    let mut i = 0;
    while i < n {
        // i < n = units.len() (loop condition).
        let c = units[i];
        if c == u16::from(b'+') {
            out.push(u16::from(b' '));
            i += 1;
        } else if c == u16::from(b'%') {
            let mut bytes: Vec<u8> = Vec::new();
            // i + 2 < n checked first, so units[i..i + 3] is in range.
            while i + 2 < n && units[i] == u16::from(b'%') {
                let hex = String::from_utf16_lossy(&units[i + 1..i + 3]);
                let v = parse_hex_java(&hex)?;
                bytes.push(v);
                i += 3;
            }
            // i < n checked first.
            if i < n && units[i] == u16::from(b'%') {
                return Err(IngestError::illegal_argument(
                    "URLDecoder: Incomplete trailing escape (%) pattern",
                ));
            }
            out.extend(String::from_utf8_lossy(&bytes).encode_utf16());
        } else {
            out.push(c);
            i += 1;
        }
    }
    Ok(String::from_utf16_lossy(&out))
}

/// `Integer.parseInt(two chars, 16)` as URLDecoder uses it, with its error messages.
fn parse_hex_java(hex: &str) -> Result<u8, IngestError> {
    let illegal = |detail: String| {
        IngestError::illegal_argument(format!(
            "URLDecoder: Illegal hex characters in escape (%) pattern - {detail}"
        ))
    };
    // The sign is one ASCII byte, so 1 is a char boundary.
    let (neg, digits) = match hex.chars().next() {
        Some('-') => (true, &hex[1..]),
        Some('+') => (false, &hex[1..]),
        _ => (false, hex),
    };
    let bad_at = hex
        .char_indices()
        .skip(usize::from(digits.len() < hex.len()))
        .find(|(_, c)| !c.is_ascii_hexdigit())
        .map(|(i, _)| i);
    if digits.is_empty() {
        return Err(illegal(format!("Error at index 0 in: \"{hex}\"")));
    }
    if let Some(at) = bad_at {
        return Err(illegal(format!("Error at index {at} in: \"{hex}\"")));
    }
    let v = i32::from_str_radix(digits, 16)
        .map_err(|_| illegal(format!("For input string: \"{hex}\"")))?;
    if neg && v != 0 {
        return Err(illegal("negative value".into()));
    }
    u8::try_from(v).map_err(|_| illegal("negative value".into()))
}

#[cfg(test)]
mod tests {
    use crate::processors::testing::{fails, give};

    #[test]
    fn decodes() {
        give(
            "urldecode",
            r#"{"field":"u"}"#,
            r#"{"u":"https%3a%2f%2felastic.co%2f"}"#,
            r#"{"u":"https://elastic.co/"}"#,
        );
        give(
            "urldecode",
            r#"{"field":"u","target_field":"t"}"#,
            r#"{"u":"a+b%C3%A9%e2%82%ac"}"#,
            r#"{"u":"a+b%C3%A9%e2%82%ac","t":"a bé€"}"#,
        );
        give(
            "urldecode",
            r#"{"field":"u"}"#,
            r#"{"u":["a%20b","c"]}"#,
            r#"{"u":["a b","c"]}"#,
        );
        give(
            "urldecode",
            r#"{"field":"u","ignore_missing":true}"#,
            r#"{}"#,
            r#"{}"#,
        );
        give(
            "urldecode",
            r#"{"field":"u"}"#,
            r#"{"u":"%ff"}"#,
            r#"{"u":"\ufffd"}"#,
        );
    }

    #[test]
    fn errors() {
        let o = r#"{"field":"u"}"#;
        fails(
            "urldecode",
            o,
            r#"{"u":"100%"}"#,
            "URLDecoder: Incomplete trailing escape (%) pattern",
        );
        fails(
            "urldecode",
            o,
            r#"{"u":"%zz"}"#,
            "URLDecoder: Illegal hex characters in escape (%) pattern - Error at index 0 in: \"zz\"",
        );
        fails(
            "urldecode",
            o,
            r#"{"u":"%-1"}"#,
            "URLDecoder: Illegal hex characters in escape (%) pattern - negative value",
        );
        fails(
            "urldecode",
            o,
            r#"{"u":null}"#,
            "field [u] is null, cannot process it.",
        );
        fails(
            "urldecode",
            o,
            r#"{}"#,
            "field [u] not present as part of path [u]",
        );
        fails(
            "urldecode",
            o,
            r#"{"u":1}"#,
            "field [u] of type [java.lang.Integer] cannot be cast to [java.lang.String]",
        );
        fails(
            "urldecode",
            o,
            r#"{"u":["a",2]}"#,
            "value [2] of type [java.lang.Integer] in list field [u] cannot be cast to [java.lang.String]",
        );
    }
}
