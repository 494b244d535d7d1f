//! `json`: parses a JSON string into a value (Elasticsearch's JsonProcessor).
//!
//! Elasticsearch parses with Jackson, and pipelines copy its error messages into documents, so this
//! file holds a small JSON reader that types numbers as Elasticsearch does and words its errors as
//! Jackson (through Elasticsearch's XContent wrapping) does.

// Helpers return the core `IngestError` unboxed, as `IngestDocument`'s methods do.
#![allow(clippy::result_large_err)]

use crate::document::{FieldPath, IngestDocument};
use crate::error::{ConfigError, IngestError};
use crate::pipeline::{BuildError, Builder, Config, Env, Flow, Processor};
use crate::value::{HashState, Map, Value};
use indexmap::map::RawEntryApiV1;
use indexmap::map::raw_entry_v1::RawEntryMut;
use std::hash::BuildHasher;

#[derive(Debug)]
struct Json {
    /// The option as written: `add_to_root` reads this literal top-level key.
    field_name: String,
    field: FieldPath,
    target: FieldPath,
    add_to_root: bool,
    merge: bool,
    allow_duplicate_keys: bool,
    strict: bool,
}

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    let field_name = cfg.req_str("field")?;
    let target_name = cfg.opt_str("target_field")?;
    let add_to_root = cfg.bool_or("add_to_root", false)?;
    let allow_duplicate_keys = cfg.bool_or("allow_duplicate_keys", false)?;
    let strategy = cfg.opt_str("add_to_root_conflict_strategy")?;
    let merge = match strategy.as_deref().map(str::to_ascii_uppercase).as_deref() {
        None | Some("REPLACE") => false,
        Some("MERGE") => true,
        Some(_) => {
            return Err(ConfigError::property(
                "add_to_root_conflict_strategy",
                format!(
                    "conflict strategy [{}] not supported, cannot convert field.",
                    strategy.unwrap_or_default()
                ),
            )
            .into());
        }
    };
    if add_to_root && target_name.is_some() {
        return Err(ConfigError::property(
            "target_field",
            "Cannot set a target field while also setting `add_to_root` to true",
        )
        .into());
    }
    if !add_to_root && strategy.is_some() {
        return Err(ConfigError::property(
            "add_to_root_conflict_strategy",
            "Cannot set `add_to_root_conflict_strategy` if `add_to_root` is false",
        )
        .into());
    }
    let strict = cfg.bool_or("strict_json_parsing", true)?;
    let field =
        FieldPath::parse(&field_name).map_err(|e| ConfigError::property("field", e.reason))?;
    let target = match &target_name {
        Some(t) => {
            FieldPath::parse(t).map_err(|e| ConfigError::property("target_field", e.reason))?
        }
        None => field.clone(),
    };
    Ok(Box::new(Json {
        field_name,
        field,
        target,
        add_to_root,
        merge,
        allow_duplicate_keys,
        strict,
    }))
}

impl Processor for Json {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        if self.add_to_root {
            let input = doc
                .ctx
                .get(&self.field_name)
                .cloned()
                .unwrap_or(Value::Null);
            let Value::Map(map) = parse_value(&input, self.allow_duplicate_keys, self.strict)?
            else {
                return Err(IngestError::illegal_argument(
                    "cannot add non-map fields to root of document",
                ));
            };
            if self.merge {
                recursive_merge(&mut doc.ctx, map);
            } else {
                doc.ctx.extend(map);
            }
        } else {
            let input = doc.get(&self.field)?;
            let parsed = parse_value(input, self.allow_duplicate_keys, self.strict)?;
            doc.set(&self.target, parsed)?;
        }
        Ok(Flow::Continue)
    }
}

/// Elasticsearch's `recursiveMerge`: maps merge key by key, anything else is replaced.
fn recursive_merge(target: &mut Map, from: Map) {
    for (k, v) in from {
        match (target.get_mut(&k), v) {
            (Some(Value::Map(t)), Value::Map(f)) => recursive_merge(t, f),
            (_, v) => {
                target.insert(k, v);
            }
        }
    }
}

