//! `csv`: splits one CSV line into fields (Elasticsearch's CsvProcessor and CsvParser).

use crate::document::{FieldPath, IngestDocument};
use crate::error::{ConfigError, IngestError};
use crate::pipeline::{BuildError, Builder, Config, Env, FieldRef, Flow, Processor};
use crate::value::Value;

#[derive(Debug)]
struct Csv {
    field: FieldRef,
    targets: Vec<Result<FieldPath, IngestError>>,
    trim: bool,
    quote: u16,
    separator: u16,
    ignore_missing: bool,
    empty_value: Option<Value>,
}

/// A one-UTF-16-unit option, as Java's `String.length() == 1` requires.
fn single_char(s: &str) -> Option<u16> {
    let units: Vec<u16> = s.encode_utf16().collect();
    match units.as_slice() {
        [c] => Some(*c),
        _ => None,
    }
}

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    let field = cfg.req_field("field")?;
    let quote = single_char(&cfg.str_or("quote", "\"")?).ok_or_else(|| {
        ConfigError::property("quote", "quote has to be single character like \" or '")
    })?;
    let separator = single_char(&cfg.str_or("separator", ",")?).ok_or_else(|| {
        ConfigError::property(
            "separator",
            "separator has to be single character like , or ;",
        )
    })?;
    let trim = cfg.bool_or("trim", false)?;
    let empty_value = cfg.take("empty_value");
    let ignore_missing = cfg.bool_or("ignore_missing", false)?;
    let targets: Vec<String> = match cfg.take("target_fields") {
        None => return Err(crate::pipeline::missing("target_fields").into()),
        Some(Value::List(l)) => l.iter().map(Value::to_java_string).collect(),
        Some(Value::String(s)) => vec![s],
        Some(other) => {
            return Err(ConfigError::property(
                "target_fields",
                format!("property isn't a list, but of type [{}]", other.java_type()),
            )
            .into());
        }
    };
    if targets.is_empty() {
        return Err(
            ConfigError::property("target_fields", "target fields list can't be empty").into(),
        );
    }
    Ok(Box::new(Csv {
        field,
        targets: targets.iter().map(|t| FieldPath::parse(t)).collect(),
        trim,
        quote,
        separator,
        ignore_missing,
        empty_value,
    }))
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Start,
    Unquoted,
    Quoted,
    QuotedEnd,
}

const SPACE: u16 = b' ' as u16;
const TAB: u16 = b'\t' as u16;
const LF: u16 = b'\n' as u16;
const CR: u16 = b'\r' as u16;

/// Elasticsearch's CsvParser state machine, over UTF-16 units as Java indexes strings.
struct Parser<'a> {
    csv: &'a Csv,
    doc: &'a mut IngestDocument,
    line: Vec<u16>,
    builder: Vec<u16>,
    state: State,
    current_header: usize,
    start: usize,
    i: usize,
}

fn is_space(c: u16) -> bool {
    c == SPACE || c == TAB
}

fn out_of_bounds() -> IngestError {
    IngestError::new(
        "string_index_out_of_bounds_exception",
        "begin 0, end -1, length 0",
    )
}

