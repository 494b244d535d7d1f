//! Painless: conditions (`if`) and scripts (`script` processor).
//!
//! A hand-written lexer ([`lex`]), a precedence-climbing parser ([`parse`]) producing an AST
//! ([`ast`]), and a tree-walking interpreter ([`interp`]) over Java-like values ([`value`]) with
//! the whitelisted Java API ([`builtins`]). Everything is checked at compile time that can be:
//! unknown variables, classes, constructors and methods are compile errors. Scripts run a
//! lowered form of the AST ([`ir`]) where it has one; most `if` conditions are decided from the
//! document without the interpreter ([`quick`]).

pub mod access;
pub mod ast;
pub mod budget;
pub mod builtins;
pub mod ingest;
pub mod interp;
pub mod ir;
pub mod lex;
pub mod parse;
pub mod quick;
pub mod regex;
pub mod time;
pub mod value;

use crate::document::IngestDocument;
use crate::error::IngestError;
use crate::value::{Map, Value};
use interp::{Exc, Interp};
use value::V;

/// A compile error at a byte offset of the source.
#[derive(Debug, Clone, PartialEq)]
pub struct CompileError {
    /// Byte offset in the source.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl CompileError {
    /// An error at `offset`.
    pub fn new(offset: usize, message: impl Into<String>) -> Self {
        CompileError {
            offset,
            message: message.into(),
        }
    }
}

/// A compiled Painless script with its source, parameters and statement offsets.
#[derive(Debug)]
pub struct Script {
    source: String,
    program: ast::Program,
    /// The program lowered, as scripts run it (`None`: run the syntax tree, for tests).
    lowered: Option<ir::Compiled>,
    statements: Vec<usize>,
    params: Map,
    /// The top-level ctx keys the script can reach (`None`: any), converted per run.
    ctx_keys: Option<Vec<String>>,
    /// The reachable keys the script's syntax may change in place; the others are first tried
    /// as borrowed read-only views.
    written_keys: Vec<String>,
}

// The program holds only Send + Sync data (Arc, String, compiled regexes).
const _: () = {
    const fn check<T: Send + Sync>() {}
    check::<Script>();
};

/// A ctx key after a run: its name, how to build its value from the document's value, and
/// whether it is kept in place.
type Planned = (String, value::Plan, bool);

/// A deterministic xorshift generator for the randomized tests, so that a failure repeats.
#[cfg(test)]
pub(crate) struct TestRng(pub u64);

#[cfg(test)]
impl TestRng {
    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }

    /// One of `from`.
    pub fn pick<'s>(&mut self, from: &[&'s str]) -> &'s str {
        from[self.below(from.len())]
    }
}

/// The variables a script's main body starts with, in this order.
const GLOBALS: &[&str] = &["ctx", "params"];

fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = src.get(..offset).unwrap_or(src);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn collect_statements(body: &[ast::Stmt], out: &mut Vec<usize>) {
    use ast::StmtKind::*;
    for s in body {
        out.push(s.pos);
        match &s.kind {
            If(_, a, b) => {
                collect_statements(a, out);
                if let Some(b) = b {
                    collect_statements(b, out);
                }
            }
            While(_, b) | DoWhile(b, _) | Each(_, _, _, b) | Block(b) => collect_statements(b, out),
            For(init, _, _, b) => {
                if let Some(i) = init {
                    out.push(i.pos);
                }
                collect_statements(b, out);
            }
            Try(b, catches) => {
                collect_statements(b, out);
                for c in catches {
                    collect_statements(&c.body, out);
                }
            }
            _ => {}
        }
    }
}

impl Script {
    /// Compiles source text; the error message names the line and column.
    pub fn compile(source: &str, params: Map) -> Result<Script, String> {
        let program = lex::lex(source)
            .and_then(|toks| parse::parse(&toks, GLOBALS))
            .map_err(|e| {
                let (l, c) = line_col(source, e.offset);
                format!("compile error at line {l}, column {c}: {}", e.message)
            })?;
        let mut statements = Vec::new();
        collect_statements(&program.body, &mut statements);
        for f in &program.functions {
            collect_statements(&f.body, &mut statements);
        }
        statements.sort_unstable();
        statements.dedup();
        let ctx_keys = access::ctx_keys(&program);
        let written_keys = access::written_keys(&program);
        let lowered = Some(ir::lower(&program, GLOBALS));
        Ok(Script {
            source: source.to_string(),
            program,
            lowered,
            statements,
            params,
            ctx_keys,
            written_keys,
        })
    }

