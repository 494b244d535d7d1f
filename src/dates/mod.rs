//! Dates as Elasticsearch ingest reads and writes them: Java `DateTimeFormatter` patterns and
//! ES's named formats compiled once onto chrono / chrono-tz, the date processor's `ISO8601`,
//! `UNIX`, `UNIX_MS` and `TAI64N` formats, time zones and Java number parsing.
//!
//! "Now" (the year given to year-less patterns) is always passed in, never read from the clock.

pub mod java_num;
mod locale;
mod named;
mod pattern;
mod zone;

pub use locale::Locale;
pub use zone::{Zone, offset_id};

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use named::{Named, Parser, Printer};
use pattern::{Elem, F, Parsed};

/// An instant with the zone it is shown in (Java `ZonedDateTime`).
#[derive(Debug, Clone, PartialEq)]
pub struct ZonedDateTime {
    /// The instant, as a UTC date-time.
    pub utc: NaiveDateTime,
    /// The zone it is expressed in.
    pub zone: Zone,
}

impl ZonedDateTime {
    /// The instant `millis` after the epoch, in `zone`.
    pub fn from_epoch_millis(millis: i64, zone: Zone) -> Option<ZonedDateTime> {
        let utc = chrono::DateTime::from_timestamp_millis(millis)?.naive_utc();
        Some(ZonedDateTime { utc, zone })
    }

    /// Seconds east of UTC at this instant.
    pub fn offset(&self) -> i32 {
        self.zone.offset_at(&self.utc)
    }

    /// The local date-time in its zone.
    pub fn local(&self) -> NaiveDateTime {
        self.utc + Duration::seconds(self.offset() as i64)
    }

    /// Milliseconds since the epoch.
    pub fn epoch_millis(&self) -> i64 {
        self.utc.and_utc().timestamp_millis()
    }
}

/// One `||` alternative of a formatter.
#[derive(Debug, Clone, PartialEq)]
enum Alt {
    Pattern(Vec<Elem>),
    Named(Named),
}

/// Elasticsearch's `DateFormatter.forPattern`: a pattern or named format, or several joined by
/// `||` (tried in order when parsing; the first one prints).
#[derive(Debug, Clone, PartialEq)]
pub struct DateFormatter {
    source: String,
    alts: Vec<Alt>,
}

impl DateFormatter {
    /// Compiles a format (a leading `8` is dropped, as ES 7 still allows).
    pub fn of(format: &str) -> Result<DateFormatter, String> {
        if format.is_empty() {
            return Err("No date pattern provided".into());
        }
        let source = format.strip_prefix('8').unwrap_or(format).to_string();
        let mut alts = Vec::new();
        for part in source.split("||") {
            let part = part.trim();
            if part.is_empty() {
                return Err("No date pattern provided".into());
            }
            if let Some(n) = named::named(part) {
                alts.push(Alt::Named(n));
            } else {
                let elems =
                    pattern::compile(part).map_err(|e| format!("Invalid format: [{part}]: {e}"))?;
                alts.push(Alt::Pattern(elems));
            }
        }
        Ok(DateFormatter { source, alts })
    }

    /// The format as written (without a leading `8`).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Parses `text` as the date processor does for a Java format: zone-less text is read in
    /// `zone`, a text without a year takes `now_year`; the result is expressed in `zone`.
    pub fn parse(&self, text: &str, zone: &Zone, now_year: i32) -> Result<ZonedDateTime, String> {
        let fail = || {
            format!(
                "failed to parse date field [{text}] with format [{}]",
                self.source
            )
        };
        if text.is_empty() {
            return Err("cannot parse empty date".into());
        }
        for alt in &self.alts {
            let parsers: &[Parser] = match alt {
                Alt::Pattern(elems) => {
                    if let Some(p) = pattern::parse(elems, text) {
                        return resolve(&p, zone, now_year).map_err(|_| fail());
                    }
                    continue;
                }
                Alt::Named(n) => &n.parsers,
            };
            for parser in parsers {
                let parsed = match parser {
                    Parser::Elems(elems) => pattern::parse(elems, text),
                    Parser::Iso { hms } => named::parse_iso(text, *hms),
                    Parser::EpochMillis => {
                        if let Some(t) = epoch(text, 6, 1_000_000, zone) {
                            return Ok(t);
                        }
                        None
                    }
                    Parser::EpochSecond => {
                        if let Some(t) = epoch(text, 9, 1_000_000_000, zone) {
                            return Ok(t);
                        }
                        None
                    }
                };
                if let Some(p) = parsed {
                    return resolve(&p, zone, now_year).map_err(|_| fail());
                }
            }
        }
        Err(fail())
    }

