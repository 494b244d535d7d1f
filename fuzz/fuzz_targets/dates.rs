//! Date patterns: Java `DateTimeFormatter` patterns compiled, used to parse text and format
//! instants, and the `date` processor's options. Input: `format \0 text \0 timezone \0 locale`.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use pipette::dates::{DateFormat, DateFormatter, ZonedDateTime};
use pipette::value::{Map, Value};

fuzz_target!(|data: &[u8]| {
    let Some(p) = common::parts(data, 4) else {
        return;
    };
    let (format, text, tz, locale) = (&p[0], &p[1], &p[2], &p[3]);
    let zone = pipette::dates::Zone::of(if tz.is_empty() { "UTC" } else { tz })
        .or_else(|_| pipette::dates::Zone::of("UTC"));
    if let Ok(zone) = zone {
        let f = DateFormat::compile(format);
        if let Ok(t) = f.parse(Some(text), &zone, 2024) {
            let _ = t.epoch_millis();
        }
        if let Ok(df) = DateFormatter::of(format) {
            if let Ok(t) = df.parse(text, &zone, 2024) {
                let _ = df.format(&t);
            }
            for millis in [0i64, -1, 1_715_000_000_000, i64::MAX / 4, i64::MIN / 4] {
                if let Some(t) = ZonedDateTime::from_epoch_millis(millis, zone.clone()) {
                    let _ = df.format(&t);
                }
            }
        }
    }
    let mut opts = Map::default();
    opts.insert("field".into(), Value::from("message"));
    opts.insert(
        "formats".into(),
        Value::List(vec![Value::from(format.as_str())]),
    );
    if !tz.is_empty() {
        opts.insert("timezone".into(), Value::from(tz.as_str()));
    }
    if !locale.is_empty() {
        opts.insert("locale".into(), Value::from(locale.as_str()));
    }
    opts.insert("output_format".into(), Value::from(format.as_str()));
    common::run_one_processor("date", opts, text);
});
