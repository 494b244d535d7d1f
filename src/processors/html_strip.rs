//! `html_strip`: removes HTML markup the way Lucene's HTMLStripCharFilter does (Elasticsearch's
//! HtmlStripProcessor): block-level tags and `<br>` become `\n`, inline tags vanish, comments,
//! `<!…>` and `<?…?>` are dropped, `<script>`/`<style>` bodies become one `\n`, character
//! references are decoded. Strings or lists of strings.

use super::urldecode::StringProcessor;
use crate::pipeline::{BuildError, Builder, Config, Processor};
use crate::value::Value;

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    StringProcessor::build(cfg, |s| Ok(Value::String(strip_html(s))))
}

/// Lucene's inline elements: their tags are removed without a line break.
const INLINE: &[&str] = &[
    "a", "b", "i", "q", "s", "u", "abbr", "acronym", "basefont", "bdo", "big", "cite", "code",
    "dfn", "em", "font", "img", "input", "kbd", "label", "samp", "select", "small", "span",
    "strike", "strong", "sub", "sup", "textarea", "tt", "var",
];

/// Named character references (HTML 4 Latin-1 set and the common specials).
const LATIN1: [&str; 96] = [
    "nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect", "uml", "copy", "ordf",
    "laquo", "not", "shy", "reg", "macr", "deg", "plusmn", "sup2", "sup3", "acute", "micro",
    "para", "middot", "cedil", "sup1", "ordm", "raquo", "frac14", "frac12", "frac34", "iquest",
    "Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig", "Ccedil", "Egrave", "Eacute",
    "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml", "ETH", "Ntilde", "Ograve", "Oacute",
    "Ocirc", "Otilde", "Ouml", "times", "Oslash", "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute",
    "THORN", "szlig", "agrave", "aacute", "acirc", "atilde", "auml", "aring", "aelig", "ccedil",
    "egrave", "eacute", "ecirc", "euml", "igrave", "iacute", "icirc", "iuml", "eth", "ntilde",
    "ograve", "oacute", "ocirc", "otilde", "ouml", "divide", "oslash", "ugrave", "uacute", "ucirc",
    "uuml", "yacute", "thorn", "yuml",
];

const SPECIAL: &[(&str, u32)] = &[
    ("quot", 34),
    ("QUOT", 34),
    ("amp", 38),
    ("AMP", 38),
    ("apos", 39),
    ("lt", 60),
    ("LT", 60),
    ("gt", 62),
    ("GT", 62),
    ("COPY", 169),
    ("REG", 174),
    ("OElig", 338),
    ("oelig", 339),
    ("Scaron", 352),
    ("scaron", 353),
    ("Yuml", 376),
    ("fnof", 402),
    ("circ", 710),
    ("tilde", 732),
    ("ensp", 8194),
    ("emsp", 8195),
    ("thinsp", 8201),
    ("zwnj", 8204),
    ("zwj", 8205),
    ("lrm", 8206),
    ("rlm", 8207),
    ("ndash", 8211),
    ("mdash", 8212),
    ("lsquo", 8216),
    ("rsquo", 8217),
    ("sbquo", 8218),
    ("ldquo", 8220),
    ("rdquo", 8221),
    ("bdquo", 8222),
    ("dagger", 8224),
    ("Dagger", 8225),
    ("bull", 8226),
    ("hellip", 8230),
    ("permil", 8240),
    ("prime", 8242),
    ("Prime", 8243),
    ("lsaquo", 8249),
    ("rsaquo", 8250),
    ("oline", 8254),
    ("frasl", 8260),
    ("euro", 8364),
    ("trade", 8482),
    ("larr", 8592),
    ("uarr", 8593),
    ("rarr", 8594),
    ("darr", 8595),
    ("harr", 8596),
];

