//! `uppercase`: Java `toUpperCase(Locale.ROOT)` on a string or a list of strings.

use super::lowercase::MapString;
use crate::pipeline::{BuildError, Builder, Config, Processor};

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    MapString::build(cfg, str::to_uppercase)
}

#[cfg(test)]
mod tests {
    use crate::processors::testing::{fails, give};

    #[test]
    fn uppercases() {
        give(
            "uppercase",
            r#"{"field":"a"}"#,
            r#"{"a":"straße ı"}"#,
            r#"{"a":"STRASSE I"}"#,
        );
        give(
            "uppercase",
            r#"{"field":"a","target_field":"b.c"}"#,
            r#"{"a":["x"]}"#,
            r#"{"a":["x"],"b":{"c":["X"]}}"#,
        );
        fails(
            "uppercase",
            r#"{"field":"a"}"#,
            r#"{"a":{"b":1}}"#,
            "field [a] of type [java.util.HashMap] cannot be cast to [java.lang.String]",
        );
    }
}
