//! Java `ZoneId`s over chrono-tz: fixed offsets, offset-style regions (`UTC+01:00`) and tzdb regions.

use chrono::{Duration, NaiveDateTime, Offset, TimeZone};
use chrono_tz::{OffsetName, Tz};
use std::str::FromStr;

/// A Java `ZoneId`: what a parsed or configured time zone resolves to.
#[derive(Debug, Clone, PartialEq)]
pub enum Zone {
    /// A `ZoneOffset` (seconds east of UTC); `Z` when zero.
    Offset(i32),
    /// A `ZoneRegion` with fixed rules, such as `UTC+01:00` or `GMT`.
    Fixed {
        /// The id as Java normalises it.
        id: String,
        /// Seconds east of UTC.
        secs: i32,
    },
    /// A tzdb region such as `Europe/Amsterdam`.
    Region(Tz),
}

impl Zone {
    /// `ZoneOffset.UTC`, the default zone.
    pub const UTC: Zone = Zone::Offset(0);

    /// Java `ZoneId.of(text)`.
    pub fn of(text: &str) -> Result<Zone, String> {
        if text == "Z" || text.starts_with('+') || text.starts_with('-') {
            return parse_offset_id(text).map(Zone::Offset);
        }
        for prefix in ["UTC", "GMT", "UT"] {
            if let Some(rest) = text.strip_prefix(prefix) {
                if rest.is_empty() {
                    return Ok(match prefix {
                        "UTC" => Zone::Region(Tz::UTC),
                        _ => Zone::Fixed {
                            id: prefix.to_string(),
                            secs: 0,
                        },
                    });
                }
                if rest.starts_with('+') || rest.starts_with('-') {
                    let secs = parse_offset_id(rest)?;
                    let id = if secs == 0 {
                        prefix.to_string()
                    } else {
                        format!("{prefix}{}", offset_id(secs))
                    };
                    return Ok(Zone::Fixed { id, secs });
                }
            }
        }
        let valid_syntax = text.len() >= 2
            && text.starts_with(|c: char| c.is_ascii_alphabetic())
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "~/._+-".contains(c));
        if !valid_syntax {
            return Err(format!(
                "Invalid ID for region-based ZoneId, invalid format: {text}"
            ));
        }
        Tz::from_str(text)
            .map(Zone::Region)
            .map_err(|_| format!("Unknown time-zone ID: {text}"))
    }

    /// Seconds east of UTC at the given UTC instant.
    pub fn offset_at(&self, utc: &NaiveDateTime) -> i32 {
        match self {
            Zone::Offset(s) | Zone::Fixed { secs: s, .. } => *s,
            Zone::Region(tz) => tz.offset_from_utc_datetime(utc).fix().local_minus_utc(),
        }
    }

    /// The UTC instant of a local date-time, as Java's `ZonedDateTime.ofLocal` resolves
    /// gaps (moved later by the gap) and overlaps (earlier offset).
    pub fn local_to_utc(&self, local: &NaiveDateTime) -> NaiveDateTime {
        // Within a day of chrono's range (±262,143 years) the subtraction has no answer; the
        // date parsers reject such years before they get here and Painless checks its bounds
        // first, so the local time is kept rather than panicking.
        let minus = |secs: i32| {
            local
                .checked_sub_signed(Duration::seconds(secs as i64))
                .unwrap_or(*local)
        };
        match self {
            Zone::Offset(s) | Zone::Fixed { secs: s, .. } => minus(*s),
            Zone::Region(tz) => match tz.offset_from_local_datetime(local) {
                chrono::LocalResult::Single(o) => minus(o.fix().local_minus_utc()),
                chrono::LocalResult::Ambiguous(a, _) => minus(a.fix().local_minus_utc()),
                chrono::LocalResult::None => {
                    // In a gap: Java keeps the offset from before the transition.
                    let day_before = local
                        .checked_sub_signed(Duration::days(1))
                        .unwrap_or(*local);
                    minus(
                        tz.offset_from_utc_datetime(&day_before)
                            .fix()
                            .local_minus_utc(),
                    )
                }
            },
        }
    }

    /// Java `ZoneId.getId()`.
    pub fn id(&self) -> String {
        match self {
            Zone::Offset(s) => offset_id(*s),
            Zone::Fixed { id, .. } => id.clone(),
            Zone::Region(tz) => tz.name().to_string(),
        }
    }

    /// The short display name (`z`) at an instant; approximated by tzdb abbreviations.
    pub fn short_name(&self, utc: &NaiveDateTime) -> String {
        match self {
            Zone::Offset(s) => offset_id(*s),
            Zone::Fixed { id, .. } => id.clone(),
            Zone::Region(tz) => {
                let off = tz.offset_from_utc_datetime(utc);
                match off.abbreviation() {
                    Some(a) if !a.starts_with('+') && !a.starts_with('-') => a.to_string(),
                    _ => {
                        let s = off.fix().local_minus_utc();
                        if s == 0 {
                            "GMT".to_string()
                        } else {
                            format!("GMT{}", offset_id(s))
                        }
                    }
                }
            }
        }
    }
}

