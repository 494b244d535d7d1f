//! java.time as Painless whitelists it: `ZonedDateTime`, `Instant`, `LocalDateTime`, `LocalDate`,
//! `LocalTime`, `Duration`, `ZoneId`/`ZoneOffset`, `ChronoUnit`, `DateTimeFormatter`, `DayOfWeek`
//! and `Month`, with Java's `toString` of each and the text a date becomes in a document.
//!
//! Patterns (`DateTimeFormatter.ofPattern`) compile with [`crate::dates`]; java.time's ISO
//! formats (strict fields, lenient offsets, `[region]`) are read by the small parser here. There is
//! no clock: Painless does not whitelist `now()`; `metadata().now` is the ingest timestamp.

use super::ast::Ty;
use super::interp::{Exc, Res, convert};
use super::value::{JStr, Obj, V};
use crate::dates::{DateFormatter, Zone, ZonedDateTime as Zdt, offset_id};
use chrono::{Datelike, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike};
use std::cmp::Ordering;
use std::rc::Rc;
use std::sync::Arc;

const NANOS_PER_SEC: i128 = 1_000_000_000;
const NANOS_PER_DAY: i128 = 86_400 * NANOS_PER_SEC;

/// `java.time.temporal.ChronoUnit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Unit {
    /// NANOS.
    Nanos,
    /// MICROS.
    Micros,
    /// MILLIS.
    Millis,
    /// SECONDS.
    Seconds,
    /// MINUTES.
    Minutes,
    /// HOURS.
    Hours,
    /// HALF_DAYS.
    HalfDays,
    /// DAYS.
    Days,
    /// WEEKS.
    Weeks,
    /// MONTHS.
    Months,
    /// YEARS.
    Years,
    /// DECADES.
    Decades,
    /// CENTURIES.
    Centuries,
    /// MILLENNIA.
    Millennia,
    /// ERAS.
    Eras,
    /// FOREVER.
    Forever,
}

/// (constant, Java `toString`, unit).
const UNITS: &[(&str, &str, Unit)] = &[
    ("NANOS", "Nanos", Unit::Nanos),
    ("MICROS", "Micros", Unit::Micros),
    ("MILLIS", "Millis", Unit::Millis),
    ("SECONDS", "Seconds", Unit::Seconds),
    ("MINUTES", "Minutes", Unit::Minutes),
    ("HOURS", "Hours", Unit::Hours),
    ("HALF_DAYS", "HalfDays", Unit::HalfDays),
    ("DAYS", "Days", Unit::Days),
    ("WEEKS", "Weeks", Unit::Weeks),
    ("MONTHS", "Months", Unit::Months),
    ("YEARS", "Years", Unit::Years),
    ("DECADES", "Decades", Unit::Decades),
    ("CENTURIES", "Centuries", Unit::Centuries),
    ("MILLENNIA", "Millennia", Unit::Millennia),
    ("ERAS", "Eras", Unit::Eras),
    ("FOREVER", "Forever", Unit::Forever),
];

impl Unit {
    fn names(self) -> (&'static str, &'static str) {
        UNITS
            .iter()
            .find(|(_, _, u)| *u == self)
            .map_or(("NANOS", "Nanos"), |(c, s, _)| (*c, *s))
    }

    /// Nanoseconds in one unit (estimated for months and longer, as Java's `getDuration`).
    fn nanos(self) -> i128 {
        let year = 31_556_952 * NANOS_PER_SEC;
        match self {
            Unit::Nanos => 1,
            Unit::Micros => 1_000,
            Unit::Millis => 1_000_000,
            Unit::Seconds => NANOS_PER_SEC,
            Unit::Minutes => 60 * NANOS_PER_SEC,
            Unit::Hours => 3_600 * NANOS_PER_SEC,
            Unit::HalfDays => 43_200 * NANOS_PER_SEC,
            Unit::Days => NANOS_PER_DAY,
            Unit::Weeks => 7 * NANOS_PER_DAY,
            Unit::Months => year / 12,
            Unit::Years => year,
            Unit::Decades => year * 10,
            Unit::Centuries => year * 100,
            Unit::Millennia => year * 1_000,
            Unit::Eras => year * 1_000_000_000,
            Unit::Forever => i64::MAX as i128 * NANOS_PER_SEC + 999_999_999,
        }
    }

    fn is_time_based(self) -> bool {
        self < Unit::Days
    }

    fn is_date_based(self) -> bool {
        self >= Unit::Days && self != Unit::Forever
    }

    /// Months in one unit, for MONTHS and longer.
    fn months(self) -> Option<i64> {
        Some(match self {
            Unit::Months => 1,
            Unit::Years => 12,
            Unit::Decades => 120,
            Unit::Centuries => 1_200,
            Unit::Millennia => 12_000,
            _ => return None,
        })
    }
}

/// An ISO formatter constant of `DateTimeFormatter`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Iso {
    LocalDate,
    OffsetDate,
    Date,
    LocalTime,
    OffsetTime,
    Time,
    LocalDateTime,
    OffsetDateTime,
    ZonedDateTime,
    DateTime,
    Instant,
    BasicDate,
}

const ISO_NAMES: &[(&str, Iso)] = &[
    ("ISO_LOCAL_DATE", Iso::LocalDate),
    ("ISO_OFFSET_DATE", Iso::OffsetDate),
    ("ISO_DATE", Iso::Date),
    ("ISO_LOCAL_TIME", Iso::LocalTime),
    ("ISO_OFFSET_TIME", Iso::OffsetTime),
    ("ISO_TIME", Iso::Time),
    ("ISO_LOCAL_DATE_TIME", Iso::LocalDateTime),
    ("ISO_OFFSET_DATE_TIME", Iso::OffsetDateTime),
    ("ISO_ZONED_DATE_TIME", Iso::ZonedDateTime),
    ("ISO_DATE_TIME", Iso::DateTime),
    ("ISO_INSTANT", Iso::Instant),
    ("BASIC_ISO_DATE", Iso::BasicDate),
];

/// What a formatter parses and prints.
#[derive(Debug, Clone, PartialEq)]
enum FmtKind {
    Iso(Iso),
    /// `ofPattern`: the pattern and its compiled form.
    Pattern(String, DateFormatter),
}

/// A `DateTimeFormatter`, possibly with an override zone (`withZone`).
#[derive(Debug, Clone, PartialEq)]
pub struct Formatter {
    kind: FmtKind,
    zone: Option<Zone>,
}

/// A java.time object.
#[derive(Debug, Clone, PartialEq)]
pub enum Time {
    /// `ZonedDateTime`: the instant (as UTC) and its zone.
    Zoned(NaiveDateTime, Zone),
    /// `Instant` (as UTC).
    Instant(NaiveDateTime),
    /// `LocalDateTime`.
    LocalDateTime(NaiveDateTime),
    /// `LocalDate`.
    LocalDate(NaiveDate),
    /// `LocalTime`.
    LocalTime(NaiveTime),
    /// `Duration`, in nanoseconds.
    Duration(i128),
    /// `ZoneId` (a `ZoneOffset` when it is [`Zone::Offset`]).
    Zone(Zone),
    /// `ChronoUnit`.
    Unit(Unit),
    /// `DateTimeFormatter`.
    Formatter(Arc<Formatter>),
    /// `DayOfWeek` (1 = MONDAY).
    DayOfWeek(u8),
    /// `Month` (1 = JANUARY).
    Month(u8),
}

const DAYS: [&str; 7] = [
    "MONDAY",
    "TUESDAY",
    "WEDNESDAY",
    "THURSDAY",
    "FRIDAY",
    "SATURDAY",
    "SUNDAY",
];
const MONTHS: [&str; 12] = [
    "JANUARY",
    "FEBRUARY",
    "MARCH",
    "APRIL",
    "MAY",
    "JUNE",
    "JULY",
    "AUGUST",
    "SEPTEMBER",
    "OCTOBER",
    "NOVEMBER",
    "DECEMBER",
];

/// Painless classes of this module, with their Java names.
pub const CLASSES: &[(&str, &str)] = &[
    ("ZonedDateTime", "java.time.ZonedDateTime"),
    ("Instant", "java.time.Instant"),
    ("LocalDateTime", "java.time.LocalDateTime"),
    ("LocalDate", "java.time.LocalDate"),
    ("LocalTime", "java.time.LocalTime"),
    ("Duration", "java.time.Duration"),
    ("ZoneId", "java.time.ZoneId"),
    ("ZoneOffset", "java.time.ZoneOffset"),
    ("ChronoUnit", "java.time.temporal.ChronoUnit"),
    ("DateTimeFormatter", "java.time.format.DateTimeFormatter"),
    ("DayOfWeek", "java.time.DayOfWeek"),
    ("Month", "java.time.Month"),
    ("Temporal", "java.time.temporal.Temporal"),
    ("TemporalAccessor", "java.time.temporal.TemporalAccessor"),
    ("TemporalAmount", "java.time.temporal.TemporalAmount"),
    ("TemporalUnit", "java.time.temporal.TemporalUnit"),
    (
        "ChronoZonedDateTime",
        "java.time.chrono.ChronoZonedDateTime",
    ),
    ("DateTimeException", "java.time.DateTimeException"),
    (
        "DateTimeParseException",
        "java.time.format.DateTimeParseException",
    ),
    (
        "UnsupportedTemporalTypeException",
        "java.time.temporal.UnsupportedTemporalTypeException",
    ),
    ("ZoneRulesException", "java.time.zone.ZoneRulesException"),
];

/// The parent class of a java.time exception.
pub fn exception_parent(c: &str) -> Option<&'static str> {
    match c {
        "DateTimeException" => Some("RuntimeException"),
        "DateTimeParseException" | "UnsupportedTemporalTypeException" | "ZoneRulesException" => {
            Some("DateTimeException")
        }
        _ => None,
    }
}

/// `v instanceof c` for the classes of this module (`None`: not one of them).
pub fn is_instance(v: &V<'_>, c: &str) -> Option<bool> {
    let t = match v {
        V::Obj(o) => match &**o {
            Obj::Time(t) => Some(t),
            _ => None,
        },
        _ => None,
    };
    let is = |f: fn(&Time) -> bool| t.is_some_and(f);
    Some(match c {
        "ZonedDateTime" | "ChronoZonedDateTime" => is(|t| matches!(t, Time::Zoned(..))),
        "Instant" => is(|t| matches!(t, Time::Instant(_))),
        "LocalDateTime" => is(|t| matches!(t, Time::LocalDateTime(_))),
        "LocalDate" => is(|t| matches!(t, Time::LocalDate(_))),
        "LocalTime" => is(|t| matches!(t, Time::LocalTime(_))),
        "Duration" | "TemporalAmount" => is(|t| matches!(t, Time::Duration(_))),
        "ZoneId" => is(|t| matches!(t, Time::Zone(_))),
        "ZoneOffset" => is(|t| matches!(t, Time::Zone(Zone::Offset(_)))),
        "ChronoUnit" | "TemporalUnit" => is(|t| matches!(t, Time::Unit(_))),
        "DateTimeFormatter" => is(|t| matches!(t, Time::Formatter(_))),
        "DayOfWeek" => is(|t| matches!(t, Time::DayOfWeek(_))),
        "Month" => is(|t| matches!(t, Time::Month(_))),
        "Temporal" => is(|t| {
            matches!(
                t,
                Time::Zoned(..)
                    | Time::Instant(_)
                    | Time::LocalDateTime(_)
                    | Time::LocalDate(_)
                    | Time::LocalTime(_)
            )
        }),
        "TemporalAccessor" => is(|t| {
            matches!(
                t,
                Time::Zoned(..)
                    | Time::Instant(_)
                    | Time::LocalDateTime(_)
                    | Time::LocalDate(_)
                    | Time::LocalTime(_)
                    | Time::Zone(Zone::Offset(_))
                    | Time::DayOfWeek(_)
                    | Time::Month(_)
            )
        }),
        "Comparable" if t.is_none() => return None,
        "Comparable" => is(|t| {
            !matches!(
                t,
                Time::Zone(Zone::Region(_) | Zone::Fixed { .. }) | Time::Formatter(_)
            )
        }),
        _ => return None,
    })
}

// ---------- errors ----------

fn dte(msg: impl Into<String>) -> Exc {
    Exc::new("DateTimeException", msg)
}

fn unsupported_unit(u: Unit) -> Exc {
    Exc::new(
        "UnsupportedTemporalTypeException",
        format!("Unsupported unit: {}", u.names().1),
    )
}

fn unsupported_field(f: &str) -> Exc {
    Exc::new(
        "UnsupportedTemporalTypeException",
        format!("Unsupported field: {f}"),
    )
}

fn overflow() -> Exc {
    Exc::new("ArithmeticException", "long overflow")
}

fn range(field: &str, lo: i64, hi: &str, v: i64) -> Exc {
    dte(format!(
        "Invalid value for {field} (valid values {lo} - {hi}): {v}"
    ))
}

fn check(field: &str, lo: i64, hi: i64, v: i64) -> Res<u32> {
    if (lo..=hi).contains(&v) {
        Ok(v as u32)
    } else {
        Err(range(field, lo, &hi.to_string(), v))
    }
}

// ---------- printing ----------

fn push_date(d: NaiveDate, out: &mut String) {
    let y = d.year();
    if y.abs() < 1000 {
        if y < 0 {
            out.push_str(&format!("-{:04}", -y));
        } else {
            out.push_str(&format!("{y:04}"));
        }
    } else {
        if y > 9999 {
            out.push('+');
        }
        out.push_str(&y.to_string());
    }
    out.push_str(&format!("-{:02}-{:02}", d.month(), d.day()));
}

fn nano_of(t: &NaiveTime) -> u32 {
    t.nanosecond().min(999_999_999)
}

/// Fraction digits as `toString` prints them: groups of three.
fn push_frac_groups(n: u32, out: &mut String) {
    if n == 0 {
        return;
    }
    if n.is_multiple_of(1_000_000) {
        out.push_str(&format!(".{:03}", n / 1_000_000));
    } else if n.is_multiple_of(1_000) {
        out.push_str(&format!(".{:06}", n / 1_000));
    } else {
        out.push_str(&format!(".{n:09}"));
    }
}

/// `LocalTime.toString`: seconds only when not zero.
fn push_time(t: NaiveTime, out: &mut String) {
    out.push_str(&format!("{:02}:{:02}", t.hour(), t.minute()));
    let n = nano_of(&t);
    if t.second() > 0 || n > 0 {
        out.push_str(&format!(":{:02}", t.second()));
        push_frac_groups(n, out);
    }
}

