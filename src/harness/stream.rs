//! Event streams for `pipette run`: `{"events": [...]}` documents, NDJSON, or raw lines
//! (`{"message": line}`), read one event at a time.

use super::input::{json_kind, message_event};
use crate::value::{Map, Value};
use std::collections::VecDeque;
use std::io::BufRead;
use std::path::Path;

/// How an input is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// One JSON document: `{"events": [...]}`, a list of objects, or one object (NDJSON as fallback).
    Json,
    /// One JSON object per line.
    Ndjson,
    /// One event per line: `{"message": line}`.
    Lines,
    /// Decide from the first line (stdin).
    Auto,
}

impl InputKind {
    /// The kind for a file name: `.json`, `.ndjson`/`.jsonl`, anything else is lines.
    pub fn for_path(p: &Path) -> InputKind {
        match p.extension().and_then(|e| e.to_str()) {
            Some("json") => InputKind::Json,
            Some("ndjson" | "jsonl") => InputKind::Ndjson,
            _ => InputKind::Lines,
        }
    }
}

/// Events read lazily from a reader; errors name the line (or document) and do not stop the stream.
pub struct EventReader<R: BufRead> {
    reader: R,
    kind: InputKind,
    line_no: usize,
    pending: VecDeque<Result<Map, String>>,
    done: bool,
    /// The bytes of the line being read, reused from line to line.
    buf: Vec<u8>,
}

/// Lines longer than this do not keep their buffer for the next line.
const KEPT_BUFFER: usize = 1 << 20;

