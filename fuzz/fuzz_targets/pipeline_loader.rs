//! The pipeline loader: YAML and JSON definitions (every processor's option checks) and, when
//! one loads, a sample document through it. Input: the file text; its first byte picks YAML or
//! JSON.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let file = if first & 1 == 0 {
        Path::new("fuzz.yml")
    } else {
        Path::new("fuzz.json")
    };
    let text = pipette::pipeline::expand_ingest_pipeline_refs(text);
    let Ok(def) = pipette::pipeline::parse_definition(&text, file) else {
        return;
    };
    common::run_definition(
        &def,
        "127.0.0.1 - - [06/May/2024:07:08:09 +0000] \"GET / HTTP/1.1\" 200 12",
    );
});
