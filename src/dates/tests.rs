//! Tests of date parsing and printing against Elasticsearch's documented results.

use super::*;

const NOW: i32 = 2024;

fn utc() -> Zone {
    Zone::UTC
}

/// Parses with a `formats` entry in `tz` and prints with the processor's default output format.
fn run(format: &str, text: &str, tz: &str) -> Result<String, String> {
    let zone = Zone::of(tz)?;
    let out = DateFormatter::of("yyyy-MM-dd'T'HH:mm:ss.SSSXXX")?;
    DateFormat::compile(format)
        .parse(Some(text), &zone, NOW)
        .map(|t| out.format(&t))
        .map_err(|f| f.reason)
}

#[test]
fn es_yaml_tests() {
    // 30_date_processor.yml
    let cases = [
        (
            "dd/MM/yyyy",
            "12/06/2010",
            "Europe/Amsterdam",
            "2010-06-12T00:00:00.000+02:00",
        ),
        (
            "ISO8601",
            "2010-06-01T00:00:00.000",
            "+01:00",
            "2010-06-01T00:00:00.000+01:00",
        ),
        (
            "ISO8601",
            "2010-06-01T00:00:00.000Z",
            "+01:00",
            "2010-06-01T01:00:00.000+01:00",
        ),
        (
            "yyyy-MM-dd'T'HH:mm:ss.SSSZZ",
            "2018-02-05T13:44:56.657+0100",
            "UTC",
            "2018-02-05T12:44:56.657Z",
        ),
        (
            "yyyy-MM-dd HH:mm:ss Z",
            "2017-04-04 13:43:09 +0200",
            "UTC",
            "2017-04-04T11:43:09.000Z",
        ),
        (
            "dd/MMM/yyyy:H:m:s Z",
            "10/Aug/2018:09:45:56 +0200",
            "UTC",
            "2018-08-10T07:45:56.000Z",
        ),
        ("UNIX", "1", "UTC", "1970-01-01T00:00:01.000Z"),
        ("UNIX_MS", "1", "UTC", "1970-01-01T00:00:00.001Z"),
        (
            "TAI64N",
            "4000000050d506482dbdf024",
            "UTC",
            "2012-12-22T01:00:46.767Z",
        ),
        (
            "TAI64N",
            "@4000000050d506482dbdf024",
            "+02:00",
            "2012-12-22T03:00:46.767+02:00",
        ),
        (
            "ISO8601",
            "2018-02-05T13:44:56.657+0100",
            "UTC",
            "2018-02-05T12:44:56.657Z",
        ),
        (
            "epoch_second",
            "1688548995.987654321",
            "UTC",
            "2023-07-05T09:23:15.987Z",
        ),
        ("YYYY-ww", "2020-33", "UTC", "2020-08-10T00:00:00.000Z"),
        ("UNIX", "1000.5", "UTC", "1970-01-01T00:16:40.500Z"),
        (
            "ISO8601",
            "2001-01-01T00:00:00-0800",
            "UTC",
            "2001-01-01T08:00:00.000Z",
        ),
        (
            "8dd/MM/yyyy",
            "12/06/2010",
            "UTC",
            "2010-06-12T00:00:00.000Z",
        ),
    ];
    for (fmt, text, tz, want) in cases {
        assert_eq!(run(fmt, text, tz).as_deref(), Ok(want), "{fmt} {text} {tz}");
    }
}

#[test]
fn iso8601_leniency() {
    let ok = [
        ("2024-08-05T15:41:18.411017Z", "2024-08-05T15:41:18.411Z"),
        ("2024-08-05T15:41:18+0200", "2024-08-05T13:41:18.000Z"),
        ("2024-08-05T15:41:18+02:00", "2024-08-05T13:41:18.000Z"),
        ("2024-08-05T15:41:18", "2024-08-05T15:41:18.000Z"),
        ("2024-08-05T15:41", "2024-08-05T15:41:00.000Z"),
        ("2024-08-05", "2024-08-05T00:00:00.000Z"),
        ("2024-08", "2024-08-01T00:00:00.000Z"),
        ("2024", "2024-01-01T00:00:00.000Z"),
        ("2024-08-05T15:41:18,5Z", "2024-08-05T15:41:18.500Z"),
        (
            "2024-08-05T15:41:18.123456789Europe/Paris",
            "2024-08-05T13:41:18.123Z",
        ),
    ];
    for (text, want) in ok {
        assert_eq!(run("ISO8601", text, "UTC").as_deref(), Ok(want), "{text}");
    }
    // Elasticsearch's parser wants the `T`.
    assert_eq!(
        run("ISO8601", "2024-08-05 15:41:18", "UTC").unwrap_err(),
        "failed to parse date field [2024-08-05 15:41:18] with format [iso8601]"
    );
    assert!(run("ISO8601", "2023-02-30", "UTC").is_err());
    assert!(
        run(
            "strict_date_optional_time_nanos",
            "2024-08-05T15:41Z",
            "UTC"
        )
        .is_err()
    );
    assert_eq!(
        run(
            "strict_date_optional_time_nanos",
            "2024-08-05T15:41:01Z",
            "UTC"
        )
        .as_deref(),
        Ok("2024-08-05T15:41:01.000Z")
    );
}

