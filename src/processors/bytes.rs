//! `bytes`: parses human-readable byte sizes (`1kb` → 1024) into a Long (Elasticsearch's
//! BytesProcessor over ByteSizeValue.parseBytesSizeValue, 8.x semantics).

use super::urldecode::StringProcessor;
use crate::error::IngestError;
use crate::pipeline::{BuildError, Builder, Config, Processor};
use crate::value::Value;

/// The setting name BytesProcessor passes to the parser, which shows in its errors.
const SETTING: &str = "Ingest Field";

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    StringProcessor::build(cfg, |s| parse_bytes(s).map(Value::Long))
}

fn parse_error(value: &str, suffix: &str, cause: Option<String>) -> IngestError {
    let mut e = IngestError::new(
        "parse_exception",
        format!("failed to parse setting [{SETTING}] with value [{value}]{suffix}"),
    );
    e.caused_by = cause.map(|c| Box::new(IngestError::illegal_argument(c)));
    e
}

/// `new ByteSizeValue(size, unit)`'s range checks, then the size in bytes.
fn of(value: &str, size: i64, unit: u64, suffix: &str) -> Result<i64, IngestError> {
    let unit = unit as i64;
    if size < -1 || (size == -1 && unit != 1) {
        return Err(parse_error(
            value,
            " as a size in bytes",
            Some(format!(
                "Values less than -1 bytes are not supported: {size}{suffix}"
            )),
        ));
    }
    if size > i64::MAX / unit {
        return Err(parse_error(
            value,
            " as a size in bytes",
            Some(format!(
                "Values greater than {} bytes are not supported: {size}{suffix}",
                i64::MAX
            )),
        ));
    }
    Ok(size * unit)
}

/// Java `String.trim()`.
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// Elasticsearch 8.x `ByteSizeValue.parseBytesSizeValue(value, null, "Ingest Field").getBytes()`.
pub fn parse_bytes(value: &str) -> Result<i64, IngestError> {
    match value {
        "0" | "0b" | "0B" => return Ok(0),
        "1b" | "1B" => return Ok(1),
        "-1" | "-1b" | "-1B" => return Ok(-1),
        _ => {}
    }
    let lower = value.to_lowercase();
    let lower = java_trim(&lower);
    const UNITS: [(&str, u64, &str); 10] = [
        ("k", 1 << 10, "kb"),
        ("kb", 1 << 10, "kb"),
        ("m", 1 << 20, "mb"),
        ("mb", 1 << 20, "mb"),
        ("g", 1 << 30, "gb"),
        ("gb", 1 << 30, "gb"),
        ("t", 1 << 40, "tb"),
        ("tb", 1 << 40, "tb"),
        ("p", 1 << 50, "pb"),
        ("pb", 1 << 50, "pb"),
    ];
    for (end, unit, suffix) in UNITS {
        if let Some(number) = lower.strip_suffix(end) {
            let number = java_trim(number);
            if let Some(n) = crate::grok::java_parse_long(number) {
                return of(value, n, unit, suffix);
            }
            // Deprecated fractional values: (long) (double * unit bytes).
            let d =
                crate::grok::java_parse_double(number).map_err(|_| parse_error(value, "", None))?;
            let bytes = d * unit as f64;
            let bytes = if bytes.is_nan() { 0 } else { bytes as i64 };
            return of(value, bytes, 1, "b");
        }
    }
    if let Some(number) = lower.strip_suffix('b') {
        let n = crate::grok::java_parse_long(java_trim(number))
            .ok_or_else(|| parse_error(value, "", None))?;
        return of(value, n, 1, "b");
    }
    Err(parse_error(
        value,
        " as a size in bytes: unit is missing or unrecognized",
        None,
    ))
}

#[cfg(test)]
mod tests {
    use super::parse_bytes;
    use crate::processors::testing::{fails, give};

    #[test]
    fn parses_sizes() {
        for (s, want) in [
            ("1kb", 1024),
            ("1k", 1024),
            ("2 MB", 2 << 20),
            ("1gb", 1 << 30),
            ("1t", 1 << 40),
            ("1pb", 1 << 50),
            ("10b", 10),
            ("0", 0),
            ("-1", -1),
            ("1.1kb", 1126),
            (" 5kb ", 5120),
        ] {
            assert_eq!(parse_bytes(s).unwrap(), want, "{s}");
        }
        for (s, msg) in [
            (
                "junk",
                "failed to parse setting [Ingest Field] with value [junk]",
            ),
            (
                "1",
                "failed to parse setting [Ingest Field] with value [1] as a size in bytes: unit is missing or unrecognized",
            ),
            (
                "8912pb",
                "failed to parse setting [Ingest Field] with value [8912pb] as a size in bytes",
            ),
            (
                "-2kb",
                "failed to parse setting [Ingest Field] with value [-2kb] as a size in bytes",
            ),
            (
                "xb",
                "failed to parse setting [Ingest Field] with value [xb]",
            ),
        ] {
            assert_eq!(parse_bytes(s).unwrap_err().reason, msg, "{s}");
        }
    }

    #[test]
    fn processor() {
        give(
            "bytes",
            r#"{"field":"s","target_field":"t"}"#,
            r#"{"s":"1kb"}"#,
            r#"{"s":"1kb","t":1024}"#,
        );
        give(
            "bytes",
            r#"{"field":"s"}"#,
            r#"{"s":["1kb","2b"]}"#,
            r#"{"s":[1024,2]}"#,
        );
        give(
            "bytes",
            r#"{"field":"s","ignore_missing":true}"#,
            r#"{}"#,
            r#"{}"#,
        );
        fails(
            "bytes",
            r#"{"field":"s"}"#,
            r#"{"s":1}"#,
            "field [s] of type [java.lang.Integer] cannot be cast to [java.lang.String]",
        );
        fails(
            "bytes",
            r#"{"field":"s"}"#,
            r#"{"s":null}"#,
            "field [s] is null, cannot process it.",
        );
    }
}
