//! Test inputs: `.log` files (one event per line, or per multiline group) and `.json` files
//! (`{"events": [...]}`), turned into the events elastic-package sends to `_simulate`.

use super::HarnessError;
use super::config::TestConfig;
use crate::value::{Map, Value, sort_keys};
use regex::Regex;
use std::path::Path;

/// Reads one test input and builds its events: config `fields` added, keys sorted at every level
/// (elastic-package round-trips each event through a Go map before sending it).
pub fn read_events(input: &Path, config: &TestConfig) -> Result<Vec<Map>, HarnessError> {
    let bytes = std::fs::read(input)
        .map_err(|e| HarnessError::input(input, format!("cannot read: {e}")))?;
    let ext = go_ext(input);
    let mut events = match ext.as_str() {
        ".json" => json_events(&bytes).map_err(|e| HarnessError::input(input, e))?,
        ".log" => log_lines(
            &String::from_utf8_lossy(&bytes),
            config.first_line_pattern.as_ref(),
        )
        .into_iter()
        .map(message_event)
        .collect(),
        other => {
            return Err(HarnessError::input(
                input,
                format!("unsupported extension for test case file (ext: {other})"),
            ));
        }
    };
    for (i, ev) in events.iter_mut().enumerate() {
        for (k, v) in &config.fields {
            put_dotted(ev, k, v.clone()).map_err(|e| {
                HarnessError::input(
                    input,
                    format!("event {i}: can't set custom field [{k}]: {e}"),
                )
            })?;
        }
        sort_keys(ev);
    }
    Ok(events)
}

/// Go's `filepath.Ext`: the file name's suffix from its last dot (dot included), else "".
fn go_ext(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    name.rfind('.')
        .and_then(|i| name.get(i..))
        .map(str::to_string)
        .unwrap_or_default()
}

/// `{"message": line}`.
pub fn message_event(line: String) -> Map {
    let mut m = Map::default();
    m.insert("message".into(), Value::String(line));
    m
}

/// The events of a `{"events": [...]}` document; every event must be an object.
pub fn json_events(bytes: &[u8]) -> Result<Vec<Map>, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not valid UTF-8: {e}"))?;
    let v = Value::from_json_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    let Value::Map(mut top) = v else {
        return Err(format!(
            "expected an object with an \"events\" list, found {}",
            json_kind(&v)
        ));
    };
    match top.shift_remove("events") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::List(l)) => l
            .into_iter()
            .enumerate()
            .map(|(i, e)| match e {
                Value::Map(m) => Ok(m),
                other => Err(format!(
                    "event {i} must be an object, found {}",
                    json_kind(&other)
                )),
            })
            .collect(),
        Some(other) => Err(format!(
            "\"events\" must be a list, found {}",
            json_kind(&other)
        )),
    }
}

/// A JSON kind name for messages.
pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Int(_) | Value::Long(_) | Value::Float(_) | Value::Double(_) => "a number",
        Value::String(_) => "a string",
        Value::List(_) => "a list",
        Value::Map(_) => "an object",
    }
}

/// Splits raw input as Go's `bufio.Scanner` lines (`\r\n` or `\n`), joining multiline groups
/// the way elastic-package does: a line matching `first_line_pattern` starts a new event.
pub fn log_lines(text: &str, first_line: Option<&Regex>) -> Vec<String> {
    let mut lines: Vec<&str> = text.split('\n').collect();
    if lines.last() == Some(&"") {
        lines.pop();
    }
    let lines = lines.into_iter().map(|l| l.strip_suffix('\r').unwrap_or(l));
    let Some(re) = first_line else {
        return lines.map(str::to_string).collect();
    };
    let mut out = Vec::new();
    let mut buf = String::new();
    for line in lines {
        let matched = re.is_match(line);
        let mut body = String::new();
        if matched {
            body = std::mem::take(&mut buf);
        }
        if !buf.is_empty() {
            buf.push('\n');
        }
        buf.push_str(line);
        if matched && !body.is_empty() {
            out.push(body);
        }
    }
    if !buf.is_empty() {
        out.push(buf);
    }
    out
}