/// ISO_LOCAL_TIME printing: seconds always, the fraction without trailing zeros.
fn push_iso_time(t: NaiveTime, out: &mut String) {
    out.push_str(&format!(
        "{:02}:{:02}:{:02}",
        t.hour(),
        t.minute(),
        t.second()
    ));
    let n = nano_of(&t);
    if n > 0 {
        let f = format!("{n:09}");
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
}

/// ISO_INSTANT printing (`Instant.toString`).
fn push_instant(utc: NaiveDateTime, out: &mut String) {
    push_date(utc.date(), out);
    let t = utc.time();
    out.push_str(&format!(
        "T{:02}:{:02}:{:02}",
        t.hour(),
        t.minute(),
        t.second()
    ));
    push_frac_groups(nano_of(&t), out);
    out.push('Z');
}

fn offset_at(utc: &NaiveDateTime, zone: &Zone) -> i32 {
    zone.offset_at(utc)
}

fn local_of(utc: &NaiveDateTime, zone: &Zone) -> NaiveDateTime {
    // Every instant a `Time` holds went through `bounded` (a day inside chrono's range) and an
    // offset is at most 18 hours, so this never falls back.
    utc.checked_add_signed(TimeDelta::seconds(offset_at(utc, zone) as i64))
        .unwrap_or(*utc)
}

/// Days kept free at each end of chrono's range, so that an instant shifted by a zone offset
/// (at most 18 hours) or looked up a day back (a gap in `Zone::local_to_utc`) stays representable.
const EDGE_DAYS: i64 = 2;

/// An instant or local date-time a zone is about to be applied to, or the error when it lies
/// within [`EDGE_DAYS`] of the range pipette can represent (years ±262,000; Java's reaches
/// ±1,000,000,000, where pipette fails instead of answering).
fn bounded(t: NaiveDateTime) -> Res<NaiveDateTime> {
    let from_min = t.date().signed_duration_since(NaiveDate::MIN).num_days();
    let to_max = NaiveDate::MAX.signed_duration_since(t.date()).num_days();
    if from_min < EDGE_DAYS || to_max < EDGE_DAYS {
        return Err(dte("Instant exceeds minimum or maximum instant"));
    }
    Ok(t)
}

/// The UTC instant of a local date-time at a fixed offset.
fn utc_at_offset(local: NaiveDateTime, offset: i32) -> Res<NaiveDateTime> {
    bounded(local)?
        .checked_sub_signed(TimeDelta::seconds(offset as i64))
        .ok_or_else(|| dte("Instant exceeds minimum or maximum instant"))
}

/// The UTC instant of a local date-time in `zone`, keeping `preferred` at an overlap.
fn resolve_local(local: NaiveDateTime, zone: &Zone, preferred: Option<i32>) -> Res<NaiveDateTime> {
    let local = bounded(local)?;
    if let Some(p) = preferred {
        let utc = utc_at_offset(local, p)?;
        if zone.offset_at(&utc) == p && local_of(&utc, zone) == local {
            return Ok(utc);
        }
    }
    Ok(zone.local_to_utc(&local))
}

fn duration_string(total: i128) -> String {
    if total == 0 {
        return "PT0S".into();
    }
    let seconds = total.div_euclid(NANOS_PER_SEC);
    let nanos = total.rem_euclid(NANOS_PER_SEC);
    let effective = if seconds < 0 && nanos > 0 {
        seconds + 1
    } else {
        seconds
    };
    let hours = effective / 3600;
    let minutes = (effective % 3600) / 60;
    let secs = effective % 60;
    let mut out = String::from("PT");
    if hours != 0 {
        out.push_str(&format!("{hours}H"));
    }
    if minutes != 0 {
        out.push_str(&format!("{minutes}M"));
    }
    if secs == 0 && nanos == 0 && out.len() > 2 {
        return out;
    }
    if seconds < 0 && nanos > 0 && secs == 0 {
        out.push_str("-0");
    } else {
        out.push_str(&secs.to_string());
    }
    if nanos > 0 {
        let frac = if seconds < 0 {
            2 * NANOS_PER_SEC - nanos
        } else {
            nanos + NANOS_PER_SEC
        };
        let f = frac.to_string();
        let f = f.trim_end_matches('0');
        out.push('.');
        out.push_str(f.get(1..).unwrap_or(""));
    }
    out.push('S');
    out
}

impl Time {
    /// The Java class name.
    pub fn class_name(&self) -> &'static str {
        match self {
            Time::Zoned(..) => "java.time.ZonedDateTime",
            Time::Instant(_) => "java.time.Instant",
            Time::LocalDateTime(_) => "java.time.LocalDateTime",
            Time::LocalDate(_) => "java.time.LocalDate",
            Time::LocalTime(_) => "java.time.LocalTime",
            Time::Duration(_) => "java.time.Duration",
            Time::Zone(Zone::Offset(_)) => "java.time.ZoneOffset",
            Time::Zone(_) => "java.time.ZoneRegion",
            Time::Unit(_) => "java.time.temporal.ChronoUnit",
            Time::Formatter(_) => "java.time.format.DateTimeFormatter",
            Time::DayOfWeek(_) => "java.time.DayOfWeek",
            Time::Month(_) => "java.time.Month",
        }
    }

    /// Java's `toString`.
    pub fn to_java_string(&self) -> String {
        let mut out = String::new();
        match self {
            Time::Zoned(utc, zone) => {
                let local = local_of(utc, zone);
                push_date(local.date(), &mut out);
                out.push('T');
                push_time(local.time(), &mut out);
                out.push_str(&offset_id(offset_at(utc, zone)));
                if !matches!(zone, Zone::Offset(_)) {
                    out.push('[');
                    out.push_str(&zone.id());
                    out.push(']');
                }
            }
            Time::Instant(utc) => push_instant(*utc, &mut out),
            Time::LocalDateTime(l) => {
                push_date(l.date(), &mut out);
                out.push('T');
                push_time(l.time(), &mut out);
            }
            Time::LocalDate(d) => push_date(*d, &mut out),
            Time::LocalTime(t) => push_time(*t, &mut out),
            Time::Duration(n) => out = duration_string(*n),
            Time::Zone(z) => out = z.id(),
            Time::Unit(u) => out.push_str(u.names().1),
            Time::Formatter(f) => match &f.kind {
                FmtKind::Iso(i) => {
                    let name = ISO_NAMES
                        .iter()
                        .find(|(_, k)| k == i)
                        .map_or("", |(n, _)| n);
                    out.push_str(name);
                }
                FmtKind::Pattern(p, _) => out.push_str(p),
            },
            Time::DayOfWeek(d) => out.push_str(DAYS[(*d as usize + 6) % 7]),
            Time::Month(m) => out.push_str(MONTHS[(*m as usize + 11) % 12]),
        }
        out
    }

    /// The text Elasticsearch writes for this object in a document (XContent's date printer,
    /// `strict_date_optional_time_nanos`, for dates; `toString` otherwise).
    pub fn to_doc_string(&self) -> String {
        let print = |local: NaiveDateTime, offset: Option<i32>| {
            let mut out = String::new();
            push_date(local.date(), &mut out);
            let t = local.time();
            out.push_str(&format!(
                "T{:02}:{:02}:{:02}",
                t.hour(),
                t.minute(),
                t.second()
            ));
            let f = format!("{:09}", nano_of(&t));
            let keep = f.trim_end_matches('0').len().max(3);
            out.push('.');
            out.push_str(f.get(..keep).unwrap_or(&f));
            if let Some(o) = offset {
                if o == 0 {
                    out.push('Z');
                } else {
                    let a = o.unsigned_abs();
                    let sign = if o < 0 { '-' } else { '+' };
                    out.push_str(&format!("{sign}{:02}:{:02}", a / 3600, a / 60 % 60));
                }
            }
            out
        };
        match self {
            Time::Zoned(utc, zone) => print(local_of(utc, zone), Some(offset_at(utc, zone))),
            Time::Instant(utc) => print(*utc, Some(0)),
            Time::LocalDateTime(l) => print(*l, None),
            Time::LocalTime(t) => format!(
                "{:02}:{:02}:{:02}.{:03}",
                t.hour(),
                t.minute(),
                t.second(),
                nano_of(t) / 1_000_000
            ),
            other => other.to_java_string(),
        }
    }

    /// The instant, for zoned date-times and instants.
    fn instant(&self) -> Option<NaiveDateTime> {
        match self {
            Time::Zoned(utc, _) | Time::Instant(utc) => Some(*utc),
            _ => None,
        }
    }

    /// Local date-time fields, where the object has them.
    fn local(&self) -> Option<NaiveDateTime> {
        match self {
            Time::Zoned(utc, zone) => Some(local_of(utc, zone)),
            Time::LocalDateTime(l) => Some(*l),
            _ => None,
        }
    }

    fn date(&self) -> Option<NaiveDate> {
        match self {
            Time::LocalDate(d) => Some(*d),
            other => other.local().map(|l| l.date()),
        }
    }

    fn time(&self) -> Option<NaiveTime> {
        match self {
            Time::LocalTime(t) => Some(*t),
            other => other.local().map(|l| l.time()),
        }
    }

    /// Java `compareTo` between two objects of the same class.
    pub fn compare(&self, other: &Time) -> Option<i32> {
        let sign = |o: Ordering| o as i32;
        Some(match (self, other) {
            (Time::Zoned(a, za), Time::Zoned(b, zb)) => {
                let c = sign(a.cmp(b));
                if c != 0 {
                    c
                } else {
                    let c = local_cmp(&local_of(a, za), &local_of(b, zb));
                    if c != 0 {
                        c
                    } else {
                        java_str_cmp(&za.id(), &zb.id())
                    }
                }
            }
            (Time::Instant(a), Time::Instant(b)) => {
                let c = sign(a.and_utc().timestamp().cmp(&b.and_utc().timestamp()));
                if c != 0 {
                    c
                } else {
                    nano_of(&a.time()) as i32 - nano_of(&b.time()) as i32
                }
            }
            (Time::LocalDateTime(a), Time::LocalDateTime(b)) => local_cmp(a, b),
            (Time::LocalDate(a), Time::LocalDate(b)) => date_cmp(a, b),
            (Time::LocalTime(a), Time::LocalTime(b)) => sign(a.cmp(b)),
            (Time::Duration(a), Time::Duration(b)) => {
                let c = sign(
                    a.div_euclid(NANOS_PER_SEC)
                        .cmp(&b.div_euclid(NANOS_PER_SEC)),
                );
                if c != 0 {
                    c
                } else {
                    (a.rem_euclid(NANOS_PER_SEC) - b.rem_euclid(NANOS_PER_SEC)) as i32
                }
            }
            (Time::Unit(a), Time::Unit(b)) => *a as i32 - *b as i32,
            (Time::DayOfWeek(a), Time::DayOfWeek(b)) | (Time::Month(a), Time::Month(b)) => {
                *a as i32 - *b as i32
            }
            (Time::Zone(Zone::Offset(a)), Time::Zone(Zone::Offset(b))) => b - a,
            _ => return None,
        })
    }
}

fn java_str_cmp(a: &str, b: &str) -> i32 {
    let (x, y): (Vec<u16>, Vec<u16>) = (a.encode_utf16().collect(), b.encode_utf16().collect());
    for (p, q) in x.iter().zip(y.iter()) {
        if p != q {
            return *p as i32 - *q as i32;
        }
    }
    x.len() as i32 - y.len() as i32
}

fn date_cmp(a: &NaiveDate, b: &NaiveDate) -> i32 {
    let c = a.year() - b.year();
    if c != 0 {
        return c;
    }
    let c = a.month() as i32 - b.month() as i32;
    if c != 0 {
        return c;
    }
    a.day() as i32 - b.day() as i32
}

fn local_cmp(a: &NaiveDateTime, b: &NaiveDateTime) -> i32 {
    let c = date_cmp(&a.date(), &b.date());
    if c != 0 {
        c
    } else {
        a.time().cmp(&b.time()) as i32
    }
}

// ---------- ISO parsing ----------

#[derive(Debug, Default)]
struct Fields {
    date: Option<NaiveDate>,
    time: Option<NaiveTime>,
    offset: Option<i32>,
    zone: Option<Zone>,
}

enum PErr {
    At(usize),
    Unparsed(usize),
    Msg(String),
}

struct Sc<'s> {
    b: &'s [u8],
    i: usize,
}

impl Sc<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn eat_ci(&mut self, c: u8) -> bool {
        if self.peek().is_some_and(|x| x.eq_ignore_ascii_case(&c)) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, c: u8) -> Result<(), PErr> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(PErr::At(self.i))
        }
    }
    /// Exactly `n` ASCII digits.
    fn fixed(&mut self, n: usize) -> Result<i64, PErr> {
        let s = self.b.get(self.i..self.i + n).ok_or(PErr::At(self.i))?;
        if !s.iter().all(u8::is_ascii_digit) {
            return Err(PErr::At(self.i));
        }
        self.i += n;
        Ok(s.iter().fold(0i64, |a, d| a * 10 + (d - b'0') as i64))
    }
    fn digits_ahead(&self, n: usize) -> bool {
        self.b
            .get(self.i..self.i + n)
            .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
    }
}

fn month_day_error(y: i64, m: u32, d: u32) -> String {
    if m == 2 && d == 29 {
        format!("Invalid date 'February 29' as '{y}' is not a leap year")
    } else {
        format!("Invalid date '{} {d}'", MONTHS[(m as usize + 11) % 12])
    }
}

fn make_date(y: i64, m: i64, d: i64) -> Result<NaiveDate, String> {
    if !(-999_999_999..=999_999_999).contains(&y) {
        return Err(format!(
            "Invalid value for Year (valid values -999999999 - 999999999): {y}"
        ));
    }
    if !(1..=12).contains(&m) {
        return Err(format!(
            "Invalid value for MonthOfYear (valid values 1 - 12): {m}"
        ));
    }
    if !(1..=31).contains(&d) {
        return Err(format!(
            "Invalid value for DayOfMonth (valid values 1 - 28/31): {d}"
        ));
    }
    i32::try_from(y)
        .ok()
        .and_then(|yy| NaiveDate::from_ymd_opt(yy, m as u32, d as u32))
        .ok_or_else(|| month_day_error(y, m as u32, d as u32))
}

