//! Elasticsearch's named date formats (`strict_date_optional_time`, `epoch_millis`, …),
//! its hand-written ISO 8601 parser (Iso8601Parser.java) and the epoch parsers (EpochTime.java).

use super::pattern::{self, Elem, F, Parsed, Sign};
use super::zone::{Zone, parse_offset_id};

/// One way a named format reads text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Parser {
    /// Pattern elements.
    Elems(Vec<Elem>),
    /// ES's ISO 8601 parser; `hms`: a time, when present, needs hours, minutes and seconds.
    Iso { hms: bool },
    /// Milliseconds since the epoch, with an optional fraction.
    EpochMillis,
    /// Seconds since the epoch, with an optional fraction.
    EpochSecond,
}

/// A named format: its parsers (tried in order) and its printer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Named {
    pub parsers: Vec<Parser>,
    pub printer: Printer,
}

/// How a named format prints.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Printer {
    Elems(Vec<Elem>),
    EpochMillis,
    EpochSecond,
}

/// Turns `strictDateOptionalTime` into `strict_date_optional_time` (ES accepts both spellings).
fn snake(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            s.push('_');
            s.push(c.to_ascii_lowercase());
        } else {
            s.push(c);
        }
    }
    s
}

/// A tiny spec language for ES's built-in parsers: `Y` year, `B` 4-digit basic year, `M` month,
/// `D` day, `O` day of year, `h` `m` `s` time, `f` fraction (`.` or `,`, 1-9 digits), `z` zone,
/// `[…]` optional; anything else is literal. `strict` fixes the widths.
fn dsl(spec: &str, strict: bool) -> Vec<Elem> {
    let mut stack: Vec<Vec<Elem>> = vec![Vec::new()];
    let two = |f: F| {
        if strict {
            Elem::Num {
                f,
                min: 2,
                max: 2,
                sign: Sign::NotNegative,
            }
        } else {
            Elem::Num {
                f,
                min: 1,
                max: 2,
                sign: Sign::NotNegative,
            }
        }
    };
    for c in spec.chars() {
        let e = match c {
            'Y' if strict => Elem::Num {
                f: F::Year,
                min: 4,
                max: 4,
                sign: Sign::ExceedsPad,
            },
            'Y' => Elem::Num {
                f: F::Year,
                min: 1,
                max: 9,
                sign: Sign::Normal,
            },
            'B' => Elem::Num {
                f: F::Year,
                min: 4,
                max: 4,
                sign: Sign::Normal,
            },
            'M' => two(F::Month),
            'D' => two(F::Day),
            'h' => two(F::HourOfDay),
            'm' => two(F::Minute),
            's' => two(F::Second),
            'O' => Elem::Num {
                f: F::DayOfYear,
                min: if strict { 3 } else { 1 },
                max: 3,
                sign: Sign::NotNegative,
            },
            'f' => Elem::Opt(vec![Elem::Frac {
                min: 1,
                max: 9,
                point: true,
            }]),
            'z' => Elem::ZoneId,
            '[' => {
                stack.push(Vec::new());
                continue;
            }
            ']' => {
                let inner = stack.pop().unwrap_or_default();
                Elem::Opt(inner)
            }
            other => Elem::Lit(other.to_string()),
        };
        if let Some(top) = stack.last_mut() {
            if let (Elem::Lit(l), Some(Elem::Lit(prev))) = (&e, top.last_mut()) {
                prev.push_str(l);
                continue;
            }
            top.push(e);
        }
    }
    stack.pop().unwrap_or_default()
}

fn printer(pattern: &str) -> Printer {
    Printer::Elems(pattern::compile(pattern).unwrap_or_default())
}

