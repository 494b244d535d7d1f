//! Java `DateTimeFormatter` patterns: compiled into elements, parsed with backtracking, printed.

use super::ZonedDateTime;
use super::zone::{Zone, offset_id, parse_zone_prefix};
use chrono::{Datelike, Timelike};

/// A date-time field a pattern element reads or writes (java.time `ChronoField`s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum F {
    Era,
    YearOfEra,
    Year,
    WeekYear,
    Week,
    Month,
    Day,
    DayOfYear,
    DayOfWeek,
    AmPm,
    HourOfDay,
    ClockHourOfDay,
    HourOfAmPm,
    ClockHourOfAmPm,
    Minute,
    Second,
    Nano,
}

/// One slot per `F` (`Nano` is the last variant).
const NFIELDS: usize = F::Nano as usize + 1;

/// Java `SignStyle`, as far as strict parsing distinguishes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sign {
    Normal,
    NotNegative,
    ExceedsPad,
}

/// How long a text field is printed: `MMM`, `MMMM`, `MMMMM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Short,
    Full,
    Narrow,
}

/// Whether an offset part (minutes, seconds) is absent, optional or required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    No,
    Opt,
    Req,
}

/// One element of a compiled pattern.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Elem {
    Lit(String),
    Num {
        f: F,
        min: usize,
        max: usize,
        sign: Sign,
    },
    /// Two-digit year with base 2000 (`yy`).
    Reduced(F),
    Frac {
        min: usize,
        max: usize,
        point: bool,
    },
    Text(F, Style),
    Offset {
        colon: bool,
        min: Part,
        sec: Part,
        none: &'static str,
    },
    /// `GMT+1` (`O`) or `GMT+01:00` (`OOOO`, `ZZZZ`).
    LocalOffset {
        full: bool,
    },
    /// Zone names or ids (`z`, `v`); `full` prints the id.
    ZoneText {
        full: bool,
    },
    /// Zone id or offset (`VV`, ES's `appendZoneOrOffsetId`).
    ZoneId,
    Opt(Vec<Elem>),
}

/// Compiles a Java `DateTimeFormatter.ofPattern` pattern.
pub(crate) fn compile(pattern: &str) -> Result<Vec<Elem>, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut stack: Vec<Vec<Elem>> = vec![Vec::new()];
    let mut i = 0;
    while i < chars.len() {
        // In bounds: the loop condition.
        let c = chars[i];
        if c.is_ascii_alphabetic() {
            let mut n = 1;
            while chars.get(i + n) == Some(&c) {
                n += 1;
            }
            i += n;
            let e = letter(c, n)?;
            if let Some(top) = stack.last_mut() {
                top.push(e);
            }
            continue;
        }
        match c {
            '\'' => {
                let mut lit = String::new();
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None => {
                            return Err(format!(
                                "Pattern ends with an incomplete string literal: {pattern}"
                            ));
                        }
                        Some('\'') if chars.get(j + 1) == Some(&'\'') => {
                            lit.push('\'');
                            j += 2;
                        }
                        Some('\'') => break,
                        Some(ch) => {
                            lit.push(*ch);
                            j += 1;
                        }
                    }
                }
                if j == i + 1 {
                    lit.push('\'');
                }
                push_lit(&mut stack, &lit);
                i = j + 1;
            }
            '[' => {
                stack.push(Vec::new());
                i += 1;
            }
            ']' => {
                if stack.len() < 2 {
                    return Err("Pattern invalid as it contains ] without previous [".into());
                }
                let inner = stack.pop().unwrap_or_default();
                if let Some(top) = stack.last_mut() {
                    top.push(Elem::Opt(inner));
                }
                i += 1;
            }
            '{' | '}' | '#' => {
                return Err(format!("Pattern includes reserved character: '{c}'"));
            }
            _ => {
                push_lit(&mut stack, &c.to_string());
                i += 1;
            }
        }
    }
    while stack.len() > 1 {
        let inner = stack.pop().unwrap_or_default();
        if let Some(top) = stack.last_mut() {
            top.push(Elem::Opt(inner));
        }
    }
    Ok(stack.pop().unwrap_or_default())
}

fn push_lit(stack: &mut [Vec<Elem>], s: &str) {
    if let Some(top) = stack.last_mut() {
        if let Some(Elem::Lit(prev)) = top.last_mut() {
            prev.push_str(s);
        } else {
            top.push(Elem::Lit(s.to_string()));
        }
    }
}

