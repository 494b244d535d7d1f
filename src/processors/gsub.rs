//! `gsub`: Java `Matcher.replaceAll` on a string or a list of strings; also home of the
//! java.util.regex → fancy-regex translation `split` uses.

use super::lowercase::StringField;
use crate::document::IngestDocument;
use crate::error::{ConfigError, IngestError};
use crate::pipeline::{BuildError, Builder, Config, Env, Flow, Processor};
use crate::value::Value;
use fancy_regex::Regex;

/// Compiles a java.util.regex pattern with fancy-regex, translating what differs: `\Q…\E`,
/// ASCII-only `\d \s \w`, POSIX `\p{Alpha}`-style classes and `\h`.
pub(crate) fn java_regex(pattern: &str) -> Result<Regex, String> {
    Regex::new(&translate(pattern)).map_err(|e| e.to_string())
}

fn posix_class(name: &str) -> Option<&'static str> {
    Some(match name {
        "Lower" => "a-z",
        "Upper" => "A-Z",
        "ASCII" => "\\x00-\\x7F",
        "Alpha" => "a-zA-Z",
        "Digit" => "0-9",
        "Alnum" => "a-zA-Z0-9",
        "Punct" => "!-/:-@\\[-`{-~",
        "Graph" => "!-~",
        "Print" => " -~",
        "Blank" => " \\t",
        "Cntrl" => "\\x00-\\x1F\\x7F",
        "XDigit" => "0-9a-fA-F",
        "Space" => "\\t\\n\\x0B\\f\\r ",
        _ => return None,
    })
}