/// The named format `name` (snake_case or camelCase), if Elasticsearch defines it.
pub(crate) fn named(name: &str) -> Option<Named> {
    let n = snake(name);
    let strict = n.starts_with("strict_");
    let base = n.strip_prefix("strict_").unwrap_or(&n);
    const OPT: &str = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX";
    let p = |spec: &str, print: &str| Named {
        parsers: vec![Parser::Elems(dsl(spec, strict))],
        printer: printer(print),
    };
    Some(match (n.as_str(), base) {
        ("iso8601", _) | ("strict_date_optional_time", _) => Named {
            parsers: vec![Parser::Iso { hms: false }],
            printer: printer(OPT),
        },
        ("strict_date_optional_time_nanos", _) => Named {
            parsers: vec![Parser::Iso { hms: true }],
            printer: Printer::Elems({
                let mut v = pattern::compile("yyyy-MM-dd'T'HH:mm:ss").unwrap_or_default();
                v.push(Elem::Frac {
                    min: 3,
                    max: 9,
                    point: true,
                });
                v.extend(pattern::compile("XXX").unwrap_or_default());
                v
            }),
        },
        ("date_optional_time", _) => Named {
            parsers: vec![Parser::Elems(dsl(
                "Y[-M[-D]][T[h[:m[:s[f][,f]]]][z]]",
                false,
            ))],
            printer: printer(OPT),
        },
        ("epoch_millis", _) => Named {
            parsers: vec![Parser::EpochMillis],
            printer: Printer::EpochMillis,
        },
        ("epoch_second", _) => Named {
            parsers: vec![Parser::EpochSecond],
            printer: Printer::EpochSecond,
        },
        (_, "date_time") => p("Y-M-DTh:m:sfz", OPT),
        (_, "date_time_no_millis") => p("Y-M-DTh:m:sz", "yyyy-MM-dd'T'HH:mm:ssXXX"),
        (_, "basic_date") => p("BMD", "yyyyMMdd"),
        (_, "basic_date_time") => p("BMDThmsfz", "yyyyMMdd'T'HHmmss.SSSXXX"),
        (_, "basic_date_time_no_millis") => p("BMDThmsz", "yyyyMMdd'T'HHmmssXXX"),
        (_, "basic_ordinal_date") => p("BO", "yyyyDDD"),
        (_, "basic_ordinal_date_time") => p("BOThmsfz", "yyyyDDD'T'HHmmss.SSSXXX"),
        (_, "basic_ordinal_date_time_no_millis") => p("BOThmsz", "yyyyDDD'T'HHmmssXXX"),
        (_, "basic_time") => p("hmsfz", "HHmmss.SSSXXX"),
        (_, "basic_time_no_millis") => p("hmsz", "HHmmssXXX"),
        (_, "basic_t_time") => p("Thmsfz", "'T'HHmmss.SSSXXX"),
        (_, "basic_t_time_no_millis") => p("Thmsz", "'T'HHmmssXXX"),
        (_, "date") | (_, "year_month_day") => p("Y-M-D", "yyyy-MM-dd"),
        (_, "date_hour") => p("Y-M-DTh", "yyyy-MM-dd'T'HH"),
        (_, "date_hour_minute") => p("Y-M-DTh:m", "yyyy-MM-dd'T'HH:mm"),
        (_, "date_hour_minute_second") => p("Y-M-DTh:m:s", "yyyy-MM-dd'T'HH:mm:ss"),
        (_, "date_hour_minute_second_fraction") | (_, "date_hour_minute_second_millis") => {
            p("Y-M-DTh:m:sf", "yyyy-MM-dd'T'HH:mm:ss.SSS")
        }
        (_, "hour") => p("h", "HH"),
        (_, "hour_minute") => p("h:m", "HH:mm"),
        (_, "hour_minute_second") => p("h:m:s", "HH:mm:ss"),
        (_, "hour_minute_second_fraction") | (_, "hour_minute_second_millis") => {
            p("h:m:sf", "HH:mm:ss.SSS")
        }
        (_, "ordinal_date") => p("Y-O", "yyyy-DDD"),
        (_, "ordinal_date_time") => p("Y-OTh:m:sfz", "yyyy-DDD'T'HH:mm:ss.SSSXXX"),
        (_, "ordinal_date_time_no_millis") => p("Y-OTh:m:sz", "yyyy-DDD'T'HH:mm:ssXXX"),
        (_, "time") => p("h:m:sfz", "HH:mm:ss.SSSXXX"),
        (_, "time_no_millis") => p("h:m:sz", "HH:mm:ssXXX"),
        (_, "t_time") => p("Th:m:sfz", "'T'HH:mm:ss.SSSXXX"),
        (_, "t_time_no_millis") => p("Th:m:sz", "'T'HH:mm:ssXXX"),
        (_, "year_month") => p("Y-M", "yyyy-MM"),
        (_, "year") => p("Y", "yyyy"),
        _ => return None,
    })
}

