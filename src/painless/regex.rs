//! Java regular expressions (java.util.regex) on top of the `regex` crate, with `fancy-regex` for
//! the constructs it lacks (lookaround, backreferences, possessive quantifiers).
//!
//! Elasticsearch bounds Painless regexes with `script.painless.regex.limit-factor` (default 6):
//! the matcher reads its input through `LimitedCharSequence`, which throws a
//! `CircuitBreakingException` once it has read more than factor x length chars. The `regex`
//! crate matches in linear time and never comes near that; `fancy-regex` backtracks, and when it
//! gives up (its backtracking limit) the script fails with Elasticsearch's message.

use super::interp::{Exc, Res};

/// `script.painless.regex.limit-factor`'s default.
pub const LIMIT_FACTOR: usize = 6;

/// Backtracking steps `fancy-regex` may take in one match before the limit error.
const BACKTRACK_LIMIT: usize = 1_000_000;

/// Longest input Elasticsearch shows in the limit error (`LimitedCharSequence.MAX_STR_LENGTH`).
const MAX_SNIPPET: usize = 64;

/// A compiled Java regex: one engine for `find`, an anchored one for `matches`.
#[derive(Debug)]
pub struct JavaRegex {
    find: Engine,
    full: Engine,
    /// The pattern as written.
    pub source: String,
    names: Vec<Option<String>>,
}

#[derive(Debug)]
enum Engine {
    Std(regex::Regex),
    Fancy(fancy_regex::Regex),
}

impl Engine {
    fn new(pat: &str) -> Result<Engine, String> {
        match regex::Regex::new(pat) {
            Ok(r) => Ok(Engine::Std(r)),
            Err(e1) => fancy_regex::RegexBuilder::new(pat)
                .backtrack_limit(BACKTRACK_LIMIT)
                .build()
                .map(Engine::Fancy)
                .map_err(|e2| format!("{e2} ({e1})")),
        }
    }

    /// Group spans of the first match starting at or after `start`; `Err` when the
    /// backtracking engine gave up.
    fn captures_at(&self, s: &str, start: usize) -> Result<Option<Spans>, GaveUp> {
        match self {
            Engine::Std(r) => Ok(r.captures_at(s, start).map(|c| {
                (0..c.len())
                    .map(|i| c.get(i).map(|m| (m.start(), m.end())))
                    .collect()
            })),
            Engine::Fancy(r) => match r.captures_from_pos(s, start) {
                Ok(c) => Ok(c.map(|c| {
                    (0..c.len())
                        .map(|i| c.get(i).map(|m| (m.start(), m.end())))
                        .collect()
                })),
                Err(e) => gave_up(e).map(|_| None),
            },
        }
    }

    fn is_match(&self, s: &str) -> Result<bool, GaveUp> {
        match self {
            Engine::Std(r) => Ok(r.is_match(s)),
            Engine::Fancy(r) => match r.is_match(s) {
                Ok(b) => Ok(b),
                Err(e) => gave_up(e).map(|_| false),
            },
        }
    }
}

/// Group spans (byte offsets) of one match: group 0 first.
pub type Spans = Vec<Option<(usize, usize)>>;

/// The backtracking engine stopped before it knew the answer.
#[derive(Debug)]
struct GaveUp;

/// A run-time error of `fancy-regex`: hitting its backtracking limit is [`GaveUp`]; anything
/// else (it has no other run-time errors today) counts as no match.
fn gave_up(e: fancy_regex::Error) -> Result<(), GaveUp> {
    match e {
        fancy_regex::Error::RuntimeError(fancy_regex::RuntimeError::BacktrackLimitExceeded) => {
            Err(GaveUp)
        }
        _ => Ok(()),
    }
}

