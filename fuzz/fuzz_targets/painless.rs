//! Painless: lexer, parser and interpreter. Input: the script source (UTF-8); when it compiles,
//! it runs as a `script` processor over a sample document and as an `if` condition.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use pipette::painless::{Condition, Script};
use pipette::value::{Map, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let mut params = Map::default();
    params.insert("p".into(), Value::from("param"));
    let Ok(script) = Script::compile(source, params) else {
        return;
    };
    let mut doc = common::sample_doc("hello world");
    let _ = script.execute(&mut doc, "fuzz");
    let _ = Value::Map(doc.ctx.clone()).to_json();
    if let Ok(cond) = Condition::from_config(&Value::from(source)) {
        let _ = cond.eval(&common::sample_doc("hello world"));
    }
});
