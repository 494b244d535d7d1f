//! Lexer: Painless source text to tokens (PainlessLexer.g4), with the regex-versus-division rule.

use super::CompileError;

/// One token kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// An identifier or keyword-free name.
    Id(String),
    /// An integer literal (value text, radix, suffix).
    Int(String, u32, Option<char>),
    /// A decimal literal (text without suffix, suffix).
    Dec(String, Option<char>),
    /// A string literal, escapes resolved.
    Str(String),
    /// A regex literal: pattern and flags.
    Regex(String, String),
    /// An integer right after a dot (`x.0`).
    DotInt(String),
    /// A punctuation or operator symbol.
    Sym(&'static str),
    /// A keyword.
    Kw(&'static str),
    /// End of input.
    Eof,
}

/// A token and its byte offset in the source.
#[derive(Debug, Clone)]
pub struct Token {
    /// The kind.
    pub tok: Tok,
    /// Byte offset of the first character.
    pub pos: usize,
}

const KEYWORDS: &[&str] = &[
    "if",
    "else",
    "while",
    "do",
    "for",
    "in",
    "continue",
    "break",
    "return",
    "new",
    "try",
    "catch",
    "throw",
    "this",
    "instanceof",
    "true",
    "false",
    "null",
];

// Longest first so that greedy matching works.
const SYMBOLS: &[&str] = &[
    ">>>=", "===", "!==", "==~", ">>>", "<<=", ">>=", "?.", "?:", "::", "->", "=~", "++", "--",
    "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+=", "-=", "*=", "/=", "%=", "&=", "^=", "|=",
    "{", "}", "[", "]", "(", ")", "$", ".", ",", ";", "!", "~", "*", "/", "%", "+", "-", "<", ">",
    "&", "^", "|", "?", ":", "=",
];

fn slash_is_regex(prev: Option<&Tok>) -> bool {
    match prev {
        None => true,
        Some(Tok::Id(_) | Tok::Int(..) | Tok::Dec(..) | Tok::Str(_) | Tok::DotInt(_)) => false,
        Some(Tok::Regex(..)) => false,
        Some(Tok::Sym(s)) => !matches!(*s, ")" | "]" | "++" | "--"),
        Some(Tok::Kw(k)) => !matches!(*k, "true" | "false" | "null" | "this"),
        Some(Tok::Eof) => false,
    }
}

/// Longest inline script Elasticsearch compiles: `script.max_size_in_bytes`'s default.
pub const MAX_SCRIPT_BYTES: usize = 65_535;

/// Splits source text into tokens. Like Elasticsearch's `ScriptService.compile`, a source
/// longer than [`MAX_SCRIPT_BYTES`] (UTF-8) is refused before anything else.
pub fn lex(src: &str) -> Result<Vec<Token>, CompileError> {
    if src.len() > MAX_SCRIPT_BYTES {
        return Err(CompileError::new(
            0,
            format!(
                "exceeded max allowed inline script size in bytes [{MAX_SCRIPT_BYTES}] with size [{}] for script [{src}]",
                src.len()
            ),
        ));
    }
    let b = src.as_bytes();
    // `i` only ever moves past whole characters (ASCII bytes it has looked at, or a char's
    // `len_utf8`), so it is always a char boundary and at most `src.len()`: the slices of `src`
    // below cannot panic.
    let mut i = 0;
    let mut out: Vec<Token> = Vec::new();
    let mut after_dot = false;
    while let Some(&c) = b.get(i) {
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while b.get(i).is_some_and(|c| *c != b'\n' && *c != b'\r') {
                i += 1;
            }
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            // `/*` is two ASCII bytes, so `i + 2` is a boundary within `src`.
            match src[i + 2..].find("*/") {
                Some(e) => i = i + 2 + e + 2,
                None => return Err(CompileError::new(i, "unterminated comment")),
            }
            continue;
        }
        let start = i;
        let dot = after_dot;
        after_dot = false;
        if dot && c.is_ascii_digit() {
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            out.push(Token {
                // An ASCII digit run: both ends are boundaries.
                tok: Tok::DotInt(src[start..i].to_string()),
                pos: start,
            });
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            while b
                .get(i)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
            {
                i += 1;
            }
            // An ASCII identifier run: both ends are boundaries.
            let word = &src[start..i];
            let tok = match KEYWORDS.iter().find(|k| **k == word) {
                Some(k) if !dot => Tok::Kw(k),
                _ => Tok::Id(word.to_string()),
            };
            out.push(Token { tok, pos: start });
            continue;
        }
        if c.is_ascii_digit() {
            out.push(Token {
                tok: lex_number(src, &mut i)?,
                pos: start,
            });
            continue;
        }
        if c == b'"' || c == b'\'' {
            i += 1;
            let mut s = String::new();
            loop {
                // `i` is a char boundary within `src` (see the top of the loop).
                let Some(ch) = src[i..].chars().next() else {
                    return Err(CompileError::new(start, "unterminated string literal"));
                };
                if ch as u32 == c as u32 {
                    i += 1;
                    break;
                }
                if ch == '\\' {
                    match b.get(i + 1) {
                        Some(&n) if n == c || n == b'\\' => {
                            s.push(n as char);
                            i += 2;
                        }
                        _ => {
                            return Err(CompileError::new(
                                i,
                                "invalid escape sequence in string literal (only \\\\ and the quote may be escaped)",
                            ));
                        }
                    }
                    continue;
                }
                s.push(ch);
                i += ch.len_utf8();
            }
            out.push(Token {
                tok: Tok::Str(s),
                pos: start,
            });
            continue;
        }
        if c == b'/' && slash_is_regex(out.last().map(|t| &t.tok)) {
            i += 1;
            let mut pat = String::new();
            loop {
                // `i` is a char boundary within `src` (see the top of the loop).
                let Some(ch) = src[i..].chars().next() else {
                    return Err(CompileError::new(start, "unterminated regex literal"));
                };
                if ch == '\n' {
                    return Err(CompileError::new(start, "unterminated regex literal"));
                }
                if ch == '/' {
                    i += 1;
                    break;
                }
                if ch == '\\' {
                    // The backslash is one byte: `i + 1` is the next char's boundary.
                    if let Some(n) = src[i + 1..].chars().next()
                        && n != '\n'
                    {
                        // `\/` is an escaped slash; other escapes pass through to the regex.
                        if n != '/' {
                            pat.push('\\');
                        }
                        pat.push(n);
                        i += 1 + n.len_utf8();
                        continue;
                    }
                    return Err(CompileError::new(start, "unterminated regex literal"));
                }
                pat.push(ch);
                i += ch.len_utf8();
            }
            let fstart = i;
            while b.get(i).is_some_and(|c| b"cilmsUux".contains(c)) {
                i += 1;
            }
            out.push(Token {
                // An ASCII flag run: both ends are boundaries.
                tok: Tok::Regex(pat, src[fstart..i].to_string()),
                pos: start,
            });
            continue;
        }
        // `i` is a char boundary within `src` (see the top of the loop).
        let rest = &src[i..];
        match SYMBOLS.iter().find(|s| rest.starts_with(**s)) {
            Some(s) => {
                i += s.len();
                if *s == "." || *s == "?." {
                    after_dot = true;
                }
                out.push(Token {
                    tok: Tok::Sym(s),
                    pos: start,
                });
            }
            None => {
                let ch = rest.chars().next().unwrap_or('?');
                return Err(CompileError::new(
                    start,
                    format!("unexpected character [{ch}]"),
                ));
            }
        }
    }
    out.push(Token {
        tok: Tok::Eof,
        pos: src.len(),
    });
    Ok(out)
}