/// `JsonProcessor.apply`: parses the Java `toString()` of a value.
fn parse_value(input: &Value, allow_duplicates: bool, strict: bool) -> Result<Value, IngestError> {
    let owned;
    let text: &str = match input {
        Value::String(s) => s,
        other => {
            owned = other.to_java_string();
            &owned
        }
    };
    let mut p = Reader::new(text, allow_duplicates);
    let value = p.first_value()?;
    if strict && p.has_more() {
        let mut e = IngestError::illegal_argument(format!(
            "The input {text} is not valid JSON and the strict_json_parsing parameter is true"
        ));
        if let Err(cause) = p.next_token_check() {
            e.caused_by = Some(Box::new(cause));
        }
        return Err(e);
    }
    Ok(value)
}

/// Inserts a key known to be absent from `m`, with its hash by `m`'s hasher (not hashed again).
fn insert_new(m: &mut Map, hash: u64, key: String, v: Value) {
    match m.raw_entry_mut_v1().from_hash(hash, |_| false) {
        RawEntryMut::Vacant(e) => {
            e.insert_hashed_nocheck(hash, key, v);
        }
        // `from_hash` matches no entry, so never occupied.
        RawEntryMut::Occupied(mut e) => {
            e.insert(v);
        }
    }
}

/// Jackson's location suffix (Elasticsearch runs Jackson with source inclusion disabled).
fn location_suffix(line: usize, col: usize) -> String {
    format!(
        "\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: {line}, column: {col}]"
    )
}

/// Jackson's `_getCharDesc`.
fn char_desc(c: char) -> String {
    let code = c as u32;
    if c.is_control() {
        format!("(CTRL-CHAR, code {code})")
    } else if code > 255 {
        format!("'{c}' (code {code} / 0x{code:x})")
    } else {
        format!("'{c}' (code {code})")
    }
}

const VALID_VALUES: &str =
    "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')";

/// A Jackson-compatible reader over the input. Positions are byte offsets; columns in error
/// messages count characters, as Jackson's do.
struct Reader<'t> {
    text: &'t str,
    pos: usize,
    line: usize,
    line_start: usize,
    allow_duplicates: bool,
    /// Entries of the objects being read, innermost last, with their keys' hashes (by `hasher`):
    /// a map is built once its size is known, reusing the hashes.
    pending: Vec<(u64, String, Value)>,
    /// The hasher of every map this read builds (so each key is hashed once).
    hasher: HashState,
    /// Objects and arrays open around the current position.
    depth: usize,
}

/// Jackson's `StreamReadConstraints.DEFAULT_MAX_DEPTH` (2.15+; Elasticsearch keeps the default).
/// It also bounds this reader's recursion and the size of what it builds.
const MAX_DEPTH: usize = 1000;

/// Objects with more entries than this are gathered in a map as they are read (finding
/// duplicate keys by hash rather than by a scan of the pending entries).
const SCAN_LIMIT: usize = 16;

/// What went wrong while reading: a Jackson parse error, or the end of input.
type Fail = IngestError;

impl<'t> Reader<'t> {
    fn new(text: &'t str, allow_duplicates: bool) -> Self {
        Reader {
            text,
            pos: 0,
            line: 1,
            line_start: 0,
            allow_duplicates,
            pending: Vec::new(),
            hasher: HashState::default(),
            depth: 0,
        }
    }

    /// The 1-based column (in characters) of byte offset `idx` on the current line.
    fn col_of(&self, idx: usize) -> usize {
        self.text
            .get(self.line_start..idx)
            .map_or(0, |s| s.chars().count())
            + 1
    }

    /// A parse error located at the 1-based column `col`.
    fn error_at(&self, col: usize, msg: &str) -> Fail {
        IngestError::new(
            "x_content_parse_exception",
            format!(
                "[{}:{col}] {msg}{}",
                self.line,
                location_suffix(self.line, col)
            ),
        )
    }

    /// Elasticsearch's wrapping of Jackson's end-of-input errors.
    fn eof(&self) -> Fail {
        IngestError::new(
            "x_content_e_o_f_exception",
            format!(
                "[{}:{}] Unexpected end of file",
                self.line,
                self.col_of(self.pos)
            ),
        )
    }

    /// "Unexpected character" at the character just read (Jackson reports its own column).
    fn unexpected(&self, c: char, idx: usize, what: &str) -> Fail {
        self.error_at(
            self.col_of(idx),
            &format!("Unexpected character ({}): {what}", char_desc(c)),
        )
    }

