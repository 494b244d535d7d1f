//! Grok expressions (pattern expansion, Oniguruma compilation, captures, type conversion),
//! through the `grok` processor. Input: `pattern \0 text \0 custom pattern definition`.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use pipette::value::{Map, Value};

fuzz_target!(|data: &[u8]| {
    let Some(p) = common::parts(data, 3) else {
        return;
    };
    let mut opts = Map::default();
    opts.insert("field".into(), Value::from("message"));
    opts.insert(
        "patterns".into(),
        Value::List(vec![Value::from(p[0].as_str())]),
    );
    if !p[2].is_empty() {
        let mut defs = Map::default();
        defs.insert("CUSTOM".into(), Value::from(p[2].as_str()));
        opts.insert("pattern_definitions".into(), Value::Map(defs));
    }
    common::run_one_processor("grok", opts, &p[1]);
});
