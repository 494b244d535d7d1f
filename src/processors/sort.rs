//! `sort`: sorts a list in Java's natural order (Elasticsearch's SortProcessor).

use crate::document::IngestDocument;
use crate::error::{ConfigError, IngestError};
use crate::pipeline::{BuildError, Builder, Config, Env, FieldRef, Flow, Processor};
use crate::value::Value;
use std::cmp::Ordering;

#[derive(Debug)]
struct Sort {
    field: FieldRef,
    target: Option<FieldRef>,
    descending: bool,
}

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    let field = cfg.req_field("field")?;
    let target = cfg.opt_field("target_field")?;
    let order = cfg.str_or("order", "asc")?;
    let descending = match order.as_str() {
        "asc" => false,
        "desc" => true,
        other => {
            return Err(ConfigError::property(
                "order",
                format!("Sort direction [{other}] not recognized. Valid values are: [asc, desc]"),
            )
            .into());
        }
    };
    Ok(Box::new(Sort {
        field,
        target,
        descending,
    }))
}

fn class_cast(from: &str, to: &str) -> IngestError {
    IngestError::new(
        "class_cast_exception",
        format!(
            "class {from} cannot be cast to class {to} ({from} and {to} are in module java.base of loader 'bootstrap')"
        ),
    )
}

/// `((Comparable) receiver).compareTo(arg)` with Java's failures.
fn compare_to(receiver: &Value, arg: &Value) -> Result<Ordering, IngestError> {
    use Value::*;
    match receiver {
        Null => {
            return Err(IngestError::new(
                "null_pointer_exception",
                "Cannot invoke \"java.lang.Comparable.compareTo(Object)\" because the receiver is null",
            ));
        }
        List(_) | Map(_) => return Err(class_cast(receiver.java_type(), "java.lang.Comparable")),
        _ => {}
    }
    if arg.is_null() {
        return Err(IngestError::new("null_pointer_exception", "null"));
    }
    Ok(match (receiver, arg) {
        (Bool(a), Bool(b)) => a.cmp(b),
        (Int(a), Int(b)) => a.cmp(b),
        (Long(a), Long(b)) => a.cmp(b),
        (Float(a), Float(b)) => java_fp_compare(f64::from(*a), f64::from(*b)),
        (Double(a), Double(b)) => java_fp_compare(*a, *b),
        (String(a), String(b)) => a.encode_utf16().cmp(b.encode_utf16()),
        _ => return Err(class_cast(arg.java_type(), receiver.java_type())),
    })
}

/// `Double.compare`: numeric order, ties broken by the bits (-0.0 < 0.0, NaN last).
fn java_fp_compare(a: f64, b: f64) -> Ordering {
    if a < b {
        return Ordering::Less;
    }
    if a > b {
        return Ordering::Greater;
    }
    let bits = |x: f64| -> i64 {
        if x.is_nan() {
            0x7ff8_0000_0000_0000
        } else {
            x.to_bits() as i64
        }
    };
    bits(a).cmp(&bits(b))
}

/// Java's `List.sort` for fewer than 32 elements (ComparableTimSort / TimSort: a run, then a
/// binary insertion sort), which decides which pair a type mismatch is reported for.
fn java_sort(a: &mut [Value], descending: bool) -> Result<(), IngestError> {
    // Collections.reverseOrder() compares c2.compareTo(c1).
    let cmp = |x: &Value, y: &Value| -> Result<Ordering, IngestError> {
        if descending {
            compare_to(y, x)
        } else {
            compare_to(x, y)
        }
    };
    let n = a.len();
    if n < 2 {
        return Ok(());
    }
    if n >= 32 {
        let mut err = None;
        a.sort_by(|x, y| {
            cmp(x, y).unwrap_or_else(|e| {
                err.get_or_insert(e);
                Ordering::Equal
            })
        });
        return err.map_or(Ok(()), Err);
    }
    // countRunAndMakeAscending (n >= 2 here: shorter lists returned above; run_hi <= n below).
    let mut run_hi = 2;
    if cmp(&a[1], &a[0])? == Ordering::Less {
        while run_hi < n && cmp(&a[run_hi], &a[run_hi - 1])? == Ordering::Less {
            run_hi += 1;
        }
        a[..run_hi].reverse();
    } else {
        while run_hi < n && cmp(&a[run_hi], &a[run_hi - 1])? != Ordering::Less {
            run_hi += 1;
        }
    }
    // binarySort
    for start in run_hi..n {
        let (mut left, mut right) = (0, start);
        while left < right {
            let mid = (left + right) / 2;
            if cmp(&a[start], &a[mid])? == Ordering::Less {
                right = mid;
            } else {
                left = mid + 1;
            }
        }
        // left <= start < n (binary search between 0 and start).
        a[left..=start].rotate_right(1);
    }
    Ok(())
}

