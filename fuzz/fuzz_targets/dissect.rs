//! Dissect patterns, compiled and applied. Input: `pattern \0 text \0 append_separator`.

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
    opts.insert("pattern".into(), Value::from(p[0].as_str()));
    opts.insert("append_separator".into(), Value::from(p[2].as_str()));
    common::run_one_processor("dissect", opts, &p[1]);
});
