//! Conditions decided straight from the document, without starting the interpreter.
//!
//! Most `if` conditions of real pipelines test a few `ctx` fields: `ctx.a?.b != null`,
//! `ctx.x == 'literal'`, `ctx.f instanceof String`, `ctx.tags.contains('t')`, joined by `&&`,
//! `||` and `!`. Such a condition is compiled once into a [`Quick`] form that walks the document
//! maps directly. It answers only when the document is plain (every step of a path lands on a
//! map or ends the path, every tested value is of the type the test expects); otherwise it
//! answers "don't know" and the interpreter runs the condition, so errors (a `.b` on null
//! without `?.`, a method on the wrong type) and their messages stay the interpreter's.

use super::ast::{BinOp, Expr, ExprKind, Program, StmtKind, Ty, UnOp};
use crate::value::{Map, Value};

/// A condition in a form decided from the document alone.
#[derive(Debug)]
pub enum Quick {
    /// `a && b`.
    And(Box<Quick>, Box<Quick>),
    /// `a || b`.
    Or(Box<Quick>, Box<Quick>),
    /// `!a`.
    Not(Box<Quick>),
    /// `path == null`.
    IsNull(Path),
    /// `path == 'literal'`.
    EqStr(Path, String),
    /// `path == true` / `path == false`.
    EqBool(Path, bool),
    /// `path instanceof String` / `Map` / `List`.
    InstanceOf(Path, Kind),
    /// `path.contains('literal')` on a string (substring) or a list (element).
    Contains(Path, String),
    /// `path.startsWith('literal')` on a string.
    StartsWith(Path, String),
    /// `path.endsWith('literal')` on a string.
    EndsWith(Path, String),
}

/// The types an `instanceof` can be decided for.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// `String`.
    Str,
    /// `Map`.
    Map,
    /// `List`.
    List,
}

/// `ctx.a.b?.c`: the field names from `ctx`, each with whether its access is `?.`.
#[derive(Debug)]
pub struct Path(Vec<(String, bool)>);

impl Quick {
    /// The quick form of a compiled condition, when it has one.
    pub fn compile(program: &Program) -> Option<Quick> {
        if !program.functions.is_empty() {
            return None;
        }
        let [stmt] = program.body.as_slice() else {
            return None;
        };
        let StmtKind::Expr(e) = &stmt.kind else {
            return None;
        };
        Quick::of(e)
    }

    fn of(e: &Expr) -> Option<Quick> {
        Some(match &e.kind {
            ExprKind::And(a, b) => Quick::And(Box::new(Quick::of(a)?), Box::new(Quick::of(b)?)),
            ExprKind::Or(a, b) => Quick::Or(Box::new(Quick::of(a)?), Box::new(Quick::of(b)?)),
            ExprKind::Unary(UnOp::Not, a) => Quick::Not(Box::new(Quick::of(a)?)),
            ExprKind::Binary(op @ (BinOp::Eq | BinOp::Ne), l, r) => {
                let p = Path::of(l)?;
                let test = match &r.kind {
                    ExprKind::Null => Quick::IsNull(p),
                    ExprKind::Str(s) => Quick::EqStr(p, s.to_string()),
                    ExprKind::Bool(b) => Quick::EqBool(p, *b),
                    _ => return None,
                };
                match op {
                    BinOp::Eq => test,
                    _ => Quick::Not(Box::new(test)),
                }
            }
            ExprKind::InstanceOf(x, Ty::Class(class)) => {
                let kind = match *class {
                    "String" => Kind::Str,
                    "Map" => Kind::Map,
                    "List" => Kind::List,
                    _ => return None,
                };
                Quick::InstanceOf(Path::of(x)?, kind)
            }
            ExprKind::Call {
                obj,
                name,
                args,
                null_safe: false,
            } => {
                let [arg] = args.as_slice() else {
                    return None;
                };
                let ExprKind::Str(lit) = &arg.kind else {
                    return None;
                };
                let (p, lit) = (Path::of(obj)?, lit.to_string());
                match name.as_str() {
                    "contains" => Quick::Contains(p, lit),
                    "startsWith" => Quick::StartsWith(p, lit),
                    "endsWith" => Quick::EndsWith(p, lit),
                    _ => return None,
                }
            }
            _ => return None,
        })
    }