    /// Prints with the first alternative.
    pub fn format(&self, t: &ZonedDateTime) -> String {
        // Room for the usual ISO 8601 forms (29 bytes with millis and offset) without regrowing.
        let mut out = String::with_capacity(32);
        match self.alts.first() {
            Some(Alt::Pattern(elems)) => pattern::format(elems, t, &mut out),
            Some(Alt::Named(n)) => match &n.printer {
                Printer::Elems(elems) => pattern::format(elems, t, &mut out),
                Printer::EpochMillis => {
                    let nanos = t.utc.and_utc().timestamp_subsec_nanos() % 1_000_000;
                    out.push_str(&t.epoch_millis().to_string());
                    if nanos != 0 {
                        let f = format!("{nanos:06}");
                        out.push('.');
                        out.push_str(f.trim_end_matches('0'));
                    }
                }
                Printer::EpochSecond => {
                    let secs = t.utc.and_utc().timestamp();
                    let nanos = t.utc.and_utc().timestamp_subsec_nanos();
                    out.push_str(&secs.to_string());
                    if nanos != 0 {
                        let f = format!("{nanos:09}");
                        out.push('.');
                        out.push_str(f.trim_end_matches('0'));
                    }
                }
            },
            None => {}
        }
        out
    }
}

/// An epoch number with a fraction: `unit_nanos` nanos per unit, `frac_max` fraction digits.
fn epoch(text: &str, frac_max: usize, unit_nanos: i64, zone: &Zone) -> Option<ZonedDateTime> {
    let (whole, frac, neg) = named::parse_epoch(text, frac_max)?;
    let frac_nanos = frac * unit_nanos / 10i64.pow(frac_max as u32);
    let total = (whole as i128) * unit_nanos as i128 + frac_nanos as i128;
    let total = if neg { -total } else { total };
    let secs = total.div_euclid(1_000_000_000) as i64;
    let nanos = total.rem_euclid(1_000_000_000) as u32;
    let utc = chrono::DateTime::from_timestamp(secs, nanos)?.naive_utc();
    Some(ZonedDateTime {
        utc,
        zone: zone.clone(),
    })
}

fn check(v: i64, lo: i64, hi: i64, name: &str) -> Result<i64, String> {
    if (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "Invalid value for {name} (valid values {lo} - {hi}): {v}"
        ))
    }
}

/// The time of day the parsed fields give, as java.time's STRICT resolver builds it.
fn resolve_time(p: &Parsed) -> Result<Option<NaiveTime>, String> {
    let mut hod = p
        .get(F::HourOfDay)
        .map(|h| check(h, 0, 23, "HourOfDay"))
        .transpose()?;
    let conflict = |a: i64, b: Option<i64>| b.is_some_and(|b| b != a);
    if let Some(k) = p.get(F::ClockHourOfDay) {
        let h = check(k, 1, 24, "ClockHourOfDay")? % 24;
        if conflict(h, hod) {
            return Err("Conflict found: HourOfDay".into());
        }
        hod = Some(h);
    }
    let mut hoap = p
        .get(F::HourOfAmPm)
        .map(|h| check(h, 0, 11, "HourOfAmPm"))
        .transpose()?;
    if let Some(h) = p.get(F::ClockHourOfAmPm) {
        let h = check(h, 1, 12, "ClockHourOfAmPm")? % 12;
        if conflict(h, hoap) {
            return Err("Conflict found: HourOfAmPm".into());
        }
        hoap = Some(h);
    }
    let ampm = p.get(F::AmPm);
    if let (Some(a), Some(h)) = (ampm, hoap) {
        let h = a * 12 + h;
        if conflict(h, hod) {
            return Err("Conflict found: HourOfDay".into());
        }
        hod = Some(h);
    }
    let Some(h) = hod else {
        return Ok(None);
    };
    if let (Some(a), None) = (ampm, hoap)
        && a != h / 12
    {
        return Err("Conflict found: AmPmOfDay".into());
    }
    let m = p
        .get(F::Minute)
        .map(|v| check(v, 0, 59, "MinuteOfHour"))
        .transpose()?;
    let s = p
        .get(F::Second)
        .map(|v| check(v, 0, 59, "SecondOfMinute"))
        .transpose()?;
    let n = p
        .get(F::Nano)
        .map(|v| check(v, 0, 999_999_999, "NanoOfSecond"))
        .transpose()?;
    if (m.is_none() && (s.is_some() || n.is_some())) || (m.is_some() && s.is_none() && n.is_some())
    {
        return Ok(None);
    }
    Ok(NaiveTime::from_hms_nano_opt(
        h as u32,
        m.unwrap_or(0) as u32,
        s.unwrap_or(0) as u32,
        n.unwrap_or(0) as u32,
    ))
}