fn translate(p: &str) -> String {
    const SPACE: &str = "\\t\\n\\x0B\\f\\r ";
    const WORD: &str = "a-zA-Z_0-9";
    const HSPACE: &str =
        " \\t\\xA0\\x{1680}\\x{180e}\\x{2000}-\\x{200a}\\x{202f}\\x{205f}\\x{3000}";
    let chars: Vec<char> = p.chars().collect();
    let mut out = String::with_capacity(p.len() + 8);
    let mut in_class = 0usize;
    let mut i = 0;
    while i < chars.len() {
        // i < chars.len() (loop condition).
        let c = chars[i];
        if c == '\\' && i + 1 < chars.len() {
            // i + 1 < chars.len() (checked on the line above).
            let n = chars[i + 1];
            let class = |inner: &str, neg: bool| {
                if in_class > 0 {
                    inner.to_string()
                } else {
                    format!("[{}{inner}]", if neg { "^" } else { "" })
                }
            };
            let rep = match n {
                'Q' => {
                    // i + 1 < chars.len(), so i + 2 <= chars.len().
                    let rest: String = chars[i + 2..].iter().collect();
                    let (lit, skip) = match rest.find("\\E") {
                        // end is where an ASCII "\\E" starts: a char boundary.
                        Some(end) => (&rest[..end], end + 2),
                        None => (rest.as_str(), rest.len()),
                    };
                    out.push_str(&fancy_regex::escape(lit));
                    i += 2 + lit.chars().count() + (skip - lit.len()).min(2);
                    continue;
                }
                'd' => Some(class("0-9", false)),
                'w' => Some(class(WORD, false)),
                's' => Some(class(SPACE, false)),
                'h' => Some(class(HSPACE, false)),
                'D' if in_class == 0 => Some(class("0-9", true)),
                'W' if in_class == 0 => Some(class(WORD, true)),
                'S' if in_class == 0 => Some(class(SPACE, true)),
                'p' | 'P' if chars.get(i + 2) == Some(&'{') => {
                    // chars[i + 2] exists (the guard), so i + 3 <= chars.len(); e < the slice's length.
                    let end = chars[i + 3..].iter().position(|&c| c == '}');
                    let name: Option<String> =
                        end.map(|e| chars[i + 3..i + 3 + e].iter().collect());
                    match name
                        .as_deref()
                        .and_then(|n| posix_class(n.strip_prefix("Is").unwrap_or(n)))
                    {
                        Some(inner) if n == 'p' || in_class == 0 => {
                            i += 4 + end.unwrap_or(0);
                            out.push_str(&class(inner, n == 'P'));
                            continue;
                        }
                        _ => None,
                    }
                }
                _ => None,
            };
            match rep {
                Some(r) => out.push_str(&r),
                None => {
                    out.push(c);
                    out.push(n);
                }
            }
            i += 2;
            continue;
        }
        match c {
            '[' => {
                in_class += 1;
                out.push(c);
                // A `]` right after `[` or `[^` is a literal in Java too.
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
            }
            ']' if in_class > 0 => {
                in_class -= 1;
                out.push(c);
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

/// One piece of a Java replacement string.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Piece {
    Lit(String),
    Group(usize),
    Named(String),
}

/// Parses a `Matcher.appendReplacement` replacement against a regex's groups; the error is
/// Java's exception (type, message), raised only when something matches.
pub(crate) fn parse_replacement(r: &str, re: &Regex) -> Result<Vec<Piece>, (&'static str, String)> {
    let groups = re.captures_len().saturating_sub(1);
    let iae = |m: &str| ("illegal_argument_exception", m.to_string());
    let chars: Vec<char> = r.chars().collect();
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    while i < chars.len() {
        // i < chars.len() (loop condition).
        match chars[i] {
            '\\' => {
                let Some(n) = chars.get(i + 1) else {
                    return Err(iae("character to be escaped is missing"));
                };
                lit.push(*n);
                i += 2;
            }
            '$' => {
                let Some(&n) = chars.get(i + 1) else {
                    return Err(iae("Illegal group reference: group index is missing"));
                };
                if !lit.is_empty() {
                    out.push(Piece::Lit(std::mem::take(&mut lit)));
                }
                if n == '{' {
                    // chars[i + 1] exists (n), so i + 2 <= chars.len(); end < the slice's length.
                    let end = chars[i + 2..].iter().position(|&c| c == '}');
                    let Some(end) = end else {
                        return Err(iae("named capturing group is missing trailing '}'"));
                    };
                    let name: String = chars[i + 2..i + 2 + end].iter().collect();
                    if name.is_empty() {
                        return Err(iae("named capturing group has 0 length name"));
                    }
                    if !re.capture_names().any(|x| x == Some(name.as_str())) {
                        return Err(iae(&format!("No group with name {{{name}}}")));
                    }
                    out.push(Piece::Named(name));
                    i += 3 + end;
                    continue;
                }
                let Some(d) = n.to_digit(10) else {
                    return Err(iae("Illegal group reference"));
                };
                let mut num = d as usize;
                if num > groups {
                    return Err(("index_out_of_bounds_exception", format!("No group {num}")));
                }
                i += 2;
                while let Some(d) = chars.get(i).and_then(|c| c.to_digit(10)) {
                    let next = num * 10 + d as usize;
                    if next > groups {
                        break;
                    }
                    num = next;
                    i += 1;
                }
                out.push(Piece::Group(num));
            }
            c => {
                lit.push(c);
                i += 1;
            }
        }
    }
    if !lit.is_empty() {
        out.push(Piece::Lit(lit));
    }
    Ok(out)
}

/// Java `Matcher.replaceAll` with a parsed replacement.
pub(crate) fn replace_all(
    re: &Regex,
    text: &str,
    pieces: &Result<Vec<Piece>, (&'static str, String)>,
) -> Result<String, IngestError> {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for caps in re.captures_iter(text) {
        let caps = caps.map_err(|e| IngestError::illegal_state(e.to_string()))?;
        let pieces = pieces
            .as_ref()
            .map_err(|(kind, msg)| IngestError::new(kind, msg.clone()))?;
        let Some(m) = caps.get(0) else { continue };
        // last is 0 or a previous match end: regex offsets are char boundaries, last <= m.start().
        out.push_str(&text[last..m.start()]);
        for p in pieces {
            match p {
                Piece::Lit(s) => out.push_str(s),
                Piece::Group(g) => out.push_str(caps.get(*g).map_or("", |m| m.as_str())),
                Piece::Named(n) => out.push_str(caps.name(n).map_or("", |m| m.as_str())),
            }
        }
        last = m.end();
    }
    // last is 0 or a match end: a char boundary.
    out.push_str(&text[last..]);
    Ok(out)
}

#[derive(Debug)]
struct Gsub {
    opts: StringField,
    regex: Regex,
    replacement: Result<Vec<Piece>, (&'static str, String)>,
}

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    let opts = StringField::read(cfg)?;
    let pattern = cfg.req_str("pattern")?;
    let replacement = cfg.req_str("replacement")?;
    let regex = java_regex(&pattern)
        .map_err(|e| ConfigError::property("pattern", format!("Invalid regex pattern. {e}")))?;
    let replacement = parse_replacement(&replacement, &regex);
    Ok(Box::new(Gsub {
        opts,
        regex,
        replacement,
    }))
}

impl Processor for Gsub {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        self.opts.apply(doc, |s| {
            replace_all(&self.regex, s, &self.replacement).map(Value::String)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::processors::testing::{bad_config, fails, give};

    fn gsub(pattern: &str, replacement: &str, input: &str, output: &str) {
        let opts =
            serde_json::json!({"field": "a", "pattern": pattern, "replacement": replacement});
        let input = serde_json::json!({ "a": input });
        let output = serde_json::json!({ "a": output });
        give(
            "gsub",
            &opts.to_string(),
            &input.to_string(),
            &output.to_string(),
        );
    }

    #[test]
    fn replaces_like_java() {
        gsub("\\.", "-", "127.0.0.1", "127-0-0-1");
        gsub("(\\w+)@(\\w+)", "$2 at $1", "me@host", "host at me");
        gsub("(?<user>\\w+)@", "${user}:", "me@host", "me:host");
        gsub("x", "\\$1", "axb", "a$1b");
        gsub("(a)", "$11", "a", "a1");
        gsub("(?<=a)b", "X", "abcb", "aXcb");
        gsub("(\\w)\\1", "<$1$1>", "aabcc", "<aa>b<cc>");
        gsub("\\Q.*\\E", "!", "a.*b", "a!b");
        gsub("\\p{Punct}+", "", "a,b;c!", "abc");
        gsub("\\s+", " ", "a \t\u{a0}b", "a \u{a0}b");
        gsub("\\d", "#", "a1٣", "a#٣");
        gsub("", "-", "ab", "-a-b-");
        gsub("x", "y", "", "");
        give(
            "gsub",
            r#"{"field":"a","pattern":"-","replacement":"_","target_field":"b"}"#,
            r#"{"a":["a-b","c-d"]}"#,
            r#"{"a":["a-b","c-d"],"b":["a_b","c_d"]}"#,
        );
        give(
            "gsub",
            r#"{"field":"a","pattern":"-","replacement":"_","ignore_missing":true}"#,
            "{}",
            "{}",
        );
    }

    #[test]
    fn errors() {
        fails(
            "gsub",
            r#"{"field":"a","pattern":"x","replacement":"$2"}"#,
            r#"{"a":"x"}"#,
            "No group 2",
        );
        // No match, no error: Java only reads the replacement when appending one.
        give(
            "gsub",
            r#"{"field":"a","pattern":"x","replacement":"$2"}"#,
            r#"{"a":"y"}"#,
            r#"{"a":"y"}"#,
        );
        fails(
            "gsub",
            r#"{"field":"a","pattern":"x","replacement":"$"}"#,
            r#"{"a":"x"}"#,
            "Illegal group reference: group index is missing",
        );
        fails(
            "gsub",
            r#"{"field":"a","pattern":"x","replacement":"a\\"}"#,
            r#"{"a":"x"}"#,
            "character to be escaped is missing",
        );
        fails(
            "gsub",
            r#"{"field":"a","pattern":"x","replacement":"y"}"#,
            r#"{"a":null}"#,
            "field [a] is null, cannot process it.",
        );
        fails(
            "gsub",
            r#"{"field":"a","pattern":"x","replacement":"y"}"#,
            r#"{"a":1}"#,
            "field [a] of type [java.lang.Integer] cannot be cast to [java.lang.String]",
        );
        bad_config(
            "gsub",
            r#"{"field":"a","pattern":"(","replacement":""}"#,
            "[pattern] Invalid regex pattern.",
        );
        bad_config(
            "gsub",
            r#"{"field":"a","pattern":"x"}"#,
            "[replacement] required property is missing",
        );
    }

    #[test]
    fn translation() {
        assert_eq!(translate("[\\d\\s]"), "[0-9\\t\\n\\x0B\\f\\r ]");
        assert_eq!(translate("\\D"), "[^0-9]");
        assert_eq!(translate("\\Qa+b"), "a\\+b");
    }
}