#[test]
fn java_patterns() {
    let cases = [
        (
            "MMM dd HH:mm:ss",
            "Aug 05 15:41:18",
            "UTC",
            "2024-08-05T15:41:18.000Z",
        ),
        (
            "MMM  d HH:mm:ss",
            "Aug  5 15:41:18",
            "America/New_York",
            "2024-08-05T15:41:18.000-04:00",
        ),
        // Year-less: a zone in the text is dropped, the configured one is used (ES DateFormat.Java).
        (
            "MMM dd HH:mm:ss z",
            "Aug 05 15:41:18 PST",
            "UTC",
            "2024-08-05T15:41:18.000Z",
        ),
        ("MMM dd", "Feb 29", "UTC", "2024-02-29T00:00:00.000Z"),
        (
            "EEE MMM dd HH:mm:ss yyyy",
            "Mon Aug 05 15:41:18 2024",
            "UTC",
            "2024-08-05T15:41:18.000Z",
        ),
        // `yyyy` leaves the date unresolved in STRICT mode, so a wrong weekday is not checked.
        (
            "EEE MMM dd HH:mm:ss yyyy",
            "Tue Aug 05 15:41:18 2024",
            "UTC",
            "2024-08-05T15:41:18.000Z",
        ),
        (
            "EEEE, MMMM d, yyyy h:mm a",
            "Monday, August 5, 2024 3:41 PM",
            "UTC",
            "2024-08-05T15:41:00.000Z",
        ),
        (
            "M/d/yyyy h:mm:ss a",
            "8/5/2024 12:01:02 AM",
            "UTC",
            "2024-08-05T00:01:02.000Z",
        ),
        (
            "yyyy-MM-dd HH:mm:ss,SSS",
            "2024-08-05 15:41:18,123",
            "UTC",
            "2024-08-05T15:41:18.123Z",
        ),
        (
            "yyyy-MM-dd HH:mm:ss.SSSSSS",
            "2024-08-05 15:41:18.123456",
            "UTC",
            "2024-08-05T15:41:18.123Z",
        ),
        (
            "yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSSZ",
            "2024-08-05T15:41:18.123456789+0000",
            "UTC",
            "2024-08-05T15:41:18.123Z",
        ),
        (
            "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
            "2024-08-05T15:41:18.123+05:30",
            "UTC",
            "2024-08-05T10:11:18.123Z",
        ),
        (
            "yyyy-MM-dd'T'HH:mm:ssX",
            "2024-08-05T15:41:18Z",
            "UTC",
            "2024-08-05T15:41:18.000Z",
        ),
        (
            "uuuu-MM-dd'T'HH:mm:ssX",
            "2024-08-05T15:41:18+01",
            "UTC",
            "2024-08-05T14:41:18.000Z",
        ),
        (
            "yyyy-MM-dd HH:mm:ss z",
            "2024-08-05 15:41:18 CEST",
            "UTC",
            "2024-08-05T13:41:18.000Z",
        ),
        (
            "yyyy-MM-dd HH:mm:ss z",
            "2024-01-05 15:41:18 UTC",
            "+01:00",
            "2024-01-05T16:41:18.000+01:00",
        ),
        (
            "yyyy-MM-dd HH:mm:ss VV",
            "2024-01-05 15:41:18 Europe/Berlin",
            "UTC",
            "2024-01-05T14:41:18.000Z",
        ),
        (
            "yyyy-MM-dd HH:mm:ssZ",
            "2024-01-05 15:41:18-0500",
            "UTC",
            "2024-01-05T20:41:18.000Z",
        ),
        (
            "yyyyMMdd'T'HHmmss",
            "20240805T154118",
            "UTC",
            "2024-08-05T15:41:18.000Z",
        ),
        (
            "yyMMdd H:m:s",
            "240805 5:1:8",
            "UTC",
            "2024-08-05T05:01:08.000Z",
        ),
        (
            "dd/MMM/yyyy:HH:mm:ss Z||yyyy-MM-dd",
            "2024-08-05",
            "UTC",
            "2024-08-05T00:00:00.000Z",
        ),
        (
            "yyyy-MM-dd['T'HH:mm:ss]",
            "2024-08-05T01:02:03",
            "UTC",
            "2024-08-05T01:02:03.000Z",
        ),
        (
            "yyyy-MM-dd['T'HH:mm:ss]",
            "2024-08-05",
            "UTC",
            "2024-08-05T00:00:00.000Z",
        ),
        // `hh` without `a` gives no time of day: Elasticsearch keeps the start of the day.
        (
            "yyyy-MM-dd'T'hh:mm:ssXXX",
            "2024-08-05T03:41:18+02:00",
            "UTC",
            "2024-08-04T22:00:00.000Z",
        ),
        (
            "MM/dd/yyyy",
            "08/05/2024",
            "Europe/Amsterdam",
            "2024-08-05T00:00:00.000+02:00",
        ),
        (
            "HH:mm:ss.SSS",
            "15:41:18.123",
            "UTC",
            "2024-01-01T15:41:18.123Z",
        ),
        (
            "epoch_millis",
            "1722872478123",
            "UTC",
            "2024-08-05T15:41:18.123Z",
        ),
        (
            "strict_date_time",
            "2024-08-05T15:41:18.123Z",
            "UTC",
            "2024-08-05T15:41:18.123Z",
        ),
        (
            "basic_date_time",
            "20240805T154118.123+0200",
            "UTC",
            "2024-08-05T13:41:18.123Z",
        ),
        (
            "date_optional_time",
            "2024-8-5T1:2",
            "UTC",
            "2024-08-05T01:02:00.000Z",
        ),
        (
            "strictDateOptionalTime",
            "2024-08-05",
            "UTC",
            "2024-08-05T00:00:00.000Z",
        ),
    ];
    for (fmt, text, tz, want) in cases {
        assert_eq!(run(fmt, text, tz).as_deref(), Ok(want), "{fmt} {text} {tz}");
    }
}