fn ymd(y: i64, m: i64, d: i64) -> Result<NaiveDate, String> {
    let m = check(m, 1, 12, "MonthOfYear")?;
    let d = check(d, 1, 31, "DayOfMonth")?;
    i32::try_from(y)
        .ok()
        .and_then(|y| NaiveDate::from_ymd_opt(y, m as u32, d as u32))
        .ok_or_else(|| format!("Invalid date {y}-{m:02}-{d:02}"))
}

fn week_date(p: &Parsed, wby: i64) -> Result<NaiveDate, String> {
    let week = p.get(F::Week).unwrap_or(1);
    i32::try_from(wby)
        .ok()
        .and_then(|y| NaiveDate::from_isoywd_opt(y, week as u32, chrono::Weekday::Mon))
        .ok_or_else(|| format!("Invalid week {wby}-W{week}"))
}

/// Turns parsed fields into an instant: ES's `DateFormat.Java` (year-less texts take `now_year`
/// and ignore a parsed zone) and `DateFormatters.from` (defaults for missing fields).
fn resolve(p: &Parsed, zone: &Zone, now_year: i32) -> Result<ZonedDateTime, String> {
    let time = resolve_time(p)?;
    let year = p.get(F::Year).or(p.get(F::YearOfEra));
    let wby = p.get(F::WeekYear);
    if year.is_none() && wby.is_none() {
        // Year-less: epoch of the current year, then the parsed time, day and month, in `zone`.
        let mut date = NaiveDate::from_ymd_opt(now_year, 1, 1).ok_or("year out of range")?;
        if let Some(d) = p.get(F::Day) {
            date = ymd(now_year as i64, 1, d)?;
        }
        if let Some(m) = p.get(F::Month) {
            let m = check(m, 1, 12, "MonthOfYear")? as u32;
            let last = last_day(now_year, m);
            date = NaiveDate::from_ymd_opt(now_year, m, date.day().min(last)).ok_or("bad date")?;
        }
        let local = date.and_time(time.unwrap_or(NaiveTime::MIN));
        return Ok(ZonedDateTime {
            utc: zone.local_to_utc(&local),
            zone: zone.clone(),
        });
    }
    let parsed_zone = p.zone.clone().or(p.offset.map(Zone::Offset));
    let src_zone = parsed_zone.as_ref().unwrap_or(zone);
    let month = p.get(F::Month);
    let day = p.get(F::Day);
    let date = match (year, month, day, p.get(F::DayOfYear)) {
        (Some(y), Some(m), Some(d), _) => Some(ymd(y, m, d)?),
        (Some(y), _, _, Some(doy)) => Some(
            i32::try_from(y)
                .ok()
                .and_then(|y| {
                    NaiveDate::from_yo_opt(y, check(doy, 1, 366, "DayOfYear").ok()? as u32)
                })
                .ok_or("Invalid day of year")?,
        ),
        _ => None,
    };
    if let (Some(d), Some(dow), Some(_)) = (date, p.get(F::DayOfWeek), p.get(F::Year))
        && d.weekday().number_from_monday() as i64 != dow
    {
        return Err("Conflict found: DayOfWeek".into());
    }
    let local = match (date, time) {
        (Some(d), Some(t)) => d.and_time(t),
        (Some(d), None) => d.and_time(NaiveTime::MIN),
        (None, t) => {
            let y = year.unwrap_or(1970);
            let d = match (t.is_some(), wby, month) {
                // DateFormatters.getLocalDate: week-based year first, then month, else the epoch.
                (true, Some(w), _) => week_date(p, w)?,
                (true, None, Some(m)) => ymd(y, m, day.unwrap_or(1))?,
                (true, None, None) => NaiveDate::from_ymd_opt(1970, 1, 1).ok_or("bad date")?,
                // No time: the year (first of month or of year) wins over a week-based year.
                (false, _, Some(m)) if year.is_some() => ymd(y, m, 1)?,
                (false, _, None) if year.is_some() => ymd(y, 1, 1)?,
                (false, Some(w), _) => week_date(p, w)?,
                (false, None, _) => ymd(y, 1, 1)?,
            };
            d.and_time(t.unwrap_or(NaiveTime::MIN))
        }
    };
    Ok(ZonedDateTime {
        utc: src_zone.local_to_utc(&local),
        zone: zone.clone(),
    })
}

fn last_day(y: i32, m: u32) -> u32 {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    NaiveDate::from_ymd_opt(ny, nm, 1)
        .and_then(|d| d.pred_opt())
        .map(|d| d.day())
        .unwrap_or(28)
}

/// Why a date format failed, as the Java exception Elasticsearch reports in `caused_by`.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// Elasticsearch's exception type, e.g. `illegal_argument_exception`.
    pub kind: &'static str,
    /// The exception message.
    pub reason: String,
}