fn lex_number(src: &str, i: &mut usize) -> Result<Tok, CompileError> {
    let b = src.as_bytes();
    let start = *i;
    // Only ASCII bytes are consumed here, so every slice below ends on a char boundary.
    if b.get(start) == Some(&b'0') && matches!(b.get(start + 1), Some(b'x' | b'X')) {
        *i += 2;
        let ds = *i;
        while b.get(*i).is_some_and(u8::is_ascii_hexdigit) {
            *i += 1;
        }
        // An ASCII hex-digit run: both ends are boundaries.
        let digits = src[ds..*i].to_string();
        if digits.is_empty() {
            return Err(CompileError::new(start, "invalid hex literal"));
        }
        let suffix = take_suffix(b, i, b"lL");
        return Ok(Tok::Int(digits, 16, suffix));
    }
    let digit_at = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    while digit_at(*i) {
        *i += 1;
    }
    let mut decimal = false;
    if b.get(*i) == Some(&b'.') && digit_at(*i + 1) {
        decimal = true;
        *i += 1;
        while digit_at(*i) {
            *i += 1;
        }
    }
    if matches!(b.get(*i), Some(b'e' | b'E')) {
        let save = *i;
        *i += 1;
        if matches!(b.get(*i), Some(b'+' | b'-')) {
            *i += 1;
        }
        if digit_at(*i) {
            decimal = true;
            while digit_at(*i) {
                *i += 1;
            }
        } else {
            *i = save;
        }
    }
    // An ASCII number: both ends are boundaries.
    let text = src[start..*i].to_string();
    if decimal {
        let suffix = take_suffix(b, i, b"fFdD");
        return Ok(Tok::Dec(text, suffix));
    }
    let suffix = take_suffix(b, i, b"lLfFdD");
    if matches!(suffix, Some('f' | 'F' | 'd' | 'D')) {
        return Ok(Tok::Dec(text, suffix));
    }
    if let Some(octal) = text.strip_prefix('0')
        && !octal.is_empty()
    {
        return Ok(Tok::Int(octal.to_string(), 8, suffix));
    }
    Ok(Tok::Int(text, 10, suffix))
}

fn take_suffix(b: &[u8], i: &mut usize, allowed: &[u8]) -> Option<char> {
    let c = *b.get(*i)?;
    if allowed.contains(&c) {
        *i += 1;
        Some(c as char)
    } else {
        None
    }
}