    /// Compiles the `{source, lang, params}` form (or a bare source string).
    pub fn from_options(v: &Value) -> Result<Script, String> {
        match v {
            Value::String(s) => Script::compile(s, Map::default()),
            Value::Map(m) => {
                if let Some(lang) = m.get("lang") {
                    let lang = lang.to_java_string();
                    if lang != "painless" {
                        return Err(format!("script_lang not supported [{lang}]"));
                    }
                }
                if m.contains_key("id") {
                    return Err(
                        "stored scripts ([id]) are not available offline; use [source]".into(),
                    );
                }
                let params = match m.get("params") {
                    None => Map::default(),
                    Some(Value::Map(p)) => p.clone(),
                    Some(_) => return Err("[params] must be an object".into()),
                };
                match m.get("source") {
                    Some(Value::String(s)) => Script::compile(s, params),
                    Some(other) => Err(format!(
                        "[source] must be a string, got [{}]",
                        other.to_json()
                    )),
                    None => Err("must specify either [source] for an inline script or [id] for a stored script".into()),
                }
            }
            other => Err(format!("unsupported script [{}]", other.to_json())),
        }
    }

    /// Runs the syntax tree from now on instead of the lowered form (to compare the two).
    #[cfg(test)]
    pub(crate) fn without_lowering(mut self) -> Script {
        self.lowered = None;
        self
    }

    /// The script's source text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Elasticsearch's `script_exception` for a run-time failure.
    fn runtime_error(&self, e: Exc) -> IngestError {
        let (class, msg, pos) = match *e.0 {
            interp::Thrown::Java { class, msg, pos } => (class, msg, pos),
            interp::Thrown::Fatal { class, msg, pos } => (class, Some(msg), pos),
        };
        let kind = snake_case(class);
        let reason = msg.clone().unwrap_or_default();
        let mut cause = IngestError::new(&kind, reason.clone());
        if msg.is_none() {
            cause.reason = String::new();
        }
        let mut err = IngestError::new("script_exception", reason);
        let offset = if pos == usize::MAX { 0 } else { pos };
        let start = self
            .statements
            .iter()
            .rev()
            .find(|s| **s <= offset)
            .copied()
            .unwrap_or(0);
        let end = self
            .statements
            .iter()
            .find(|s| **s > start)
            .copied()
            .unwrap_or(self.source.len());
        let snippet = self.source.get(start..end).unwrap_or("").to_string();
        let pointer = format!(
            "{}^---- HERE",
            " ".repeat(
                self.source
                    .get(start..offset)
                    .map_or(0, |s| s.chars().count())
            )
        );
        let d = &mut err.details;
        d.insert(
            "script_stack".into(),
            Value::List(vec![Value::String(snippet), Value::String(pointer)]),
        );
        d.insert("script".into(), Value::from(self.source.as_str()));
        d.insert("lang".into(), Value::from("painless"));
        let mut p = Map::default();
        p.insert("offset".into(), Value::from_i64(offset as i64));
        p.insert("start".into(), Value::from_i64(start as i64));
        p.insert("end".into(), Value::from_i64(end as i64));
        d.insert("position".into(), Value::Map(p));
        err.caused_by = Some(Box::new(cause));
        err
    }

    /// Runs the script over the document's ctx (source and metadata), which it may change.
    /// `pipeline` names the running pipeline for Elasticsearch's serialization error.
    pub fn execute(&self, doc: &mut IngestDocument, pipeline: &str) -> Result<(), IngestError> {
        // Reachable keys holding objects or arrays that the script's syntax only reads are first
        // lent to the run as read-only views; if the run tries to change one anyway, it starts
        // over with every reachable key converted (a run has no effect outside its ctx copy).
        if let Some(keys) = &self.ctx_keys {
            let lent: Vec<&str> = keys
                .iter()
                .filter(|k| !self.written_keys.contains(k))
                .filter(|k| {
                    matches!(
                        doc.ctx.get(k.as_str()),
                        Some(Value::Map(_) | Value::List(_))
                    )
                })
                .map(String::as_str)
                .collect();
            if !lent.is_empty() {
                interp::borrowed_run(true);
                let outcome = self.run(doc, pipeline, &lent);
                if !interp::borrowed_run(false) {
                    return outcome;
                }
            }
        }
        self.run(doc, pipeline, &[])
    }