/// Elasticsearch's ISO 8601 parser: `yyyy[-MM[-dd[THH[:mm[:ss[.fffffffff]]][zone]]]]`.
pub(crate) fn parse_iso(text: &str, hms: bool) -> Option<Parsed> {
    let (neg, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let b = body.as_bytes();
    let len = b.len();
    let int = |from: usize, to: usize| -> Option<i64> {
        let s = body.get(from..to)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let mut p = Parsed::default();
    let year = int(0, 4)?;
    p.set(F::Year, if neg { -year } else { year });
    if len == 4 {
        return Some(p);
    }
    if b.get(4) != Some(&b'-') {
        return None;
    }
    let month = int(5, 7).filter(|m| *m <= 12)?;
    p.set(F::Month, month);
    if len == 7 {
        return Some(p);
    }
    if b.get(7) != Some(&b'-') {
        return None;
    }
    let day = int(8, 10).filter(|d| *d <= 31)?;
    p.set(F::Day, day);
    if len == 10 {
        return Some(p);
    }
    if b.get(10) != Some(&b'T') || len == 11 && hms {
        return None;
    }
    if len == 11 {
        return Some(p);
    }
    let hour = int(11, 13).filter(|h| *h <= 23)?;
    p.set(F::HourOfDay, hour);
    if len == 13 {
        return (!hms).then_some(p);
    }
    if b.get(13).copied().is_some_and(is_zone_start) {
        return (!hms).then_some(()).and_then(|_| with_zone(p, body, 13));
    }
    if b.get(13) != Some(&b':') {
        return None;
    }
    let minute = int(14, 16).filter(|m| *m <= 59)?;
    p.set(F::Minute, minute);
    if len == 16 {
        return (!hms).then_some(p);
    }
    if b.get(16).copied().is_some_and(is_zone_start) {
        return (!hms).then_some(()).and_then(|_| with_zone(p, body, 16));
    }
    if b.get(16) != Some(&b':') {
        return None;
    }
    let second = int(17, 19).filter(|s| *s <= 59)?;
    p.set(F::Second, second);
    if len == 19 {
        return Some(p);
    }
    if b.get(19).copied().is_some_and(is_zone_start) {
        return with_zone(p, body, 19);
    }
    if !matches!(b.get(19), Some(b'.') | Some(b',')) {
        return None;
    }
    let mut pos = 20;
    while pos < 29 && b.get(pos).is_some_and(u8::is_ascii_digit) {
        pos += 1;
    }
    if pos == 20 {
        return None;
    }
    let digits = body.get(20..pos)?;
    p.set(F::Nano, format!("{digits:0<9}").parse().ok()?);
    if pos == len {
        return Some(p);
    }
    if b.get(pos).copied().is_some_and(is_zone_start) {
        return with_zone(p, body, pos);
    }
    None
}

fn is_zone_start(c: u8) -> bool {
    c == b'+' || c == b'-' || c.is_ascii_alphabetic()
}

fn with_zone(mut p: Parsed, text: &str, pos: usize) -> Option<Parsed> {
    let rest = text.get(pos..)?;
    let zone = if rest == "Z" {
        Zone::UTC
    } else if rest.starts_with('+') || rest.starts_with('-') {
        Zone::Offset(iso_offset(rest)?)
    } else {
        Zone::of(rest).ok()?
    };
    p.zone = Some(zone);
    Some(p)
}

/// `±HH`, `±HH:MM`, `±HHMM`, `±HH:MM:SS`, `±HHMMSS` (colons used consistently).
fn iso_offset(s: &str) -> Option<i32> {
    // The caller saw a sign: one ASCII byte.
    let body = s.get(1..)?;
    let colon = body.as_bytes().get(2) == Some(&b':');
    let ok = match body.len() {
        2 => true,
        4 | 6 => !colon && body.bytes().all(|c| c.is_ascii_digit()),
        5 => colon,
        8 => colon && body.as_bytes().get(5) == Some(&b':'),
        _ => false,
    };
    if !ok {
        return None;
    }
    let v = parse_offset_id(s).ok()?;
    (v.unsigned_abs() < 24 * 3600).then_some(v)
}

/// An epoch value: optional `-`, digits, optional `.` and up to `frac_max` fraction digits.
/// Returns (whole units, nanos of the fraction scaled to `unit_nanos`).
pub(crate) fn parse_epoch(text: &str, frac_max: usize) -> Option<(i64, i64, bool)> {
    let (neg, body) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text),
    };
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    if int.is_empty() || int.len() > 19 || !int.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = int.parse().ok()?;
    let frac_digits = match frac {
        None => 0,
        Some(f) => {
            if f.is_empty() || f.len() > frac_max || !f.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            format!("{f:0<width$}", width = frac_max)
                .parse::<i64>()
                .ok()?
        }
    };
    Some((whole, frac_digits, neg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_parser() {
        let p = parse_iso("2024-08-05T15:41:18.411017Z", false).unwrap();
        assert_eq!(p.get(F::Nano), Some(411_017_000));
        assert_eq!(p.zone, Some(Zone::UTC));
        let p = parse_iso("2018-02-05T13:44:56.657+0100", false).unwrap();
        assert_eq!(p.zone, Some(Zone::Offset(3600)));
        assert!(parse_iso("2024-08-05 15:41:18", false).is_none());
        assert!(parse_iso("2024-08-05T15", true).is_none());
        assert!(parse_iso("2024-08-05", true).is_some());
        assert!(parse_iso("2024-13-05", false).is_none());
        assert!(parse_iso("2024-08-05T15:41:18.1234567890", false).is_none());
        let p = parse_iso("2024-08-05T15:41Europe/Paris", false).unwrap();
        assert_eq!(p.zone.unwrap().id(), "Europe/Paris");
    }

    #[test]
    fn names() {
        assert!(named("strictDateOptionalTime").is_some());
        assert!(named("basic_date_time").is_some());
        assert!(named("ISO_INSTANT").is_none());
        assert_eq!(
            parse_epoch("1688548995.987654321", 9),
            Some((1688548995, 987654321, false))
        );
        assert_eq!(parse_epoch("-1.5", 6), Some((1, 500000, true)));
        assert_eq!(parse_epoch("1e3", 6), None);
    }
}