fn make_time(h: i64, m: i64, s: i64, n: i64) -> Result<NaiveTime, String> {
    let chk = |f: &str, hi: i64, v: i64| {
        if (0..=hi).contains(&v) {
            Ok(v as u32)
        } else {
            Err(format!(
                "Invalid value for {f} (valid values 0 - {hi}): {v}"
            ))
        }
    };
    let (h, m, s, n) = (
        chk("HourOfDay", 23, h)?,
        chk("MinuteOfHour", 59, m)?,
        chk("SecondOfMinute", 59, s)?,
        chk("NanoOfSecond", 999_999_999, n)?,
    );
    NaiveTime::from_hms_nano_opt(h, m, s, n).ok_or_else(|| "Invalid time".to_string())
}

fn p_date(sc: &mut Sc<'_>) -> Result<NaiveDate, PErr> {
    let start = sc.i;
    let sign = match sc.peek() {
        Some(b'+') => {
            sc.i += 1;
            Some(false)
        }
        Some(b'-') => {
            sc.i += 1;
            Some(true)
        }
        _ => None,
    };
    let ds = sc.i;
    while sc.peek().is_some_and(|c| c.is_ascii_digit()) && sc.i - ds < 10 {
        sc.i += 1;
    }
    let n = sc.i - ds;
    if n < 4 || (sign.is_none() && n > 4) || (sign == Some(false) && n == 4) {
        return Err(PErr::At(start));
    }
    // The scanner only advances over bytes it has seen: `ds <= sc.i <= sc.b.len()`.
    let mut y = std::str::from_utf8(&sc.b[ds..sc.i])
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or(PErr::At(start))?;
    if sign == Some(true) {
        y = -y;
    }
    sc.expect(b'-')?;
    let m = sc.fixed(2)?;
    sc.expect(b'-')?;
    let d = sc.fixed(2)?;
    make_date(y, m, d).map_err(PErr::Msg)
}

fn p_basic_date(sc: &mut Sc<'_>) -> Result<NaiveDate, PErr> {
    let y = sc.fixed(4)?;
    let m = sc.fixed(2)?;
    let d = sc.fixed(2)?;
    make_date(y, m, d).map_err(PErr::Msg)
}

/// HH:mm[:ss[.fffffffff]]; seconds required for ISO_INSTANT.
fn p_time(sc: &mut Sc<'_>, need_secs: bool) -> Result<NaiveTime, PErr> {
    let h = sc.fixed(2)?;
    sc.expect(b':')?;
    let m = sc.fixed(2)?;
    let (mut s, mut n) = (0, 0);
    let save = sc.i;
    if sc.eat(b':') {
        match sc.fixed(2) {
            Ok(v) => {
                s = v;
                if sc.eat(b'.') {
                    let fs = sc.i;
                    while sc.peek().is_some_and(|c| c.is_ascii_digit()) && sc.i - fs < 9 {
                        sc.i += 1;
                    }
                    // Advanced over digits just seen: `fs <= sc.i <= sc.b.len()`.
                    let digits = &sc.b[fs..sc.i];
                    let mut v = digits.iter().fold(0i64, |a, d| a * 10 + (d - b'0') as i64);
                    for _ in digits.len()..9 {
                        v *= 10;
                    }
                    n = v;
                }
            }
            Err(e) if need_secs => return Err(e),
            Err(_) => sc.i = save,
        }
    } else if need_secs {
        return Err(PErr::At(sc.i));
    }
    make_time(h, m, s, n).map_err(PErr::Msg)
}

/// `appendOffsetId()` read leniently: `Z`, `+HH`, `+HH:mm`, `+HHmm`, `+HH:mm:ss`, `+HHmmss`.
fn p_offset(sc: &mut Sc<'_>) -> Result<i32, PErr> {
    let start = sc.i;
    if sc.eat_ci(b'Z') {
        return Ok(0);
    }
    let neg = match sc.peek() {
        Some(b'+') => false,
        Some(b'-') => true,
        _ => return Err(PErr::At(start)),
    };
    sc.i += 1;
    let h = sc.fixed(2).map_err(|_| PErr::At(start))?;
    let (mut m, mut s) = (0, 0);
    if sc.peek() == Some(b':') && sc.b.get(sc.i + 1).is_some_and(u8::is_ascii_digit) {
        sc.i += 1;
        m = sc.fixed(2).map_err(|_| PErr::At(start))?;
        if sc.peek() == Some(b':') && sc.b.get(sc.i + 1).is_some_and(u8::is_ascii_digit) {
            sc.i += 1;
            s = sc.fixed(2).map_err(|_| PErr::At(start))?;
        }
    } else if sc.digits_ahead(2) {
        m = sc.fixed(2)?;
        if sc.digits_ahead(2) {
            s = sc.fixed(2)?;
        }
    }
    if h > 18 || m > 59 || s > 59 || (h == 18 && (m > 0 || s > 0)) {
        return Err(PErr::At(start));
    }
    let total = (h * 3600 + m * 60 + s) as i32;
    Ok(if neg { -total } else { total })
}

fn p_region(sc: &mut Sc<'_>) -> Result<Zone, PErr> {
    let start = sc.i;
    sc.expect(b'[')?;
    let id_start = sc.i;
    while sc.peek().is_some_and(|c| c != b']') {
        sc.i += 1;
    }
    // Advanced over bytes just seen: `id_start <= sc.i <= sc.b.len()`.
    let id = std::str::from_utf8(&sc.b[id_start..sc.i]).map_err(|_| PErr::At(id_start))?;
    let zone = Zone::of(id).map_err(|_| PErr::At(id_start))?;
    if !sc.eat(b']') {
        return Err(PErr::At(start));
    }
    Ok(zone)
}

fn p_local_date_time(sc: &mut Sc<'_>, f: &mut Fields) -> Result<(), PErr> {
    f.date = Some(p_date(sc)?);
    if !sc.eat_ci(b'T') {
        return Err(PErr::At(sc.i));
    }
    f.time = Some(p_time(sc, false)?);
    Ok(())
}

/// Runs an optional section: on failure, nothing is consumed.
fn optional<T>(sc: &mut Sc<'_>, p: impl FnOnce(&mut Sc<'_>) -> Result<T, PErr>) -> Option<T> {
    let save = sc.i;
    match p(sc) {
        Ok(v) => Some(v),
        Err(_) => {
            sc.i = save;
            None
        }
    }
}

fn parse_iso(kind: Iso, text: &str) -> Result<Fields, PErr> {
    let mut sc = Sc {
        b: text.as_bytes(),
        i: 0,
    };
    let sc = &mut sc;
    let mut f = Fields::default();
    match kind {
        Iso::LocalDate => f.date = Some(p_date(sc)?),
        Iso::Date => {
            f.date = Some(p_date(sc)?);
            f.offset = optional(sc, p_offset);
        }
        Iso::OffsetDate => {
            f.date = Some(p_date(sc)?);
            f.offset = Some(p_offset(sc)?);
        }
        Iso::LocalTime => f.time = Some(p_time(sc, false)?),
        Iso::Time => {
            f.time = Some(p_time(sc, false)?);
            f.offset = optional(sc, p_offset);
        }
        Iso::OffsetTime => {
            f.time = Some(p_time(sc, false)?);
            f.offset = Some(p_offset(sc)?);
        }
        Iso::LocalDateTime => p_local_date_time(sc, &mut f)?,
        Iso::OffsetDateTime => {
            p_local_date_time(sc, &mut f)?;
            f.offset = Some(p_offset(sc)?);
        }
        Iso::ZonedDateTime => {
            p_local_date_time(sc, &mut f)?;
            f.offset = Some(p_offset(sc)?);
            f.zone = optional(sc, p_region);
        }
        Iso::DateTime => {
            p_local_date_time(sc, &mut f)?;
            f.offset = optional(sc, p_offset);
            if f.offset.is_some() {
                f.zone = optional(sc, p_region);
            }
        }
        Iso::Instant => {
            f.date = Some(p_date(sc)?);
            if !sc.eat_ci(b'T') {
                return Err(PErr::At(sc.i));
            }
            f.time = Some(p_time(sc, true)?);
            f.offset = Some(p_offset(sc)?);
        }
        Iso::BasicDate => {
            f.date = Some(p_basic_date(sc)?);
            f.offset = optional(sc, p_offset);
        }
    }
    if sc.i != sc.b.len() {
        return Err(PErr::Unparsed(sc.i));
    }
    Ok(f)
}

fn parse_error(text: &str, e: PErr) -> Exc {
    let msg = match e {
        PErr::At(i) => format!("Text '{text}' could not be parsed at index {i}"),
        PErr::Unparsed(i) => {
            format!("Text '{text}' could not be parsed, unparsed text found at index {i}")
        }
        PErr::Msg(m) => format!("Text '{text}' could not be parsed: {m}"),
    };
    Exc::new("DateTimeParseException", msg)
}

fn unable(text: &str, target: &str, f: &Fields) -> Exc {
    let mut resolved = String::new();
    match (f.date, f.time) {
        (Some(d), Some(t)) => {
            push_date(d, &mut resolved);
            resolved.push('T');
            push_time(t, &mut resolved);
        }
        (Some(d), None) => push_date(d, &mut resolved),
        (None, Some(t)) => push_time(t, &mut resolved),
        (None, None) => {}
    }
    let mut known = String::from("{");
    if let Some(o) = f.offset {
        known.push_str(&format!("OffsetSeconds={o}"));
    }
    known.push('}');
    let zone = f
        .zone
        .as_ref()
        .map(|z| format!(",{}", z.id()))
        .unwrap_or_default();
    Exc::new(
        "DateTimeParseException",
        format!(
            "Text '{text}' could not be parsed: Unable to obtain {target} from TemporalAccessor: {known},ISO{zone} resolved to {resolved} of type java.time.format.Parsed"
        ),
    )
}

/// What a parse should produce.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Target {
    Zoned,
    Instant,
    LocalDateTime,
    LocalDate,
    LocalTime,
}

impl Target {
    fn java(self) -> &'static str {
        match self {
            Target::Zoned => "ZonedDateTime",
            Target::Instant => "Instant",
            Target::LocalDateTime => "LocalDateTime",
            Target::LocalDate => "LocalDate",
            Target::LocalTime => "LocalTime",
        }
    }
}

fn resolve_fields(text: &str, f: &Fields, ov: Option<&Zone>, target: Target) -> Res<Time> {
    let fail = || unable(text, target.java(), f);
    Ok(match target {
        Target::LocalDate => Time::LocalDate(f.date.ok_or_else(fail)?),
        Target::LocalTime => Time::LocalTime(f.time.ok_or_else(fail)?),
        Target::LocalDateTime => {
            let (Some(d), Some(t)) = (f.date, f.time) else {
                return Err(fail());
            };
            Time::LocalDateTime(d.and_time(t))
        }
        Target::Zoned | Target::Instant => {
            let (Some(d), Some(t)) = (f.date, f.time) else {
                return Err(fail());
            };
            let local = d.and_time(t);
            let zone = f
                .zone
                .clone()
                .or_else(|| ov.cloned())
                .or(f.offset.map(Zone::Offset))
                .ok_or_else(fail)?;
            let utc = match f.offset {
                Some(o) => utc_at_offset(local, o)?,
                None => resolve_local(local, &zone, None)?,
            };
            if target == Target::Instant {
                Time::Instant(utc)
            } else {
                Time::Zoned(utc, zone)
            }
        }
    })
}

/// True when an `ofPattern` pattern reads a zone or offset (unquoted `VzOXxZ`).
fn pattern_has_zone(p: &str) -> bool {
    let mut quoted = false;
    p.chars().any(|c| {
        if c == '\'' {
            quoted = !quoted;
        }
        !quoted && "VzOXxZ".contains(c)
    })
}

fn parse_with(text: &str, fmt: &Formatter, target: Target, now_year: i32) -> Res<Time> {
    match &fmt.kind {
        FmtKind::Iso(kind) => {
            let f = parse_iso(*kind, text).map_err(|e| parse_error(text, e))?;
            resolve_fields(text, &f, fmt.zone.as_ref(), target)
        }
        FmtKind::Pattern(p, df) => {
            let has_zone = pattern_has_zone(p);
            let zone = fmt.zone.clone().unwrap_or(Zone::UTC);
            let zdt = df
                .parse(text, &zone, now_year)
                .map_err(|_| parse_error(text, PErr::At(0)))?;
            Ok(match target {
                Target::Zoned => {
                    if !has_zone && fmt.zone.is_none() {
                        return Err(unable(
                            text,
                            "ZonedDateTime",
                            &Fields {
                                date: Some(zdt.local().date()),
                                time: Some(zdt.local().time()),
                                ..Fields::default()
                            },
                        ));
                    }
                    Time::Zoned(bounded(zdt.utc)?, zone)
                }
                Target::Instant => Time::Instant(bounded(zdt.utc)?),
                Target::LocalDateTime => Time::LocalDateTime(zdt.local()),
                Target::LocalDate => Time::LocalDate(zdt.local().date()),
                Target::LocalTime => Time::LocalTime(zdt.local().time()),
            })
        }
    }
}

fn iso(kind: Iso) -> Formatter {
    Formatter {
        kind: FmtKind::Iso(kind),
        zone: None,
    }
}

/// Reads an ingest timestamp (`2024-01-01T00:00:00.000Z`) as a UTC date-time.
pub fn parse_timestamp(s: &str) -> Option<NaiveDateTime> {
    let f = parse_iso(Iso::DateTime, s).ok()?;
    match resolve_fields(s, &f, Some(&Zone::UTC), Target::Instant).ok()? {
        Time::Instant(utc) => Some(utc),
        _ => None,
    }
}

// ---------- formatting ----------

