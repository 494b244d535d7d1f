//! Java's number parsing (`Integer.parseInt`, `Long.parseLong`, `Integer.decode`,
//! `Double.parseDouble`, `Float.parseFloat`), used by `convert` and the date formats.

/// Java `Long.parseLong(s, radix)` (optional sign, ASCII digits, range-checked).
pub fn parse_long_radix(s: &str, radix: u32) -> Option<i64> {
    let (neg, digits) = split_sign(s);
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let mag = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        if mag == 1u64 << 63 {
            Some(i64::MIN)
        } else {
            i64::try_from(mag).ok().map(|v| -v)
        }
    } else {
        i64::try_from(mag).ok()
    }
}

/// The optional sign Java's parsers take first (`true` for `-`), and the rest.
pub(crate) fn split_sign(s: &str) -> (bool, &str) {
    match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    }
}

/// Java `Long.parseLong(s)`.
pub fn parse_long(s: &str) -> Option<i64> {
    parse_long_radix(s, 10)
}

/// Java `Integer.parseInt(s)`.
pub fn parse_int(s: &str) -> Option<i32> {
    parse_long(s).and_then(|v| i32::try_from(v).ok())
}

/// Java `Long.decode(s)`: sign, then `0x`/`0X`/`#` hex, leading `0` octal, or decimal.
pub fn decode_long(s: &str) -> Option<i64> {
    let (neg, rest) = split_sign(s);
    let (radix, digits) =
        if let Some(h) = rest.strip_prefix("0x").or_else(|| rest.strip_prefix("0X")) {
            (16, h)
        } else if let Some(h) = rest.strip_prefix('#') {
            (16, h)
        } else if let Some(octal) = rest.strip_prefix('0').filter(|o| !o.is_empty()) {
            (8, octal)
        } else {
            (10, rest)
        };
    if digits.starts_with('-') || digits.starts_with('+') {
        return None;
    }
    let text = if neg {
        format!("-{digits}")
    } else {
        digits.to_string()
    };
    parse_long_radix(&text, radix)
}

/// Java `Integer.decode(s)`.
pub fn decode_int(s: &str) -> Option<i32> {
    decode_long(s).and_then(|v| i32::try_from(v).ok())
}

/// Java `Double.parseDouble(s)`: trims chars ≤ U+0020; accepts `NaN`, `Infinity`, `1e5`,
/// `1.`, `.5`, `1f`/`1d` suffixes and hex floats (`0x1.8p1`).
pub fn parse_double(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| c <= ' ');
    let (neg, body) = split_sign(t);
    let hex = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X"));
    let v = match (body, hex) {
        ("NaN", _) => f64::NAN,
        ("Infinity", _) => f64::INFINITY,
        (_, Some(digits)) => parse_hex_float(digits)?,
        _ => {
            let body = body.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(body);
            if !decimal_syntax(body) {
                return None;
            }
            body.parse::<f64>().ok()?
        }
    };
    Some(if neg { -v } else { v })
}

/// Java `Float.parseFloat(s)`: the syntax of `parseDouble`, rounded once to float.
pub fn parse_float(s: &str) -> Option<f32> {
    let t = s.trim_matches(|c: char| c <= ' ');
    let (neg, body) = split_sign(t);
    let sign = if neg { "-" } else { "" };
    if body.starts_with("0x") || body.starts_with("0X") || body == "NaN" || body == "Infinity" {
        return parse_double(s).map(|d| d as f32);
    }
    let body = body.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(body);
    if !decimal_syntax(body) {
        return None;
    }
    format!("{sign}{body}").parse::<f32>().ok()
}

/// `digits[.digits][e[+-]digits]` with at least one digit in the mantissa.
fn decimal_syntax(s: &str) -> bool {
    // Every `b[i]` below is behind an `i < b.len()` test on the same line.
    let b = s.as_bytes();
    let mut i = 0;
    let mut mant = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
        mant += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
            mant += 1;
        }
    }
    if mant == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == b.len()
}

/// The part of a Java hex float after `0x`: `h[.h]p[+-]d`, optional `f`/`d` suffix.
fn parse_hex_float(s: &str) -> Option<f64> {
    let s = s.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(s);
    let (mant, exp) = s.split_once(['p', 'P'])?;
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in int.chars() {
        v = v * 16.0 + c.to_digit(16)? as f64;
    }
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        v += c.to_digit(16)? as f64 * scale;
        scale /= 16.0;
    }
    let e: i32 = parse_long(exp)?.clamp(-2000, 2000) as i32;
    Some(v * 2f64.powi(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_parsing() {
        assert_eq!(parse_int("-12"), Some(-12));
        assert_eq!(parse_int("+12"), Some(12));
        assert_eq!(parse_int(" 12"), None);
        assert_eq!(parse_int("2147483648"), None);
        assert_eq!(parse_long("2147483648"), Some(2147483648));
        assert_eq!(parse_long("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(decode_int("0x1F"), Some(31));
        assert_eq!(decode_int("-0x10"), Some(-16));
        assert_eq!(decode_int("0x"), None);
        assert_eq!(decode_int("010"), Some(8));
        assert_eq!(decode_int("0"), Some(0));
        assert_eq!(decode_int("-"), None);
        assert_eq!(parse_long("+"), None);
        assert_eq!(parse_float("-"), None);
        assert_eq!(parse_double("0X"), None);
        assert_eq!(parse_double(" 1.5 "), Some(1.5));
        assert_eq!(parse_double("1e3"), Some(1000.0));
        assert_eq!(parse_double("1."), Some(1.0));
        assert_eq!(parse_double(".5d"), Some(0.5));
        assert_eq!(parse_double("0x1.8p1"), Some(3.0));
        assert!(parse_double("NaN").unwrap().is_nan());
        assert_eq!(parse_double("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_double("inf"), None);
        assert_eq!(parse_double("1_0"), None);
        assert_eq!(parse_double(""), None);
        assert_eq!(parse_double("e5"), None);
        assert_eq!(parse_float("1.5f"), Some(1.5));
        assert_eq!(parse_float("-2"), Some(-2.0));
        assert_eq!(parse_float("1e40"), Some(f32::INFINITY));
        assert_eq!(parse_float("abc"), None);
    }
}
