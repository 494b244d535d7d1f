//! `trim`: Java `String.trim()` (strips characters up to U+0020 only) on a string or a list.

use super::lowercase::MapString;
use crate::pipeline::{BuildError, Builder, Config, Processor};

/// Java `String.trim`: removes leading and trailing characters `<= ' '`.
fn java_trim(s: &str) -> String {
    s.trim_matches(|c: char| c <= ' ').to_string()
}

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    MapString::build(cfg, java_trim)
}

#[cfg(test)]
mod tests {
    use crate::processors::testing::{fails, give};

    #[test]
    fn trims_like_java() {
        give(
            "trim",
            r#"{"field":"a"}"#,
            r#"{"a":" \t x \u0000\n"}"#,
            r#"{"a":"x"}"#,
        );
        // U+00A0 and U+2003 are not <= U+0020: Java keeps them.
        give(
            "trim",
            r#"{"field":"a"}"#,
            r#"{"a":"\u00a0x\u2003"}"#,
            r#"{"a":"\u00a0x\u2003"}"#,
        );
        give(
            "trim",
            r#"{"field":"a"}"#,
            r#"{"a":[" a ","b "]}"#,
            r#"{"a":["a","b"]}"#,
        );
        fails(
            "trim",
            r#"{"field":"a"}"#,
            r#"{"a":true}"#,
            "field [a] of type [java.lang.Boolean] cannot be cast to [java.lang.String]",
        );
    }
}