    /// One run; `lent` keys are given as borrowed views and keep their document values.
    fn run(
        &self,
        doc: &mut IngestDocument,
        pipeline: &str,
        lent: &[&str],
    ) -> Result<(), IngestError> {
        let reached = |k: &str| {
            self.ctx_keys
                .as_ref()
                .is_none_or(|keys| keys.iter().any(|x| x == k))
        };
        // When the script names every key it reaches, the interpreter's ctx holds only those
        // (the others stay where they are in the document). Such a script cannot get hold of a
        // key of ctx, so a key still held by the very string it started with was never removed
        // and keeps its place; the others are removed, and the keys present afterwards that are
        // not originals are appended in the interpreter map's order, as a full map would have
        // ordered them. Without named keys the whole ctx is converted and rebuilt in its order.
        let partial = self.ctx_keys.is_some();
        let mut originals: Vec<&str> = Vec::new();
        // The new ctx: (key, how to build its value from the document's value, kept in place).
        // Also the originals no longer held (owned: the document changes after the run).
        let (converted, gone): (Result<Vec<Planned>, String>, Vec<String>) = {
            let ctx = V::new_map(
                doc.ctx
                    .iter()
                    .filter(|(k, _)| reached(k))
                    .map(|(k, v)| {
                        let v = if lent.contains(&k.as_str()) {
                            value::from_doc(v)
                        } else {
                            value::from_value(v)
                        };
                        if partial {
                            originals.push(k.as_str());
                        }
                        (value::K(V::Str(value::JStr::Lent(k))), v)
                    })
                    .collect(),
            );
            let result = {
                let mut it = Interp::new(&self.program.functions);
                it.ctx = ctx.clone();
                it.ingest = Some(&doc.ingest);
                it.global("ctx", ctx.clone());
                it.global("params", V::DocMap(&self.params));
                match &self.lowered {
                    Some(l) => {
                        it.lowered = Some(l);
                        it.run_lowered_main(&l.main).map(|_| ())
                    }
                    None => it.run_main(&self.program.body).map(|_| ()),
                }
            };
            if let Err(e) = result {
                if let V::Map(m) = &ctx {
                    m.borrow_mut().clear();
                }
                return Err(self.runtime_error(e));
            }
            let V::Map(top) = &ctx else {
                return Ok(());
            };
            let parent = std::rc::Rc::as_ptr(top) as usize;
            let entries = top.borrow();
            let out: Result<Vec<Planned>, String> = entries
                .iter()
                .map(|(k, v)| {
                    let kept = matches!(&k.0, V::Str(s)
                        if originals.iter().any(|o| s.same(&value::JStr::Lent(o))));
                    let key = match &k.0 {
                        V::Str(s) => s.to_string(),
                        other => other.to_java_string(),
                    };
                    let original = doc.ctx.get(&key);
                    let keep = if partial && !reached(&key) {
                        true
                    } else {
                        match (v, original) {
                            (V::DocMap(a), Some(Value::Map(b))) => std::ptr::eq(*a, b),
                            (V::DocList(a), Some(Value::List(b))) => {
                                std::ptr::eq(a.as_ptr(), b.as_ptr()) && a.len() == b.len()
                            }
                            _ => false,
                        }
                    };
                    let plan = match original {
                        _ if keep => value::Plan::Keep,
                        Some(o) => v.plan_under(parent, o)?,
                        None => value::Plan::New(v.to_value_under(parent)?),
                    };
                    Ok((key, plan, kept))
                })
                .collect();
            drop(entries);
            if out.is_err() {
                // The document refers to itself: break the cycle so the maps can be freed.
                top.borrow_mut().clear();
            }
            let gone = match &out {
                Ok(entries) => originals
                    .iter()
                    .filter(|o| !entries.iter().any(|(k, _, kept)| *kept && k == *o))
                    .map(|o| o.to_string())
                    .collect(),
                Err(_) => Vec::new(),
            };
            (out, gone)
        };
        match converted {
            Ok(entries) if partial => {
                // Originals no longer held are removed (their values kept for the plans of
                // keys added again), kept ones change in place, and the others are appended.
                let mut removed: Vec<(String, Value)> = Vec::new();
                for o in gone {
                    if let Some(v) = doc.ctx.shift_remove(&o) {
                        removed.push((o, v));
                    }
                }
                for (k, plan, kept) in entries {
                    if kept {
                        if let Some(slot) = doc.ctx.get_mut(&k) {
                            plan.apply_to(slot);
                        }
                        continue;
                    }
                    let v = match plan {
                        value::Plan::New(v) => v,
                        plan => {
                            let orig = removed
                                .iter_mut()
                                .find(|(r, _)| *r == k)
                                .map(|(_, v)| std::mem::take(v))
                                .unwrap_or_default();
                            plan.apply(orig)
                        }
                    };
                    doc.ctx.insert(k, v);
                }
                Ok(())
            }
            Ok(entries)
                if entries.len() == doc.ctx.len()
                    && entries
                        .iter()
                        .zip(doc.ctx.keys())
                        .all(|((k, _, _), d)| k == d) =>
            {
                // The same keys in the same order: the document's map is updated in place.
                for ((_, plan, _), (_, slot)) in entries.into_iter().zip(doc.ctx.iter_mut()) {
                    plan.apply_to(slot);
                }
                Ok(())
            }
            Ok(entries) => {
                let mut m = Map::with_capacity_and_hasher(entries.len(), Default::default());
                for (k, plan, _) in entries {
                    let v = match plan {
                        value::Plan::New(v) => v,
                        plan => {
                            plan.apply(doc.ctx.get_mut(&k).map(std::mem::take).unwrap_or_default())
                        }
                    };
                    m.insert(k, v);
                }
                doc.ctx = m;
                Ok(())
            }
            Err(msg) => {
                // A Java array in ctx: `_simulate` fails the document when it copies the result.
                let mut e = if msg.starts_with("unexpected value type") {
                    IngestError::illegal_argument(msg)
                } else {
                    IngestError::illegal_argument(format!(
                        "Failed to generate the source document for ingest pipeline [{pipeline}]"
                    ))
                };
                e.fatal = true;
                Err(e)
            }
        }
    }