/// Java `ZoneOffset.getId()`: `Z`, `+01:00`, `-05:30`, `+01:02:03`.
pub fn offset_id(secs: i32) -> String {
    if secs == 0 {
        return "Z".to_string();
    }
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    let (h, m, s) = (a / 3600, a / 60 % 60, a % 60);
    if s == 0 {
        format!("{sign}{h:02}:{m:02}")
    } else {
        format!("{sign}{h:02}:{m:02}:{s:02}")
    }
}

/// Java `ZoneOffset.of(text)`: `Z`, `+h`, `+hh`, `+hh:mm`, `+hhmm`, `+hh:mm:ss`, `+hhmmss`.
pub fn parse_offset_id(text: &str) -> Result<i32, String> {
    let bad = || format!("Invalid ID for ZoneOffset, invalid format: {text}");
    if text == "Z" {
        return Ok(0);
    }
    let (neg, rest) = match (text.strip_prefix('+'), text.strip_prefix('-')) {
        (Some(rest), _) => (false, rest),
        (_, Some(rest)) => (true, rest),
        _ => return Err(bad()),
    };
    if !rest.bytes().all(|b| b.is_ascii_digit() || b == b':') {
        return Err(bad());
    }
    let num = |s: &str| s.parse::<i32>().map_err(|_| bad());
    // `rest` is ASCII (checked above) and each arm's cuts fit the length it matched.
    let (h, m, s) = match rest.len() {
        1 | 2 if !rest.contains(':') => (num(rest)?, 0, 0),
        4 if !rest.contains(':') => (num(&rest[..2])?, num(&rest[2..])?, 0),
        5 if rest.as_bytes()[2] == b':' => (num(&rest[..2])?, num(&rest[3..])?, 0),
        6 if !rest.contains(':') => (num(&rest[..2])?, num(&rest[2..4])?, num(&rest[4..])?),
        8 if rest.as_bytes()[2] == b':' && rest.as_bytes()[5] == b':' => {
            (num(&rest[..2])?, num(&rest[3..5])?, num(&rest[6..])?)
        }
        _ => return Err(bad()),
    };
    if h > 18 || m > 59 || s > 59 || (h == 18 && (m > 0 || s > 0)) {
        return Err(format!(
            "Zone offset hours not in valid range: value {h} is not in the range -18 to 18"
        ));
    }
    let total = h * 3600 + m * 60 + s;
    Ok(if neg { -total } else { total })
}