fn format_with(fmt: &Formatter, t: &Time) -> Res<String> {
    // An override zone converts anything with an instant.
    let t = match (&fmt.zone, t.instant()) {
        (Some(z), Some(utc)) => Time::Zoned(utc, z.clone()),
        _ => t.clone(),
    };
    let offset = match &t {
        Time::Zoned(utc, z) => Some(offset_at(utc, z)),
        _ => None,
    };
    match &fmt.kind {
        FmtKind::Pattern(_, df) => {
            let zdt = match &t {
                Time::Zoned(utc, z) => Zdt {
                    utc: *utc,
                    zone: z.clone(),
                },
                Time::Instant(utc) => Zdt {
                    utc: *utc,
                    zone: Zone::UTC,
                },
                Time::LocalDateTime(l) => Zdt {
                    utc: *l,
                    zone: Zone::UTC,
                },
                Time::LocalDate(d) => Zdt {
                    utc: d.and_time(NaiveTime::MIN),
                    zone: Zone::UTC,
                },
                Time::LocalTime(lt) => Zdt {
                    utc: NaiveDate::from_ymd_opt(1970, 1, 1)
                        .unwrap_or_default()
                        .and_time(*lt),
                    zone: Zone::UTC,
                },
                other => {
                    return Err(Exc::cce(format!(
                        "Cannot cast {} to java.time.temporal.TemporalAccessor",
                        other.class_name()
                    )));
                }
            };
            Ok(df.format(&zdt))
        }
        FmtKind::Iso(kind) => {
            let mut out = String::new();
            let date = || t.date().ok_or_else(|| unsupported_field("Year"));
            let time = || t.time().ok_or_else(|| unsupported_field("HourOfDay"));
            let need_offset = || offset.ok_or_else(|| unsupported_field("OffsetSeconds"));
            match kind {
                Iso::LocalDate => push_date(date()?, &mut out),
                Iso::OffsetDate | Iso::Date => {
                    push_date(date()?, &mut out);
                    if let Some(o) = offset {
                        out.push_str(&offset_id(o));
                    } else if *kind == Iso::OffsetDate {
                        return Err(unsupported_field("OffsetSeconds"));
                    }
                }
                Iso::LocalTime => push_iso_time(time()?, &mut out),
                Iso::OffsetTime | Iso::Time => {
                    push_iso_time(time()?, &mut out);
                    if let Some(o) = offset {
                        out.push_str(&offset_id(o));
                    } else if *kind == Iso::OffsetTime {
                        return Err(unsupported_field("OffsetSeconds"));
                    }
                }
                Iso::LocalDateTime | Iso::OffsetDateTime | Iso::ZonedDateTime | Iso::DateTime => {
                    push_date(date()?, &mut out);
                    out.push('T');
                    push_iso_time(time()?, &mut out);
                    let o = match kind {
                        Iso::LocalDateTime => None,
                        Iso::DateTime => offset,
                        _ => Some(need_offset()?),
                    };
                    if let Some(o) = o {
                        out.push_str(&offset_id(o));
                        if let (Time::Zoned(_, z), Iso::ZonedDateTime | Iso::DateTime) = (&t, kind)
                            && !matches!(z, Zone::Offset(_))
                        {
                            out.push('[');
                            out.push_str(&z.id());
                            out.push(']');
                        }
                    }
                }
                Iso::Instant => {
                    let utc = t
                        .instant()
                        .ok_or_else(|| unsupported_field("InstantSeconds"))?;
                    push_instant(utc, &mut out);
                }
                Iso::BasicDate => {
                    let d = date()?;
                    out.push_str(&format!("{:04}{:02}{:02}", d.year(), d.month(), d.day()));
                    if let Some(o) = offset {
                        if o == 0 {
                            out.push('Z');
                        } else {
                            let a = o.unsigned_abs();
                            let sign = if o < 0 { '-' } else { '+' };
                            out.push_str(&format!("{sign}{:02}{:02}", a / 3600, a / 60 % 60));
                            if a % 60 != 0 {
                                out.push_str(&format!("{:02}", a % 60));
                            }
                        }
                    }
                }
            }
            Ok(out)
        }
    }
}

// ---------- arithmetic ----------

fn add_nanos(dt: NaiveDateTime, n: i128) -> Res<NaiveDateTime> {
    let secs = i64::try_from(n.div_euclid(NANOS_PER_SEC)).map_err(|_| overflow())?;
    let nanos = n.rem_euclid(NANOS_PER_SEC) as u32;
    TimeDelta::new(secs, nanos)
        .and_then(|d| dt.checked_add_signed(d))
        .ok_or_else(|| dte("Instant exceeds minimum or maximum instant"))
        .and_then(bounded)
}

fn add_months_date(d: NaiveDate, months: i64) -> Res<NaiveDate> {
    let bad = || dte(format!("Invalid value for Year: {months} months from {d}"));
    let m = u32::try_from(months.unsigned_abs()).map_err(|_| bad())?;
    if months >= 0 {
        d.checked_add_months(Months::new(m))
    } else {
        d.checked_sub_months(Months::new(m))
    }
    .ok_or_else(bad)
}

fn add_days_date(d: NaiveDate, days: i64) -> Res<NaiveDate> {
    TimeDelta::try_days(days)
        .and_then(|x| d.checked_add_signed(x))
        .ok_or_else(|| dte(format!("Invalid value for EpochDay: {days} days from {d}")))
}

fn mul(a: i64, b: i64) -> Res<i64> {
    a.checked_mul(b).ok_or_else(overflow)
}

fn plus_date(d: NaiveDate, amount: i64, unit: Unit) -> Res<NaiveDate> {
    match unit {
        Unit::Days => add_days_date(d, amount),
        Unit::Weeks => add_days_date(d, mul(amount, 7)?),
        Unit::Eras | Unit::Forever => Err(unsupported_unit(unit)),
        u => match u.months() {
            Some(m) => add_months_date(d, mul(amount, m)?),
            None => Err(unsupported_unit(u)),
        },
    }
}

fn plus_local(l: NaiveDateTime, amount: i64, unit: Unit) -> Res<NaiveDateTime> {
    if unit.is_time_based() {
        add_nanos(l, amount as i128 * unit.nanos())
    } else {
        Ok(plus_date(l.date(), amount, unit)?.and_time(l.time()))
    }
}

/// `t.plus(amount, unit)`.
fn plus_unit(t: &Time, amount: i64, unit: Unit) -> Res<Time> {
    Ok(match t {
        Time::Zoned(utc, z) => {
            if unit.is_date_based() {
                let local = plus_local(local_of(utc, z), amount, unit)?;
                Time::Zoned(resolve_local(local, z, Some(offset_at(utc, z)))?, z.clone())
            } else if unit == Unit::Forever {
                return Err(unsupported_unit(unit));
            } else {
                Time::Zoned(add_nanos(*utc, amount as i128 * unit.nanos())?, z.clone())
            }
        }
        Time::Instant(utc) => {
            if unit > Unit::Days {
                return Err(unsupported_unit(unit));
            }
            Time::Instant(add_nanos(*utc, amount as i128 * unit.nanos())?)
        }
        Time::LocalDateTime(l) => Time::LocalDateTime(plus_local(*l, amount, unit)?),
        Time::LocalDate(d) => {
            if unit.is_time_based() {
                return Err(unsupported_unit(unit));
            }
            Time::LocalDate(plus_date(*d, amount, unit)?)
        }
        Time::LocalTime(lt) => {
            if !unit.is_time_based() {
                return Err(unsupported_unit(unit));
            }
            let n = (lt.num_seconds_from_midnight() as i128 * NANOS_PER_SEC
                + nano_of(lt) as i128
                + (amount as i128 % (NANOS_PER_DAY / unit.nanos()).max(1)) * unit.nanos())
            .rem_euclid(NANOS_PER_DAY);
            Time::LocalTime(nano_of_day(n as i64)?)
        }
        Time::Duration(n) => {
            if unit > Unit::Days {
                return Err(Exc::new(
                    "UnsupportedTemporalTypeException",
                    "Unit must not have an estimated duration",
                ));
            }
            // |n| < 2^63 s and |amount x unit| < 2^63 days: far inside i128.
            duration(n + amount as i128 * unit.nanos())?
        }
        Time::DayOfWeek(d) => {
            Time::DayOfWeek(((*d as i64 - 1 + amount % 7).rem_euclid(7) + 1) as u8)
        }
        Time::Month(m) => Time::Month(((*m as i64 - 1 + amount % 12).rem_euclid(12) + 1) as u8),
        other => return Err(no_time_method(other, "plus", 2)),
    })
}

fn plus_duration(t: &Time, d: i128) -> Res<Time> {
    match t {
        Time::Zoned(utc, z) => Ok(Time::Zoned(add_nanos(*utc, d)?, z.clone())),
        Time::Instant(utc) => Ok(Time::Instant(add_nanos(*utc, d)?)),
        Time::LocalDateTime(l) => Ok(Time::LocalDateTime(add_nanos(*l, d)?)),
        // Both are durations (seconds within a long): the sum cannot overflow i128.
        Time::Duration(n) => duration(n + d),
        Time::LocalTime(lt) => {
            let n =
                (lt.num_seconds_from_midnight() as i128 * NANOS_PER_SEC + nano_of(lt) as i128 + d)
                    .rem_euclid(NANOS_PER_DAY);
            Ok(Time::LocalTime(nano_of_day(n as i64)?))
        }
        Time::LocalDate(_) => Err(unsupported_unit(Unit::Seconds)),
        other => Err(no_time_method(other, "plus", 1)),
    }
}

/// A `Duration` of `n` nanoseconds, or Java's `ArithmeticException` when its seconds do not
/// fit a long (`Math.addExact` / `multiplyExact` in `Duration.plus` and `of…`).
fn duration(n: i128) -> Res<Time> {
    if i64::try_from(n.div_euclid(NANOS_PER_SEC)).is_err() {
        return Err(overflow());
    }
    Ok(Time::Duration(n))
}

/// `Duration.multipliedBy` (also `negated`, `abs`): the exact product, or Java's
/// "Exceeds capacity of Duration" error, which shows the product in nanoseconds.
fn duration_times(n: i128, m: i64) -> Res<Time> {
    match n.checked_mul(m as i128) {
        Some(p) if i64::try_from(p.div_euclid(NANOS_PER_SEC)).is_ok() => Ok(Time::Duration(p)),
        _ => Err(Exc::new(
            "ArithmeticException",
            format!("Exceeds capacity of Duration: {}", exact_product(n, m)),
        )),
    }
}

/// The decimal text of `n * m`, exact even past `i128`.
fn exact_product(n: i128, m: i64) -> String {
    const BASE: u128 = 1_000_000_000;
    let factor = m.unsigned_abs() as u128;
    let mut rest = n.unsigned_abs();
    // Little-endian base-10^9 limbs of |n| * |m|; a limb times a u64 stays far below u128::MAX.
    let mut limbs = Vec::new();
    let mut carry = 0u128;
    while rest > 0 || carry > 0 {
        let v = (rest % BASE) * factor + carry;
        limbs.push(v % BASE);
        carry = v / BASE;
        rest /= BASE;
    }
    let mut out = String::new();
    if (n < 0) != (m < 0) && n != 0 && m != 0 {
        out.push('-');
    }
    match limbs.iter().rposition(|l| *l != 0) {
        None => out = "0".into(),
        Some(top) => {
            // `top` is a position `rposition` found in `limbs`.
            out.push_str(&limbs[top].to_string());
            for l in limbs[..top].iter().rev() {
                out.push_str(&format!("{l:09}"));
            }
        }
    }
    out
}

fn nano_of_day(n: i64) -> Res<NaiveTime> {
    if !(0..NANOS_PER_DAY as i64).contains(&n) {
        return Err(range(
            "NanoOfDay",
            0,
            &(NANOS_PER_DAY as i64 - 1).to_string(),
            n,
        ));
    }
    let secs = (n / 1_000_000_000) as u32;
    NaiveTime::from_num_seconds_from_midnight_opt(secs, (n % 1_000_000_000) as u32)
        .ok_or_else(|| dte("Invalid time"))
}

fn months_until(a: NaiveDate, b: NaiveDate) -> i64 {
    let packed = |d: NaiveDate| (d.year() as i64 * 12 + d.month0() as i64) * 32 + d.day() as i64;
    (packed(b) - packed(a)) / 32
}

fn date_until(a: NaiveDate, b: NaiveDate, unit: Unit) -> Res<i64> {
    let days = (b - a).num_days();
    Ok(match unit {
        Unit::Days => days,
        Unit::Weeks => days / 7,
        Unit::Eras => ((b.year() >= 1) as i64) - ((a.year() >= 1) as i64),
        u => match u.months() {
            Some(m) => months_until(a, b) / m,
            None => return Err(unsupported_unit(u)),
        },
    })
}

fn nanos_between(a: &NaiveDateTime, b: &NaiveDateTime) -> i128 {
    let secs = b.and_utc().timestamp() as i128 - a.and_utc().timestamp() as i128;
    secs * NANOS_PER_SEC + nano_of(&b.time()) as i128 - nano_of(&a.time()) as i128
}

fn local_until(a: NaiveDateTime, b: NaiveDateTime, unit: Unit) -> Res<i64> {
    if unit.is_time_based() {
        let n = nanos_between(&a, &b) / unit.nanos();
        return i64::try_from(n).map_err(|_| overflow());
    }
    if unit == Unit::Forever {
        return Err(unsupported_unit(unit));
    }
    let mut end = b.date();
    if end > a.date() && b.time() < a.time() {
        end = end.pred_opt().unwrap_or(end);
    } else if end < a.date() && b.time() > a.time() {
        end = end.succ_opt().unwrap_or(end);
    }
    date_until(a.date(), end, unit)
}

fn unable_from(target: &str, t: &Time) -> Exc {
    dte(format!(
        "Unable to obtain {target} from TemporalAccessor: {} of type {}",
        t.to_java_string(),
        t.class_name()
    ))
}

/// `a.until(b, unit)` (what `ChronoUnit.between(a, b)` calls).
fn until(a: &Time, b: &Time, unit: Unit) -> Res<i64> {
    match a {
        Time::Zoned(ua, za) => {
            let Time::Zoned(ub, _) = b else {
                return Err(unable_from("ZonedDateTime", b));
            };
            if unit.is_date_based() {
                local_until(local_of(ua, za), local_of(ub, za), unit)
            } else if unit == Unit::Forever {
                Err(unsupported_unit(unit))
            } else {
                i64::try_from(nanos_between(ua, ub) / unit.nanos()).map_err(|_| overflow())
            }
        }
        Time::Instant(ua) => {
            let ub = b.instant().ok_or_else(|| unable_from("Instant", b))?;
            if unit > Unit::Days {
                return Err(unsupported_unit(unit));
            }
            i64::try_from(nanos_between(ua, &ub) / unit.nanos()).map_err(|_| overflow())
        }
        Time::LocalDateTime(la) => {
            let lb = b.local().ok_or_else(|| unable_from("LocalDateTime", b))?;
            local_until(*la, lb, unit)
        }
        Time::LocalDate(da) => {
            let db = b.date().ok_or_else(|| unable_from("LocalDate", b))?;
            if !unit.is_date_based() {
                return Err(unsupported_unit(unit));
            }
            date_until(*da, db, unit)
        }
        Time::LocalTime(ta) => {
            let tb = b.time().ok_or_else(|| unable_from("LocalTime", b))?;
            if !unit.is_time_based() {
                return Err(unsupported_unit(unit));
            }
            let n = (tb.num_seconds_from_midnight() as i128
                - ta.num_seconds_from_midnight() as i128)
                * NANOS_PER_SEC
                + nano_of(&tb) as i128
                - nano_of(ta) as i128;
            Ok((n / unit.nanos()) as i64)
        }
        other => Err(no_time_method(other, "until", 2)),
    }
}

