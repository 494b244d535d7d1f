//! JSON test inputs and golden files: `{"events": [...]}` parsing, `pipette run`'s streaming
//! reader (auto-detected JSON / NDJSON / lines), JSON printing of what was read, and
//! `Value::from_json_str` against serde_json.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pipette::harness::input::json_events;
use pipette::harness::stream::{EventReader, InputKind};
use pipette::value::Value;

fuzz_target!(|data: &[u8]| {
    if let Ok(events) = json_events(data) {
        for e in events {
            let v = Value::Map(e);
            let _ = v.to_json_pretty_sorted(4);
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        // from_json_str reads with its own reader and falls back to serde_json: the value or
        // the error must be serde_json's either way.
        let read = Value::from_json_str(text);
        let reference = serde_json::from_str::<Value>(text);
        match (&read, &reference) {
            (Ok(a), Ok(b)) => {
                assert!(a == b, "{text:?}");
                assert_eq!(a.to_json(), b.to_json(), "{text:?}");
            }
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{text:?}"),
            _ => panic!("{text:?}: {read:?} against serde_json's {reference:?}"),
        }
        if let Ok(v) = read {
            let again = v.to_json();
            let _ = Value::from_json_str(&again);
        }
    }
    for kind in [InputKind::Auto, InputKind::Json, InputKind::Ndjson] {
        for ev in EventReader::new(data, kind).take(1000) {
            if let Ok(m) = ev {
                let _ = Value::Map(m).to_json();
            }
        }
    }
});