fn num(f: F, min: usize, max: usize, sign: Sign) -> Elem {
    Elem::Num { f, min, max, sign }
}

fn too_many(c: char) -> String {
    format!("Too many pattern letters: {c}")
}

fn offset(colon: bool, min: Part, sec: Part, none: &'static str) -> Elem {
    Elem::Offset {
        colon,
        min,
        sec,
        none,
    }
}

/// One run of a pattern letter, as `DateTimeFormatterBuilder.appendPattern` maps it.
fn letter(c: char, n: usize) -> Result<Elem, String> {
    use Part::*;
    Ok(match c {
        'G' => match n {
            1..=3 => Elem::Text(F::Era, Style::Short),
            4 => Elem::Text(F::Era, Style::Full),
            5 => Elem::Text(F::Era, Style::Narrow),
            _ => return Err(too_many(c)),
        },
        'y' | 'u' | 'Y' => {
            let f = match c {
                'y' => F::YearOfEra,
                'u' => F::Year,
                _ => F::WeekYear,
            };
            match n {
                2 => Elem::Reduced(f),
                1 => num(f, 1, 19, Sign::Normal),
                3 => num(f, 3, 19, Sign::Normal),
                _ => num(f, n, 19, Sign::ExceedsPad),
            }
        }
        'M' | 'L' => match n {
            1 => num(F::Month, 1, 19, Sign::Normal),
            2 => num(F::Month, 2, 2, Sign::NotNegative),
            3 => Elem::Text(F::Month, Style::Short),
            4 => Elem::Text(F::Month, Style::Full),
            5 => Elem::Text(F::Month, Style::Narrow),
            _ => return Err(too_many(c)),
        },
        'd' | 'h' | 'H' | 'k' | 'K' | 'm' | 's' => {
            let f = match c {
                'd' => F::Day,
                'h' => F::ClockHourOfAmPm,
                'H' => F::HourOfDay,
                'k' => F::ClockHourOfDay,
                'K' => F::HourOfAmPm,
                'm' => F::Minute,
                _ => F::Second,
            };
            match n {
                1 => num(f, 1, 19, Sign::Normal),
                2 => num(f, 2, 2, Sign::NotNegative),
                _ => return Err(too_many(c)),
            }
        }
        'D' => match n {
            1 => num(F::DayOfYear, 1, 19, Sign::Normal),
            2 => num(F::DayOfYear, 2, 3, Sign::NotNegative),
            3 => num(F::DayOfYear, 3, 3, Sign::NotNegative),
            _ => return Err(too_many(c)),
        },
        'w' => match n {
            1 => num(F::Week, 1, 2, Sign::NotNegative),
            2 => num(F::Week, 2, 2, Sign::NotNegative),
            _ => return Err(too_many(c)),
        },
        'S' => Elem::Frac {
            min: n,
            max: n,
            point: false,
        },
        'n' => num(F::Nano, n, 19, Sign::NotNegative),
        'a' => match n {
            1 => Elem::Text(F::AmPm, Style::Short),
            _ => return Err(too_many(c)),
        },
        'E' => match n {
            1..=3 => Elem::Text(F::DayOfWeek, Style::Short),
            4 => Elem::Text(F::DayOfWeek, Style::Full),
            5 => Elem::Text(F::DayOfWeek, Style::Narrow),
            _ => return Err(too_many(c)),
        },
        'V' => match n {
            2 => Elem::ZoneId,
            _ => return Err(format!("Pattern letter count must be 2: {c}")),
        },
        'v' => match n {
            1 => Elem::ZoneText { full: false },
            4 => Elem::ZoneText { full: true },
            _ => return Err(format!("Wrong number of pattern letters: {c}")),
        },
        'z' => match n {
            1..=3 => Elem::ZoneText { full: false },
            4 => Elem::ZoneText { full: true },
            _ => return Err(too_many(c)),
        },
        'Z' => match n {
            1..=3 => offset(false, Req, No, "+0000"),
            4 => Elem::LocalOffset { full: true },
            5 => offset(true, Req, Opt, "Z"),
            _ => return Err(too_many(c)),
        },
        'O' => match n {
            1 => Elem::LocalOffset { full: false },
            4 => Elem::LocalOffset { full: true },
            _ => return Err(format!("Pattern letter count must be 1 or 4: {c}")),
        },
        'X' | 'x' => {
            let z = c == 'X';
            match n {
                1 => offset(false, Opt, No, if z { "Z" } else { "+00" }),
                2 => offset(false, Req, No, if z { "Z" } else { "+0000" }),
                3 => offset(true, Req, No, if z { "Z" } else { "+00:00" }),
                4 => offset(false, Req, Opt, if z { "Z" } else { "+0000" }),
                5 => offset(true, Req, Opt, if z { "Z" } else { "+00:00" }),
                _ => return Err(too_many(c)),
            }
        }
        'Q' | 'q' | 'W' | 'F' | 'A' | 'N' | 'g' | 'B' | 'e' | 'c' | 'p' => {
            return Err(format!("Pattern letter [{c}] is not supported by pipette"));
        }
        _ => return Err(format!("Unknown pattern letter: {c}")),
    })
}

