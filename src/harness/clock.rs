//! The `_ingest.timestamp` clock: real or fixed, printed as Java's `ZonedDateTime.toString()`.

use chrono::{DateTime, Datelike, SubsecRound, Timelike, Utc};

/// Where `_ingest.timestamp` comes from.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Clock {
    /// The real time when each document starts (microsecond precision, as a JVM on Linux).
    #[default]
    Real,
    /// A fixed instant, for reproducible output, with its text (the same for every document).
    Fixed {
        /// The instant.
        at: DateTime<Utc>,
        /// Its `_ingest.timestamp` text.
        text: String,
    },
}

impl Clock {
    /// A clock stopped at `at`.
    pub fn fixed(at: DateTime<Utc>) -> Clock {
        Clock::Fixed {
            at,
            text: java_zoned_utc(at),
        }
    }

    /// A fixed clock from an RFC 3339 timestamp (`2024-01-02T03:04:05Z`, any offset).
    pub fn parse(text: &str) -> Result<Clock, String> {
        DateTime::parse_from_rfc3339(text.trim())
            .map(|t| Clock::fixed(t.with_timezone(&Utc)))
            .map_err(|e| {
                format!(
                    "invalid --now [{text}]: {e} (expected RFC 3339, e.g. 2024-01-02T03:04:05Z)"
                )
            })
    }

    /// This clock stopped at the current instant (a fixed clock stays as it is), so that two
    /// runs of one document see the same `_ingest.timestamp`.
    pub fn frozen(&self) -> Clock {
        match self {
            Clock::Real => Clock::fixed(Utc::now().trunc_subsecs(6)),
            fixed => fixed.clone(),
        }
    }

    /// The current `_ingest.timestamp` text.
    pub fn timestamp(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Clock::Real => java_zoned_utc(Utc::now().trunc_subsecs(6)).into(),
            Clock::Fixed { text, .. } => text.as_str().into(),
        }
    }
}

/// Java's `ZonedDateTime.toString()` for a UTC instant (`2024-01-02T03:04:05.123Z`; seconds and
/// fractions only when non-zero; fractions in groups of 3 digits).
pub fn java_zoned_utc(t: DateTime<Utc>) -> String {
    let year = t.year();
    let mut s = if (0..=9999).contains(&year) {
        format!("{year:04}")
    } else if year > 9999 {
        format!("+{year}")
    } else {
        format!("-{:04}", -year)
    };
    s.push_str(&format!(
        "-{:02}-{:02}T{:02}:{:02}",
        t.month(),
        t.day(),
        t.hour(),
        t.minute()
    ));
    let nano = t.nanosecond() % 1_000_000_000;
    let sec = t.second();
    if sec > 0 || nano > 0 {
        s.push_str(&format!(":{sec:02}"));
        if nano > 0 {
            if nano.is_multiple_of(1_000_000) {
                s.push_str(&format!(".{:03}", nano / 1_000_000));
            } else if nano.is_multiple_of(1000) {
                s.push_str(&format!(".{:06}", nano / 1000));
            } else {
                s.push_str(&format!(".{nano:09}"));
            }
        }
    }
    s.push('Z');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_zoned_date_time_to_string() {
        for (input, want) in [
            ("2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"),
            ("2024-01-02T03:04:00Z", "2024-01-02T03:04Z"),
            ("2024-01-02T03:04:00.5Z", "2024-01-02T03:04:00.500Z"),
            ("2024-01-02T03:04:05.123456Z", "2024-01-02T03:04:05.123456Z"),
            (
                "2024-01-02T03:04:05.123456789Z",
                "2024-01-02T03:04:05.123456789Z",
            ),
            ("2024-01-02T05:04:05+02:00", "2024-01-02T03:04:05Z"),
        ] {
            assert_eq!(Clock::parse(input).unwrap().timestamp(), want, "{input}");
        }
        assert!(Clock::parse("yesterday").is_err());
    }

    #[test]
    fn real_clock_is_parseable() {
        let ts = Clock::Real.timestamp();
        assert!(ts.ends_with('Z') && ts.contains('T'), "{ts}");
    }
}