#[test]
fn java_pattern_failures() {
    let fails = [
        ("uuuu-MM-dd EEE", "2024-08-05 Tue"),
        ("yyyy-MM-dd", "2023-02-29"),
        ("yyyy-MM-dd HH:mm", "2024-08-05 24:00"),
        ("MMM dd", "aug 05"),
        ("HH:mm a", "13:00 AM"),
        ("yyyy-MM-dd HH:mm:ss", "2024-08-05T15:41:18"),
        ("yyyy-MM-dd'T'HH:mm:ssZ", "2024-08-05T15:41:18Z"),
    ];
    for (fmt, text) in fails {
        assert_eq!(
            run(fmt, text, "UTC").unwrap_err(),
            format!("failed to parse date field [{text}] with format [{fmt}]"),
            "{fmt} {text}"
        );
    }
    assert_eq!(
        run("ISO_INSTANT", "2024-08-05T15:41:18Z", "UTC").unwrap_err(),
        "Invalid format: [ISO_INSTANT]: Unknown pattern letter: I"
    );
    assert_eq!(
        run("UNIX", "abc", "UTC").unwrap_err(),
        "For input string: \"abc\""
    );
    assert_eq!(
        run("UNIX_MS", "1.5", "UTC").unwrap_err(),
        "For input string: \"1.5\""
    );
    assert_eq!(
        run("TAI64N", "40", "UTC").unwrap_err(),
        "begin 1, end 16, length 2"
    );
    let null = DateFormat::compile("ISO8601")
        .parse(None, &utc(), NOW)
        .unwrap_err();
    assert_eq!(null.reason, "cannot parse empty date");
}

