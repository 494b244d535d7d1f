//! Java regular expressions (java.util.regex) on top of the `regex` crate, with `fancy-regex` for
//! the constructs it lacks (lookaround, backreferences, possessive quantifiers).

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
            Err(e1) => fancy_regex::Regex::new(pat)
                .map(Engine::Fancy)
                .map_err(|e2| format!("{e2} ({e1})")),
        }
    }

    /// Group spans of the first match starting at or after `start`.
    fn captures_at(&self, s: &str, start: usize) -> Option<Vec<Option<(usize, usize)>>> {
        match self {
            Engine::Std(r) => {
                let c = r.captures_at(s, start)?;
                Some(
                    (0..c.len())
                        .map(|i| c.get(i).map(|m| (m.start(), m.end())))
                        .collect(),
                )
            }
            Engine::Fancy(r) => {
                let c = r.captures_from_pos(s, start).ok()??;
                Some(
                    (0..c.len())
                        .map(|i| c.get(i).map(|m| (m.start(), m.end())))
                        .collect(),
                )
            }
        }
    }

    fn is_match(&self, s: &str) -> bool {
        match self {
            Engine::Std(r) => r.is_match(s),
            Engine::Fancy(r) => r.is_match(s).unwrap_or(false),
        }
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

    /// `Matcher.matches()`: the whole string matches.
    pub fn matches(&self, s: &str) -> bool {
        self.full.is_match(s)
    }

    /// `Matcher.find()` from the start.
    pub fn find(&self, s: &str) -> bool {
        self.find.is_match(s)
    }

    /// Group spans (byte offsets) of the first match at or after `start`.
    pub fn captures_at(&self, s: &str, start: usize) -> Option<Vec<Option<(usize, usize)>>> {
        self.find.captures_at(s, start)
    }

    /// Group spans of a whole-string match.
    pub fn captures_full(&self, s: &str) -> Option<Vec<Option<(usize, usize)>>> {
        self.full.captures_at(s, 0)
    }

    /// Number of capture groups.
    pub fn group_count(&self) -> usize {
        self.names.len().saturating_sub(1)
    }

    /// Index of a named group.
    pub fn group_index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n.as_deref() == Some(name))
    }

    /// `replaceAll` / `replaceFirst` with Java replacement syntax (`$1`, `${name}`, `\$`).
    pub fn replace(&self, s: &str, repl: &str, all: bool) -> Result<String, String> {
        let mut out = String::new();
        let mut last = 0;
        let mut pos = 0;
        while pos <= s.len() {
            let Some(groups) = self.captures_at(s, pos) else {
                break;
            };
            let Some((ms, me)) = groups.first().copied().flatten() else {
                break;
            };
            out.push_str(&s[last..ms]);
            self.expand(s, &groups, repl, &mut out)?;
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
        out.push_str(&s[last.min(s.len())..]);
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
    pub fn split(&self, s: &str, limit: i32) -> Vec<String> {
        let mut parts = Vec::new();
        let mut last = 0;
        let mut pos = 0;
        while pos <= s.len() {
            if limit > 0 && parts.len() as i32 == limit - 1 {
                break;
            }
            let Some(groups) = self.captures_at(s, pos) else {
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
        parts
    }
}
