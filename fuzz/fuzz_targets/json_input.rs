//! JSON test inputs and golden files: `{"events": [...]}` parsing, `pipette run`'s streaming
//! reader (auto-detected JSON / NDJSON / lines), and JSON printing of what was read.

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
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(v) = Value::from_json_str(text)
    {
        let again = v.to_json();
        let _ = Value::from_json_str(&again);
    }
    for kind in [InputKind::Auto, InputKind::Json, InputKind::Ndjson] {
        for ev in EventReader::new(data, kind).take(1000) {
            if let Ok(m) = ev {
                let _ = Value::Map(m).to_json();
            }
        }
    }
});