impl Parser<'_> {
    fn run(&mut self) -> Result<(), IngestError> {
        let len = self.line.len();
        self.i = 0;
        while self.i < len {
            let done = match self.state {
                State::Start => self.start_state()?,
                State::Unquoted => self.unquoted()?,
                State::Quoted => {
                    self.quoted();
                    false
                }
                State::QuotedEnd => self.quoted_end()?,
            };
            if done {
                return Ok(());
            }
            self.i += 1;
        }
        match self.state {
            State::Unquoted => {
                self.set_field(len)?;
            }
            State::QuotedEnd => {
                self.set_field(len.saturating_sub(1))?;
            }
            State::Quoted => return Err(IngestError::illegal_argument("Unmatched quote")),
            State::Start => {}
        }
        Ok(())
    }

    fn start_state(&mut self) -> Result<bool, IngestError> {
        while self.i < self.line.len() {
            let c = self.line[self.i];
            if c == self.csv.quote {
                self.state = State::Quoted;
                self.builder.clear();
                self.start = self.i + 1;
                return Ok(false);
            } else if c == self.csv.separator {
                self.start += 1;
                self.builder.clear();
                if self.set_field(self.start)? {
                    return Ok(true);
                }
            } else if is_space(c) {
                if self.csv.trim {
                    self.start += 1;
                }
            } else {
                self.state = State::Unquoted;
                self.builder.clear();
                return Ok(false);
            }
            self.i += 1;
        }
        Ok(true)
    }

    fn unquoted(&mut self) -> Result<bool, IngestError> {
        let mut spaces = 0;
        while self.i < self.line.len() {
            let c = self.line[self.i];
            if c == LF || c == CR || c == self.csv.quote {
                return Err(IngestError::illegal_argument(format!(
                    "Illegal character inside unquoted field at {}",
                    self.i
                )));
            } else if self.csv.trim && is_space(c) {
                spaces += 1;
            } else if c == self.csv.separator {
                self.state = State::Start;
                if self.set_field(self.i - spaces)? {
                    return Ok(true);
                }
                self.start = self.i + 1;
                return Ok(false);
            } else {
                spaces = 0;
            }
            self.i += 1;
        }
        Ok(false)
    }

    fn quoted(&mut self) {
        while self.i < self.line.len() {
            if self.line[self.i] == self.csv.quote {
                self.state = State::QuotedEnd;
                break;
            }
            self.i += 1;
        }
    }

    fn quoted_end(&mut self) -> Result<bool, IngestError> {
        let c = self.line[self.i];
        if c == self.csv.quote {
            let piece = self
                .line
                .get(self.start..self.i - 1)
                .ok_or_else(out_of_bounds)?;
            self.builder.extend_from_slice(piece);
            self.builder.push(self.csv.quote);
            self.start = self.i + 1;
            self.state = State::Quoted;
            return Ok(false);
        }
        let mut should_set = true;
        while self.i < self.line.len() {
            let c = self.line[self.i];
            if is_space(c) {
                if should_set {
                    if self.set_field(self.i - 1)? {
                        return Ok(true);
                    }
                    should_set = false;
                }
            } else if c == self.csv.separator {
                if should_set && self.set_field(self.i - 1)? {
                    return Ok(true);
                }
                self.start = self.i + 1;
                self.state = State::Start;
                return Ok(false);
            } else {
                return Err(IngestError::illegal_argument(format!(
                    "character '{}' after quoted field at {}",
                    String::from_utf16_lossy(&[c]),
                    self.i
                )));
            }
            self.i += 1;
        }
        Ok(true)
    }

    /// Sets the current header's field; true when every header is set.
    fn set_field(&mut self, end: usize) -> Result<bool, IngestError> {
        let piece = self.line.get(self.start..end).ok_or_else(out_of_bounds)?;
        let value: Vec<u16> = if self.builder.is_empty() {
            piece.to_vec()
        } else {
            self.builder.extend_from_slice(piece);
            self.builder.clone()
        };
        let target = self.csv.targets.get(self.current_header);
        if let Some(target) = target {
            let v = if !value.is_empty() {
                Some(Value::String(String::from_utf16_lossy(&value)))
            } else {
                self.csv.empty_value.clone()
            };
            if let Some(v) = v {
                let path = target.as_ref().map_err(Clone::clone)?;
                self.doc.set(path, v)?;
            }
        }
        self.current_header += 1;
        Ok(self.current_header == self.csv.targets.len())
    }
}