/// `Duration.between(a, b)`.
fn duration_between(a: &Time, b: &Time) -> Res<i128> {
    match a {
        Time::Zoned(ua, _) => match b {
            Time::Zoned(ub, _) => Ok(nanos_between(ua, ub)),
            _ => Err(unable_from("ZonedDateTime", b)),
        },
        Time::Instant(ua) => {
            let ub = b.instant().ok_or_else(|| unable_from("Instant", b))?;
            Ok(nanos_between(ua, &ub))
        }
        Time::LocalDateTime(la) => {
            let lb = b.local().ok_or_else(|| unable_from("LocalDateTime", b))?;
            Ok(nanos_between(la, &lb))
        }
        Time::LocalTime(_) => Ok(until(a, b, Unit::Nanos)? as i128),
        Time::LocalDate(_) => Err(unsupported_unit(Unit::Seconds)),
        other => Err(Exc::cce(format!(
            "Cannot cast {} to java.time.temporal.Temporal",
            other.class_name()
        ))),
    }
}

fn truncate(t: &Time, unit: Unit) -> Res<Time> {
    if unit > Unit::Days {
        return Err(Exc::new(
            "UnsupportedTemporalTypeException",
            "Unit is too large to be used for truncation",
        ));
    }
    let trunc_local = |l: NaiveDateTime| -> Res<NaiveDateTime> {
        let n = (l.time().num_seconds_from_midnight() as i128 * NANOS_PER_SEC
            + nano_of(&l.time()) as i128)
            / unit.nanos()
            * unit.nanos();
        Ok(l.date().and_time(nano_of_day(n as i64)?))
    };
    Ok(match t {
        Time::Zoned(utc, z) => {
            let local = trunc_local(local_of(utc, z))?;
            Time::Zoned(resolve_local(local, z, Some(offset_at(utc, z)))?, z.clone())
        }
        Time::Instant(utc) => Time::Instant(trunc_local(*utc)?),
        Time::LocalDateTime(l) => Time::LocalDateTime(trunc_local(*l)?),
        Time::LocalTime(lt) => {
            Time::LocalTime(trunc_local(NaiveDate::default().and_time(*lt))?.time())
        }
        other => return Err(no_time_method(other, "truncatedTo", 1)),
    })
}

/// `withYear`, `withMonth`, … on anything with local fields.
fn with_field(t: &Time, name: &str, v: i64) -> Res<Time> {
    let apply_date = |d: NaiveDate| -> Res<NaiveDate> {
        Ok(match name {
            "withYear" => {
                let y = check("Year", -999_999_999, 999_999_999, v)? as i32;
                let last = last_day(y, d.month());
                NaiveDate::from_ymd_opt(y, d.month(), d.day().min(last))
                    .ok_or_else(|| dte("Invalid date"))?
            }
            "withMonth" => {
                let m = check("MonthOfYear", 1, 12, v)?;
                let last = last_day(d.year(), m);
                NaiveDate::from_ymd_opt(d.year(), m, d.day().min(last))
                    .ok_or_else(|| dte("Invalid date"))?
            }
            "withDayOfMonth" => {
                let day = check("DayOfMonth", 1, 31, v)?;
                NaiveDate::from_ymd_opt(d.year(), d.month(), day)
                    .ok_or_else(|| dte(month_day_error(d.year() as i64, d.month(), day)))?
            }
            "withDayOfYear" => {
                let doy = check("DayOfYear", 1, 366, v)?;
                NaiveDate::from_yo_opt(d.year(), doy).ok_or_else(|| {
                    dte(format!(
                        "Invalid date 'DayOfYear 366' as '{}' is not a leap year",
                        d.year()
                    ))
                })?
            }
            _ => d,
        })
    };
    let apply_time = |lt: NaiveTime| -> Res<NaiveTime> {
        let (h, m, s, n) = (lt.hour(), lt.minute(), lt.second(), nano_of(&lt));
        let (h, m, s, n) = match name {
            "withHour" => (check("HourOfDay", 0, 23, v)?, m, s, n),
            "withMinute" => (h, check("MinuteOfHour", 0, 59, v)?, s, n),
            "withSecond" => (h, m, check("SecondOfMinute", 0, 59, v)?, n),
            "withNano" => (h, m, s, check("NanoOfSecond", 0, 999_999_999, v)?),
            _ => (h, m, s, n),
        };
        NaiveTime::from_hms_nano_opt(h, m, s, n).ok_or_else(|| dte("Invalid time"))
    };
    let apply = |l: NaiveDateTime| -> Res<NaiveDateTime> {
        Ok(apply_date(l.date())?.and_time(apply_time(l.time())?))
    };
    let is_time = matches!(name, "withHour" | "withMinute" | "withSecond" | "withNano");
    Ok(match t {
        Time::Zoned(utc, z) => {
            let local = apply(local_of(utc, z))?;
            Time::Zoned(resolve_local(local, z, Some(offset_at(utc, z)))?, z.clone())
        }
        Time::LocalDateTime(l) => Time::LocalDateTime(apply(*l)?),
        Time::LocalDate(d) if !is_time => Time::LocalDate(apply_date(*d)?),
        Time::LocalTime(lt) if is_time => Time::LocalTime(apply_time(*lt)?),
        other => return Err(no_time_method(other, name, 1)),
    })
}

fn last_day(y: i32, m: u32) -> u32 {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    NaiveDate::from_ymd_opt(ny, nm, 1)
        .and_then(|d| d.pred_opt())
        .map_or(28, |d| d.day())
}

// ---------- arguments ----------

/// The java.time object in a value.
pub fn time_of<'b>(v: &'b V<'_>) -> Option<&'b Time> {
    match v {
        V::Obj(o) => match &**o {
            Obj::Time(t) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

/// A value holding a java.time object.
pub fn tv<'a>(t: Time) -> V<'a> {
    V::obj(Obj::Time(t))
}

fn want_time<'b>(v: &'b V<'_>, class: &str) -> Res<&'b Time> {
    match time_of(v) {
        Some(t) => Ok(t),
        None if v.is_null() => Err(Exc::npe(format!(
            "Cannot invoke \"java.time.temporal.{class}\" because the argument is null"
        ))),
        None => Err(Exc::cce(format!(
            "Cannot cast {} to java.time.{class}",
            v.class_name()
        ))),
    }
}

fn want_zone(v: &V<'_>) -> Res<Zone> {
    match time_of(v) {
        Some(Time::Zone(z)) => Ok(z.clone()),
        _ if v.is_null() => Err(Exc::npe("zone")),
        _ => Err(Exc::cce(format!(
            "Cannot cast {} to java.time.ZoneId",
            v.class_name()
        ))),
    }
}

fn want_unit(v: &V<'_>) -> Res<Unit> {
    match time_of(v) {
        Some(Time::Unit(u)) => Ok(*u),
        _ if v.is_null() => Err(Exc::npe("unit")),
        _ => Err(Exc::cce(format!(
            "Cannot cast {} to java.time.temporal.TemporalUnit",
            v.class_name()
        ))),
    }
}

fn want_long(v: &V<'_>) -> Res<i64> {
    match convert(v.clone(), &Ty::Long, false)? {
        V::Long(l) => Ok(l),
        _ => Err(Exc::cce(format!("Cannot cast {} to long", v.class_name()))),
    }
}

fn want_int(v: &V<'_>) -> Res<i64> {
    match convert(v.clone(), &Ty::Int, false)? {
        V::Int(i) => Ok(i as i64),
        _ => Err(Exc::cce(format!("Cannot cast {} to int", v.class_name()))),
    }
}

fn want_text<'a>(v: &V<'a>) -> Res<JStr<'a>> {
    match v {
        V::Str(s) => Ok(s.clone()),
        V::Null => Err(Exc::npe("text")),
        V::Obj(o) => match &**o {
            Obj::Builder(b) => Ok(JStr::Shared(Rc::from(b.borrow().as_str()))),
            _ => Err(Exc::cce(format!(
                "Cannot cast {} to java.lang.CharSequence",
                v.class_name()
            ))),
        },
        other => Err(Exc::cce(format!(
            "Cannot cast {} to java.lang.CharSequence",
            other.class_name()
        ))),
    }
}

fn want_formatter(v: &V<'_>) -> Res<Arc<Formatter>> {
    match time_of(v) {
        Some(Time::Formatter(f)) => Ok(f.clone()),
        _ if v.is_null() => Err(Exc::npe("formatter")),
        _ => Err(Exc::cce(format!(
            "Cannot cast {} to java.time.format.DateTimeFormatter",
            v.class_name()
        ))),
    }
}

fn no_time_method(t: &Time, name: &str, argc: usize) -> Exc {
    Exc::iae(format!(
        "dynamic method [{}, {name}/{argc}] not found",
        t.class_name()
    ))
}

// ---------- static API ----------

/// `(class, method, min args, max args)` of the static methods.
const STATICS: &[(&str, &str, usize, usize)] = &[
    ("ZonedDateTime", "parse", 1, 2),
    ("ZonedDateTime", "ofInstant", 2, 2),
    ("ZonedDateTime", "of", 2, 8),
    ("ZonedDateTime", "from", 1, 1),
    ("Instant", "parse", 1, 1),
    ("Instant", "ofEpochMilli", 1, 1),
    ("Instant", "ofEpochSecond", 1, 2),
    ("Instant", "from", 1, 1),
    ("LocalDateTime", "parse", 1, 2),
    ("LocalDateTime", "of", 2, 7),
    ("LocalDateTime", "ofInstant", 2, 2),
    ("LocalDateTime", "ofEpochSecond", 3, 3),
    ("LocalDateTime", "from", 1, 1),
    ("LocalDate", "parse", 1, 2),
    ("LocalDate", "of", 3, 3),
    ("LocalDate", "ofEpochDay", 1, 1),
    ("LocalDate", "ofYearDay", 2, 2),
    ("LocalDate", "from", 1, 1),
    ("LocalTime", "parse", 1, 2),
    ("LocalTime", "of", 2, 4),
    ("LocalTime", "ofSecondOfDay", 1, 1),
    ("LocalTime", "ofNanoOfDay", 1, 1),
    ("Duration", "between", 2, 2),
    ("Duration", "of", 2, 2),
    ("Duration", "ofDays", 1, 1),
    ("Duration", "ofHours", 1, 1),
    ("Duration", "ofMinutes", 1, 1),
    ("Duration", "ofSeconds", 1, 2),
    ("Duration", "ofMillis", 1, 1),
    ("Duration", "ofNanos", 1, 1),
    ("ZoneId", "of", 1, 1),
    ("ZoneOffset", "of", 1, 1),
    ("ZoneOffset", "ofHours", 1, 1),
    ("ZoneOffset", "ofHoursMinutes", 2, 2),
    ("ZoneOffset", "ofTotalSeconds", 1, 1),
    ("DateTimeFormatter", "ofPattern", 1, 1),
    ("DayOfWeek", "of", 1, 1),
    ("Month", "of", 1, 1),
    ("ChronoUnit", "valueOf", 1, 1),
];

/// True when `class.name(argc args)` is a java.time static method.
pub fn is_static(class: &str, name: &str, argc: usize) -> bool {
    STATICS
        .iter()
        .any(|(c, n, lo, hi)| *c == class && *n == name && (*lo..=*hi).contains(&argc))
}

/// `class.NAME` for java.time constants.
pub fn static_field(class: &str, name: &str) -> Option<Time> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?.and_time(NaiveTime::MIN);
    Some(match class {
        "ZoneOffset" => match name {
            "UTC" => Time::Zone(Zone::UTC),
            "MIN" => Time::Zone(Zone::Offset(-18 * 3600)),
            "MAX" => Time::Zone(Zone::Offset(18 * 3600)),
            _ => return None,
        },
        "Instant" if name == "EPOCH" => Time::Instant(epoch),
        "Duration" if name == "ZERO" => Time::Duration(0),
        "LocalTime" => Time::LocalTime(match name {
            "MIDNIGHT" | "MIN" => NaiveTime::MIN,
            "NOON" => NaiveTime::from_hms_opt(12, 0, 0)?,
            "MAX" => NaiveTime::from_hms_nano_opt(23, 59, 59, 999_999_999)?,
            _ => return None,
        }),
        "ChronoUnit" => Time::Unit(UNITS.iter().find(|(c, _, _)| *c == name)?.2),
        "DateTimeFormatter" => {
            let kind = ISO_NAMES.iter().find(|(n, _)| *n == name)?.1;
            Time::Formatter(Arc::new(iso(kind)))
        }
        "DayOfWeek" => Time::DayOfWeek(DAYS.iter().position(|d| *d == name)? as u8 + 1),
        "Month" => Time::Month(MONTHS.iter().position(|d| *d == name)? as u8 + 1),
        _ => return None,
    })
}

fn zone_of(id: &str) -> Res<Zone> {
    Zone::of(id).map_err(|m| {
        let class = if m.starts_with("Unknown time-zone ID") {
            "ZoneRulesException"
        } else {
            "DateTimeException"
        };
        Exc::new(class, m)
    })
}

fn offset_zone(secs: i64) -> Res<Time> {
    if secs.abs() > 18 * 3600 {
        return Err(dte("Zone offset not in valid range: -18:00 to +18:00"));
    }
    Ok(Time::Zone(Zone::Offset(secs as i32)))
}

/// `ZoneOffset.ofHoursMinutesSeconds`, with its `validate` checks in Java's order.
fn offset_hms(h: i64, m: i64, s: i64) -> Res<Time> {
    if !(-18..=18).contains(&h) {
        return Err(dte(format!(
            "Zone offset hours not in valid range: value {h} is not in the range -18 to 18"
        )));
    }
    if h > 0 && (m < 0 || s < 0) {
        return Err(dte(
            "Zone offset minutes and seconds must be positive because hours is positive",
        ));
    }
    if h < 0 && (m > 0 || s > 0) {
        return Err(dte(
            "Zone offset minutes and seconds must be negative because hours is negative",
        ));
    }
    if h == 0 && ((m > 0 && s < 0) || (m < 0 && s > 0)) {
        return Err(dte(
            "Zone offset minutes and seconds must have the same sign",
        ));
    }
    for (what, v) in [("minutes", m), ("seconds", s)] {
        if !(-59..=59).contains(&v) {
            return Err(dte(format!(
                "Zone offset {what} not in valid range: value {v} is not in the range -59 to 59"
            )));
        }
    }
    offset_zone(h * 3600 + m * 60 + s)
}

