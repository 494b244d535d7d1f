//! Mustache templates: compiled and rendered over a sample document, as a field name and as a
//! value (`set`). Input: `template \0 message`.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use pipette::template::{Escape, Template, ValueSource};
use pipette::value::{Map, Value};

fuzz_target!(|data: &[u8]| {
    let Some(p) = common::parts(data, 2) else {
        return;
    };
    let doc = common::sample_doc(&p[1]);
    if let Ok(t) = Template::compile(&p[0]) {
        let _ = t.render(&doc);
    }
    if let Ok(v) = ValueSource::compile(&Value::from(p[0].as_str()), Escape::Json) {
        let _ = v.render(&doc);
    }
    let mut opts = Map::default();
    opts.insert("field".into(), Value::from(p[0].as_str()));
    opts.insert("value".into(), Value::from(p[0].as_str()));
    common::run_one_processor("set", opts, &p[1]);
});
