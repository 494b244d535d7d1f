//! YAML input with YAML 1.2 core-schema scalars (as elastic-package's Go reader sees them).

use crate::value::Value;

/// Parses YAML text into a Value; errors carry line and column.
pub fn parse(text: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Err("empty document".to_string());
    }
    serde_norway::from_str::<Value>(text).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_12_scalars_stay_strings() {
        let v = parse("a: yes\nb: on\nc: 1\nd: 1.5\ne: '='\nf: 3000000000\n").unwrap();
        assert_eq!(
            v.to_json(),
            r#"{"a":"yes","b":"on","c":1,"d":1.5,"e":"=","f":3000000000}"#
        );
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("a: [1, 2\nb: c\n").unwrap_err();
        assert!(e.contains("line"), "{e}");
    }
}