fn epoch_second(secs: i64, nanos: i64) -> Res<NaiveDateTime> {
    let total = secs as i128 * NANOS_PER_SEC + nanos as i128;
    let s = i64::try_from(total.div_euclid(NANOS_PER_SEC))
        .map_err(|_| dte("Instant exceeds minimum or maximum instant"))?;
    chrono::DateTime::from_timestamp(s, total.rem_euclid(NANOS_PER_SEC) as u32)
        .map(|d| d.naive_utc())
        .ok_or_else(|| dte("Instant exceeds minimum or maximum instant"))
        .and_then(bounded)
}

fn from_temporal(target: Target, t: &Time) -> Res<Time> {
    let fail = || unable_from(target.java(), t);
    Ok(match target {
        Target::Zoned => match t {
            Time::Zoned(..) => t.clone(),
            _ => return Err(fail()),
        },
        Target::Instant => Time::Instant(t.instant().ok_or_else(fail)?),
        Target::LocalDateTime => Time::LocalDateTime(t.local().ok_or_else(fail)?),
        Target::LocalDate => Time::LocalDate(t.date().ok_or_else(fail)?),
        Target::LocalTime => Time::LocalTime(t.time().ok_or_else(fail)?),
    })
}

fn target_of(class: &str) -> Option<Target> {
    Some(match class {
        "ZonedDateTime" => Target::Zoned,
        "Instant" => Target::Instant,
        "LocalDateTime" => Target::LocalDateTime,
        "LocalDate" => Target::LocalDate,
        "LocalTime" => Target::LocalTime,
        _ => return None,
    })
}

fn default_iso(target: Target) -> Iso {
    match target {
        Target::Zoned => Iso::ZonedDateTime,
        Target::Instant => Iso::Instant,
        Target::LocalDateTime => Iso::LocalDateTime,
        Target::LocalDate => Iso::LocalDate,
        Target::LocalTime => Iso::LocalTime,
    }
}

/// `class.name(args)` for java.time classes; `now_year` fills year-less patterns.
pub fn call_static<'a>(class: &str, name: &str, args: &[V<'a>], now_year: i32) -> Res<V<'a>> {
    let null = V::Null;
    let a = |i: usize| args.get(i).unwrap_or(&null);
    let target = target_of(class);
    let t = match (class, name, args.len()) {
        (_, "parse", n) if target.is_some() => {
            let target = target.unwrap_or(Target::Zoned);
            let text = want_text(a(0))?;
            let fmt = if n == 2 {
                want_formatter(a(1))?
            } else {
                Arc::new(iso(default_iso(target)))
            };
            parse_with(&text, &fmt, target, now_year)?
        }
        (_, "from", 1) if target.is_some() => from_temporal(
            target.unwrap_or(Target::Zoned),
            want_time(a(0), "TemporalAccessor")?,
        )?,
        ("ZonedDateTime" | "LocalDateTime", "ofInstant", 2) => {
            let utc = match want_time(a(0), "Instant")? {
                Time::Instant(u) => *u,
                other => {
                    return Err(Exc::cce(format!(
                        "Cannot cast {} to java.time.Instant",
                        other.class_name()
                    )));
                }
            };
            let z = want_zone(a(1))?;
            if class == "ZonedDateTime" {
                Time::Zoned(utc, z)
            } else {
                Time::LocalDateTime(local_of(&utc, &z))
            }
        }
        ("ZonedDateTime", "of", 2) => {
            let Time::LocalDateTime(l) = want_time(a(0), "LocalDateTime")? else {
                return Err(Exc::cce("Cannot cast to java.time.LocalDateTime"));
            };
            let z = want_zone(a(1))?;
            Time::Zoned(resolve_local(*l, &z, None)?, z)
        }
        ("ZonedDateTime", "of", 3) => {
            let (Time::LocalDate(d), Time::LocalTime(lt)) =
                (want_time(a(0), "LocalDate")?, want_time(a(1), "LocalTime")?)
            else {
                return Err(Exc::cce("Cannot cast to java.time.LocalDate"));
            };
            let z = want_zone(a(2))?;
            Time::Zoned(resolve_local(d.and_time(*lt), &z, None)?, z)
        }
        ("ZonedDateTime", "of", 8) => {
            let mut n = [0i64; 7];
            for (i, slot) in n.iter_mut().enumerate() {
                *slot = want_int(a(i))?;
            }
            // Constant indexes into the fixed `[i64; 7]` above.
            let d = make_date(n[0], n[1], n[2]).map_err(dte)?;
            // Constant indexes into the fixed `[i64; 7]` above.
            let lt = make_time(n[3], n[4], n[5], n[6]).map_err(dte)?;
            let z = want_zone(a(7))?;
            Time::Zoned(resolve_local(d.and_time(lt), &z, None)?, z)
        }
        ("Instant", "ofEpochMilli", 1) => {
            let ms = want_long(a(0))?;
            Time::Instant(epoch_second(
                ms.div_euclid(1000),
                ms.rem_euclid(1000) * 1_000_000,
            )?)
        }
        ("Instant", "ofEpochSecond", n) => {
            let adj = if n == 2 { want_long(a(1))? } else { 0 };
            Time::Instant(epoch_second(want_long(a(0))?, adj)?)
        }
        ("LocalDateTime", "of", 2) => {
            let (Time::LocalDate(d), Time::LocalTime(lt)) =
                (want_time(a(0), "LocalDate")?, want_time(a(1), "LocalTime")?)
            else {
                return Err(Exc::cce("Cannot cast to java.time.LocalDate"));
            };
            Time::LocalDateTime(d.and_time(*lt))
        }
        ("LocalDateTime", "of", 5..=7) => {
            let mut n = [0i64; 7];
            for (i, slot) in n.iter_mut().enumerate().take(args.len()) {
                *slot = want_int(a(i))?;
            }
            // Constant indexes into the fixed `[i64; 7]` above.
            let d = make_date(n[0], n[1], n[2]).map_err(dte)?;
            // Constant indexes into the fixed `[i64; 7]` above.
            Time::LocalDateTime(d.and_time(make_time(n[3], n[4], n[5], n[6]).map_err(dte)?))
        }
        ("LocalDateTime", "ofEpochSecond", 3) => {
            let secs = want_long(a(0))?;
            let nano = check("NanoOfSecond", 0, 999_999_999, want_int(a(1))?)?;
            let Zone::Offset(o) = want_zone(a(2))? else {
                return Err(Exc::cce("Cannot cast to java.time.ZoneOffset"));
            };
            Time::LocalDateTime(epoch_second(secs.wrapping_add(o as i64), nano as i64)?)
        }
        ("LocalDate", "of", 3) => Time::LocalDate(
            make_date(want_int(a(0))?, want_int(a(1))?, want_int(a(2))?).map_err(dte)?,
        ),
        ("LocalDate", "ofEpochDay", 1) => {
            let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
            Time::LocalDate(add_days_date(epoch, want_long(a(0))?)?)
        }
        ("LocalDate", "ofYearDay", 2) => {
            let y = want_int(a(0))?;
            let doy = check("DayOfYear", 1, 366, want_int(a(1))?)?;
            Time::LocalDate(
                i32::try_from(y)
                    .ok()
                    .and_then(|y| NaiveDate::from_yo_opt(y, doy))
                    .ok_or_else(|| {
                        dte(format!(
                            "Invalid date 'DayOfYear 366' as '{y}' is not a leap year"
                        ))
                    })?,
            )
        }
        ("LocalTime", "of", n) => {
            let mut v = [0i64; 4];
            for (i, slot) in v.iter_mut().enumerate().take(n) {
                *slot = want_int(a(i))?;
            }
            // Constant indexes into the fixed `[i64; 4]` above.
            Time::LocalTime(make_time(v[0], v[1], v[2], v[3]).map_err(dte)?)
        }
        ("LocalTime", "ofSecondOfDay", 1) => {
            let s = check("SecondOfDay", 0, 86_399, want_long(a(0))?)?;
            Time::LocalTime(nano_of_day(s as i64 * 1_000_000_000)?)
        }
        ("LocalTime", "ofNanoOfDay", 1) => Time::LocalTime(nano_of_day(want_long(a(0))?)?),
        ("Duration", "between", 2) => Time::Duration(duration_between(
            want_time(a(0), "Temporal")?,
            want_time(a(1), "Temporal")?,
        )?),
        ("Duration", "of", 2) => {
            let n = want_long(a(0))?;
            let u = want_unit(a(1))?;
            plus_unit(&Time::Duration(0), n, u)?
        }
        ("Duration", "ofSeconds", 2) => {
            duration(want_long(a(0))? as i128 * NANOS_PER_SEC + want_long(a(1))? as i128)?
        }
        ("Duration", _, 1) => {
            let unit = match name {
                "ofDays" => Unit::Days,
                "ofHours" => Unit::Hours,
                "ofMinutes" => Unit::Minutes,
                "ofSeconds" => Unit::Seconds,
                "ofMillis" => Unit::Millis,
                _ => Unit::Nanos,
            };
            duration(want_long(a(0))? as i128 * unit.nanos())?
        }
        ("ZoneId", "of", 1) => Time::Zone(zone_of(&want_text(a(0))?)?),
        ("ZoneOffset", "of", 1) => {
            let id = want_text(a(0))?;
            match Zone::of(&id) {
                Ok(z @ Zone::Offset(_)) => Time::Zone(z),
                _ => {
                    return Err(dte(format!(
                        "Invalid ID for ZoneOffset, invalid format: {id}"
                    )));
                }
            }
        }
        ("ZoneOffset", "ofHours", 1) => offset_hms(want_int(a(0))?, 0, 0)?,
        ("ZoneOffset", "ofHoursMinutes", 2) => offset_hms(want_int(a(0))?, want_int(a(1))?, 0)?,
        ("ZoneOffset", "ofTotalSeconds", 1) => offset_zone(want_int(a(0))?)?,
        ("DateTimeFormatter", "ofPattern", 1) => {
            let p = want_text(a(0))?;
            let df = DateFormatter::of(&p).map_err(Exc::iae)?;
            Time::Formatter(Arc::new(Formatter {
                kind: FmtKind::Pattern(p.to_string(), df),
                zone: None,
            }))
        }
        ("DayOfWeek", "of", 1) => Time::DayOfWeek(check_enum("DayOfWeek", 7, a(0))?),
        ("Month", "of", 1) => Time::Month(check_enum("MonthOfYear", 12, a(0))?),
        ("ChronoUnit", "valueOf", 1) => {
            let n = want_text(a(0))?;
            match UNITS.iter().find(|(c, _, _)| **c == *n) {
                Some((_, _, u)) => Time::Unit(*u),
                None => {
                    return Err(Exc::iae(format!(
                        "No enum constant java.time.temporal.ChronoUnit.{n}"
                    )));
                }
            }
        }
        _ => {
            return Err(Exc::iae(format!(
                "static method [{class}, {name}/{}] not found",
                args.len()
            )));
        }
    };
    Ok(tv(t))
}

fn check_enum(field: &str, max: i64, v: &V<'_>) -> Res<u8> {
    let n = want_int(v)?;
    if (1..=max).contains(&n) {
        Ok(n as u8)
    } else {
        Err(dte(format!("Invalid value for {field}: {n}")))
    }
}

// ---------- instance API ----------

/// `(method, min args, max args)` of the instance methods.
const METHODS: &[(&str, usize, usize)] = &[
    ("plus", 1, 2),
    ("minus", 1, 2),
    ("plusNanos", 1, 1),
    ("plusMillis", 1, 1),
    ("plusSeconds", 1, 1),
    ("plusMinutes", 1, 1),
    ("plusHours", 1, 1),
    ("plusDays", 1, 1),
    ("plusWeeks", 1, 1),
    ("plusMonths", 1, 1),
    ("plusYears", 1, 1),
    ("minusNanos", 1, 1),
    ("minusMillis", 1, 1),
    ("minusSeconds", 1, 1),
    ("minusMinutes", 1, 1),
    ("minusHours", 1, 1),
    ("minusDays", 1, 1),
    ("minusWeeks", 1, 1),
    ("minusMonths", 1, 1),
    ("minusYears", 1, 1),
    ("isBefore", 1, 1),
    ("isAfter", 1, 1),
    ("isEqual", 1, 1),
    ("toInstant", 0, 1),
    ("toEpochSecond", 0, 1),
    ("toEpochMilli", 0, 0),
    ("toEpochDay", 0, 0),
    ("getEpochSecond", 0, 0),
    ("toLocalDate", 0, 0),
    ("toLocalDateTime", 0, 0),
    ("toLocalTime", 0, 0),
    ("getYear", 0, 0),
    ("getMonthValue", 0, 0),
    ("getMonth", 0, 0),
    ("getDayOfMonth", 0, 0),
    ("getDayOfYear", 0, 0),
    ("getDayOfWeek", 0, 0),
    ("getDayOfWeekEnum", 0, 0),
    ("getHour", 0, 0),
    ("getMinute", 0, 0),
    ("getSecond", 0, 0),
    ("getNano", 0, 0),
    ("getZone", 0, 0),
    ("getOffset", 0, 0),
    ("getId", 0, 0),
    ("getTotalSeconds", 0, 0),
    ("getValue", 0, 0),
    ("name", 0, 0),
    ("ordinal", 0, 0),
    ("withYear", 1, 1),
    ("withMonth", 1, 1),
    ("withDayOfMonth", 1, 1),
    ("withDayOfYear", 1, 1),
    ("withHour", 1, 1),
    ("withMinute", 1, 1),
    ("withSecond", 1, 1),
    ("withNano", 1, 1),
    ("withZoneSameInstant", 1, 1),
    ("withZoneSameLocal", 1, 1),
    ("withFixedOffsetZone", 0, 0),
    ("withZone", 1, 1),
    ("atZone", 1, 1),
    ("atStartOfDay", 0, 1),
    ("atTime", 1, 4),
    ("atDate", 1, 1),
    ("truncatedTo", 1, 1),
    ("format", 1, 1),
    ("until", 2, 2),
    ("between", 2, 2),
    ("getDuration", 0, 0),
    ("isDateBased", 0, 0),
    ("isTimeBased", 0, 0),
    ("isDurationEstimated", 0, 0),
    ("toNanos", 0, 0),
    ("toMillis", 0, 0),
    ("toSeconds", 0, 0),
    ("getSeconds", 0, 0),
    ("toMinutes", 0, 0),
    ("toHours", 0, 0),
    ("toDays", 0, 0),
    ("isNegative", 0, 0),
    ("isZero", 0, 0),
    ("negated", 0, 0),
    ("abs", 0, 0),
    ("multipliedBy", 1, 1),
    ("dividedBy", 1, 1),
    ("lengthOfMonth", 0, 0),
    ("lengthOfYear", 0, 0),
    ("isLeapYear", 0, 0),
    ("toSecondOfDay", 0, 0),
    ("toNanoOfDay", 0, 0),
    ("normalized", 0, 0),
];

