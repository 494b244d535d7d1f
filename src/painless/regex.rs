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

    /// Group spans (byte offsets) of the first match at or after `start`. A `start` inside a
    /// character (a Java index between the halves of a surrogate pair) moves on to the next
    /// character; one past the end finds nothing.
    pub fn captures_at(&self, s: &str, start: usize) -> Res<Option<Spans>> {
        if start > s.len() {
            return Ok(None);
        }
        let start = (start..=s.len())
            .find(|i| s.is_char_boundary(*i))
            .unwrap_or(s.len());
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
            // `last` is the previous match's end and this match starts at or after it; both are
            // engine offsets into `s`, on character boundaries.
            super::budget::push_checked(&mut out, &s[last..ms])?;
            let mut piece = String::new();
            self.expand(s, &groups, repl, &mut piece)?;
            super::budget::push_checked(&mut out, &piece)?;
            last = me;
            // `me` is an engine offset into `s` (at most `s.len()`, on a boundary).
            pos = if me == ms {
                // `me` is an engine offset into `s`: a boundary, at most `s.len()`.
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
        // `last` is the last match end (or 0): a boundary of `s`.
        super::budget::push_checked(&mut out, &s[last.min(s.len())..])?;
        Ok(out)
    }

    /// `Matcher.appendReplacement`'s expansion of `repl` for one match, with its errors.
    fn expand(
        &self,
        s: &str,
        groups: &[Option<(usize, usize)>],
        repl: &str,
        out: &mut String,
    ) -> Res<()> {
        let mut chars = repl.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(n) => out.push(n),
                    None => return Err(Exc::iae("character to be escaped is missing")),
                },
                '$' => {
                    let idx = if chars.peek().is_none() {
                        return Err(Exc::iae("Illegal group reference: group index is missing"));
                    } else if chars.peek() == Some(&'{') {
                        chars.next();
                        let mut name = String::new();
                        while let Some(c) = chars.next_if(char::is_ascii_alphanumeric) {
                            name.push(c);
                        }
                        if name.is_empty() {
                            return Err(Exc::iae("named capturing group has 0 length name"));
                        }
                        if chars.next() != Some('}') {
                            return Err(Exc::iae("named capturing group is missing trailing '}'"));
                        }
                        if name.starts_with(|c: char| c.is_ascii_digit()) {
                            return Err(Exc::iae(format!(
                                "capturing group name {{{name}}} starts with digit character"
                            )));
                        }
                        self.group_index(&name)
                            .ok_or_else(|| Exc::iae(format!("No group with name {{{name}}}")))?
                    } else {
                        let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) else {
                            return Err(Exc::iae("Illegal group reference"));
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
                            // `Matcher.start(int)` on a group the pattern does not have.
                            return Err(Exc::new(
                                "IndexOutOfBoundsException",
                                format!("No group {idx}"),
                            ));
                        }
                        idx
                    };
                    if let Some(Some((a, b))) = groups.get(idx) {
                        // Group spans come from the engine for this very `s`: in bounds and on
                        // character boundaries.
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
                pos = s.chars().next().map_or(s.len() + 1, char::len_utf8);
                continue;
            }
            if ms == me && ms >= s.len() {
                break;
            }
            // As in `replace`: engine offsets into `s`, `last <= ms`, on character boundaries.
            parts.push(s[last..ms].to_string());
            last = me;
            pos = if me == ms {
                // `me` is an engine offset into `s`: a boundary, at most `s.len()`.
                me + s[me..].chars().next().map_or(1, char::len_utf8)
            } else {
                me
            };
        }
        // `last` is the last match end (or 0): a boundary of `s`.
        parts.push(s[last.min(s.len())..].to_string());
        if limit == 0 {
            while parts.len() > 1 && parts.last().is_some_and(String::is_empty) {
                parts.pop();
            }
            if parts.len() == 1 && parts.first().is_some_and(String::is_empty) && !s.is_empty() {
                parts.pop();
            }
        }
        Ok(parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::painless::interp::Thrown;

    fn limit_message(r: Res<bool>) -> String {
        match r.map_err(|e| *e.0) {
            Err(Thrown::Java { class, msg, .. }) => {
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

    #[test]
    fn multi_byte_text_splits_and_replaces_on_whole_characters() {
        let empty = JavaRegex::new("x*", "").expect("compiles");
        assert_eq!(
            empty.replace("üé", "-", true).ok().as_deref(),
            Some("-ü-é-")
        );
        assert_eq!(
            empty.split("üé", 0).ok(),
            Some(vec!["ü".into(), "é".into()])
        );
        let u = JavaRegex::new("ü", "").expect("compiles");
        assert_eq!(u.replace("aüb", "$0$0", true).ok().as_deref(), Some("aüüb"));
        assert_eq!(u.split("aüb", 0).ok(), Some(vec!["a".into(), "b".into()]));
        // The backtracking engine too (a backreference).
        let back = JavaRegex::new(r"(é)\1", "").expect("compiles");
        assert_eq!(
            back.replace("aééb", "[$1]", true).ok().as_deref(),
            Some("a[é]b")
        );
    }

    #[test]
    fn a_start_inside_a_character_moves_to_the_next_one() {
        let text = "😀a😀";
        for pat in [".", r"(.)\1?", "(?<=😀)."] {
            let r = JavaRegex::new(pat, "").expect("compiles");
            for start in 0..=text.len() + 1 {
                let got = r.captures_at(text, start).ok().flatten();
                let first = got.and_then(|g| g.first().copied().flatten());
                if let Some((a, b)) = first {
                    assert!(a >= start.min(text.len()), "{pat} at {start}: {a}");
                    assert!(text.is_char_boundary(a) && text.is_char_boundary(b));
                }
            }
            assert!(r.captures_at(text, 1).ok().flatten().is_some(), "{pat}");
            assert!(r.captures_at(text, text.len() + 1).ok().flatten().is_none());
        }
    }

    #[test]
    fn bad_replacement_references_fail_as_java_does() {
        let r = JavaRegex::new("(?<g>x)", "").expect("compiles");
        for (repl, class, msg) in [
            (
                "$",
                "IllegalArgumentException",
                "Illegal group reference: group index is missing",
            ),
            (
                "${",
                "IllegalArgumentException",
                "named capturing group has 0 length name",
            ),
            (
                "${é}",
                "IllegalArgumentException",
                "named capturing group has 0 length name",
            ),
            (
                "${g",
                "IllegalArgumentException",
                "named capturing group is missing trailing '}'",
            ),
            (
                "${1g}",
                "IllegalArgumentException",
                "capturing group name {1g} starts with digit character",
            ),
            (
                "${nope}",
                "IllegalArgumentException",
                "No group with name {nope}",
            ),
            ("$x", "IllegalArgumentException", "Illegal group reference"),
            ("$9", "IndexOutOfBoundsException", "No group 9"),
            (
                "\\",
                "IllegalArgumentException",
                "character to be escaped is missing",
            ),
        ] {
            match r.replace("x", repl, true).map_err(|e| *e.0) {
                Err(Thrown::Java {
                    class: c, msg: m, ..
                }) => {
                    assert_eq!((c, m.as_deref()), (class, Some(msg)), "{repl}");
                }
                other => panic!("{repl}: {other:?}"),
            }
        }
        // `$1` takes the longest group number that exists: `$10` is group 1 then `0`.
        assert_eq!(r.replace("x", "$10${g}", true).ok().as_deref(), Some("x0x"));
    }
}