impl Processor for Sort {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        let path = self.field.resolve(doc)?;
        let mut list = match doc.get(&path)? {
            Value::List(l) => l.clone(),
            Value::Null => {
                return Err(IngestError::illegal_argument(format!(
                    "field [{path}] is null, cannot sort."
                )));
            }
            other => {
                return Err(IngestError::illegal_argument(format!(
                    "field [{path}] of type [{}] cannot be cast to [java.util.List]",
                    other.java_type()
                )));
            }
        };
        java_sort(&mut list, self.descending)?;
        let target = match &self.target {
            Some(t) => t.resolve(doc)?,
            None => path,
        };
        doc.set(&target, Value::List(list))?;
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests {
    use crate::processors::testing::{bad_config, fails, give};

    #[test]
    fn sorts() {
        for (opts, input, output) in [
            (
                r#"{"field":"v"}"#,
                r#"{"v":["foo","bar","baz"]}"#,
                r#"{"v":["bar","baz","foo"]}"#,
            ),
            (
                r#"{"field":"v","order":"desc"}"#,
                r#"{"v":[3,1,2,10]}"#,
                r#"{"v":[10,3,2,1]}"#,
            ),
            (
                r#"{"field":"v","target_field":"t"}"#,
                r#"{"v":[1.5,-0.5,1.0]}"#,
                r#"{"v":[1.5,-0.5,1.0],"t":[-0.5,1.0,1.5]}"#,
            ),
            (
                r#"{"field":"v"}"#,
                r#"{"v":["b","B","a","A","é"]}"#,
                r#"{"v":["A","B","a","b","é"]}"#,
            ),
            (
                r#"{"field":"v"}"#,
                r#"{"v":[true,false]}"#,
                r#"{"v":[false,true]}"#,
            ),
            (r#"{"field":"v"}"#, r#"{"v":[]}"#, r#"{"v":[]}"#),
        ] {
            give("sort", opts, input, output);
        }
        let many: Vec<String> = (0..40).rev().map(|i| i.to_string()).collect();
        let sorted: Vec<String> = (0..40).map(|i| i.to_string()).collect();
        give(
            "sort",
            r#"{"field":"v"}"#,
            &format!(r#"{{"v":[{}]}}"#, many.join(",")),
            &format!(r#"{{"v":[{}]}}"#, sorted.join(",")),
        );
    }

    #[test]
    fn errors() {
        fails(
            "sort",
            r#"{"field":"v"}"#,
            r#"{"v":[1,"a"]}"#,
            "class java.lang.Integer cannot be cast to class java.lang.String (java.lang.Integer and java.lang.String are in module java.base of loader 'bootstrap')",
        );
        fails(
            "sort",
            r#"{"field":"v"}"#,
            r#"{"v":[1,3000000000]}"#,
            "class java.lang.Integer cannot be cast to class java.lang.Long (java.lang.Integer and java.lang.Long are in module java.base of loader 'bootstrap')",
        );
        fails(
            "sort",
            r#"{"field":"v"}"#,
            r#"{"v":"abc"}"#,
            "field [v] of type [java.lang.String] cannot be cast to [java.util.List]",
        );
        fails(
            "sort",
            r#"{"field":"v"}"#,
            r#"{"v":null}"#,
            "field [v] is null, cannot sort.",
        );
        fails(
            "sort",
            r#"{"field":"v"}"#,
            r#"{}"#,
            "field [v] not present as part of path [v]",
        );
        bad_config(
            "sort",
            r#"{"field":"v","order":"up"}"#,
            "[order] Sort direction [up] not recognized. Valid values are: [asc, desc]",
        );
    }
}