impl Failure {
    fn iae(reason: String) -> Failure {
        Failure {
            kind: "illegal_argument_exception",
            reason,
        }
    }

    fn nfe(reason: String) -> Failure {
        Failure {
            kind: "number_format_exception",
            reason,
        }
    }
}

/// One entry of the date processor's `formats`, compiled (ES's ingest `DateFormat`).
#[derive(Debug, Clone, PartialEq)]
pub enum DateFormat {
    /// `ISO8601`: ES's lenient `iso8601` formatter.
    Iso8601(DateFormatter),
    /// `UNIX`: seconds as a Java double.
    Unix,
    /// `UNIX_MS`: milliseconds as a Java long.
    UnixMs,
    /// `TAI64N`: the hex TAI64N label.
    Tai64n,
    /// Any other text: an ES `DateFormatter`, or why it does not compile (a failure per
    /// document, as in Elasticsearch, where formats compile lazily).
    Java(Result<DateFormatter, String>),
}

impl DateFormat {
    /// Compiles one `formats` entry.
    pub fn compile(format: &str) -> DateFormat {
        match format {
            "ISO8601" => DateFormat::Iso8601(DateFormatter::of("iso8601").unwrap_or_else(|_| {
                DateFormatter {
                    source: "iso8601".into(),
                    alts: Vec::new(),
                }
            })),
            "UNIX" => DateFormat::Unix,
            "UNIX_MS" => DateFormat::UnixMs,
            "TAI64N" => DateFormat::Tai64n,
            _ => {
                let f = format.strip_prefix('8').unwrap_or(format);
                DateFormat::Java(DateFormatter::of(f))
            }
        }
    }

    /// The compile error, if this format can never parse anything.
    pub fn error(&self) -> Option<&str> {
        match self {
            DateFormat::Java(Err(e)) => Some(e),
            _ => None,
        }
    }

    /// Parses the field's `toString()` (`None` for a null field) into an instant in `zone`.
    pub fn parse(
        &self,
        text: Option<&str>,
        zone: &Zone,
        now_year: i32,
    ) -> Result<ZonedDateTime, Failure> {
        let npe = || Failure {
            kind: "null_pointer_exception",
            reason: "null".into(),
        };
        let out_of_range = |t: &str| Failure::iae(format!("date [{t}] is out of range"));
        match self {
            DateFormat::Iso8601(f) | DateFormat::Java(Ok(f)) => f
                .parse(text.unwrap_or(""), zone, now_year)
                .map_err(Failure::iae),
            DateFormat::Java(Err(e)) => Err(Failure::iae(e.clone())),
            DateFormat::Unix => {
                let t = text.ok_or_else(npe)?;
                let d = java_num::parse_double(t).ok_or_else(|| {
                    let t2 = t.trim_matches(|c: char| c <= ' ');
                    Failure::nfe(if t2.is_empty() {
                        "empty String".into()
                    } else {
                        format!("For input string: \"{t}\"")
                    })
                })?;
                let millis = (d * 1000.0) as i64;
                ZonedDateTime::from_epoch_millis(millis, zone.clone())
                    .ok_or_else(|| out_of_range(t))
            }
            DateFormat::UnixMs => {
                let Some(t) = text else {
                    return Err(Failure::nfe("Cannot parse null string: null".into()));
                };
                let millis = java_num::parse_long(t)
                    .ok_or_else(|| Failure::nfe(format!("For input string: \"{t}\"")))?;
                ZonedDateTime::from_epoch_millis(millis, zone.clone())
                    .ok_or_else(|| out_of_range(t))
            }
            DateFormat::Tai64n => {
                let t = text.ok_or_else(npe)?;
                let t = t.strip_prefix('@').unwrap_or(t);
                let part = |from: usize, to: usize| -> Result<i64, Failure> {
                    let s = t.get(from..to).ok_or_else(|| Failure {
                        kind: "string_index_out_of_bounds_exception",
                        reason: format!(
                            "begin {from}, end {to}, length {}",
                            t.encode_utf16().count()
                        ),
                    })?;
                    java_num::parse_long_radix(s, 16).ok_or_else(|| {
                        Failure::nfe(format!("For input string: \"{s}\" under radix 16"))
                    })
                };
                let base = part(1, 16)?;
                let rest = part(16, 24)?;
                let millis = base
                    .wrapping_mul(1000)
                    .wrapping_sub(10000)
                    .wrapping_add(rest / 1_000_000);
                ZonedDateTime::from_epoch_millis(millis, zone.clone())
                    .ok_or_else(|| out_of_range(t))
            }
        }
    }
}

#[cfg(test)]
mod tests;
