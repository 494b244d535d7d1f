//! YAML input with YAML 1.2 core-schema scalars (as elastic-package's Go reader sees them).

use crate::value::Value;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;

/// Parses YAML text into a Value; errors carry line and column. Like Go's yaml.v3, a mapping
/// that repeats a key is an error: `line 3: mapping key "x" already defined at line 1`.
pub fn parse(text: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Err("empty document".to_string());
    }
    let v = serde_norway::from_str::<Value>(text).map_err(|e| e.to_string())?;
    check_duplicate_keys(text)?;
    Ok(v)
}

/// The first repeated key found: which mapping (pre-order number), the entry indexes of the
/// first definition and of the repeat, and the key.
struct Duplicate {
    map: usize,
    first: usize,
    second: usize,
    key: String,
}

/// What a walk over the document does.
enum Mode {
    /// Look for a repeated key.
    Detect,
    /// Stop (with an error whose location is the answer) at this entry of this mapping.
    Locate { map: usize, entry: usize },
}

/// Shared state of one walk.
struct Walk {
    mode: Mode,
    maps_seen: usize,
    found: Option<Duplicate>,
}

const LOCATE_MARK: &str = "pipette-locate";

/// Finds a repeated mapping key, with the lines of both definitions (two walks over the text,
/// the second only when there is a repeat: serde_norway gives positions only in errors).
fn check_duplicate_keys(text: &str) -> Result<(), String> {
    let walk = RefCell::new(Walk {
        mode: Mode::Detect,
        maps_seen: 0,
        found: None,
    });
    let _ = Checker(&walk).deserialize(serde_norway::Deserializer::from_str(text));
    // serde_norway accepted the text already: an error without a repeat is not ours to report.
    let Some(dup) = walk.borrow_mut().found.take() else {
        return Ok(());
    };
    let first_line = locate(text, dup.map, dup.first);
    let dup_line = locate(text, dup.map, dup.second);
    let mut msg = String::new();
    if let Some(l) = dup_line {
        msg.push_str(&format!("line {l}: "));
    }
    msg.push_str(&format!("mapping key {:?} already defined", dup.key));
    if let Some(l) = first_line {
        msg.push_str(&format!(" at line {l}"));
    }
    Err(msg)
}

/// The line of the key of entry `entry` of the `map`-th mapping (pre-order): a walk that fails on
/// reading that key, so that serde_norway's error names its position.
fn locate(text: &str, map: usize, entry: usize) -> Option<usize> {
    let walk = RefCell::new(Walk {
        mode: Mode::Locate { map, entry },
        maps_seen: 0,
        found: None,
    });
    let err = Checker(&walk)
        .deserialize(serde_norway::Deserializer::from_str(text))
        .err()?
        .to_string();
    if !err.contains(LOCATE_MARK) {
        return None;
    }
    // serde_norway leaves out the position of the document's very first character.
    line_of(&err).or(Some(1))
}

/// The line number in a serde_norway error's `at line N column M`.
fn line_of(err: &str) -> Option<usize> {
    let (_, rest) = err.rsplit_once("at line ")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Walks any YAML node, checking the mappings in it.
struct Checker<'w>(&'w RefCell<Walk>);

impl<'de> DeserializeSeed<'de> for Checker<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Checker<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_i128<E>(self, _: i128) -> Result<(), E> {
        Ok(())
    }
    fn visit_u128<E>(self, _: u128) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.deserialize(d)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.deserialize(d)
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        // A tagged node (`!tag value`): check the value.
        let (IgnoredAny, variant) = data.variant::<IgnoredAny>()?;
        de::VariantAccess::newtype_variant_seed(variant, self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Checker(self.0))?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let id = {
            let mut w = self.0.borrow_mut();
            w.maps_seen += 1;
            w.maps_seen - 1
        };
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut entry = 0;
        loop {
            let fail = matches!(self.0.borrow().mode,
                Mode::Locate { map: m, entry: e } if m == id && e == entry);
            let Some(key) = map.next_key_seed(KeySeed { fail })? else {
                break;
            };
            if let Some(key) = key {
                if let Some(&first) = seen.get(&key) {
                    if matches!(self.0.borrow().mode, Mode::Detect) {
                        self.0.borrow_mut().found = Some(Duplicate {
                            map: id,
                            first,
                            second: entry,
                            // Keys carry a one-ASCII-letter type tag (`KeySeed`).
                            key: key[1..].to_string(),
                        });
                        return Err(de::Error::custom("duplicate mapping key"));
                    }
                } else {
                    seen.insert(key, entry);
                }
            }
            map.next_value_seed(Checker(self.0))?;
            entry += 1;
        }
        Ok(())
    }
}

/// A mapping key as yaml.v3 compares keys: scalars by kind and text (`None` for other keys).
/// With `fail`, reading the key is an error, located at the key.
#[derive(Clone, Copy)]
struct KeySeed {
    fail: bool,
}

impl KeySeed {
    fn done<E: de::Error>(self, key: Option<String>) -> Result<Option<String>, E> {
        if self.fail {
            Err(E::custom(LOCATE_MARK))
        } else {
            Ok(key)
        }
    }
}

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Option<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<String>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a mapping key")
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Self::Value, E> {
        self.done(Some(format!("b{b}")))
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
        self.done(Some(format!("n{n}")))
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
        self.done(Some(format!("n{n}")))
    }
    fn visit_i128<E: de::Error>(self, n: i128) -> Result<Self::Value, E> {
        self.done(Some(format!("n{n}")))
    }
    fn visit_u128<E: de::Error>(self, n: u128) -> Result<Self::Value, E> {
        self.done(Some(format!("n{n}")))
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Self::Value, E> {
        self.done(Some(format!("f{n}")))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        self.done(Some(format!("s{s}")))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.done(Some("unull".to_string()))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.done(Some("unull".to_string()))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.done(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        self.done(None)
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        let (IgnoredAny, variant) = data.variant::<IgnoredAny>()?;
        de::VariantAccess::newtype_variant::<IgnoredAny>(variant)?;
        self.done(None)
    }
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
    fn duplicate_keys_like_yaml_v3() {
        let e = parse("a: 1\nb:\n  c: 1\n  d: 2\n  c: 3\n").unwrap_err();
        assert_eq!(e, r#"line 5: mapping key "c" already defined at line 3"#);
        let e = parse("processors:\n  - set: {}\nprocessors: []\n").unwrap_err();
        assert_eq!(
            e,
            r#"line 3: mapping key "processors" already defined at line 1"#
        );
        let e = parse("b:\n  x: 1\n  c:\n    - 1\n  c: 2\n").unwrap_err();
        assert_eq!(e, r#"line 5: mapping key "c" already defined at line 3"#);
        let e = parse("- {x: 1, y: 2, x: 3}\n").unwrap_err();
        assert!(e.contains(r#"mapping key "x" already defined"#), "{e}");
        // The same text with different kinds is not a repeat; nor are keys of sibling maps.
        assert!(parse("1: a\n'1': b\n").is_ok());
        assert!(parse("- a: 1\n- a: 2\n").is_ok());
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("a: [1, 2\nb: c\n").unwrap_err();
        assert!(e.contains("line"), "{e}");
    }
}