    /// Evaluates the script as a condition over a read-only view of the document.
    fn eval_condition(&self, doc: &IngestDocument) -> Result<bool, IngestError> {
        let mut it = Interp::new(&self.program.functions);
        it.ctx = V::DocMap(&doc.ctx);
        it.ingest = Some(&doc.ingest);
        it.global("ctx", V::DocMap(&doc.ctx));
        it.global("params", V::DocMap(&self.params));
        let v = it
            .run_main(&self.program.body)
            .map_err(|e| self.runtime_error(e))?;
        match v {
            V::Bool(b) => Ok(b),
            V::Null => Err(self.runtime_error(Exc::npe(
                "Cannot invoke \"java.lang.Boolean.booleanValue()\" because the return value of \"org.elasticsearch.script.IngestConditionalScript.execute()\" is null",
            ))),
            other => Err(self.runtime_error(Exc::cce(format!(
                "Cannot cast {} to java.lang.Boolean",
                other.class_name()
            )))),
        }
    }
}

fn snake_case(class: &str) -> String {
    let mut out = String::new();
    for (i, c) in class.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A compiled `if` condition.
#[derive(Debug)]
pub struct Condition {
    script: Script,
    /// The condition in a form decided from the document alone, when it has one.
    quick: Option<quick::Quick>,
}

impl Condition {
    /// Compiles an `if` option: a source string or `{source, lang, params}`.
    pub fn from_config(v: &Value) -> Result<Condition, String> {
        let script = Script::from_options(v)?;
        let quick = quick::Quick::compile(&script.program);
        Ok(Condition { script, quick })
    }

    /// Evaluates against a read-only view of the document.
    pub fn eval(&self, doc: &IngestDocument) -> Result<bool, IngestError> {
        if let Some(b) = self.quick.as_ref().and_then(|q| q.eval(&doc.ctx)) {
            return Ok(b);
        }
        self.script.eval_condition(doc)
    }

    /// The quick form, if the condition has one.
    #[cfg(test)]
    fn quick(&self) -> Option<&quick::Quick> {
        self.quick.as_ref()
    }

    /// Evaluates with the interpreter, never the quick form.
    #[cfg(test)]
    fn eval_general(&self, doc: &IngestDocument) -> Result<bool, IngestError> {
        self.script.eval_condition(doc)
    }

    /// The condition's source text.
    pub fn source(&self) -> &str {
        self.script.source()
    }
}

#[cfg(test)]
mod fast_path_tests;
#[cfg(test)]
mod tests;
