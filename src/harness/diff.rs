//! Unified diffs of expected vs actual documents (pretty, key-sorted JSON).

use crate::value::Value;
use similar::TextDiff;

/// Documents nested deeper than this are shown on one line in diffs: indenting them would make
/// the text grow with the square of the depth (100,000 levels: 10 GB).
pub const PRETTY_MAX_DEPTH: usize = 200;

/// A document as shown in diffs: pretty JSON, 2-space indent, keys sorted, trailing newline
/// (compact JSON, on one line, when nested deeper than [`PRETTY_MAX_DEPTH`]).
pub fn pretty(v: &Value) -> String {
    let mut s = if depth(v) > PRETTY_MAX_DEPTH {
        v.to_json()
    } else {
        v.to_json_pretty_sorted(2)
    };
    s.push('\n');
    s
}

/// How deeply lists and maps nest in a value (a scalar is 0), computed without recursion.
pub fn depth(v: &Value) -> usize {
    let mut max = 0;
    let mut stack = vec![(v, 0usize)];
    while let Some((v, d)) = stack.pop() {
        max = max.max(d);
        match v {
            Value::List(l) => stack.extend(l.iter().map(|x| (x, d + 1))),
            Value::Map(m) => stack.extend(m.values().map(|x| (x, d + 1))),
            _ => {}
        }
    }
    max
}

/// A unified diff (`--- want` / `+++ got`, 3 lines of context); empty when equal as text.
pub fn unified(want: &str, got: &str) -> String {
    if want == got {
        return String::new();
    }
    TextDiff::from_lines(want, got)
        .unified_diff()
        .context_radius(3)
        .header("want", "got")
        .to_string()
}

/// Colours a unified diff for terminals: removals red, additions green, hunk headers cyan.
pub fn colorize(diff: &str) -> String {
    use anstyle::{AnsiColor, Style};
    let red = Style::new().fg_color(Some(AnsiColor::Red.into()));
    let green = Style::new().fg_color(Some(AnsiColor::Green.into()));
    let cyan = Style::new().fg_color(Some(AnsiColor::Cyan.into()));
    let bold = Style::new().bold();
    let mut out = String::with_capacity(diff.len() + diff.len() / 4);
    for line in diff.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        let style = if body.starts_with("---") || body.starts_with("+++") {
            bold
        } else if body.starts_with("@@") {
            cyan
        } else if body.starts_with('-') {
            red
        } else if body.starts_with('+') {
            green
        } else {
            Style::new()
        };
        if style == Style::new() {
            out.push_str(line);
        } else {
            out.push_str(&format!("{style}{body}{style:#}{nl}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_shows_changed_field() {
        let a = pretty(&Value::from_json_str(r#"{"a":1,"b":"x"}"#).unwrap());
        let b = pretty(&Value::from_json_str(r#"{"a":2,"b":"x"}"#).unwrap());
        let d = unified(&a, &b);
        assert!(d.starts_with("--- want\n+++ got\n"), "{d}");
        assert!(d.contains("\n-  \"a\": 1,\n+  \"a\": 2,\n"), "{d}");
        assert_eq!(unified(&a, &a), "");
        let c = colorize(&d);
        let mut deep = Value::Int(1);
        for _ in 0..300 {
            deep = Value::List(vec![deep]);
        }
        assert_eq!(depth(&deep), 300);
        assert_eq!(pretty(&deep).lines().count(), 1);
        assert!(c.contains("\u{1b}[31m-  \"a\": 1,"), "{c:?}");
    }
}