/// True when some java.time object has `name` with `argc` arguments.
pub fn is_method(name: &str, argc: usize) -> bool {
    METHODS
        .iter()
        .any(|(n, lo, hi)| *n == name && (*lo..=*hi).contains(&argc))
}

/// The value of Painless' getter shortcut `t.name` (`getName()` / `isName()`).
pub fn getter<'a>(t: &Time, name: &str, now_year: i32) -> Res<V<'a>> {
    let mut cap = String::from("get");
    let mut chars = name.chars();
    if let Some(c) = chars.next() {
        cap.push(c.to_ascii_uppercase());
        cap.push_str(chars.as_str());
    }
    if is_method(&cap, 0) {
        return method(t, &cap, &[], now_year);
    }
    let is = format!("is{}", cap.get(3..).unwrap_or(""));
    if is_method(&is, 0) {
        return method(t, &is, &[], now_year);
    }
    Err(Exc::iae(format!(
        "dynamic getter [{}, {name}] not found",
        t.class_name()
    )))
}

fn duration_parts(n: i128) -> (i64, i64) {
    (
        n.div_euclid(NANOS_PER_SEC) as i64,
        n.rem_euclid(NANOS_PER_SEC) as i64,
    )
}

/// `t.name(args)` on a java.time object.
pub fn method<'a>(t: &Time, name: &str, args: &[V<'a>], now_year: i32) -> Res<V<'a>> {
    let _ = now_year;
    let null = V::Null;
    let a = |i: usize| args.get(i).unwrap_or(&null);
    let argc = args.len();
    let long = |v: i64| Ok(V::Long(v));
    let int = |v: i64| Ok(V::Int(v as i32));
    // Units named by the plusX / minusX methods.
    let unit_of = |m: &str| -> Option<Unit> {
        Some(match m {
            "Nanos" => Unit::Nanos,
            "Millis" => Unit::Millis,
            "Seconds" => Unit::Seconds,
            "Minutes" => Unit::Minutes,
            "Hours" => Unit::Hours,
            "Days" => Unit::Days,
            "Weeks" => Unit::Weeks,
            "Months" => Unit::Months,
            "Years" => Unit::Years,
            _ => return None,
        })
    };
    if let Some((neg, rest)) = name
        .strip_prefix("plus")
        .map(|r| (false, r))
        .or_else(|| name.strip_prefix("minus").map(|r| (true, r)))
        && argc == 1
        && let Some(unit) = unit_of(rest)
    {
        if matches!(t, Time::Duration(_)) && unit > Unit::Days {
            return Err(no_time_method(t, name, argc));
        }
        let n = want_long(a(0))?;
        let n = if neg {
            n.checked_neg().ok_or_else(overflow)?
        } else {
            n
        };
        return Ok(tv(plus_unit(t, n, unit)?));
    }
    let date = || t.date().ok_or_else(|| no_time_method(t, name, argc));
    let time = || t.time().ok_or_else(|| no_time_method(t, name, argc));
    match (name, argc) {
        ("plus" | "minus", 2) => {
            let n = want_long(a(0))?;
            let n = if name == "minus" {
                n.checked_neg().ok_or_else(overflow)?
            } else {
                n
            };
            Ok(tv(plus_unit(t, n, want_unit(a(1))?)?))
        }
        ("plus" | "minus", 1) => {
            let d = match time_of(a(0)) {
                Some(Time::Duration(d)) => *d,
                _ if a(0).is_null() => return Err(Exc::npe("amountToAdd")),
                _ => {
                    return Err(Exc::cce(format!(
                        "Cannot cast {} to java.time.temporal.TemporalAmount",
                        a(0).class_name()
                    )));
                }
            };
            Ok(tv(plus_duration(t, if name == "minus" { -d } else { d })?))
        }
        ("compareTo", 1) => {
            let other = want_time(a(0), "Temporal")?;
            t.compare(other).map(V::Int).ok_or_else(|| {
                Exc::cce(format!(
                    "class {} cannot be cast to class {}",
                    other.class_name(),
                    t.class_name()
                ))
            })
        }
        ("isBefore" | "isAfter" | "isEqual", 1) => {
            let other = want_time(a(0), "Temporal")?;
            let ord = match (t, other) {
                (Time::Zoned(x, _) | Time::Instant(x), Time::Zoned(y, _) | Time::Instant(y))
                    if matches!(t, Time::Zoned(..)) == matches!(other, Time::Zoned(..)) =>
                {
                    x.cmp(y)
                }
                _ => match t.compare(other) {
                    Some(c) => c.cmp(&0),
                    None => {
                        return Err(Exc::cce(format!(
                            "Cannot cast {} to {}",
                            other.class_name(),
                            t.class_name()
                        )));
                    }
                },
            };
            Ok(V::Bool(match name {
                "isBefore" => ord == Ordering::Less,
                "isAfter" => ord == Ordering::Greater,
                _ => ord == Ordering::Equal,
            }))
        }
        ("until", 2) => long(until(t, want_time(a(0), "Temporal")?, want_unit(a(1))?)?),
        ("truncatedTo", 1) => Ok(tv(truncate(t, want_unit(a(0))?)?)),
        ("format", 1) => {
            let f = want_formatter(a(0))?;
            Ok(V::owned_str(format_with(&f, t)?))
        }
        (
            "withYear" | "withMonth" | "withDayOfMonth" | "withDayOfYear" | "withHour"
            | "withMinute" | "withSecond" | "withNano",
            1,
        ) if !matches!(t, Time::Formatter(_)) => Ok(tv(with_field(t, name, want_int(a(0))?)?)),
        _ => match t {
            Time::Zoned(utc, z) => zoned_method(utc, z, t, name, args),
            Time::Instant(utc) => match (name, argc) {
                ("getEpochSecond", 0) => long(utc.and_utc().timestamp()),
                ("getNano", 0) => int(nano_of(&utc.time()) as i64),
                ("toEpochMilli", 0) => {
                    let ms = utc.and_utc().timestamp() as i128 * 1000
                        + nano_of(&utc.time()) as i128 / 1_000_000;
                    long(i64::try_from(ms).map_err(|_| overflow())?)
                }
                ("atZone", 1) => Ok(tv(Time::Zoned(*utc, want_zone(a(0))?))),
                _ => Err(no_time_method(t, name, argc)),
            },
            Time::LocalDateTime(l) => match (name, argc) {
                ("atZone", 1) => {
                    let z = want_zone(a(0))?;
                    Ok(tv(Time::Zoned(resolve_local(*l, &z, None)?, z)))
                }
                ("toLocalDate", 0) => Ok(tv(Time::LocalDate(l.date()))),
                ("toLocalTime", 0) => Ok(tv(Time::LocalTime(l.time()))),
                ("toEpochSecond" | "toInstant", 1) => {
                    let Zone::Offset(o) = want_zone(a(0))? else {
                        return Err(Exc::cce("Cannot cast to java.time.ZoneOffset"));
                    };
                    let utc = utc_at_offset(*l, o)?;
                    if name == "toInstant" {
                        Ok(tv(Time::Instant(utc)))
                    } else {
                        long(utc.and_utc().timestamp())
                    }
                }
                _ => date_time_getter(name, argc, date()?, Some(time()?), t),
            },
            Time::LocalDate(d) => match (name, argc) {
                ("atStartOfDay", 0) => Ok(tv(Time::LocalDateTime(d.and_time(NaiveTime::MIN)))),
                ("atStartOfDay", 1) => {
                    let z = want_zone(a(0))?;
                    Ok(tv(Time::Zoned(
                        resolve_local(d.and_time(NaiveTime::MIN), &z, None)?,
                        z,
                    )))
                }
                ("atTime", 1) => match want_time(a(0), "LocalTime")? {
                    Time::LocalTime(lt) => Ok(tv(Time::LocalDateTime(d.and_time(*lt)))),
                    other => Err(Exc::cce(format!(
                        "Cannot cast {} to java.time.LocalTime",
                        other.class_name()
                    ))),
                },
                ("atTime", 2..=4) => {
                    let mut v = [0i64; 4];
                    for (i, slot) in v.iter_mut().enumerate().take(argc) {
                        *slot = want_int(a(i))?;
                    }
                    // Constant indexes into the fixed `[i64; 4]` above.
                    let lt = make_time(v[0], v[1], v[2], v[3]).map_err(dte)?;
                    Ok(tv(Time::LocalDateTime(d.and_time(lt))))
                }
                ("toEpochDay", 0) => {
                    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
                    long((*d - epoch).num_days())
                }
                ("lengthOfMonth", 0) => int(last_day(d.year(), d.month()) as i64),
                ("lengthOfYear", 0) => int(if d.leap_year() { 366 } else { 365 }),
                ("isLeapYear", 0) => Ok(V::Bool(d.leap_year())),
                _ => date_time_getter(name, argc, *d, None, t),
            },
            Time::LocalTime(lt) => match (name, argc) {
                ("getHour", 0) => int(lt.hour() as i64),
                ("getMinute", 0) => int(lt.minute() as i64),
                ("getSecond", 0) => int(lt.second() as i64),
                ("getNano", 0) => int(nano_of(lt) as i64),
                ("toSecondOfDay", 0) => int(lt.num_seconds_from_midnight() as i64),
                ("toNanoOfDay", 0) => {
                    long(lt.num_seconds_from_midnight() as i64 * 1_000_000_000 + nano_of(lt) as i64)
                }
                ("atDate", 1) => match want_time(a(0), "LocalDate")? {
                    Time::LocalDate(d) => Ok(tv(Time::LocalDateTime(d.and_time(*lt)))),
                    other => Err(Exc::cce(format!(
                        "Cannot cast {} to java.time.LocalDate",
                        other.class_name()
                    ))),
                },
                _ => Err(no_time_method(t, name, argc)),
            },
            Time::Duration(n) => {
                let (secs, nanos) = duration_parts(*n);
                let trunc = |div: i128| i64::try_from(n / div).map_err(|_| overflow());
                match (name, argc) {
                    ("toNanos", 0) => long(trunc(1)?),
                    ("toMillis", 0) => long(trunc(1_000_000)?),
                    ("toSeconds" | "getSeconds", 0) => long(secs),
                    ("getNano", 0) => int(nanos),
                    ("toMinutes", 0) => long(secs / 60),
                    ("toHours", 0) => long(secs / 3600),
                    ("toDays", 0) => long(secs / 86_400),
                    ("isNegative", 0) => Ok(V::Bool(*n < 0)),
                    ("isZero", 0) => Ok(V::Bool(*n == 0)),
                    ("negated", 0) => Ok(tv(duration_times(*n, -1)?)),
                    ("abs", 0) => Ok(tv(duration_times(*n, if *n < 0 { -1 } else { 1 })?)),
                    ("multipliedBy", 1) => Ok(tv(duration_times(*n, want_long(a(0))?)?)),
                    ("dividedBy", 1) => {
                        let d = want_long(a(0))?;
                        if d == 0 {
                            return Err(Exc::new("ArithmeticException", "Cannot divide by zero"));
                        }
                        // Java divides the decimal seconds rounding toward zero, as `/` does;
                        // only MIN / -1 leaves the range.
                        let q = n / d as i128;
                        if i64::try_from(q.div_euclid(NANOS_PER_SEC)).is_err() {
                            return Err(Exc::new(
                                "ArithmeticException",
                                format!("Exceeds capacity of Duration: {q}"),
                            ));
                        }
                        Ok(tv(Time::Duration(q)))
                    }
                    _ => Err(no_time_method(t, name, argc)),
                }
            }
            Time::Zone(z) => match (name, argc) {
                ("getId", 0) => Ok(V::owned_str(z.id())),
                ("getTotalSeconds", 0) => match z {
                    Zone::Offset(s) => int(*s as i64),
                    _ => Err(no_time_method(t, name, argc)),
                },
                ("normalized", 0) => Ok(tv(Time::Zone(match z {
                    Zone::Fixed { secs, .. } => Zone::Offset(*secs),
                    other => other.clone(),
                }))),
                _ => Err(no_time_method(t, name, argc)),
            },
            Time::Unit(u) => match (name, argc) {
                ("between", 2) => long(until(
                    want_time(a(0), "Temporal")?,
                    want_time(a(1), "Temporal")?,
                    *u,
                )?),
                ("getDuration", 0) => Ok(tv(Time::Duration(u.nanos()))),
                ("isDateBased", 0) => Ok(V::Bool(u.is_date_based())),
                ("isTimeBased", 0) => Ok(V::Bool(u.is_time_based())),
                ("isDurationEstimated", 0) => Ok(V::Bool(*u >= Unit::Days)),
                ("name", 0) => Ok(V::str(u.names().0)),
                ("ordinal", 0) => int(*u as i64),
                _ => Err(no_time_method(t, name, argc)),
            },
            Time::Formatter(f) => match (name, argc) {
                ("format", 1) => Ok(V::owned_str(format_with(
                    f,
                    want_time(a(0), "TemporalAccessor")?,
                )?)),
                ("withZone", 1) => {
                    let z = if a(0).is_null() {
                        None
                    } else {
                        Some(want_zone(a(0))?)
                    };
                    Ok(tv(Time::Formatter(Arc::new(Formatter {
                        kind: f.kind.clone(),
                        zone: z,
                    }))))
                }
                ("getZone", 0) => Ok(f
                    .zone
                    .clone()
                    .map(|z| tv(Time::Zone(z)))
                    .unwrap_or_default()),
                _ => Err(no_time_method(t, name, argc)),
            },
            Time::DayOfWeek(d) | Time::Month(d) => match (name, argc) {
                ("getValue", 0) => int(*d as i64),
                ("ordinal", 0) => int(*d as i64 - 1),
                ("name", 0) => Ok(V::owned_str(t.to_java_string())),
                ("plus" | "minus", 1) => {
                    let n = want_long(a(0))?;
                    let n = if name == "minus" { -(n % 12) } else { n % 12 };
                    Ok(tv(plus_unit(t, n, Unit::Days)?))
                }
                _ => Err(no_time_method(t, name, argc)),
            },
        },
    }
}