    fn peek(&self) -> Option<char> {
        match self.text.as_bytes().get(self.pos) {
            Some(&b) if b < 0x80 => Some(char::from(b)),
            // pos only advances by whole characters (bump, ASCII steps), so it is a char boundary.
            Some(_) => self.text[self.pos..].chars().next(),
            None => None,
        }
    }

    /// The byte at the current position (ASCII checks need no decoding).
    fn peek_byte(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// Steps over `c`, the character at the current position; returns its offset.
    fn bump(&mut self, c: char) -> usize {
        let at = self.pos;
        self.pos += c.len_utf8();
        at
    }

    /// Skips whitespace, counting lines. Inline: between tokens there is usually none.
    #[inline(always)]
    fn skip_ws(&mut self) {
        if matches!(self.peek_byte(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.skip_ws_run();
        }
    }

    fn skip_ws_run(&mut self) {
        while let Some(b) = self.peek_byte() {
            match b {
                b' ' | b'\t' => self.pos += 1,
                b'\n' => {
                    self.pos += 1;
                    self.line += 1;
                    self.line_start = self.pos;
                }
                b'\r' => {
                    self.pos += 1;
                    if self.peek_byte() == Some(b'\n') {
                        self.pos += 1;
                    }
                    self.line += 1;
                    self.line_start = self.pos;
                }
                _ => break,
            }
        }
    }

    /// The first value (Elasticsearch reads one token, then the whole value when it opens a
    /// structure). Empty input is `null`.
    fn first_value(&mut self) -> Result<Value, Fail> {
        self.skip_ws();
        if self.peek().is_none() {
            return Ok(Value::Null);
        }
        self.value(true)
    }

    /// True when a further token follows the first value.
    fn has_more(&mut self) -> bool {
        self.skip_ws();
        self.peek().is_some()
    }

    /// Reads the next token only to report why it is not acceptable (the strict-mode cause).
    fn next_token_check(&mut self) -> Result<(), Fail> {
        self.skip_ws();
        match self.peek() {
            Some('}' | ']') => Ok(()),
            Some(_) => self.value(true).map(|_| ()),
            None => Ok(()),
        }
    }

    /// Reads an object or array whose opening character was just read, one level deeper.
    fn nested(&mut self, object: bool) -> Result<Value, Fail> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            // StreamReadConstraints.validateNestingDepth: a StreamConstraintsException without
            // a location, which Elasticsearch's JsonXContentParser turns into an
            // XContentParseException.
            return Err(IngestError::new(
                "x_content_parse_exception",
                format!(
                    "Document nesting depth ({}) exceeds the maximum allowed ({MAX_DEPTH}, from `StreamReadConstraints.getMaxNestingDepth()`)",
                    self.depth
                ),
            ));
        }
        let v = if object { self.object() } else { self.array() };
        self.depth -= 1;
        v
    }

    fn value(&mut self, root: bool) -> Result<Value, Fail> {
        let Some(c) = self.peek() else {
            return Err(self.eof());
        };
        match c {
            '{' | '[' => {
                self.pos += 1;
                self.nested(c == '{')
            }
            '"' => {
                self.pos += 1;
                self.string().map(Value::String)
            }
            '-' | '0'..='9' => self.number(root),
            't' => self.keyword("true", Value::Bool(true)),
            'f' => self.keyword("false", Value::Bool(false)),
            'n' => self.keyword("null", Value::Null),
            '+' => {
                self.pos += 1;
                Err(self.unexpected_number(
                    '+',
                    self.pos - 1,
                    "JSON spec does not allow numbers to have plus signs: enable `JsonReadFeature.ALLOW_LEADING_PLUS_SIGN_FOR_NUMBERS` to allow",
                ))
            }
            c if c.is_alphabetic() || c == '_' || c == '$' => {
                self.bump(c);
                Err(self.invalid_token(c.to_string()))
            }
            c => Err(self.unexpected(
                c,
                self.pos,
                &format!("expected a valid value {VALID_VALUES}"),
            )),
        }
    }