/// Zone names a `z`/`zzzz` pattern letter accepts, mapped to the zone Java resolves them to
/// (English names; the metazone's "golden" region for daylight-saving abbreviations).
pub(crate) const ZONE_NAMES: &[(&str, &str)] = &[
    ("Coordinated Universal Time", "UTC"),
    ("Greenwich Mean Time", "GMT"),
    ("Pacific Standard Time", "America/Los_Angeles"),
    ("Pacific Daylight Time", "America/Los_Angeles"),
    ("Mountain Standard Time", "America/Denver"),
    ("Mountain Daylight Time", "America/Denver"),
    ("Central Standard Time", "America/Chicago"),
    ("Central Daylight Time", "America/Chicago"),
    ("Eastern Standard Time", "America/New_York"),
    ("Eastern Daylight Time", "America/New_York"),
    ("Central European Time", "Europe/Paris"),
    ("Central European Summer Time", "Europe/Paris"),
    ("Central European Standard Time", "Europe/Paris"),
    ("Eastern European Time", "Europe/Bucharest"),
    ("Eastern European Summer Time", "Europe/Bucharest"),
    ("Western European Time", "Europe/Lisbon"),
    ("Western European Summer Time", "Europe/Lisbon"),
    ("British Summer Time", "Europe/London"),
    ("India Standard Time", "Asia/Kolkata"),
    ("Japan Standard Time", "Asia/Tokyo"),
    ("China Standard Time", "Asia/Shanghai"),
    ("PST", "America/Los_Angeles"),
    ("PDT", "America/Los_Angeles"),
    ("MST", "America/Denver"),
    ("MDT", "America/Denver"),
    ("CST", "America/Chicago"),
    ("CDT", "America/Chicago"),
    ("EST", "America/New_York"),
    ("EDT", "America/New_York"),
    ("AKST", "America/Anchorage"),
    ("AKDT", "America/Anchorage"),
    ("HST", "Pacific/Honolulu"),
    ("AST", "America/Halifax"),
    ("ADT", "America/Halifax"),
    ("NST", "America/St_Johns"),
    ("NDT", "America/St_Johns"),
    ("CET", "Europe/Paris"),
    ("CEST", "Europe/Paris"),
    ("EET", "Europe/Bucharest"),
    ("EEST", "Europe/Bucharest"),
    ("WET", "Europe/Lisbon"),
    ("WEST", "Europe/Lisbon"),
    // Java's English zone names give `BST` to Bougainville Standard Time, not British Summer
    // Time (mimecast golden: "18:17:30 BST" → 07:17:30Z).
    ("BST", "Pacific/Bougainville"),
    // Java's English zone names give `IST` to Israel (sophos golden: "2017-03-16 12:56:01 IST"
    // → 10:56:01Z).
    ("IST", "Asia/Jerusalem"),
    ("MSK", "Europe/Moscow"),
    ("JST", "Asia/Tokyo"),
    ("KST", "Asia/Seoul"),
    ("HKT", "Asia/Hong_Kong"),
    ("SGT", "Asia/Singapore"),
    ("AEST", "Australia/Sydney"),
    ("AEDT", "Australia/Sydney"),
    ("ACST", "Australia/Adelaide"),
    ("ACDT", "Australia/Adelaide"),
    ("AWST", "Australia/Perth"),
    ("NZST", "Pacific/Auckland"),
    ("NZDT", "Pacific/Auckland"),
    ("SAST", "Africa/Johannesburg"),
    ("CAT", "Africa/Maputo"),
    ("EAT", "Africa/Nairobi"),
    ("WAT", "Africa/Lagos"),
    ("PKT", "Asia/Karachi"),
    ("ICT", "Asia/Bangkok"),
    ("WIB", "Asia/Jakarta"),
    ("PHT", "Asia/Manila"),
];

/// Parses a zone name or id at the start of `text` (Java's zone-text / zone-id parsers):
/// returns the zone and the number of bytes used. Longest match wins.
pub(crate) fn parse_zone_prefix(text: &str, names: bool) -> Option<(Zone, usize)> {
    let first = *text.as_bytes().first()?;
    if first == b'+' || first == b'-' {
        return parse_offset_prefix(text, 0).map(|(s, n)| (Zone::Offset(s), n));
    }
    // `UTC`, `GMT`, `UT`, optionally followed by an offset.
    for prefix in ["UTC", "GMT", "UT"] {
        if let Some(rest) = text.strip_prefix(prefix)
            && let Some((secs, n)) = parse_offset_prefix(rest, prefix.len())
        {
            let id = if secs == 0 {
                prefix.to_string()
            } else {
                format!("{prefix}{}", offset_id(secs))
            };
            return Some((Zone::Fixed { id, secs }, prefix.len() + n));
        }
    }
    let mut best: Option<(Zone, usize)> = None;
    // `ties`: an equally long match replaces the current one.
    let mut consider = |len: usize, zone: Zone, ties: bool| {
        if best
            .as_ref()
            .is_none_or(|(_, l)| len > *l || (ties && len == *l))
        {
            best = Some((zone, len));
        }
    };
    for tz in chrono_tz::TZ_VARIANTS.iter() {
        let name = tz.name();
        if text.starts_with(name) {
            consider(name.len(), Zone::Region(*tz), false);
        }
    }
    if names {
        // A display name beats an equally long zone id: Java's zone-text parser maps `EST` to
        // its metazone's zone (America/New_York, with DST), not to the fixed `EST` id.
        for (name, id) in ZONE_NAMES {
            if text.starts_with(name)
                && let Ok(tz) = Tz::from_str(id)
            {
                consider(name.len(), Zone::Region(tz), true);
            }
        }
    }
    if best.is_none() && first == b'Z' {
        return Some((Zone::UTC, 1));
    }
    // `UTC`/`GMT`/`UT` alone.
    if let Some((zone, n)) = &best {
        return Some((zone.clone(), *n));
    }
    for prefix in ["UTC", "GMT", "UT"] {
        if text.starts_with(prefix) {
            return Some((
                Zone::Fixed {
                    id: prefix.to_string(),
                    secs: 0,
                },
                prefix.len(),
            ));
        }
    }
    None
}