/// Bytes as text, invalid UTF-8 sequences replaced by U+FFFD (validated once when valid).
fn text_of(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

impl<R: BufRead> EventReader<R> {
    /// A reader of the given kind.
    pub fn new(reader: R, kind: InputKind) -> Self {
        EventReader {
            reader,
            kind,
            line_no: 0,
            pending: VecDeque::new(),
            done: false,
            buf: Vec::new(),
        }
    }

    fn read_line(&mut self) -> Option<Result<String, String>> {
        if self.buf.capacity() > KEPT_BUFFER {
            self.buf = Vec::new();
        }
        self.buf.clear();
        match self.reader.read_until(b'\n', &mut self.buf) {
            Ok(0) => None,
            Ok(_) => {
                self.line_no += 1;
                let mut line = self.buf.as_slice();
                if let Some(l) = line.strip_suffix(b"\n") {
                    line = l.strip_suffix(b"\r").unwrap_or(l);
                }
                Some(Ok(text_of(line)))
            }
            Err(e) => Some(Err(format!("read error: {e}"))),
        }
    }

    fn ndjson_line(&self, line: &str) -> Result<Map, String> {
        match Value::from_json_str(line) {
            Ok(Value::Map(m)) => Ok(m),
            Ok(other) => Err(format!(
                "line {}: expected a JSON object, found {}",
                self.line_no,
                json_kind(&other)
            )),
            Err(e) => Err(format!("line {}: invalid JSON: {e}", self.line_no)),
        }
    }

    fn whole_document(&mut self, prefix: String) {
        let mut text = prefix;
        let mut rest = Vec::new();
        if let Err(e) = self.reader.read_to_end(&mut rest) {
            self.pending.push_back(Err(format!("read error: {e}")));
            return;
        }
        match String::from_utf8(rest) {
            Ok(rest) if text.is_empty() => text = rest,
            Ok(rest) => text.push_str(&rest),
            Err(e) => text.push_str(&String::from_utf8_lossy(e.as_bytes())),
        }
        match Value::from_json_str(&text) {
            Ok(v) => self.pending.extend(document_events(v)),
            Err(doc_err) => {
                // Not one document: maybe NDJSON.
                let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
                let parsed: Vec<Result<Map, String>> = text
                    .lines()
                    .enumerate()
                    .filter(|(_, l)| !l.trim().is_empty())
                    .map(|(i, l)| match Value::from_json_str(l) {
                        Ok(Value::Map(m)) => Ok(m),
                        Ok(other) => Err(format!(
                            "line {}: expected a JSON object, found {}",
                            i + 1,
                            json_kind(&other)
                        )),
                        Err(e) => Err(format!("line {}: invalid JSON: {e}", i + 1)),
                    })
                    .collect();
                if !lines.is_empty()
                    && parsed.iter().filter(|r| r.is_ok()).count() > 0
                    && lines.len() > 1
                {
                    self.pending.extend(parsed);
                } else {
                    self.pending
                        .push_back(Err(format!("invalid JSON: {doc_err}")));
                }
            }
        }
    }
}

/// The events of one JSON document: `{"events": [...]}`, a list of objects, or one object.
pub fn document_events(v: Value) -> Vec<Result<Map, String>> {
    let list = match v {
        Value::Map(mut m) if m.len() == 1 && matches!(m.get("events"), Some(Value::List(_))) => {
            match m.shift_remove("events") {
                Some(Value::List(l)) => l,
                _ => Vec::new(),
            }
        }
        Value::Map(m) => return vec![Ok(m)],
        Value::List(l) => l,
        other => {
            return vec![Err(format!(
                "expected a JSON object or {{\"events\": [...]}}, found {}",
                json_kind(&other)
            ))];
        }
    };
    list.into_iter()
        .enumerate()
        .map(|(i, e)| match e {
            Value::Map(m) => Ok(m),
            other => Err(format!(
                "event {i}: expected a JSON object, found {}",
                json_kind(&other)
            )),
        })
        .collect()
}

impl<R: BufRead> Iterator for EventReader<R> {
    type Item = Result<Map, String>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(x) = self.pending.pop_front() {
                return Some(x);
            }
            if self.done {
                return None;
            }
            match self.kind {
                InputKind::Json => {
                    self.done = true;
                    self.whole_document(String::new());
                }
                InputKind::Lines => match self.read_line()? {
                    Ok(l) => return Some(Ok(message_event(l))),
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                },
                InputKind::Ndjson => match self.read_line()? {
                    Ok(l) if l.trim().is_empty() => continue,
                    Ok(l) => return Some(self.ndjson_line(&l)),
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                },
                InputKind::Auto => {
                    let first = loop {
                        match self.read_line() {
                            None => return None,
                            Some(Err(e)) => {
                                self.done = true;
                                return Some(Err(e));
                            }
                            Some(Ok(l)) if l.trim().is_empty() => continue,
                            Some(Ok(l)) => break l,
                        }
                    };
                    let t = first.trim_start();
                    if t.starts_with('{') || t.starts_with('[') {
                        match Value::from_json_str(&first) {
                            Ok(v) => {
                                self.kind = InputKind::Ndjson;
                                self.pending.extend(document_events(v));
                            }
                            Err(_) => {
                                self.done = true;
                                let mut prefix = first;
                                prefix.push('\n');
                                self.whole_document(prefix);
                            }
                        }
                    } else {
                        self.kind = InputKind::Lines;
                        return Some(Ok(message_event(first)));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, kind: InputKind) -> Vec<String> {
        EventReader::new(text.as_bytes(), kind)
            .map(|r| match r {
                Ok(m) => Value::Map(m).to_json(),
                Err(e) => format!("ERR {e}"),
            })
            .collect()
    }

    #[test]
    fn kinds() {
        assert_eq!(
            read("a\r\nb\n", InputKind::Lines),
            [r#"{"message":"a"}"#, r#"{"message":"b"}"#]
        );
        assert_eq!(
            read("{\"a\":1}\n\n{\"b\":2}\n", InputKind::Ndjson),
            [r#"{"a":1}"#, r#"{"b":2}"#]
        );
        assert_eq!(
            read("{\"events\":[{\"a\":1},{\"b\":2}]}", InputKind::Json),
            [r#"{"a":1}"#, r#"{"b":2}"#]
        );
        assert_eq!(
            read("{\"a\":1}\n{\"b\":2}\n", InputKind::Json),
            [r#"{"a":1}"#, r#"{"b":2}"#]
        );
        assert_eq!(read("[1]", InputKind::Json).len(), 1);
        assert!(read("[1]", InputKind::Json)[0].starts_with("ERR"));
        assert!(read("{\"a\":", InputKind::Json)[0].starts_with("ERR invalid JSON"));
        let bad = read("{\"a\":1}\nnope\n", InputKind::Ndjson);
        assert!(bad[1].starts_with("ERR line 2: invalid JSON"), "{bad:?}");
    }

    #[test]
    fn auto_detection() {
        assert_eq!(
            read("hello\n{x}\n", InputKind::Auto),
            [r#"{"message":"hello"}"#, r#"{"message":"{x}"}"#]
        );
        assert_eq!(
            read("{\"a\":1}\n{\"b\":2}\n", InputKind::Auto),
            [r#"{"a":1}"#, r#"{"b":2}"#]
        );
        assert_eq!(
            read("{\n \"events\": [{\"a\":1}]\n}\n", InputKind::Auto),
            [r#"{"a":1}"#]
        );
        assert!(read("", InputKind::Auto).is_empty());
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        let read_bytes = |bytes: &[u8], kind| -> Vec<String> {
            EventReader::new(bytes, kind)
                .map(|r| Value::Map(r.unwrap()).to_json())
                .collect()
        };
        assert_eq!(
            read_bytes(b"caf\xc3\xa9\r\nb\xffc\n\xe2\x82", InputKind::Lines),
            [
                "{\"message\":\"caf\u{e9}\"}",
                "{\"message\":\"b\u{FFFD}c\"}",
                "{\"message\":\"\u{FFFD}\"}",
            ]
        );
        assert_eq!(
            read_bytes(b"{\"a\":\"\xff\"}", InputKind::Json),
            ["{\"a\":\"\u{FFFD}\"}"]
        );
    }
}