    /// Jackson's `_reportInvalidToken`: the token is extended over following identifier chars.
    fn invalid_token(&mut self, mut token: String) -> Fail {
        while let Some(c) = self.peek() {
            if !(c.is_alphanumeric() || c == '_' || c == '$') {
                break;
            }
            self.bump(c);
            token.push(c);
            if token.chars().count() >= 256 {
                token.push_str("...");
                break;
            }
        }
        self.error_at(
            self.col_of(self.pos),
            &format!("Unrecognized token '{token}': was expecting {VALID_VALUES}"),
        )
    }

    fn keyword(&mut self, word: &str, v: Value) -> Result<Value, Fail> {
        let start = self.pos;
        // Keywords are ASCII: compared byte by byte.
        for (i, expected) in word.bytes().enumerate() {
            match self.text.as_bytes().get(start + i) {
                Some(&c) if c == expected => {}
                Some(_) => {
                    self.pos = start + i;
                    // word is an ASCII keyword and i < word.len().
                    return Err(self.invalid_token(word[..i].to_string()));
                }
                None => {
                    // Jackson's `_matchToken` reports a cut-off keyword as an invalid token.
                    self.pos = start + i;
                    // word is an ASCII keyword and i <= word.len().
                    return Err(self.invalid_token(word[..i].to_string()));
                }
            }
        }
        self.pos = start + word.len();
        if let Some(c) = self.peek()
            && (c.is_alphanumeric() || c == '_' || c == '$')
        {
            return Err(self.invalid_token(word.to_string()));
        }
        Ok(v)
    }

    fn unexpected_number(&self, c: char, idx: usize, what: &str) -> Fail {
        self.error_at(
            self.col_of(idx),
            &format!(
                "Unexpected character ({}) in numeric value: {what}",
                char_desc(c)
            ),
        )
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek_byte().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self, root: bool) -> Result<Value, Fail> {
        let start = self.pos;
        if self.peek() == Some('-') {
            self.pos += 1;
            match self.peek() {
                None => return Err(self.eof()),
                Some(c) if !c.is_ascii_digit() => {
                    let at = self.bump(c);
                    return Err(self.unexpected_number(
                        c,
                        at,
                        "expected digit (0-9) to follow minus sign, for valid numeric value",
                    ));
                }
                _ => {}
            }
        }
        let int_start = self.pos;
        let int_len = self.digits();
        if int_len > 1 && self.text.as_bytes()[int_start] == b'0' {
            return Err(self.error_at(
                self.col_of(int_start + 1),
                "Invalid numeric value: Leading zeroes not allowed",
            ));
        }
        let mut is_float = false;
        if self.peek() == Some('.') {
            is_float = true;
            self.pos += 1;
            if self.digits() == 0 {
                return match self.peek() {
                    None => Err(self.eof()),
                    Some(c) => Err(self.unexpected_number(
                        c,
                        self.pos,
                        "Decimal point not followed by a digit",
                    )),
                };
            }
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            is_float = true;
            self.pos += 1;
            if matches!(self.peek(), Some('+' | '-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return match self.peek() {
                    None => Err(self.eof()),
                    Some(c) => Err(self.unexpected_number(
                        c,
                        self.pos,
                        "Exponent indicator not followed by a digit",
                    )),
                };
            }
        }
        // Jackson wants whitespace (or the end) after a root-level number.
        if root
            && let Some(c) = self.peek()
            && !matches!(c, ' ' | '\t' | '\r' | '\n')
        {
            return Err(self.unexpected(
                c,
                self.pos,
                "Expected space separating root-level values",
            ));
        }
        // start and pos bound ASCII number characters: char boundaries.
        let text = &self.text[start..self.pos];
        if is_float {
            Ok(Value::Double(text.parse::<f64>().unwrap_or(f64::NAN)))
        } else {
            Ok(match text.parse::<i64>() {
                Ok(n) => Value::from_i64(n),
                // Jackson gives a BigInteger here; a Double is the closest type we hold.
                Err(_) => Value::Double(text.parse::<f64>().unwrap_or(f64::NAN)),
            })
        }
    }

    fn hex4(&mut self) -> Result<u32, Fail> {
        let mut n = 0u32;
        for _ in 0..4 {
            let Some(c) = self.peek() else {
                return Err(self.eof());
            };
            let at = self.bump(c);
            let Some(d) = c.to_digit(16) else {
                return Err(self.unexpected(
                    c,
                    at,
                    "expected a hex-digit for character escape sequence",
                ));
            };
            n = n * 16 + d;
        }
        Ok(n)
    }