impl Processor for Csv {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        let path = self.field.resolve(doc)?;
        let line = match doc.get_string(&path, self.ignore_missing)? {
            Some(s) => s.encode_utf16().collect(),
            None if self.ignore_missing => return Ok(Flow::Continue),
            None => {
                return Err(IngestError::illegal_argument(format!(
                    "field [{path}] is null, cannot process it."
                )));
            }
        };
        let mut p = Parser {
            csv: self,
            doc,
            line,
            builder: Vec::new(),
            state: State::Start,
            current_header: 0,
            start: 0,
            i: 0,
        };
        p.run()?;
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests {
    use crate::processors::testing::{bad_config, fails, give};

    #[test]
    fn parses_lines() {
        for (opts, input, output) in [
            (
                r#"{"field":"v","target_fields":["a","b","c"]}"#,
                r#"{"v":"aa,bb,cc"}"#,
                r#"{"v":"aa,bb,cc","a":"aa","b":"bb","c":"cc"}"#,
            ),
            (
                r#"{"field":"v","target_fields":["a","b","c","d","e"],"quote":"'","separator":";"}"#,
                r#"{"v":"'aa';'b;b';'cc';d,d;'ee''ee'"}"#,
                r#"{"v":"'aa';'b;b';'cc';d,d;'ee''ee'","a":"aa","b":"b;b","c":"cc","d":"d,d","e":"ee'ee"}"#,
            ),
            (
                r#"{"field":"v","target_fields":["a","b","c"],"trim":true,"quote":"'"}"#,
                r#"{"v":"    aa,  bb  ,    'cc'"}"#,
                r#"{"v":"    aa,  bb  ,    'cc'","a":"aa","b":"bb","c":"cc"}"#,
            ),
            (
                r#"{"field":"v","target_fields":["a","b","c"]}"#,
                r#"{"v":"aa,,cc"}"#,
                r#"{"v":"aa,,cc","a":"aa","c":"cc"}"#,
            ),
            (
                r#"{"field":"v","target_fields":["a","b","c"],"empty_value":"-"}"#,
                r#"{"v":"aa,,\"\""}"#,
                r#"{"v":"aa,,\"\"","a":"aa","b":"-","c":"-"}"#,
            ),
            (
                r#"{"field":"v","target_fields":["a","b"]}"#,
                r#"{"v":"1,2,3"}"#,
                r#"{"v":"1,2,3","a":"1","b":"2"}"#,
            ),
            (
                r#"{"field":"v","target_fields":["a","b","c"]}"#,
                r#"{"v":"1"}"#,
                r#"{"v":"1","a":"1"}"#,
            ),
            (
                r#"{"field":"v","target_fields":["x.a","x.b"]}"#,
                r#"{"v":"\"q \"\"x\"\"\" ,y"}"#,
                r#"{"v":"\"q \"\"x\"\"\" ,y","x":{"a":"q \"x\"","b":"y"}}"#,
            ),
            (
                r#"{"field":"v","target_fields":["a"],"ignore_missing":true}"#,
                r#"{}"#,
                r#"{}"#,
            ),
        ] {
            give("csv", opts, input, output);
        }
    }

    #[test]
    fn errors() {
        let o = r#"{"field":"v","target_fields":["a","b"]}"#;
        fails("csv", o, r#"{"v":"\"abc"}"#, "Unmatched quote");
        fails(
            "csv",
            o,
            r#"{"v":"ab\"c"}"#,
            "Illegal character inside unquoted field at 2",
        );
        fails(
            "csv",
            o,
            r#"{"v":"\"ab\"c"}"#,
            "character 'c' after quoted field at 4",
        );
        fails(
            "csv",
            o,
            r#"{"v":null}"#,
            "field [v] is null, cannot process it.",
        );
        fails(
            "csv",
            o,
            r#"{}"#,
            "field [v] not present as part of path [v]",
        );
        bad_config(
            "csv",
            r#"{"field":"v","target_fields":[]}"#,
            "[target_fields] target fields list can't be empty",
        );
        bad_config(
            "csv",
            r#"{"field":"v","target_fields":["a"],"quote":"ab"}"#,
            "[quote] quote has to be single character like \" or '",
        );
        bad_config(
            "csv",
            r#"{"field":"v","target_fields":["a"],"separator":""}"#,
            "[separator] separator has to be single character like , or ;",
        );
    }
}