/// An offset like `+01:00`, `+0100` or `+01` at the start of `text` (after a zone-id prefix
/// when `after_prefix` > 0, where `+1` is also allowed).
fn parse_offset_prefix(text: &str, after_prefix: usize) -> Option<(i32, usize)> {
    let b = text.as_bytes();
    let neg = match b.first()? {
        b'+' => false,
        b'-' => true,
        _ => return None,
    };
    let digits = |from: usize, n: usize| -> Option<i32> {
        let s = text.get(from..from + n)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())
            .flatten()
    };
    let (h, mut pos) = match digits(1, 2) {
        Some(h) => (h, 3),
        None if after_prefix > 0 => (digits(1, 1)?, 2),
        None => return None,
    };
    let mut m = 0;
    let mut s = 0;
    if b.get(pos) == Some(&b':') {
        if let Some(v) = digits(pos + 1, 2) {
            m = v;
            pos += 3;
            if b.get(pos) == Some(&b':')
                && let Some(v) = digits(pos + 1, 2)
            {
                s = v;
                pos += 3;
            }
        }
    } else if let Some(v) = digits(pos, 2) {
        m = v;
        pos += 2;
    }
    if h > 18 || m > 59 || s > 59 {
        return None;
    }
    let total = h * 3600 + m * 60 + s;
    Some((if neg { -total } else { total }, pos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_ids() {
        assert_eq!(Zone::of("Z").unwrap(), Zone::UTC);
        assert_eq!(Zone::of("+01:00").unwrap(), Zone::Offset(3600));
        assert_eq!(Zone::of("-0530").unwrap(), Zone::Offset(-19800));
        assert_eq!(Zone::of("+2").unwrap(), Zone::Offset(7200));
        assert_eq!(Zone::of("UTC").unwrap(), Zone::Region(Tz::UTC));
        assert_eq!(Zone::of("GMT+01:00").unwrap().id(), "GMT+01:00");
        assert_eq!(
            Zone::of("Europe/Amsterdam").unwrap().id(),
            "Europe/Amsterdam"
        );
        assert_eq!(
            Zone::of("Mars/Olympus").unwrap_err(),
            "Unknown time-zone ID: Mars/Olympus"
        );
        assert!(Zone::of("+25:00").is_err());
        assert!(Zone::of("").is_err());
    }

    #[test]
    fn local_resolution_follows_java() {
        let z = Zone::of("Europe/Amsterdam").unwrap();
        let t = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        // Gap: 02:30 does not exist on 2024-03-31; Java moves it to 03:30 CEST = 01:30Z.
        assert_eq!(
            z.local_to_utc(&t("2024-03-31 02:30:00")),
            t("2024-03-31 01:30:00")
        );
        // Overlap: 02:30 happens twice on 2024-10-27; Java takes the earlier offset (+02:00).
        assert_eq!(
            z.local_to_utc(&t("2024-10-27 02:30:00")),
            t("2024-10-27 00:30:00")
        );
        assert_eq!(z.short_name(&t("2024-07-01 00:00:00")), "CEST");
    }

    #[test]
    fn zone_prefixes() {
        let (z, _) = parse_zone_prefix("IST", true).unwrap();
        assert_eq!(z.id(), "Asia/Jerusalem");
        let (z, _) = parse_zone_prefix("BST", true).unwrap();
        assert_eq!(z.id(), "Pacific/Bougainville");
        // `EST` as a zone name is America/New_York (daylight time in July), as in Java.
        let (z, n) = parse_zone_prefix("EST x", true).unwrap();
        assert_eq!((z.id(), n), ("America/New_York".to_string(), 3));
        let (z, _) = parse_zone_prefix("EST x", false).unwrap();
        assert_eq!(z.id(), "EST");
        let (z, n) = parse_zone_prefix("CEST 2024", true).unwrap();
        assert_eq!((z.id().as_str(), n), ("Europe/Paris", 4));
        let (z, n) = parse_zone_prefix("America/New_York", true).unwrap();
        assert_eq!((z.id().as_str(), n), ("America/New_York", 16));
        let (z, n) = parse_zone_prefix("UTC+2", true).unwrap();
        assert_eq!(
            (z, n),
            (
                Zone::Fixed {
                    id: "UTC+02:00".into(),
                    secs: 7200
                },
                5
            )
        );
        let (z, _) = parse_zone_prefix("UTC", true).unwrap();
        assert_eq!(z.id(), "UTC");
    }
}
