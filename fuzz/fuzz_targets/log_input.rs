//! `.log` test inputs: Go-scanner line splitting, multiline grouping by `first_line_pattern`,
//! and the config's `fields` put into events. Input: `first_line_pattern \0 log text`.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use pipette::harness::input::{log_lines, message_event, put_dotted};
use pipette::value::{Value, sort_keys};

fuzz_target!(|data: &[u8]| {
    let Some(p) = common::parts(data, 2) else {
        return;
    };
    let re = if p[0].is_empty() {
        None
    } else {
        regex::Regex::new(&p[0]).ok()
    };
    for line in log_lines(&p[1], re.as_ref()) {
        let mut ev = message_event(line);
        let _ = put_dotted(&mut ev, &p[0], Value::from("x"));
        sort_keys(&mut ev);
        let _ = Value::Map(ev).to_json();
    }
});
