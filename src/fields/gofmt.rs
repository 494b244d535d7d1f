//! Go's `fmt` renderings (`%v`, `%q`, `%T`) of JSON values as elastic-package prints them.
//!
//! elastic-package decodes documents with `encoding/json` into `interface{}`: every number becomes a
//! `float64`, arrays `[]interface {}`, objects `map[string]interface {}`.

use crate::value::Value;

/// The value as Go's `encoding/json` sees it: every number is a `float64`.
pub(crate) fn as_go_float(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(f64::from(*i)),
        Value::Long(l) => Some(*l as f64),
        // The JSON text of a Java float is its shortest decimal; Go parses that text as a float64.
        Value::Float(f) => format!("{f}").parse::<f64>().ok(),
        Value::Double(d) => Some(*d),
        _ => None,
    }
}

/// Go's `%T` of a decoded JSON value.
pub(crate) fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Int(_) | Value::Long(_) | Value::Float(_) | Value::Double(_) => "float64",
        Value::String(_) => "string",
        Value::List(_) => "[]interface {}",
        Value::Map(_) => "map[string]interface {}",
    }
}

/// Go's `%v` of a float64 (`strconv.FormatFloat(f, 'g', -1, 64)`).
pub(crate) fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // Shortest round-trip digits and the decimal exponent, from Rust's `{:e}`.
    let sci = format!("{f:e}");
    let (mantissa, exp) = match sci.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (sci.as_str(), 0),
    };
    // %g with the shortest precision switches to %e when exp < -4 || exp >= 6 (strconv/ftoa.go).
    let eprec = 6;
    if exp < -4 || exp >= eprec {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        format!("{f}")
    }
}

/// Go's `%v` of a decoded JSON value.
pub(crate) fn go_v(v: &Value) -> String {
    let mut out = String::new();
    write_v(v, &mut out);
    out
}

fn write_v(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::String(s) => out.push_str(s),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_v(item, out);
            }
            out.push(']');
        }
        Value::Map(m) => {
            // Go prints map keys sorted.
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push_str("map[");
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                if let Some(val) = m.get(*k) {
                    write_v(val, out);
                }
            }
            out.push(']');
        }
        other => out.push_str(&go_float(as_go_float(other).unwrap_or(0.0))),
    }
}

/// Go's `%q` of a decoded JSON value (`%!q(float64=3)` for values `%q` cannot print).
pub(crate) fn go_q(v: &Value) -> String {
    let mut out = String::new();
    write_q(v, &mut out);
    out
}

fn write_q(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("%!q(<nil>)"),
        Value::Bool(b) => out.push_str(if *b {
            "%!q(bool=true)"
        } else {
            "%!q(bool=false)"
        }),
        Value::String(s) => out.push_str(&go_quote(s)),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_q(item, out);
            }
            out.push(']');
        }
        Value::Map(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push_str("map[");
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(&go_quote(k));
                out.push(':');
                if let Some(val) = m.get(*k) {
                    write_q(val, out);
                }
            }
            out.push(']');
        }
        other => {
            out.push_str("%!q(float64=");
            out.push_str(&go_float(as_go_float(other).unwrap_or(0.0)));
            out.push(')');
        }
    }
}

/// Go's `strconv.Quote`.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if is_go_printable(c) => out.push(c),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// An approximation of Go's `strconv.IsPrint` for characters outside ASCII control codes.
fn is_go_printable(c: char) -> bool {
    let u = c as u32;
    !(0x80..0xa0).contains(&u)
        && u != 0xad
        && !(0x2028..=0x202e).contains(&u)
        && !(0x200b..=0x200f).contains(&u)
        && !(0x2060..=0x206f).contains(&u)
        && u != 0xfeff
        && !(0xfff9..=0xfffb).contains(&u)
        && !(0xe000..=0xf8ff).contains(&u)
        && !(0xd800..=0xdfff).contains(&u)
}

/// Go's `%q` of a `[]string`: `["a" "b"]`.
pub(crate) fn go_q_strings(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| go_quote(s)).collect();
    format!("[{}]", quoted.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_go() {
        for (f, want) in [
            (3.0, "3"),
            (1.5, "1.5"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (1000000.0, "1e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.5, "-2.5"),
            (1e21, "1e+21"),
            (123456789.0, "1.23456789e+08"),
        ] {
            assert_eq!(go_float(f), want, "{f}");
        }
    }

    #[test]
    fn values_print_like_go() {
        let v = Value::from_json_str(r#"{"b":[1,"x",true,null],"a":{"c":2.5}}"#).unwrap();
        assert_eq!(go_v(&v), "map[a:map[c:2.5] b:[1 x true <nil>]]");
        assert_eq!(go_q(&Value::Long(3)), "%!q(float64=3)");
        assert_eq!(go_q(&Value::String("a\"b\n".into())), r#""a\"b\n""#);
        assert_eq!(go_type(&Value::List(vec![])), "[]interface {}");
        assert_eq!(go_q_strings(&["a".into(), "b".into()]), r#"["a" "b"]"#);
    }
}
