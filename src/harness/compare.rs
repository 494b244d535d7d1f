//! Comparing documents as elastic-package does: key order ignored, array order kept, numbers
//! equal by value (`1 == 1.0`), dynamic fields removed from both sides first.

use super::input::go_type;
use crate::value::{Map, Value, java_float_to_string};

/// Equality of two JSON documents with elastic-package's number rule.
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| json_eq(v, w))
        }
        (x, y) if x.is_number() && y.is_number() => numbers_eq(x, y),
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        _ => false,
    }
}

fn as_int(v: &Value) -> Option<i64> {
    match *v {
        Value::Int(i) => Some(i as i64),
        Value::Long(l) => Some(l),
        _ => None,
    }
}

fn as_float(v: &Value) -> Option<f64> {
    match *v {
        // A Float reaches JSON as Java prints it; compare what a reader would parse back.
        Value::Float(f) => java_float_to_string(f).parse().ok(),
        Value::Double(d) => Some(d),
        _ => None,
    }
}

fn numbers_eq(a: &Value, b: &Value) -> bool {
    match (as_int(a), as_int(b)) {
        (Some(x), Some(y)) => x == y,
        (Some(x), None) => as_float(b).is_some_and(|y| x as f64 == y),
        (None, Some(y)) => as_float(a).is_some_and(|x| x == y as f64),
        (None, None) => match (as_float(a), as_float(b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
    }
}

/// libbeat's `MapStr.Delete`: removes a dotted key (a literal key wins); absent keys are fine,
/// a non-object on the way is an error.
pub fn delete_dotted(m: &mut Map, key: &str) -> Result<(), String> {
    if m.shift_remove(key).is_some() {
        return Ok(());
    }
    let Some((head, rest)) = key.split_once('.') else {
        return Ok(());
    };
    match m.get_mut(head) {
        None => Ok(()),
        Some(Value::Map(cm)) => delete_dotted(cm, rest),
        Some(other) => Err(format!("expected map but type is {}", go_type(other))),
    }
}

/// libbeat's `MapStr.GetValue` for a dotted key.
pub fn get_dotted<'a>(m: &'a Map, key: &str) -> Option<&'a Value> {
    if let Some(v) = m.get(key) {
        return Some(v);
    }
    let (head, rest) = key.split_once('.')?;
    match m.get(head)? {
        Value::Map(cm) => get_dotted(cm, rest),
        _ => None,
    }
}

/// What differs first between an expected and an actual document, for grouping failures.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Difference {
    /// Dotted path of the first differing field (`""` for the whole document).
    pub path: String,
    /// `missing field`, `unexpected field`, `value differs`, `type differs`,
    /// `array length differs`, `document dropped`, `document not dropped`.
    pub kind: &'static str,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            f.write_str(self.kind)
        } else {
            write!(f, "{} [{}]", self.kind, self.path)
        }
    }
}

/// The first difference (keys in sorted order, missing before unexpected), if any.
pub fn first_difference(expected: &Value, actual: &Value) -> Option<Difference> {
    match (expected, actual) {
        (Value::Null, Value::Null) => None,
        (Value::Null, _) => Some(Difference {
            path: String::new(),
            kind: "document not dropped",
        }),
        (_, Value::Null) => Some(Difference {
            path: String::new(),
            kind: "document dropped",
        }),
        _ => diff_at(expected, actual, ""),
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn diff_at(e: &Value, a: &Value, path: &str) -> Option<Difference> {
    let d = |kind| {
        Some(Difference {
            path: path.to_string(),
            kind,
        })
    };
    match (e, a) {
        (Value::Map(em), Value::Map(am)) => {
            let mut keys: Vec<&String> = em.keys().chain(am.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = join(path, k);
                match (em.get(k.as_str()), am.get(k.as_str())) {
                    (Some(_), None) => {
                        return Some(Difference {
                            path: p,
                            kind: "missing field",
                        });
                    }
                    (None, Some(_)) => {
                        return Some(Difference {
                            path: p,
                            kind: "unexpected field",
                        });
                    }
                    (Some(x), Some(y)) => {
                        if let Some(diff) = diff_at(x, y, &p) {
                            return Some(diff);
                        }
                    }
                    (None, None) => {}
                }
            }
            None
        }
        (Value::List(el), Value::List(al)) => {
            for (x, y) in el.iter().zip(al) {
                // Array positions are not part of the grouping key: same field, same cause.
                if let Some(diff) = diff_at(x, y, path) {
                    return Some(diff);
                }
            }
            if el.len() != al.len() {
                return d("array length differs");
            }
            None
        }
        _ if json_eq(e, a) => None,
        _ if std::mem::discriminant(e) == std::mem::discriminant(a)
            || (e.is_number() && a.is_number()) =>
        {
            d("value differs")
        }
        _ => d("type differs"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn j(s: &str) -> Value {
        Value::from_json_str(s).unwrap()
    }

    #[test]
    fn equality_rules() {
        for (a, b, eq) in [
            (r#"{"a":1,"b":2}"#, r#"{"b":2,"a":1}"#, true),
            ("[1,2]", "[2,1]", false),
            ("1", "1.0", true),
            ("3000000000", "3.0E9", true),
            ("1.5", "1.50", true),
            ("1", "\"1\"", false),
            ("null", "{}", false),
            (r#"{"a":null}"#, "{}", false),
        ] {
            assert_eq!(json_eq(&j(a), &j(b)), eq, "{a} vs {b}");
        }
        assert!(json_eq(&Value::Float(1.1), &j("1.1")));
    }

    #[test]
    fn dynamic_field_deletion() {
        let mut m = match j(r#"{"event":{"ingested":"x","kind":"y"},"a.b":1,"s":"t"}"#) {
            Value::Map(m) => m,
            _ => unreachable!(),
        };
        delete_dotted(&mut m, "event.ingested").unwrap();
        delete_dotted(&mut m, "a.b").unwrap();
        delete_dotted(&mut m, "nope.x").unwrap();
        assert!(delete_dotted(&mut m, "s.t").is_err());
        assert_eq!(Value::Map(m).to_json(), r#"{"event":{"kind":"y"},"s":"t"}"#);
    }

    #[test]
    fn first_differences() {
        for (e, a, want) in [
            (
                r#"{"a":{"b":1}}"#,
                r#"{"a":{"b":2}}"#,
                "value differs [a.b]",
            ),
            (r#"{"a":1}"#, r#"{}"#, "missing field [a]"),
            (r#"{}"#, r#"{"z":1}"#, "unexpected field [z]"),
            (r#"{"a":"1"}"#, r#"{"a":1}"#, "type differs [a]"),
            (r#"{"a":[1]}"#, r#"{"a":[1,2]}"#, "array length differs [a]"),
            ("null", "{}", "document not dropped"),
            ("{}", "null", "document dropped"),
        ] {
            assert_eq!(first_difference(&j(e), &j(a)).unwrap().to_string(), want);
        }
        assert_eq!(first_difference(&j(r#"{"a":1}"#), &j(r#"{"a":1.0}"#)), None);
    }
}