#[test]
fn unix_truncates_like_java() {
    assert_eq!(
        run("UNIX", "1.9999", "UTC").as_deref(),
        Ok("1970-01-01T00:00:01.999Z")
    );
    assert_eq!(
        run("UNIX", " 1e3 ", "UTC").as_deref(),
        Ok("1970-01-01T00:16:40.000Z")
    );
    assert_eq!(
        run("UNIX", "NaN", "UTC").as_deref(),
        Ok("1970-01-01T00:00:00.000Z")
    );
    assert_eq!(
        run("UNIX", "-1.5", "UTC").as_deref(),
        Ok("1969-12-31T23:59:58.500Z")
    );
}

#[test]
fn printing() {
    let t = DateFormat::compile("ISO8601")
        .parse(
            Some("2024-08-05T15:41:18.123456789Z"),
            &Zone::of("Europe/Paris").unwrap(),
            NOW,
        )
        .unwrap();
    let p = |f: &str| DateFormatter::of(f).unwrap().format(&t);
    assert_eq!(
        p("yyyy-MM-dd'T'HH:mm:ss.SSSXXX"),
        "2024-08-05T17:41:18.123+02:00"
    );
    assert_eq!(
        p("yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSSZ"),
        "2024-08-05T17:41:18.123456789+0200"
    );
    assert_eq!(
        p("EEE, dd MMM yyyy hh:mm a z"),
        "Mon, 05 Aug 2024 05:41 PM CEST"
    );
    assert_eq!(p("EEEE MMMM d yy VV"), "Monday August 5 24 Europe/Paris");
    assert_eq!(p("xx X x"), "+0200 +02 +02");
    assert_eq!(
        p("strict_date_optional_time_nanos"),
        "2024-08-05T17:41:18.123456789+02:00"
    );
    assert_eq!(p("epoch_millis"), "1722872478123.456789");
    assert_eq!(p("epoch_second"), "1722872478.123456789");
    assert_eq!(p("yyyy-MM-dd||epoch_millis"), "2024-08-05");
    let u = ZonedDateTime::from_epoch_millis(0, Zone::UTC).unwrap();
    assert_eq!(
        DateFormatter::of("XXX xxx Z").unwrap().format(&u),
        "Z +00:00 +0000"
    );
}

#[test]
fn formatter_errors() {
    assert_eq!(
        DateFormatter::of("").unwrap_err(),
        "No date pattern provided"
    );
    assert_eq!(
        DateFormatter::of("yyyy-MM-dd||HHH").unwrap_err(),
        "Invalid format: [HHH]: Too many pattern letters: H"
    );
}

/// Every `formats` entry of the corpus pipelines compiles (ISO_INSTANT fails in Elasticsearch
/// too: it is not a pattern ES knows, so those processors always fail on it).
#[test]
fn corpus_formats_compile() {
    let root = &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/packages");
    if !root.is_dir() {
        eprintln!(
            "skipping corpus_formats_compile: {} is absent",
            root.display()
        );
        return;
    }
    let mut seen = 0;
    let mut bad = Vec::new();
    for entry in walkdir::WalkDir::new(root).into_iter().flatten() {
        let path = entry.path();
        let is_pipeline = path
            .components()
            .any(|c| c.as_os_str() == "ingest_pipeline")
            && path.extension().is_some_and(|e| e == "yml" || e == "json");
        if !is_pipeline {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let Ok(v) = serde_norway::from_str::<crate::value::Value>(&text) else {
            continue;
        };
        let mut formats = Vec::new();
        collect_formats(&v, &mut formats);
        for f in formats {
            seen += 1;
            if let Some(e) = DateFormat::compile(&f).error()
                && f != "ISO_INSTANT"
            {
                bad.push(format!("{}: {f}: {e}", path.display()));
            }
        }
    }
    assert!(seen > 1000, "only {seen} formats found");
    assert!(
        bad.is_empty(),
        "formats that do not compile:\n{}",
        bad.join("\n")
    );
}

fn collect_formats(v: &crate::value::Value, out: &mut Vec<String>) {
    use crate::value::Value;
    match v {
        Value::Map(m) => {
            for (k, x) in m {
                if k == "date"
                    && let Some(Value::List(l)) = x.as_map().and_then(|d| d.get("formats"))
                {
                    out.extend(l.iter().map(Value::to_java_string));
                }
                collect_formats(x, out);
            }
        }
        Value::List(l) => l.iter().for_each(|x| collect_formats(x, out)),
        _ => {}
    }
}