    /// A string body after the opening quote.
    fn string(&mut self) -> Result<String, Fail> {
        let start = self.pos;
        let end = crate::value::next_escape(self.text.as_bytes(), start);
        if self.text.as_bytes().get(end) == Some(&b'"') {
            // Nothing to unescape before the closing quote: one copy, allocated to size (what
            // the loop below would build). The quote is ASCII, so `end` is a char boundary.
            self.pos = end + 1;
            return Ok(self.text[start..end].to_owned());
        }
        let mut out = String::new();
        loop {
            // Copy the run of characters that need no attention in one go.
            let bytes = self.text.as_bytes();
            // (It also stops at 0xE2, a lead byte, whose character is pushed below.)
            let end = crate::value::next_escape(bytes, self.pos);
            // next_escape stops at an ASCII byte, a 0xE2 lead byte or the end: a char boundary.
            out.push_str(&self.text[self.pos..end]);
            self.pos = end;
            let Some(c) = self.peek() else {
                return Err(self.eof());
            };
            self.bump(c);
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let Some(e) = self.peek() else {
                        return Err(self.eof());
                    };
                    let e_at = self.bump(e);
                    match e {
                        '"' | '\\' | '/' => out.push(e),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'u' => {
                            let hi = self.hex4()?;
                            let ch = if (0xD800..0xDC00).contains(&hi)
                                && self.text.as_bytes().get(self.pos) == Some(&b'\\')
                                && self.text.as_bytes().get(self.pos + 1) == Some(&b'u')
                            {
                                let save = self.pos;
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                                } else {
                                    self.pos = save;
                                    None
                                }
                            } else {
                                char::from_u32(hi)
                            };
                            out.push(ch.unwrap_or('\u{FFFD}'));
                        }
                        other => {
                            return Err(self.error_at(
                                self.col_of(e_at),
                                &format!("Unrecognized character escape {}", char_desc(other)),
                            ));
                        }
                    }
                }
                c if (c as u32) < 0x20 => {
                    return Err(self.error_at(
                        self.col_of(self.pos),
                        &format!(
                            "Illegal unquoted character ({}): has to be escaped using backslash to be included in string value",
                            char_desc(c)
                        ),
                    ));
                }
                c => out.push(c),
            }
        }
    }

    fn object(&mut self) -> Result<Value, Fail> {
        // Where the structure opened; its column is only counted for an error.
        let open = (self.line, self.line_start, self.pos - 1);
        // Entries go on `pending` above `base` (an error ends the whole read, so nothing needs
        // cleaning up then); a large object moves to `big`.
        let base = self.pending.len();
        let mut big: Option<Map> = None;
        self.skip_ws();
        match self.peek() {
            None => return Err(self.eof()),
            Some('}') => {
                self.pos += 1;
                return Ok(Value::Map(Map::default()));
            }
            _ => {}
        }
        loop {
            self.skip_ws();
            let Some(c) = self.peek() else {
                return Err(self.eof());
            };
            let at = self.bump(c);
            if c != '"' {
                if c == ']' {
                    return Err(self.mismatched(']', '}', "Object", open));
                }
                return Err(self.unexpected(
                    c,
                    at,
                    "was expecting double-quote to start field name",
                ));
            }
            let key = self.string()?;
            let hash = self.hasher.hash_one(&key);
            let seen = match &big {
                Some(m) => m.raw_entry_v1().index_from_hash(hash, |k| *k == key),
                // base is the length pending had when this object began; pending only grows meanwhile.
                None => self.pending[base..]
                    .iter()
                    .position(|(h, k, _)| *h == hash && *k == key),
            };
            if seen.is_some() && !self.allow_duplicates {
                return Err(
                    self.error_at(self.col_of(self.pos), &format!("Duplicate field '{key}'"))
                );
            }
            self.skip_ws();
            match self.peek() {
                None => return Err(self.eof()),
                Some(':') => self.pos += 1,
                Some(c) => {
                    return Err(self.unexpected(
                        c,
                        self.pos,
                        "was expecting a colon to separate field name and value",
                    ));
                }
            }
            self.skip_ws();
            let v = self.value(false)?;
            // A duplicate (allowed) keeps its place and takes the last value.
            match (&mut big, seen) {
                // i is an index found in the map just above.
                (Some(m), Some(i)) => m[i] = v,
                (Some(m), None) => insert_new(m, hash, key, v),
                // i is a position found in pending[base..] just above.
                (None, Some(i)) => self.pending[base + i].2 = v,
                (None, None) => {
                    self.pending.push((hash, key, v));
                    if self.pending.len() - base > SCAN_LIMIT {
                        big = Some(self.map_of_pending(base, 2 * SCAN_LIMIT));
                    }
                }
            }
            self.skip_ws();
            match self.peek() {
                None => return Err(self.eof()),
                Some(',') => self.pos += 1,
                Some('}') => {
                    self.pos += 1;
                    let map = match big {
                        Some(m) => m,
                        None => self.map_of_pending(base, self.pending.len() - base),
                    };
                    return Ok(Value::Map(map));
                }
                Some(']') => {
                    self.pos += 1;
                    return Err(self.mismatched(']', '}', "Object", open));
                }
                Some(c) => {
                    return Err(self.unexpected(
                        c,
                        self.pos,
                        "was expecting comma to separate Object entries",
                    ));
                }
            }
        }
    }

    /// A map of the pending entries from `base` on (distinct keys, hashed by `hasher`).
    fn map_of_pending(&mut self, base: usize, capacity: usize) -> Map {
        let mut m = Map::with_capacity_and_hasher(capacity, self.hasher.clone());
        for (hash, key, v) in self.pending.drain(base..) {
            insert_new(&mut m, hash, key, v);
        }
        m
    }

    /// Jackson's `_reportMismatchedEndMarker`.
    /// `open`: the line, that line's start and the offset of the opening bracket.
    fn mismatched(&self, got: char, want: char, kind: &str, open: (usize, usize, usize)) -> Fail {
        let (line, line_start, at) = open;
        let col = self
            .text
            .get(line_start..at)
            .map_or(0, |s| s.chars().count())
            + 1;
        self.error_at(
            self.col_of(self.pos - 1),
            &format!(
                "Unexpected close marker '{got}': expected '{want}' (for {kind} starting at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: {line}, column: {col}])"
            ),
        )
    }

    fn array(&mut self) -> Result<Value, Fail> {
        // Where the structure opened; its column is only counted for an error.
        let open = (self.line, self.line_start, self.pos - 1);
        let mut list = Vec::new();
        self.skip_ws();
        match self.peek() {
            None => return Err(self.eof()),
            Some(']') => {
                self.pos += 1;
                return Ok(Value::List(list));
            }
            _ => {}
        }
        loop {
            self.skip_ws();
            if self.peek() == Some('}') {
                self.pos += 1;
                return Err(self.mismatched('}', ']', "Array", open));
            }
            list.push(self.value(false)?);
            self.skip_ws();
            match self.peek() {
                None => return Err(self.eof()),
                Some(',') => self.pos += 1,
                Some(']') => {
                    self.pos += 1;
                    return Ok(Value::List(list));
                }
                Some('}') => {
                    self.pos += 1;
                    return Err(self.mismatched('}', ']', "Array", open));
                }
                Some(c) => {
                    return Err(self.unexpected(
                        c,
                        self.pos,
                        "was expecting comma to separate Array entries",
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::processors::testing::{bad_config, fails, give};

    fn parse(s: &str) -> Result<Value, String> {
        parse_value(&Value::from(s), false, true).map_err(|e| e.reason)
    }

    #[test]
    fn nesting_deeper_than_jackson_allows_is_an_error() {
        // A thousand levels need more than a debug test thread's stack: run on a stack the size
        // pipette's own worker threads get.
        let run = || {
            let ok = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
            assert!(parse(&ok).is_ok());
            let deep = format!("{}{}", "[".repeat(1001), "]".repeat(1001));
            assert_eq!(
                parse(&deep).unwrap_err(),
                "Document nesting depth (1001) exceeds the maximum allowed (1000, from `StreamReadConstraints.getMaxNestingDepth()`)"
            );
            // Far deeper, unclosed input stops at the limit instead of building (and printing)
            // an enormous nested value.
            let err =
                parse_value(&Value::from("{\"a\":".repeat(200_000)), false, true).unwrap_err();
            assert_eq!(err.kind, "x_content_parse_exception");
            assert!(
                err.reason.starts_with("Document nesting depth (1001)"),
                "{}",
                err.reason
            );
        };
        std::thread::Builder::new()
            .stack_size(crate::harness::run::THREAD_STACK_SIZE)
            .spawn(run)
            .expect("spawn a test thread")
            .join()
            .expect("the checks pass");
    }

    #[test]
    fn parses_with_elasticsearch_types() {
        let v =
            parse(r#"{"a":1,"b":3000000000,"c":1.5,"d":[true,null,"x\u00e9\n"],"e":1e2}"#).unwrap();
        let m = v.as_map().unwrap();
        assert!(matches!(m["a"], Value::Int(1)));
        assert!(matches!(m["b"], Value::Long(3000000000)));
        assert!(matches!(m["c"], Value::Double(_)));
        assert_eq!(m["d"].to_json(), r#"[true,null,"xé\n"]"#);
        assert_eq!(m["e"].to_json(), "100.0");
        assert_eq!(parse("").unwrap(), Value::Null);
        assert_eq!(parse("  \"s\" ").unwrap(), Value::from("s"));
        assert_eq!(parse("-0").unwrap(), Value::Int(0));
    }

    #[test]
    fn large_objects_keep_order_and_find_duplicates() {
        // 40 keys: past the pending-entry scan, into a map; a nested object in the middle.
        let keys: Vec<String> = (0..40).map(|i| format!("k{}", 39 - i)).collect();
        let body: Vec<String> = keys
            .iter()
            .map(|k| format!(r#""{k}":{{"in":"{k}","x":[1,{{"y":2}}]}}"#))
            .collect();
        let text = format!("{{{}}}", body.join(","));
        let v = parse(&text).unwrap();
        let m = v.as_map().unwrap();
        assert_eq!(m.keys().cloned().collect::<Vec<_>>(), keys);
        assert_eq!(v.to_json(), text);
        for dup_at in [3, 30] {
            let mut body = body.clone();
            body.insert(dup_at + 1, format!(r#""k{}":0"#, 39 - dup_at));
            let text = format!("{{{}}}", body.join(","));
            let err = parse(&text).unwrap_err();
            assert!(
                err.contains(&format!("Duplicate field 'k{}'", 39 - dup_at)),
                "{err}"
            );
            // Allowed, the duplicate keeps the first place and takes the last value.
            let v = parse_value(&Value::from(text.as_str()), true, true).unwrap();
            let m = v.as_map().unwrap();
            assert_eq!(m.len(), 40);
            assert_eq!(m.get_index_of(&format!("k{}", 39 - dup_at)), Some(dup_at));
            assert_eq!(m[dup_at], Value::Int(0));
        }
    }

    #[test]
    fn jackson_error_messages() {
        let loc = |l: usize, c: usize| location_suffix(l, c);
        for (input, want) in [
            (
                "hello world",
                format!(
                    "[1:6] Unrecognized token 'hello': was expecting {VALID_VALUES}{}",
                    loc(1, 6)
                ),
            ),
            (
                "<html>",
                format!(
                    "[1:1] Unexpected character ('<' (code 60)): expected a valid value {VALID_VALUES}{}",
                    loc(1, 1)
                ),
            ),
            (
                "{-1}",
                format!(
                    "[1:2] Unexpected character ('-' (code 45)): was expecting double-quote to start field name{}",
                    loc(1, 2)
                ),
            ),
            (
                r#"{"a" 1}"#,
                format!(
                    "[1:6] Unexpected character ('1' (code 49)): was expecting a colon to separate field name and value{}",
                    loc(1, 6)
                ),
            ),
            (
                r#"{"a":1 "b":2}"#,
                format!(
                    "[1:8] Unexpected character ('\"' (code 34)): was expecting comma to separate Object entries{}",
                    loc(1, 8)
                ),
            ),
            (r#"{"a":"#, "[1:6] Unexpected end of file".to_string()),
            (r#"{"a":"x"#, "[1:8] Unexpected end of file".to_string()),
            (
                r#"{"dupe":1,"dupe":2}"#,
                format!("[1:17] Duplicate field 'dupe'{}", loc(1, 17)),
            ),
            (
                "123 foo",
                "The input 123 foo is not valid JSON and the strict_json_parsing parameter is true"
                    .to_string(),
            ),
            (
                "{} {}",
                "The input {} {} is not valid JSON and the strict_json_parsing parameter is true"
                    .to_string(),
            ),
            (
                // Columns count characters, not bytes.
                "[\"é€\", x]",
                format!(
                    "[1:9] Unrecognized token 'x': was expecting {VALID_VALUES}{}",
                    loc(1, 9)
                ),
            ),
            (
                "{\"a\":\"é\" é}",
                format!(
                    "[1:10] Unexpected character ('é' (code 233)): was expecting comma to separate Object entries{}",
                    loc(1, 10)
                ),
            ),
            (
                "{\"é\":\n [1}",
                format!(
                    "[2:4] Unexpected close marker '}}': expected ']' (for Array starting at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 2, column: 2]){}",
                    loc(2, 4)
                ),
            ),
            (
                "tru",
                format!(
                    "[1:4] Unrecognized token 'tru': was expecting {VALID_VALUES}{}",
                    loc(1, 4)
                ),
            ),
            (
                "trux",
                format!(
                    "[1:5] Unrecognized token 'trux': was expecting {VALID_VALUES}{}",
                    loc(1, 5)
                ),
            ),
        ] {
            assert_eq!(parse(input).unwrap_err(), want, "input {input}");
        }
    }

    #[test]
    fn processor_behaviour() {
        give(
            "json",
            r#"{"field":"m"}"#,
            r#"{"m":"{\"a\":1}"}"#,
            r#"{"m":{"a":1}}"#,
        );
        give(
            "json",
            r#"{"field":"m","target_field":"t.x"}"#,
            r#"{"m":"[1,2]"}"#,
            r#"{"m":"[1,2]","t":{"x":[1,2]}}"#,
        );
        give("json", r#"{"field":"m"}"#, r#"{"m":3}"#, r#"{"m":3}"#);
        give("json", r#"{"field":"m"}"#, r#"{"m":null}"#, r#"{"m":null}"#);
        give(
            "json",
            r#"{"field":"m","strict_json_parsing":false}"#,
            r#"{"m":"123 foo"}"#,
            r#"{"m":123}"#,
        );
        give(
            "json",
            r#"{"field":"j","add_to_root":true,"allow_duplicate_keys":true}"#,
            r#"{"j":"{\"d\":1,\"d\":2}"}"#,
            r#"{"j":"{\"d\":1,\"d\":2}","d":2}"#,
        );
        give(
            "json",
            r#"{"field":"j","add_to_root":true,"add_to_root_conflict_strategy":"merge"}"#,
            r#"{"j":"{\"foo\":{\"bar\":\"baz\"}}","foo":{"bar":"o","qux":"q"}}"#,
            r#"{"j":"{\"foo\":{\"bar\":\"baz\"}}","foo":{"bar":"baz","qux":"q"}}"#,
        );
        give(
            "json",
            r#"{"field":"j","add_to_root":true}"#,
            r#"{"j":"{\"foo\":{\"bar\":\"baz\"}}","foo":{"bar":"o","qux":"q"}}"#,
            r#"{"j":"{\"foo\":{\"bar\":\"baz\"}}","foo":{"bar":"baz"}}"#,
        );
        fails(
            "json",
            r#"{"field":"j","add_to_root":true}"#,
            r#"{"j":"[1]"}"#,
            "cannot add non-map fields to root of document",
        );
        fails(
            "json",
            r#"{"field":"m"}"#,
            "{}",
            "field [m] not present as part of path [m]",
        );
    }

    #[test]
    fn config_errors() {
        bad_config(
            "json",
            r#"{"field":"a","add_to_root":true,"target_field":"b"}"#,
            "[target_field] Cannot set a target field while also setting `add_to_root` to true",
        );
        bad_config(
            "json",
            r#"{"field":"a","add_to_root_conflict_strategy":"merge"}"#,
            "[add_to_root_conflict_strategy] Cannot set `add_to_root_conflict_strategy` if `add_to_root` is false",
        );
        bad_config(
            "json",
            r#"{"field":"a","add_to_root":true,"add_to_root_conflict_strategy":"x"}"#,
            "conflict strategy [x] not supported, cannot convert field.",
        );
    }
}