    /// The condition's value on `ctx`, or `None` when the interpreter must decide.
    pub fn eval(&self, ctx: &Map) -> Option<bool> {
        Some(match self {
            Quick::And(a, b) => a.eval(ctx)? && b.eval(ctx)?,
            Quick::Or(a, b) => a.eval(ctx)? || b.eval(ctx)?,
            Quick::Not(a) => !a.eval(ctx)?,
            Quick::IsNull(p) => p.get(ctx)?.is_none(),
            // Only a string equals a string literal.
            Quick::EqStr(p, lit) => matches!(p.get(ctx)?, Some(Value::String(s)) if s == lit),
            // null equals no boolean; other types are left to the interpreter's def rules.
            Quick::EqBool(p, lit) => match p.get(ctx)? {
                None => false,
                Some(Value::Bool(b)) => b == lit,
                Some(_) => return None,
            },
            Quick::InstanceOf(p, kind) => matches!(
                (p.get(ctx)?, kind),
                (Some(Value::String(_)), Kind::Str)
                    | (Some(Value::Map(_)), Kind::Map)
                    | (Some(Value::List(_)), Kind::List)
            ),
            Quick::Contains(p, lit) => match p.get(ctx)? {
                Some(Value::String(s)) => s.contains(lit.as_str()),
                // List.contains: the literal equals only strings with the same text.
                Some(Value::List(items)) => items
                    .iter()
                    .any(|v| matches!(v, Value::String(s) if s == lit)),
                _ => return None,
            },
            Quick::StartsWith(p, lit) => match p.get(ctx)? {
                Some(Value::String(s)) => s.starts_with(lit.as_str()),
                _ => return None,
            },
            Quick::EndsWith(p, lit) => match p.get(ctx)? {
                Some(Value::String(s)) => s.ends_with(lit.as_str()),
                _ => return None,
            },
        })
    }
}

impl Path {
    /// `ctx.a?.b…` with plain field names (not `empty`, which a map answers as `isEmpty()`).
    fn of(e: &Expr) -> Option<Path> {
        let mut steps = Vec::new();
        let mut e = e;
        loop {
            match &e.kind {
                ExprKind::Field {
                    obj,
                    name,
                    null_safe,
                } if name != "empty" => {
                    steps.push((name.clone(), *null_safe));
                    e = obj;
                }
                ExprKind::Var(v) if v == "ctx" && !steps.is_empty() => break,
                _ => return None,
            }
        }
        steps.reverse();
        Some(Path(steps))
    }