/// Translates Java-only syntax to the Rust dialect (POSIX `\p{Alpha}` classes, `\h`).
fn translate(pat: &str) -> String {
    let mut out = String::with_capacity(pat.len());
    let mut chars = pat.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(n) = chars.next() else {
            out.push('\\');
            break;
        };
        match n {
            'p' | 'P' if chars.peek() == Some(&'{') => {
                let mut name = String::new();
                chars.next();
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                    name.push(c);
                }
                let neg = n == 'P';
                let posix = match name.as_str() {
                    "Lower" => Some("a-z"),
                    "Upper" => Some("A-Z"),
                    "Alpha" => Some("a-zA-Z"),
                    "Digit" => Some("0-9"),
                    "Alnum" => Some("a-zA-Z0-9"),
                    "Punct" => Some(r##"!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~"##),
                    "Space" => Some(r" \t\n\x0B\f\r"),
                    "XDigit" => Some("0-9a-fA-F"),
                    "Blank" => Some(r" \t"),
                    "Cntrl" => Some(r"\x00-\x1F\x7F"),
                    "ASCII" => Some(r"\x00-\x7F"),
                    _ => None,
                };
                match posix {
                    Some(set) => {
                        out.push_str(if neg { "[^" } else { "[" });
                        out.push_str(set);
                        out.push(']');
                    }
                    None => {
                        let name = name.strip_prefix("Is").unwrap_or(&name);
                        out.push('\\');
                        out.push(n);
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
            }
            'h' => {
                out.push_str(r"[ \t\xA0\x{1680}\x{180e}\x{2000}-\x{200a}\x{202f}\x{205f}\x{3000}]")
            }
            'Q' => {
                let mut lit = String::new();
                while let Some(c) = chars.next() {
                    if c == '\\' && chars.peek() == Some(&'E') {
                        chars.next();
                        break;
                    }
                    lit.push(c);
                }
                out.push_str(&regex::escape(&lit));
            }
            _ => {
                out.push('\\');
                out.push(n);
            }
        }
    }
    out
}

impl JavaRegex {
    /// Compiles a pattern with Painless regex-literal flags (`cilmsUux`).
    pub fn new(pattern: &str, flags: &str) -> Result<JavaRegex, String> {
        let mut inline = String::new();
        let mut literal = false;
        for f in flags.chars() {
            match f {
                'i' => inline.push('i'),
                'm' => inline.push('m'),
                's' => inline.push('s'),
                'x' => inline.push('x'),
                'l' => literal = true,
                'c' | 'u' | 'U' => {}
                other => return Err(format!("unknown regex flag [{other}]")),
            }
        }
        let body = if literal {
            regex::escape(pattern)
        } else {
            translate(pattern)
        };
        let prefix = if inline.is_empty() {
            String::new()
        } else {
            format!("(?{inline})")
        };
        let find = Engine::new(&format!("{prefix}{body}"))?;
        let full = Engine::new(&format!("{prefix}\\A(?:{body})\\z"))?;
        let names = match &find {
            Engine::Std(r) => r.capture_names().map(|n| n.map(str::to_string)).collect(),
            Engine::Fancy(r) => r.capture_names().map(|n| n.map(str::to_string)).collect(),
        };
        Ok(JavaRegex {
            find,
            full,
            source: pattern.to_string(),
            names,
        })
    }

    /// Elasticsearch's `CircuitBreakingException` for a match over `text` that read too much
    /// (`LimitedCharSequence.charAt`: the count is one over the limit when it throws).
    pub fn limit_error(&self, text: &str) -> Exc {
        let units = text.encode_utf16().count();
        let limit = LIMIT_FACTOR * units;
        let wrapped = if units <= MAX_SNIPPET {
            text.to_string()
        } else {
            let head: Vec<u16> = text.encode_utf16().take(MAX_SNIPPET - 3).collect();
            format!("{}...", String::from_utf16_lossy(&head))
        };
        Exc::new(
            "CircuitBreakingException",
            format!(
                "[scripting] Regular expression considered too many characters, pattern: [{}], limit factor: [{LIMIT_FACTOR}], char limit: [{limit}], count: [{}], wrapped: [{wrapped}], this limit can be changed by changed by the [script.painless.regex.limit-factor] setting",
                self.source,
                limit + 1
            ),
        )
    }

    /// `Matcher.matches()`: the whole string matches.
    pub fn matches(&self, s: &str) -> Res<bool> {
        self.full.is_match(s).map_err(|_| self.limit_error(s))
    }

    /// `Matcher.find()` from the start.
    pub fn find(&self, s: &str) -> Res<bool> {
        self.find.is_match(s).map_err(|_| self.limit_error(s))
    }

    /// Group spans (byte offsets) of the first match at or after `start`.
    pub fn captures_at(&self, s: &str, start: usize) -> Res<Option<Spans>> {
        self.find
            .captures_at(s, start)
            .map_err(|_| self.limit_error(s))
    }

    /// Group spans of a whole-string match.
    pub fn captures_full(&self, s: &str) -> Res<Option<Spans>> {
        self.full.captures_at(s, 0).map_err(|_| self.limit_error(s))
    }

    /// Number of capture groups.
    pub fn group_count(&self) -> usize {
        self.names.len().saturating_sub(1)
    }

    /// Index of a named group.
    pub fn group_index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n.as_deref() == Some(name))
    }

    /// `replaceAll` / `replaceFirst` with Java replacement syntax (`$1`, `${name}`, `\$`);
    /// the result grows within the script's memory budget.
    pub fn replace(&self, s: &str, repl: &str, all: bool) -> Res<String> {
        let mut out = String::new();
        let mut last = 0;
        let mut pos = 0;
        while pos <= s.len() {
            let Some(groups) = self.captures_at(s, pos)? else {
                break;
            };
            let Some((ms, me)) = groups.first().copied().flatten() else {
                break;
            };
            super::budget::push_checked(&mut out, &s[last..ms])?;
            let mut piece = String::new();
            self.expand(s, &groups, repl, &mut piece)
                .map_err(Exc::iae)?;
            super::budget::push_checked(&mut out, &piece)?;
            last = me;
            pos = if me == ms {
                match s[me..].chars().next() {
                    Some(c) => me + c.len_utf8(),
                    None => s.len() + 1,
                }
            } else {
                me
            };
            if !all {
                break;
            }
        }
        super::budget::push_checked(&mut out, &s[last.min(s.len())..])?;
        Ok(out)
    }

    fn expand(
        &self,
        s: &str,
        groups: &[Option<(usize, usize)>],
        repl: &str,
        out: &mut String,
    ) -> Result<(), String> {
        let mut chars = repl.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(n) => out.push(n),
                    None => return Err("character to be escaped is missing".into()),
                },
                '$' => {
                    let idx = if chars.peek() == Some(&'{') {
                        chars.next();
                        let mut name = String::new();
                        for c in chars.by_ref() {
                            if c == '}' {
                                break;
                            }
                            name.push(c);
                        }
                        self.group_index(&name)
                            .ok_or_else(|| format!("No group with name {{{name}}}"))?
                    } else {
                        let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) else {
                            return Err("Illegal group reference".into());
                        };
                        chars.next();
                        let mut idx = d as usize;
                        while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                            let n = idx * 10 + d as usize;
                            if n >= groups.len() {
                                break;
                            }
                            idx = n;
                            chars.next();
                        }
                        if idx >= groups.len() {
                            return Err(format!("No group {idx}"));
                        }
                        idx
                    };
                    if let Some(Some((a, b))) = groups.get(idx) {
                        out.push_str(&s[*a..*b]);
                    }
                }
                c => out.push(c),
            }
        }
        Ok(())
    }

    /// `Pattern.split` / `String.split(regex)`: Java's rules (trailing empty strings dropped,
    /// a leading empty string dropped when the first match is empty-width at 0).
    pub fn split(&self, s: &str, limit: i32) -> Res<Vec<String>> {
        let mut parts = Vec::new();
        let mut last = 0;
        let mut pos = 0;
        while pos <= s.len() {
            if limit > 0 && parts.len() as i32 == limit - 1 {
                break;
            }
            let Some(groups) = self.captures_at(s, pos)? else {
                break;
            };
            let Some((ms, me)) = groups.first().copied().flatten() else {
                break;
            };
            if me == 0 && ms == 0 {
                // A zero-width match at the very start produces no leading empty string.
                pos = s[..].chars().next().map_or(s.len() + 1, char::len_utf8);
                continue;
            }
            if ms == me && ms >= s.len() {
                break;
            }
            parts.push(s[last..ms].to_string());
            last = me;
            pos = if me == ms {
                me + s[me..].chars().next().map_or(1, char::len_utf8)
            } else {
                me
            };
        }
        parts.push(s[last.min(s.len())..].to_string());
        if limit == 0 {
            while parts.len() > 1 && parts.last().is_some_and(String::is_empty) {
                parts.pop();
            }
            if parts.len() == 1 && parts[0].is_empty() && !s.is_empty() {
                parts.pop();
            }
        }
        Ok(parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit_message(r: Res<bool>) -> String {
        match r {
            Err(Exc::Java { class, msg, .. }) => {
                assert_eq!(class, "CircuitBreakingException");
                msg.unwrap_or_default()
            }
            other => panic!("want the regex limit error, got {other:?}"),
        }
    }

    #[test]
    fn catastrophic_backtracking_fails_with_the_regex_limit() {
        let r = JavaRegex::new(r"(a*)*\1b", "").expect("compiles");
        let input = format!("{}X", "a".repeat(30));
        assert_eq!(
            limit_message(r.find(&input)),
            "[scripting] Regular expression considered too many characters, pattern: [(a*)*\\1b], limit factor: [6], char limit: [186], count: [187], wrapped: [aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaX], this limit can be changed by changed by the [script.painless.regex.limit-factor] setting"
        );
        assert!(r.matches(&input).is_err());
        assert!(r.captures_at(&input, 0).is_err());
        assert!(r.replace(&input, "", true).is_err());
        assert!(r.split(&input, 0).is_err());
        // The same pattern on an input it settles quickly is fine.
        assert_eq!(r.find("aab").ok(), Some(true));
    }

    #[test]
    fn the_limit_error_shows_at_most_64_chars_of_the_input() {
        let r = JavaRegex::new(r"^(\w+\s?)*(?<=b)$", "").expect("compiles");
        let input = format!("{}!", "a".repeat(100));
        let msg = limit_message(r.find(&input));
        let want = format!(
            "char limit: [606], count: [607], wrapped: [{}...], this limit",
            "a".repeat(61)
        );
        assert!(msg.contains(&want), "{msg}");
    }

    #[test]
    fn linear_patterns_never_hit_the_limit() {
        // Java's backtracking would read this one far more than 6 times over; the `regex`
        // crate does not backtrack, so pipette answers (Elasticsearch may not, see SECURITY.md).
        let r = JavaRegex::new(r"(a+)+b", "").expect("compiles");
        let input = format!("{}X", "a".repeat(5000));
        assert_eq!(r.find(&input).ok(), Some(false));
    }
}