fn entity(name: &str) -> Option<char> {
    if let Some(i) = LATIN1.iter().position(|n| *n == name) {
        return char::from_u32(160 + i as u32);
    }
    SPECIAL
        .iter()
        .find(|(n, _)| *n == name)
        .and_then(|(_, c)| char::from_u32(*c))
}

/// Strips markup; text without both `<` and `>` is returned as is (Elasticsearch's shortcut).
pub fn strip_html(text: &str) -> String {
    if !text.contains('<') || !text.contains('>') {
        return text.to_string();
    }
    let s: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < s.len() {
        // i < s.len() (loop condition).
        match s[i] {
            '&' => match reference(&s, i) {
                Some((c, len)) => {
                    out.push(c);
                    i += len;
                }
                None => {
                    out.push('&');
                    i += 1;
                }
            },
            '<' => match markup(&s, i) {
                Some(Markup::Replace(r, len)) => {
                    out.push_str(r);
                    i += len;
                }
                Some(Markup::Literal(len)) => {
                    // markup returns lengths that end within s (at most n - i).
                    out.extend(&s[i..i + len]);
                    i += len;
                }
                Some(Markup::Cdata(start, end, len)) => {
                    // Cdata bounds come from find over s: start <= end <= s.len().
                    out.extend(&s[start..end]);
                    i += len;
                }
                None => {
                    out.push('<');
                    i += 1;
                }
            },
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// A character reference at `s[i] == '&'`: its character and length (the `;` is required, except
/// at the end of the text).
fn reference(s: &[char], i: usize) -> Option<(char, usize)> {
    let mut j = i + 1;
    let c = if s.get(j) == Some(&'#') {
        j += 1;
        let hex = matches!(s.get(j), Some('x' | 'X'));
        if hex {
            j += 1;
        }
        let start = j;
        // j < s.len() is tested first on each iteration.
        while j < s.len()
            && (if hex {
                s[j].is_ascii_hexdigit()
            } else {
                s[j].is_ascii_digit()
            })
        {
            j += 1;
        }
        // start <= j <= s.len().
        let digits: String = s[start..j].iter().collect();
        let max_len = if hex { 6 } else { 7 };
        if digits.is_empty() || digits.len() > max_len {
            return None;
        }
        let cp = u32::from_str_radix(&digits, if hex { 16 } else { 10 }).ok()?;
        if cp > 0x10FFFF {
            return None;
        }
        char::from_u32(cp).unwrap_or('\u{FFFD}')
    } else {
        // Longest entity name.
        let end = (j..s.len())
            // k ranges over j..s.len().
            .take_while(|&k| s[k].is_ascii_alphanumeric())
            .last()?
            + 1;
        let (len, c) = (1..=end - j)
            .rev()
            // j + l <= end <= s.len().
            .find_map(|l| entity(&s[j..j + l].iter().collect::<String>()).map(|c| (l, c)))?;
        j += len;
        c
    };
    match s.get(j) {
        Some(';') => Some((c, j + 1 - i)),
        None => Some((c, j - i)),
        Some(_) => None,
    }
}

enum Markup {
    /// Replace `len` chars with this text.
    Replace(&'static str, usize),
    /// Keep `len` chars as they are (unfinished constructs at the end).
    Literal(usize),
    /// A CDATA section: keep `s[start..end]`, consume `len` chars.
    Cdata(usize, usize, usize),
}

fn is_space(c: char) -> bool {
    c.is_whitespace()
}

fn starts_with_ci(s: &[char], at: usize, word: &str) -> bool {
    let w: Vec<char> = word.chars().collect();
    s.len() >= at + w.len()
        // s.len() >= at + w.len() is tested first.
        && s[at..at + w.len()]
            .iter()
            .zip(&w)
            .all(|(a, b)| a.eq_ignore_ascii_case(b))
}

fn find(s: &[char], from: usize, pat: &str) -> Option<usize> {
    let p: Vec<char> = pat.chars().collect();
    // k < s.len(), so s[k..] is in range.
    (from..s.len()).find(|&k| s[k..].starts_with(&p))
}

/// A tag name (`[:_\p{ID_Start}][-.:_\p{ID_Continue}]*`) at `at`: its length.
fn name_len(s: &[char], at: usize) -> usize {
    match s.get(at) {
        Some(&c) if c == ':' || c == '_' || c.is_alphabetic() => {}
        _ => return 0,
    }
    // s.get(at) matched above, so at + 1 <= s.len().
    1 + s[at + 1..]
        .iter()
        .take_while(|&&c| c.is_alphanumeric() || matches!(c, '-' | '.' | ':' | '_'))
        .count()
}

/// The end (after `>`) of a start tag's attributes and `>`; `<` ends it unsuccessfully, quoted
/// attribute values may hold `<` and `>`.
fn tag_tail(s: &[char], from: usize) -> Option<usize> {
    let mut k = from;
    let mut last_non_space: Option<char> = None;
    while k < s.len() {
        // k < s.len() (loop condition).
        let c = s[k];
        match c {
            '>' => return Some(k + 1),
            '<' => return None,
            '"' | '\'' if last_non_space == Some('=') => {
                // q ranges over k + 1..s.len().
                if let Some(close) = (k + 1..s.len()).find(|&q| s[q] == c) {
                    k = close + 1;
                    last_non_space = Some(c);
                    continue;
                }
            }
            _ => {}
        }
        if !is_space(c) {
            last_non_space = Some(c);
        }
        k += 1;
    }
    None
}

/// Markup at `s[i] == '<'`, or `None` when the `<` is plain text.
fn markup(s: &[char], i: usize) -> Option<Markup> {
    let n = s.len();
    let j = i + 1;
    match s.get(j)? {
        '!' => {
            if starts_with_ci(s, j + 1, "--") {
                return Some(match find(s, j + 3, "-->") {
                    Some(e) => Markup::Replace("", e + 3 - i),
                    None => Markup::Replace("", n - i),
                });
            }
            // s.get(j) matched above, so j + 1 <= n.
            if s[j + 1..].starts_with(&['[', 'C', 'D', 'A', 'T', 'A', '[']) {
                let body = j + 8;
                // The body is kept as is; `<![CDATA[` and `]]>` are dropped.
                return Some(match find(s, body, "]]>") {
                    Some(e) => Markup::Cdata(body, e, e + 3 - i),
                    None => Markup::Cdata(body.min(n), n, n - i),
                });
            }
            // k ranges over j + 1..n.
            Some(match (j + 1..n).find(|&k| s[k] == '>') {
                Some(e) => Markup::Replace("", e + 1 - i),
                None => Markup::Literal(n - i),
            })
        }
        '/' => {
            let mut k = j + 1;
            // k < n is tested first on each iteration.
            while k < n && is_space(s[k]) {
                k += 1;
            }
            let len = name_len(s, k);
            if len == 0 {
                return None;
            }
            // name_len counts characters present from k: k + len <= n.
            let name: String = s[k..k + len]
                .iter()
                .collect::<String>()
                .to_ascii_lowercase();
            let mut e = k + len;
            if e == n {
                return Some(Markup::Replace("", n - i));
            }
            // e < n is tested first on each iteration.
            while e < n && is_space(s[e]) {
                e += 1;
            }
            if s.get(e) != Some(&'>') {
                return None;
            }
            let repl = if INLINE.contains(&name.as_str()) {
                ""
            } else {
                "\n"
            };
            Some(Markup::Replace(repl, e + 1 - i))
        }
        '?' => {
            // k ranges over j + 1..n.
            let e = (j + 1..n).find(|&k| s[k] == '>')?;
            // e > j + 1, so e - 1 is a valid index.
            if e > j + 1 && matches!(s[e - 1], '/' | '?') {
                Some(Markup::Replace("", e + 1 - i))
            } else {
                None
            }
        }
        _ => {
            let mut k = j;
            // k < n is tested first on each iteration.
            while k < n && is_space(s[k]) {
                k += 1;
            }
            for (word, body_end) in [("script", "script"), ("style", "style")] {
                if starts_with_ci(s, k, word)
                    && let Some(open_end) = tag_tail(s, k + word.len())
                {
                    return Some(match closing_tag(s, open_end, body_end) {
                        Some(e) => Markup::Replace("\n", e - i),
                        None => Markup::Replace("", n - i),
                    });
                }
            }
            if starts_with_ci(s, k, "br")
                && let Some(e) = tag_tail(s, k + 2)
            {
                return Some(Markup::Replace("\n", e - i));
            }
            let len = name_len(s, k);
            if len == 0 {
                return None;
            }
            // name_len counts characters present from k: k + len <= n.
            let name: String = s[k..k + len]
                .iter()
                .collect::<String>()
                .to_ascii_lowercase();
            if k + len == n {
                return Some(Markup::Replace("", n - i));
            }
            let e = tag_tail(s, k + len)?;
            let repl = if INLINE.contains(&name.as_str()) {
                ""
            } else {
                "\n"
            };
            Some(Markup::Replace(repl, e - i))
        }
    }
}

/// The end (after `>`) of `</name\s*>` after `from`, skipping `<!-- … -->` sections.
fn closing_tag(s: &[char], from: usize, name: &str) -> Option<usize> {
    let n = s.len();
    let mut k = from;
    while k < n {
        // k < n (loop condition).
        if s[k..].starts_with(&['<', '!', '-', '-']) {
            k = find(s, k + 4, "-->")? + 3;
            continue;
        }
        // k < n (loop condition); s.get guards k + 1.
        if s[k] == '<' && s.get(k + 1) == Some(&'/') {
            let mut m = k + 2;
            // m < n is tested first on each iteration.
            while m < n && is_space(s[m]) {
                m += 1;
            }
            if starts_with_ci(s, m, name) {
                let mut e = m + name.len();
                // e < n is tested first on each iteration.
                while e < n && is_space(s[e]) {
                    e += 1;
                }
                if s.get(e) == Some(&'>') {
                    return Some(e + 1);
                }
            }
        }
        k += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::strip_html;
    use crate::processors::testing::give;

    #[test]
    fn strips_like_lucene() {
        for (html, text) in [
            (
                "<p>this <title>is</title> a <b>test</b>",
                "\nthis \nis\n a test",
            ),
            ("no markup & no tags", "no markup & no tags"),
            ("a<br>b<br/>c< br />d", "a\nb\nc\nd"),
            ("x<!-- comment -->y", "xy"),
            ("<script>var a = '</p>';</script>z", "\nz"),
            ("<style type=\"text/css\">p {}</style>z", "\nz"),
            (
                "&lt;b&gt; &amp;amp; &eacute;&#233;&#xE9; &nbsp;<i>x</i>",
                "<b> &amp; ééé \u{a0}x",
            ),
            ("1 < 2 and <span class=\"a>b\">ok</span>", "1 < 2 and ok"),
            ("<!DOCTYPE html><div id=a>t</div>", "\nt\n"),
            ("&amp no semicolon <b>x</b>", "&amp no semicolon x"),
            ("<?xml version=\"1.0\"?><a href='#'>l</a>", "l"),
            ("<![CDATA[<x>]]> y", "<x> y"),
        ] {
            assert_eq!(strip_html(html), text, "{html}");
        }
    }

    #[test]
    fn processor() {
        give(
            "html_strip",
            r#"{"field":"h","target_field":"t"}"#,
            r#"{"h":"<p>a</p>"}"#,
            r#"{"h":"<p>a</p>","t":"\na\n"}"#,
        );
        give(
            "html_strip",
            r#"{"field":"h"}"#,
            r#"{"h":["<b>a</b>","c"]}"#,
            r#"{"h":["a","c"]}"#,
        );
    }
}