    /// The value at the path (`Some(None)` for null or absent), or `None` when a step meets
    /// something other than a map, or null without `?.`.
    fn get<'d>(&self, ctx: &'d Map) -> Option<Option<&'d Value>> {
        // The value reached so far (`None`: null or absent).
        let mut at: Option<&'d Value> = None;
        for (i, (name, null_safe)) in self.0.iter().enumerate() {
            let map = match (i, at) {
                (0, _) => ctx,
                (_, Some(Value::Map(m))) => m,
                // `null?.name` is null.
                (_, None) if *null_safe => continue,
                // `null.name` throws, and a field of a string, list or number has its own
                // rules: the interpreter decides.
                _ => return None,
            };
            at = map.get(name.as_str()).filter(|v| !matches!(v, Value::Null));
        }
        Some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::IngestDocument;
    use crate::painless::Condition;

    fn doc(json: &str) -> IngestDocument {
        let Ok(Value::Map(m)) = Value::from_json_str(json) else {
            panic!("test document is not an object: {json}");
        };
        IngestDocument::new(m, "2025-01-01T00:00:00Z")
    }

    const CONDITIONS: &[&str] = &[
        "ctx.event?.original != null",
        "ctx.event?.original == null",
        "ctx.event.original != null",
        "ctx.a?.b?.c == 'x'",
        "ctx.a?.b?.c != 'x'",
        "ctx.a?.b.c == null",
        "ctx.tags == null || !ctx.tags.contains('keep')",
        "ctx.a?.b instanceof String && ctx.a.b.startsWith('pre')",
        "ctx.a?.b instanceof Map || ctx.a?.b instanceof List",
        "ctx.a?.b?.flag != true",
        "ctx.a?.b?.flag == false",
        "ctx.a?.b?.c.endsWith('z')",
        "!(ctx.a?.b?.c == null) && ctx.a.b.c.contains('@')",
    ];

    const DOCS: &[&str] = &[
        r#"{}"#,
        r#"{"event": {"original": "x"}}"#,
        r#"{"event": {"original": null}}"#,
        r#"{"event": "text"}"#,
        r#"{"event": ["a"]}"#,
        r#"{"a": null}"#,
        r#"{"a": {"b": null}}"#,
        r#"{"a": {"b": "prefix-z"}}"#,
        r#"{"a": {"b": {"c": "x"}}}"#,
        r#"{"a": {"b": {"c": "a@b.z"}}}"#,
        r#"{"a": {"b": {"c": 5, "flag": true}}}"#,
        r#"{"a": {"b": {"c": ["x"], "flag": "true"}}}"#,
        r#"{"a": {"b": {"flag": false}}}"#,
        r#"{"a": {"b": ["x", 1]}}"#,
        r#"{"a": "b", "tags": ["keep", "other"]}"#,
        r#"{"tags": "keeper"}"#,
        r#"{"tags": {"keep": 1}}"#,
        r#"{"tags": [1, null, "kee"]}"#,
    ];

    #[test]
    fn every_quick_answer_is_the_interpreters() {
        let mut answered = 0;
        for src in CONDITIONS {
            let cond = Condition::from_config(&Value::String(src.to_string())).unwrap();
            let quick = cond
                .quick()
                .unwrap_or_else(|| panic!("no quick form: {src}"));
            for json in DOCS {
                let d = doc(json);
                let general = cond.eval_general(&d);
                if let Some(b) = quick.eval(&d.ctx) {
                    answered += 1;
                    assert_eq!(general.ok(), Some(b), "{src} on {json}");
                }
            }
        }
        // Most plain documents are answered without the interpreter.
        assert!(answered > CONDITIONS.len() * DOCS.len() / 2, "{answered}");
    }

    #[test]
    fn errors_are_left_to_the_interpreter() {
        let cond = Condition::from_config(&Value::String("ctx.a.b == null".into())).unwrap();
        let d = doc(r#"{"x": 1}"#);
        assert_eq!(cond.quick().unwrap().eval(&d.ctx), None);
        let err = cond.eval(&d).unwrap_err().to_string();
        assert!(err.contains("null"), "{err}");
    }

    #[test]
    fn other_shapes_have_no_quick_form() {
        for src in [
            "ctx.a == 5",
            "params.x == null",
            "ctx.a.empty",
            "ctx.a?.b.toLowerCase() == 'x'",
            "boolean f() { true } f()",
            "def x = ctx.a; x == null",
            "ctx.a?.contains('x')",
        ] {
            let cond = Condition::from_config(&Value::String(src.into())).unwrap();
            assert!(cond.quick().is_none(), "{src}");
        }
    }

    use crate::painless::TestRng as Gen;

    const KEYS: &[&str] = &["a", "b", "tags", "flag"];
    const WORDS: &[&str] = &["x", "pre-x", "x@y", "", "true"];

    fn random_value(g: &mut Gen, depth: usize) -> String {
        match g.below(if depth > 2 { 6 } else { 8 }) {
            0 => "null".into(),
            1 => "true".into(),
            2 => "false".into(),
            3 => "7".into(),
            4 | 5 => format!("{:?}", g.pick(WORDS)),
            6 => {
                let items: Vec<String> = (0..g.below(3))
                    .map(|_| random_value(g, depth + 1))
                    .collect();
                format!("[{}]", items.join(","))
            }
            _ => random_map(g, depth + 1),
        }
    }

    fn random_map(g: &mut Gen, depth: usize) -> String {
        let mut keys: Vec<&str> = KEYS.iter().copied().filter(|_| g.below(2) == 0).collect();
        keys.dedup();
        let entries: Vec<String> = keys
            .iter()
            .map(|k| format!("{k:?}:{}", random_value(g, depth)))
            .collect();
        format!("{{{}}}", entries.join(","))
    }

    fn random_path(g: &mut Gen) -> String {
        let mut p = "ctx".to_string();
        for _ in 0..1 + g.below(3) {
            p.push_str(if g.below(2) == 0 { "." } else { "?." });
            p.push_str(g.pick(KEYS));
        }
        p
    }

    fn random_condition(g: &mut Gen, depth: usize) -> String {
        let lit = g.pick(WORDS);
        match g.below(if depth > 1 { 7 } else { 10 }) {
            0 => format!("{} == null", random_path(g)),
            1 => format!("{} != null", random_path(g)),
            2 => format!("{} == '{lit}'", random_path(g)),
            3 => format!("{} != {}", random_path(g), ["true", "false"][g.below(2)]),
            4 => format!(
                "{} instanceof {}",
                random_path(g),
                g.pick(&["String", "Map", "List"])
            ),
            5 => format!(
                "{}.{}('{lit}')",
                random_path(g),
                g.pick(&["contains", "startsWith", "endsWith"])
            ),
            6 => format!("!({})", random_condition(g, depth + 1)),
            7 => format!(
                "{} && {}",
                random_condition(g, depth + 1),
                random_condition(g, depth + 1)
            ),
            _ => format!(
                "({}) || ({})",
                random_condition(g, depth + 1),
                random_condition(g, depth + 1)
            ),
        }
    }

    #[test]
    fn random_conditions_on_random_documents_agree() {
        let mut g = Gen(0x9E37_79B9_7F4A_7C15);
        let docs: Vec<IngestDocument> = (0..60).map(|_| doc(&random_map(&mut g, 0))).collect();
        let (mut answered, mut total) = (0, 0);
        for _ in 0..300 {
            let src = random_condition(&mut g, 0);
            let cond = Condition::from_config(&Value::String(src.clone())).unwrap();
            let quick = cond
                .quick()
                .unwrap_or_else(|| panic!("no quick form: {src}"));
            for d in &docs {
                total += 1;
                if let Some(b) = quick.eval(&d.ctx) {
                    answered += 1;
                    let general = cond.eval_general(d);
                    assert_eq!(
                        general.as_ref().ok(),
                        Some(&b),
                        "{src} on {:?}: {general:?}",
                        d.ctx
                    );
                }
            }
        }
        assert!(
            answered * 3 > total,
            "{answered} of {total} answered quickly"
        );
    }
}