/// Fields and zone read from a text, before resolution (java.time's `Parsed`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Parsed {
    v: [Option<i64>; NFIELDS],
    pub zone: Option<Zone>,
    pub offset: Option<i32>,
}

impl Parsed {
    pub fn get(&self, f: F) -> Option<i64> {
        // Every `F` is below NFIELDS (defined from the last variant).
        self.v[f as usize]
    }

    /// Stores a field; a different earlier value for the same field is a conflict.
    pub fn set(&mut self, f: F, val: i64) -> bool {
        // Every `F` is below NFIELDS (defined from the last variant).
        match self.v[f as usize] {
            Some(old) if old != val => false,
            _ => {
                // As above.
                self.v[f as usize] = Some(val);
                true
            }
        }
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// The names a text field has in English / Locale.ROOT, with their values.
fn names(f: F, style: Style) -> Vec<(String, i64)> {
    let cut = |s: &str, n: usize| s.chars().take(n).collect::<String>();
    match f {
        F::Month => MONTHS
            .iter()
            .zip(1..)
            .map(|(m, i)| match style {
                Style::Full => (m.to_string(), i),
                Style::Short => (cut(m, 3), i),
                Style::Narrow => (cut(m, 1), i),
            })
            .collect(),
        F::DayOfWeek => DAYS
            .iter()
            .zip(1..)
            .map(|(d, i)| match style {
                Style::Full => (d.to_string(), i),
                Style::Short => (cut(d, 3), i),
                Style::Narrow => (cut(d, 1), i),
            })
            .collect(),
        F::AmPm => vec![("AM".into(), 0), ("PM".into(), 1)],
        F::Era => match style {
            Style::Full => vec![("Before Christ".into(), 0), ("Anno Domini".into(), 1)],
            Style::Short => vec![("BC".into(), 0), ("AD".into(), 1)],
            Style::Narrow => vec![("B".into(), 0), ("A".into(), 1)],
        },
        _ => Vec::new(),
    }
}

/// The rest of a pattern still to match: a slice, then what follows it.
struct Cont<'a> {
    elems: &'a [Elem],
    next: Option<&'a Cont<'a>>,
}

/// Parses all of `text` with `elems`; `None` when it does not match.
pub(crate) fn parse(elems: &[Elem], text: &str) -> Option<Parsed> {
    let c = Cont { elems, next: None };
    run(Some(&c), text, 0, &Parsed::default())
}

fn run(c: Option<&Cont<'_>>, text: &str, pos: usize, st: &Parsed) -> Option<Parsed> {
    let Some(c) = c else {
        return (pos == text.len()).then(|| st.clone());
    };
    let Some((first, rest)) = c.elems.split_first() else {
        return run(c.next, text, pos, st);
    };
    let rest_c = Cont {
        elems: rest,
        next: c.next,
    };
    if let Elem::Opt(inner) = first {
        let inner_c = Cont {
            elems: inner,
            next: Some(&rest_c),
        };
        return run(Some(&inner_c), text, pos, st).or_else(|| run(Some(&rest_c), text, pos, st));
    }
    for (npos, nst) in candidates(first, text, pos, st) {
        if let Some(done) = run(Some(&rest_c), text, npos, &nst) {
            return Some(done);
        }
    }
    None
}

fn digit_run(text: &str, pos: usize, max: usize) -> usize {
    text.as_bytes()
        .get(pos..)
        .map(|b| {
            b.iter()
                .take(max)
                .take_while(|c| c.is_ascii_digit())
                .count()
        })
        .unwrap_or(0)
}

fn digits_value(text: &str, from: usize, n: usize) -> Option<i64> {
    text.get(from..from + n)?.parse().ok()
}

/// Every way one element can match at `pos`, best (longest) first.
fn candidates(e: &Elem, text: &str, pos: usize, st: &Parsed) -> Vec<(usize, Parsed)> {
    let mut out = Vec::new();
    let rest = text.get(pos..).unwrap_or("");
    let with = |f: F, v: i64| {
        let mut s = st.clone();
        s.set(f, v).then_some(s)
    };
    match e {
        Elem::Lit(l) => {
            if rest.starts_with(l.as_str()) {
                out.push((pos + l.len(), st.clone()));
            }
        }
        Elem::Num { f, min, max, sign } => {
            let (neg, signed, start) = match rest.as_bytes().first() {
                Some(b'-') if *sign != Sign::NotNegative => (true, true, pos + 1),
                Some(b'+') if *sign == Sign::ExceedsPad => (false, true, pos + 1),
                _ => (false, false, pos),
            };
            let avail = digit_run(text, start, (*max).min(18));
            let (lo, hi) = match (sign, signed) {
                (Sign::ExceedsPad, false) => (*min, (*min).min(avail)),
                (Sign::ExceedsPad, true) => (*min + 1, avail),
                _ => (*min, avail),
            };
            let mut n = hi;
            while n >= lo.max(1) {
                if let Some(v) = digits_value(text, start, n)
                    && let Some(s) = with(*f, if neg { -v } else { v })
                {
                    out.push((start + n, s));
                }
                n -= 1;
            }
        }
        Elem::Reduced(f) => {
            if digit_run(text, pos, 2) == 2
                && let Some(v) = digits_value(text, pos, 2)
                && let Some(s) = with(*f, 2000 + v)
            {
                out.push((pos + 2, s));
            }
        }
        Elem::Frac { min, max, point } => {
            let mut start = pos;
            if *point {
                if rest.starts_with('.') {
                    start += 1;
                } else {
                    if *min == 0 {
                        out.push((pos, st.clone()));
                    }
                    return out;
                }
            }
            let avail = digit_run(text, start, *max);
            let mut n = avail;
            while n >= *min && n > 0 {
                if let Some(digits) = text.get(start..start + n) {
                    let nanos: i64 = format!("{digits:0<9}").parse().unwrap_or(0);
                    if let Some(s) = with(F::Nano, nanos) {
                        out.push((start + n, s));
                    }
                }
                n -= 1;
            }
        }
        Elem::Text(f, style) => {
            let mut ns = names(*f, *style);
            ns.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
            for (name, v) in ns {
                if rest.starts_with(name.as_str())
                    && let Some(s) = with(*f, v)
                {
                    out.push((pos + name.len(), s));
                }
            }
        }
        Elem::Offset {
            colon,
            min,
            sec,
            none,
        } => {
            if !none.is_empty() && rest.starts_with(none) {
                let mut s = st.clone();
                if s.offset.is_none_or(|o| o == 0) {
                    s.offset = Some(0);
                    out.push((pos + none.len(), s));
                }
                return out;
            }
            if let Some((secs, n)) = parse_offset(rest, *colon, *min, *sec) {
                let mut s = st.clone();
                if s.offset.is_none_or(|o| o == secs) {
                    s.offset = Some(secs);
                    out.push((pos + n, s));
                }
            }
        }
        Elem::LocalOffset { full } => {
            if let Some(after) = rest.strip_prefix("GMT") {
                let (secs, n) = parse_gmt_offset(after, *full).unwrap_or((0, 0));
                let mut s = st.clone();
                if s.offset.is_none_or(|o| o == secs) {
                    s.offset = Some(secs);
                    out.push((pos + 3 + n, s));
                }
            }
        }
        Elem::ZoneText { .. } | Elem::ZoneId => {
            let names = matches!(e, Elem::ZoneText { .. });
            if let Some((zone, n)) = parse_zone_prefix(rest, names) {
                let mut s = st.clone();
                if s.zone.as_ref().is_none_or(|z| *z == zone) {
                    s.zone = Some(zone);
                    out.push((pos + n, s));
                }
            }
        }
        Elem::Opt(_) => {}
    }
    out
}

/// A strict `+HH[:]MM[:]ss` offset at the start of `text`.
fn parse_offset(text: &str, colon: bool, min: Part, sec: Part) -> Option<(i32, usize)> {
    let b = text.as_bytes();
    let neg = match b.first()? {
        b'+' => false,
        b'-' => true,
        _ => return None,
    };
    let two = |at: usize| -> Option<i32> {
        (digit_run(text, at, 2) == 2).then(|| digits_value(text, at, 2).map(|v| v as i32))?
    };
    let h = two(1)?;
    let mut pos = 3;
    let part = |p: Part, pos: &mut usize| -> Option<Option<i32>> {
        if p == Part::No {
            return Some(None);
        }
        let at = if colon { *pos + 1 } else { *pos };
        let ok = !colon || b.get(*pos) == Some(&b':');
        match (ok, ok.then(|| two(at)).flatten()) {
            (true, Some(v)) => {
                *pos = at + 2;
                Some(Some(v))
            }
            _ if p == Part::Req => None,
            _ => Some(None),
        }
    };
    let m = part(min, &mut pos)?;
    let s = if m.is_some() {
        part(sec, &mut pos)?
    } else {
        None
    };
    let (m, s) = (m.unwrap_or(0), s.unwrap_or(0));
    if h > 18 || m > 59 || s > 59 {
        return None;
    }
    let total = h * 3600 + m * 60 + s;
    Some((if neg { -total } else { total }, pos))
}

/// The part of `GMT+1` / `GMT+01:00` after `GMT`.
fn parse_gmt_offset(text: &str, full: bool) -> Option<(i32, usize)> {
    let neg = match text.as_bytes().first()? {
        b'+' => false,
        b'-' => true,
        _ => return None,
    };
    let hd = digit_run(text, 1, 2);
    if hd == 0 || (full && hd != 2) {
        return None;
    }
    let h = digits_value(text, 1, hd)? as i32;
    let mut pos = 1 + hd;
    let mut m = 0;
    if text.as_bytes().get(pos) == Some(&b':') && digit_run(text, pos + 1, 2) == 2 {
        m = digits_value(text, pos + 1, 2)? as i32;
        pos += 3;
    } else if full {
        return None;
    }
    let total = h * 3600 + m * 60;
    Some((if neg { -total } else { total }, pos))
}

/// Prints a date-time with compiled pattern elements.
pub(crate) fn format(elems: &[Elem], t: &ZonedDateTime, out: &mut String) {
    let local = t.local();
    let off = t.offset();
    for e in elems {
        match e {
            Elem::Lit(l) => out.push_str(l),
            Elem::Num { f, min, sign, .. } => {
                let v = field_value(*f, &local);
                let mut buf = itoa::Buffer::new();
                let digits = buf.format(v.unsigned_abs());
                if v < 0 {
                    out.push('-');
                } else if *sign == Sign::ExceedsPad && digits.len() > *min {
                    out.push('+');
                }
                push_padded(out, digits, *min);
            }
            Elem::Reduced(f) => {
                let v = field_value(*f, &local).rem_euclid(100);
                push_padded(out, itoa::Buffer::new().format(v), 2);
            }
            Elem::Frac { min, max, point } => {
                let mut nanos = itoa::Buffer::new();
                // Nine digits, zero-padded on the left (nanoseconds are below 10^9).
                let mut padded = [b'0'; 9];
                let text = nanos.format(local.nanosecond() % 1_000_000_000);
                padded[9 - text.len()..].copy_from_slice(text.as_bytes());
                let mut d: &[u8] = &padded[..(*max).min(9)];
                while d.len() > *min && d.last() == Some(&b'0') {
                    // Ends with an ASCII '0': at least one byte to drop.
                    d = &d[..d.len() - 1];
                }
                if !d.is_empty() && *point {
                    out.push('.');
                }
                out.extend(d.iter().map(|&b| char::from(b)));
            }
            Elem::Text(f, style) => {
                let v = field_value(*f, &local);
                if let Some((name, _)) = names(*f, *style).into_iter().find(|(_, i)| *i == v) {
                    out.push_str(&name);
                }
            }
            Elem::Offset {
                colon,
                min,
                sec,
                none,
            } => {
                if off == 0 {
                    out.push_str(none);
                    continue;
                }
                let a = off.unsigned_abs();
                let (h, m, s) = (a / 3600, a / 60 % 60, a % 60);
                out.push(if off < 0 { '-' } else { '+' });
                push_padded(out, itoa::Buffer::new().format(h), 2);
                let sep = if *colon { ":" } else { "" };
                let print_min = *min == Part::Req || (*min == Part::Opt && (m != 0 || s != 0));
                if print_min {
                    out.push_str(sep);
                    push_padded(out, itoa::Buffer::new().format(m), 2);
                    if *sec == Part::Req || (*sec == Part::Opt && s != 0) {
                        out.push_str(sep);
                        push_padded(out, itoa::Buffer::new().format(s), 2);
                    }
                }
            }
            Elem::LocalOffset { full } => {
                out.push_str("GMT");
                if off != 0 {
                    let a = off.unsigned_abs();
                    let (h, m) = (a / 3600, a / 60 % 60);
                    out.push(if off < 0 { '-' } else { '+' });
                    if *full {
                        out.push_str(&format!("{h:02}:{m:02}"));
                    } else if m != 0 {
                        out.push_str(&format!("{h}:{m:02}"));
                    } else {
                        out.push_str(&h.to_string());
                    }
                }
            }
            Elem::ZoneText { full } => {
                if *full {
                    out.push_str(&t.zone.id());
                } else {
                    out.push_str(&t.zone.short_name(&t.utc));
                }
            }
            Elem::ZoneId => out.push_str(&t.zone.id()),
            Elem::Opt(inner) => format(inner, t, out),
        }
    }
    let _ = offset_id;
}

/// Appends `digits`, zero-padded on the left to at least `min` of them.
fn push_padded(out: &mut String, digits: &str, min: usize) {
    const ZEROS: &str = "0000000000000000";
    let mut pad = min.saturating_sub(digits.len());
    while pad > 0 {
        let n = pad.min(ZEROS.len());
        // ZEROS is ASCII and n is at most its length.
        out.push_str(&ZEROS[..n]);
        pad -= n;
    }
    out.push_str(digits);
}

fn field_value(f: F, t: &chrono::NaiveDateTime) -> i64 {
    let d = t.date();
    match f {
        F::Era => i64::from(d.year() > 0),
        F::YearOfEra => {
            let y = d.year() as i64;
            if y > 0 { y } else { 1 - y }
        }
        F::Year => d.year() as i64,
        F::WeekYear => d.iso_week().year() as i64,
        F::Week => d.iso_week().week() as i64,
        F::Month => d.month() as i64,
        F::Day => d.day() as i64,
        F::DayOfYear => d.ordinal() as i64,
        F::DayOfWeek => d.weekday().number_from_monday() as i64,
        F::AmPm => (t.hour() / 12) as i64,
        F::HourOfDay => t.hour() as i64,
        F::ClockHourOfDay => {
            let h = t.hour() as i64;
            if h == 0 { 24 } else { h }
        }
        F::HourOfAmPm => (t.hour() % 12) as i64,
        F::ClockHourOfAmPm => {
            let h = (t.hour() % 12) as i64;
            if h == 0 { 12 } else { h }
        }
        F::Minute => t.minute() as i64,
        F::Second => t.second() as i64,
        F::Nano => (t.nanosecond() % 1_000_000_000) as i64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compile_errors_match_java() {
        assert_eq!(
            compile("yyyy-MM-dd HHH").unwrap_err(),
            "Too many pattern letters: H"
        );
        assert_eq!(
            compile("ISO_INSTANT").unwrap_err(),
            "Unknown pattern letter: I"
        );
        assert_eq!(
            compile("yyyy 'T").unwrap_err(),
            "Pattern ends with an incomplete string literal: yyyy 'T"
        );
        assert_eq!(
            compile("yyyy]").unwrap_err(),
            "Pattern invalid as it contains ] without previous ["
        );
        assert_eq!(
            compile("yyyy#").unwrap_err(),
            "Pattern includes reserved character: '#'"
        );
        assert_eq!(compile("''").unwrap(), vec![Elem::Lit("'".into())]);
        assert_eq!(
            compile("'o''clock'").unwrap(),
            vec![Elem::Lit("o'clock".into())]
        );
    }

    #[test]
    fn adjacent_numbers_backtrack() {
        let p = parse(&compile("yyyyMMdd'T'HHmmss").unwrap(), "20240805T154118").unwrap();
        assert_eq!(p.get(F::YearOfEra), Some(2024));
        assert_eq!(p.get(F::Day), Some(5));
        assert_eq!(p.get(F::Second), Some(18));
        assert!(parse(&compile("SSS").unwrap(), "1234").is_none());
        assert!(parse(&compile("MMM  d").unwrap(), "Aug 5").is_none());
        assert!(parse(&compile("MMM").unwrap(), "aug").is_none());
    }

    #[test]
    fn digits_pad_as_format_does() {
        for n in [0u64, 7, 10, 99, 100, 123_456_789, 999_999_999, u64::MAX] {
            for min in 0..12 {
                let mut out = String::new();
                push_padded(&mut out, itoa::Buffer::new().format(n), min);
                assert_eq!(out, format!("{n:0min$}"));
            }
        }
    }
}