fn date_time_getter<'a>(
    name: &str,
    argc: usize,
    d: NaiveDate,
    lt: Option<NaiveTime>,
    t: &Time,
) -> Res<V<'a>> {
    let int = |v: i64| Ok(V::Int(v as i32));
    match (name, argc, lt) {
        ("getYear", 0, _) => int(d.year() as i64),
        ("getMonthValue", 0, _) => int(d.month() as i64),
        ("getMonth", 0, _) => Ok(tv(Time::Month(d.month() as u8))),
        ("getDayOfMonth", 0, _) => int(d.day() as i64),
        ("getDayOfYear", 0, _) => int(d.ordinal() as i64),
        ("getDayOfWeek" | "getDayOfWeekEnum", 0, _) => {
            Ok(tv(Time::DayOfWeek(d.weekday().number_from_monday() as u8)))
        }
        ("getHour", 0, Some(lt)) => int(lt.hour() as i64),
        ("getMinute", 0, Some(lt)) => int(lt.minute() as i64),
        ("getSecond", 0, Some(lt)) => int(lt.second() as i64),
        ("getNano", 0, Some(lt)) => int(nano_of(&lt) as i64),
        _ => Err(no_time_method(t, name, argc)),
    }
}

fn zoned_method<'a>(
    utc: &NaiveDateTime,
    z: &Zone,
    t: &Time,
    name: &str,
    args: &[V<'a>],
) -> Res<V<'a>> {
    let null = V::Null;
    let a = |i: usize| args.get(i).unwrap_or(&null);
    let argc = args.len();
    let local = local_of(utc, z);
    match (name, argc) {
        ("toInstant", 0) => Ok(tv(Time::Instant(*utc))),
        ("toEpochSecond", 0) => Ok(V::Long(utc.and_utc().timestamp())),
        ("toLocalDate", 0) => Ok(tv(Time::LocalDate(local.date()))),
        ("toLocalDateTime", 0) => Ok(tv(Time::LocalDateTime(local))),
        ("toLocalTime", 0) => Ok(tv(Time::LocalTime(local.time()))),
        ("getZone", 0) => Ok(tv(Time::Zone(z.clone()))),
        ("getOffset", 0) => Ok(tv(Time::Zone(Zone::Offset(offset_at(utc, z))))),
        ("withZoneSameInstant", 1) => Ok(tv(Time::Zoned(*utc, want_zone(a(0))?))),
        ("withZoneSameLocal", 1) => {
            let nz = want_zone(a(0))?;
            Ok(tv(Time::Zoned(
                resolve_local(local, &nz, Some(offset_at(utc, z)))?,
                nz,
            )))
        }
        ("withFixedOffsetZone", 0) => Ok(tv(Time::Zoned(*utc, Zone::Offset(offset_at(utc, z))))),
        _ => date_time_getter(name, argc, local.date(), Some(local.time()), t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zoned(text: &str) -> Time {
        match call_static("ZonedDateTime", "parse", &[V::str(text)], 2024) {
            Ok(v) => time_of(&v).cloned().unwrap_or(Time::Duration(0)),
            Err(e) => panic!("{text}: {e:?}"),
        }
    }

    #[test]
    fn zoned_date_time_to_string_and_document_form() {
        for (text, java, doc) in [
            (
                "2021-04-06T15:51:02.759992Z",
                "2021-04-06T15:51:02.759992Z",
                "2021-04-06T15:51:02.759992Z",
            ),
            (
                "2021-04-06T15:51:00Z",
                "2021-04-06T15:51Z",
                "2021-04-06T15:51:00.000Z",
            ),
            (
                "2021-04-06T15:51:02.5+02:00",
                "2021-04-06T15:51:02.500+02:00",
                "2021-04-06T15:51:02.500+02:00",
            ),
            (
                "2021-04-06T15:51:02+02:00[Europe/Paris]",
                "2021-04-06T15:51:02+02:00[Europe/Paris]",
                "2021-04-06T15:51:02.000+02:00",
            ),
        ] {
            let t = zoned(text);
            assert_eq!(t.to_java_string(), java, "{text}");
            assert_eq!(t.to_doc_string(), doc, "{text}");
        }
    }

    #[test]
    fn parse_errors_name_the_index() {
        for (text, msg) in [
            (
                "2021-04-06T15:51:02",
                "Text '2021-04-06T15:51:02' could not be parsed at index 19",
            ),
            (
                "2021-13-06T15:51:02Z",
                "Text '2021-13-06T15:51:02Z' could not be parsed: Invalid value for MonthOfYear (valid values 1 - 12): 13",
            ),
            (
                "2021-02-30T15:51:02Z",
                "Text '2021-02-30T15:51:02Z' could not be parsed: Invalid date 'FEBRUARY 30'",
            ),
            ("x", "Text 'x' could not be parsed at index 0"),
        ] {
            let Err(super::super::interp::Thrown::Java { class, msg: m, .. }) =
                call_static("ZonedDateTime", "parse", &[V::str(text)], 2024).map_err(|e| *e.0)
            else {
                panic!("{text} parsed")
            };
            assert_eq!(class, "DateTimeParseException");
            assert_eq!(m.as_deref(), Some(msg), "{text}");
        }
    }

    #[test]
    fn instants_and_durations() {
        let i = call_static("Instant", "ofEpochSecond", &[V::Int(1_600_000_000)], 2024).unwrap();
        assert_eq!(i.to_java_string(), "2020-09-13T12:26:40Z");
        let i = call_static("Instant", "ofEpochMilli", &[V::Long(-1)], 2024).unwrap();
        assert_eq!(i.to_java_string(), "1969-12-31T23:59:59.999Z");
        for (nanos, s) in [
            (0i128, "PT0S"),
            (90 * NANOS_PER_SEC, "PT1M30S"),
            (3_600 * NANOS_PER_SEC, "PT1H"),
            (1_500_000_000, "PT1.5S"),
            (-500_000_000, "PT-0.5S"),
            (-1_500_000_000, "PT-1.5S"),
        ] {
            assert_eq!(Time::Duration(nanos).to_java_string(), s);
        }
    }

    #[test]
    fn units_between() {
        let a = zoned("2021-01-31T10:00:00Z");
        let b = zoned("2021-03-01T09:00:00Z");
        assert_eq!(until(&a, &b, Unit::Months).ok(), Some(0));
        assert_eq!(until(&a, &b, Unit::Days).ok(), Some(28));
        assert_eq!(until(&a, &b, Unit::Hours).ok(), Some(695));
        assert_eq!(until(&b, &a, Unit::Days).ok(), Some(-28));
        let month = plus_unit(&a, 1, Unit::Months).unwrap();
        assert_eq!(month.to_java_string(), "2021-02-28T10:00Z");
    }

    #[test]
    fn iso_formatters() {
        let f = |name: &str| match static_field("DateTimeFormatter", name) {
            Some(Time::Formatter(f)) => f,
            _ => panic!("{name}"),
        };
        let t = zoned("2021-04-06T15:51:00+02:00");
        assert_eq!(
            format_with(&f("ISO_LOCAL_DATE_TIME"), &t).unwrap(),
            "2021-04-06T15:51:00"
        );
        assert_eq!(
            format_with(&f("ISO_INSTANT"), &t).unwrap(),
            "2021-04-06T13:51:00Z"
        );
        let utc = Formatter {
            kind: FmtKind::Iso(Iso::LocalDateTime),
            zone: Some(Zone::UTC),
        };
        let parsed = parse_with("2021-04-06T15:51:00", &utc, Target::Zoned, 2024).unwrap();
        assert_eq!(parsed.to_java_string(), "2021-04-06T15:51Z");
    }

    /// Runs a script on an empty document: the new `a` field, or the Java exception it threw
    /// (`kind: reason`).
    fn run(src: &str) -> String {
        let script = crate::painless::Script::compile(src, crate::value::Map::default())
            .unwrap_or_else(|e| panic!("{src}: {e}"));
        let mut d = crate::document::IngestDocument::new(
            crate::value::Map::default(),
            "2024-01-01T00:00:00.000Z",
        );
        match script.execute(&mut d, "p") {
            Ok(()) => d
                .into_source()
                .get("a")
                .map_or_else(|| "no a".into(), crate::value::Value::to_json),
            Err(e) => match e.caused_by {
                Some(c) => format!("{}: {}", c.kind, c.reason),
                None => format!("{}: {}", e.kind, e.reason),
            },
        }
    }

    #[test]
    fn zones_near_the_end_of_the_representable_range_fail_instead_of_overflowing() {
        const EXCEEDS: &str = "date_time_exception: Instant exceeds minimum or maximum instant";
        for src in [
            "LocalDateTime.of(262142, 12, 31, 23, 0).atZone(ZoneId.of('-10:00'))",
            "LocalDateTime.of(262142, 12, 31, 23, 0).atZone(ZoneId.of('America/New_York'))",
            "LocalDateTime.of(-262143, 1, 1, 1, 0).atZone(ZoneId.of('+10:00'))",
            "LocalDateTime.of(262142, 12, 31, 23, 0).toInstant(ZoneOffset.ofHours(-10))",
            "LocalDateTime.of(262142, 12, 31, 23, 0).toInstant(ZoneOffset.UTC)",
            "ZonedDateTime.parse('+262142-12-31T23:00:00-10:00')",
            "ZonedDateTime.parse('+262142-12-31T23:00:00Z')",
            "Instant.parse('+262142-12-30T00:00:00Z').plusSeconds(86400 * 3)",
        ] {
            assert_eq!(run(&format!("ctx.a = {src}.toString()")), EXCEEDS, "{src}");
        }
        // A little further in, the same calls work.
        assert_eq!(
            run(
                "ctx.a = LocalDateTime.of(262142, 12, 1, 23, 0).atZone(ZoneId.of('-10:00')).toString()"
            ),
            r#""+262142-12-01T23:00-10:00""#
        );
        assert_eq!(
            run(
                "ctx.a = LocalDateTime.ofEpochSecond(Long.MAX_VALUE, 0, ZoneOffset.ofHours(1)).toString()"
            ),
            EXCEEDS
        );
    }

    #[test]
    fn duration_arithmetic_fails_as_java_does_past_a_long_of_seconds() {
        const LONG: &str = "arithmetic_exception: long overflow";
        assert_eq!(
            run(
                "ctx.a = Duration.ofSeconds(Long.MAX_VALUE).multipliedBy(Long.MAX_VALUE).toString()"
            ),
            "arithmetic_exception: Exceeds capacity of Duration: 85070591730234615847396907784232501249000000000"
        );
        assert_eq!(
            run("ctx.a = Duration.ofSeconds(Long.MIN_VALUE).negated().toString()"),
            "arithmetic_exception: Exceeds capacity of Duration: 9223372036854775808000000000"
        );
        assert_eq!(
            run("ctx.a = Duration.ofSeconds(Long.MIN_VALUE).abs().toString()"),
            "arithmetic_exception: Exceeds capacity of Duration: 9223372036854775808000000000"
        );
        assert_eq!(
            run("ctx.a = Duration.ofSeconds(Long.MIN_VALUE).dividedBy(-1).toString()"),
            "arithmetic_exception: Exceeds capacity of Duration: 9223372036854775808000000000"
        );
        assert_eq!(
            run("ctx.a = Duration.ofSeconds(-3).multipliedBy(-2).toString()"),
            r#""PT6S""#
        );
        assert_eq!(
            run(
                "def d = Duration.ofSeconds(Long.MAX_VALUE); for (int i = 0; i < 200; i++) { d = d.plus(d); } ctx.a = d.toString()"
            ),
            LONG
        );
        assert_eq!(
            run("ctx.a = Duration.ofDays(Long.MAX_VALUE).toString()"),
            LONG
        );
        assert_eq!(
            run("ctx.a = Duration.of(Long.MAX_VALUE, ChronoUnit.DAYS).toString()"),
            LONG
        );
        assert_eq!(
            run("ctx.a = Duration.ofSeconds(Long.MAX_VALUE, Long.MAX_VALUE).toString()"),
            LONG
        );
        assert_eq!(
            run("ctx.a = Duration.ofSeconds(Long.MAX_VALUE, 999999999L).toString()"),
            r#""PT2562047788015215H30M7.999999999S""#
        );
        assert_eq!(exact_product(-5, 3), "-15");
        assert_eq!(exact_product(0, -3), "0");
        assert_eq!(exact_product(1_000_000_000, 1), "1000000000");
    }

    #[test]
    fn zone_offsets_of_hours_and_minutes_validate_as_java() {
        for (src, want) in [
            (
                "ofHours(Integer.MAX_VALUE)",
                "Zone offset hours not in valid range: value 2147483647 is not in the range -18 to 18",
            ),
            (
                "ofHoursMinutes(2, -30)",
                "Zone offset minutes and seconds must be positive because hours is positive",
            ),
            (
                "ofHoursMinutes(-2, 30)",
                "Zone offset minutes and seconds must be negative because hours is negative",
            ),
            (
                "ofHoursMinutes(0, 60)",
                "Zone offset minutes not in valid range: value 60 is not in the range -59 to 59",
            ),
            (
                "ofHoursMinutes(18, 1)",
                "Zone offset not in valid range: -18:00 to +18:00",
            ),
        ] {
            assert_eq!(
                run(&format!("ctx.a = ZoneOffset.{src}.toString()")),
                format!("date_time_exception: {want}"),
                "{src}"
            );
        }
        assert_eq!(
            run("ctx.a = ZoneOffset.ofHoursMinutes(-5, -30).toString()"),
            r#""-05:30""#
        );
    }

    #[test]
    fn non_ascii_text_in_patterns_and_dates_is_an_error_not_a_panic() {
        assert_eq!(
            run("ctx.a = DateTimeFormatter.ofPattern(\"'é\").toString()"),
            "illegal_argument_exception: Invalid format: ['é]: Pattern ends with an incomplete string literal: 'é"
        );
        for text in [
            "2021-01-01T00:00:00é",
            "2021-01-01T00:00:00.é",
            "2021-01-01T00:00:00+0é:00",
            "2021-01-01T00:00:00Z[Éurope/Paris]",
            "2é21-01-01T00:00:00Z",
        ] {
            let got = run(&format!("ctx.a = ZonedDateTime.parse('{text}').toString()"));
            assert!(
                got.starts_with(&format!(
                    "date_time_parse_exception: Text '{text}' could not be parsed"
                )),
                "{text}: {got}"
            );
        }
    }
}