/// libbeat's `MapStr.Put`: a literal key if present, else dotted walking, creating objects.
pub fn put_dotted(m: &mut Map, key: &str, value: Value) -> Result<(), String> {
    let mut m = m;
    let mut key = key;
    loop {
        if m.contains_key(key) {
            m.insert(key.to_string(), value);
            return Ok(());
        }
        let Some((head, rest)) = key.split_once('.') else {
            m.insert(key.to_string(), value);
            return Ok(());
        };
        let child = m
            .entry(head.to_string())
            .or_insert_with(|| Value::Map(Map::default()));
        match child {
            Value::Map(cm) => {
                m = cm;
                key = rest;
            }
            other => return Err(format!("expected map but type is {}", go_type(other))),
        }
    }
}

/// The Go type name elastic-package would print for a decoded JSON value.
pub fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Int(_) | Value::Long(_) | Value::Float(_) | Value::Double(_) => "json.Number",
        Value::String(_) => "string",
        Value::List(_) => "[]interface {}",
        Value::Map(_) => "map[string]interface {}",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_like_bufio_scanner() {
        for (text, want) in [
            ("a\nb\n", vec!["a", "b"]),
            ("a\r\nb", vec!["a", "b"]),
            ("a\n\nb\n", vec!["a", "", "b"]),
            ("", vec![]),
            ("\n", vec![""]),
        ] {
            assert_eq!(log_lines(text, None), want, "{text:?}");
        }
    }

    #[test]
    fn multiline_groups() {
        let re = Regex::new(r"^\d").unwrap();
        for (text, want) in [
            ("1 a\n  x\n2 b\n", vec!["1 a\n  x", "2 b"]),
            ("junk\n1 a\n2 b", vec!["junk", "1 a", "2 b"]),
            ("  x\n  y\n", vec!["  x\n  y"]),
        ] {
            assert_eq!(log_lines(text, Some(&re)), want, "{text:?}");
        }
    }

    #[test]
    fn put_dotted_like_mapstr() {
        let mut m = match Value::from_json_str(r#"{"a.b":1,"c":{"d":1},"s":"x"}"#).unwrap() {
            Value::Map(m) => m,
            _ => unreachable!(),
        };
        put_dotted(&mut m, "a.b", Value::Int(2)).unwrap();
        put_dotted(&mut m, "c.e", Value::Int(3)).unwrap();
        put_dotted(&mut m, "x.y.z", Value::Int(4)).unwrap();
        assert_eq!(
            Value::Map(m.clone()).to_json(),
            r#"{"a.b":2,"c":{"d":1,"e":3},"s":"x","x":{"y":{"z":4}}}"#
        );
        assert_eq!(
            put_dotted(&mut m, "s.t", Value::Null).unwrap_err(),
            "expected map but type is string"
        );
    }

    #[test]
    fn put_dotted_and_sort_keys_on_100000_segments() {
        let key = vec!["b"; 100_000].join(".");
        let mut m = Map::default();
        put_dotted(&mut m, &key, Value::Int(1)).unwrap();
        put_dotted(&mut m, "a", Value::Int(2)).unwrap();
        sort_keys(&mut m);
        assert_eq!(m.keys().collect::<Vec<_>>(), ["a", "b"]);
        let (mut levels, mut cur) = (0, m.shift_remove("b"));
        // Walk down (and take apart, so that nothing is dropped recursively).
        while let Some(Value::Map(mut inner)) = cur {
            levels += 1;
            cur = inner.shift_remove("b");
        }
        assert_eq!(levels, 99_999);
        assert_eq!(cur, Some(Value::Int(1)));
    }

    #[test]
    fn json_inputs() {
        assert_eq!(
            json_events(br#"{"events":[{"b":1,"a":2}]}"#).unwrap().len(),
            1
        );
        assert_eq!(json_events(br#"{"other":1}"#).unwrap().len(), 0);
        for bad in [
            &br#"[1]"#[..],
            br#"{"events":[1]}"#,
            br#"{"events":"#,
            br#"{"events":{}}"#,
        ] {
            assert!(json_events(bad).is_err());
        }
    }
}
