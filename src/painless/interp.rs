//! Tree-walking interpreter: statements, expressions, Java operators and conversions.

use super::ast::*;
use super::builtins;
use super::value::{Func, JStr, K, Obj, StrKey, V, from_doc, java_equals};
use std::rc::Rc;

mod lowered;

/// Most loop iterations in one execution, as Elasticsearch's `max_loop_counter`.
pub const MAX_LOOP: u32 = 1_000_000;
/// Deepest call nesting (script functions and lambdas).
const MAX_CALL_DEPTH: usize = 2_000;
/// Native stack the interpreter may use below its entry point before a call fails with
/// StackOverflowError (threads running scripts have at least 2 MiB).
const STACK_BUDGET: usize = 1 << 20;

/// The address of a local: where the native stack is now (it grows down).
#[inline(never)]
fn stack_pos() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// A Java exception raised while running (boxed, so that results stay small).
#[derive(Debug, Clone)]
pub struct Exc(pub Box<Thrown>);

/// What was thrown, with the source offset where it happened.
#[derive(Debug, Clone)]
pub enum Thrown {
    /// A catchable exception: simple class name (`NullPointerException`) and message.
    Java {
        /// Simple class name.
        class: &'static str,
        /// The message, if any.
        msg: Option<String>,
        /// Source offset, `usize::MAX` until known.
        pos: usize,
    },
    /// An uncatchable error (PainlessError: loop limit, call depth).
    Fatal {
        /// Simple class name.
        class: &'static str,
        /// The message.
        msg: String,
        /// Source offset.
        pos: usize,
    },
}

impl Exc {
    /// A catchable exception of `class` with an optional message, thrown at `pos`.
    pub fn java(class: &'static str, msg: Option<String>, pos: usize) -> Exc {
        Exc(Box::new(Thrown::Java { class, msg, pos }))
    }
    /// An uncatchable error of `class`, thrown at `pos`.
    pub fn fatal(class: &'static str, msg: impl Into<String>, pos: usize) -> Exc {
        Exc(Box::new(Thrown::Fatal {
            class,
            msg: msg.into(),
            pos,
        }))
    }
    /// A catchable exception of `class` with a message.
    pub fn new(class: &'static str, msg: impl Into<String>) -> Exc {
        Exc::java(class, Some(msg.into()), usize::MAX)
    }
    /// `NullPointerException`.
    pub fn npe(msg: impl Into<String>) -> Exc {
        Exc::new("NullPointerException", msg)
    }
    /// `IllegalArgumentException`.
    pub fn iae(msg: impl Into<String>) -> Exc {
        Exc::new("IllegalArgumentException", msg)
    }
    /// `ClassCastException`.
    pub fn cce(msg: impl Into<String>) -> Exc {
        Exc::new("ClassCastException", msg)
    }
    /// Fills in the offset if not yet known.
    pub fn at(mut self, p: usize) -> Exc {
        match &mut *self.0 {
            Thrown::Java { pos, .. } | Thrown::Fatal { pos, .. } if *pos == usize::MAX => *pos = p,
            _ => {}
        }
        self
    }
}

/// A value read in place from a condition's document (see `Interp::peek`).
enum Peek<'a> {
    /// null (or absent).
    Null,
    /// A map.
    Map(&'a crate::value::Map),
    /// Any other value.
    Value(&'a crate::value::Value),
}

impl<'a> Peek<'a> {
    fn into_value(self) -> V<'a> {
        match self {
            Peek::Null => V::Null,
            Peek::Map(m) => V::DocMap(m),
            Peek::Value(v) => from_doc(v),
        }
    }
}

/// Result of running code.
pub type Res<T> = Result<T, Exc>;

/// How a statement ended.
pub enum Flow<'a> {
    /// Fell through.
    Normal,
    /// `break`.
    Break,
    /// `continue`.
    Continue,
    /// `return` with a value.
    Return(V<'a>),
}

static DEF: Ty = Ty::Def;

/// The interpreter state for one execution.
pub struct Interp<'a> {
    functions: &'a [std::sync::Arc<Function>],
    vars: Vec<Var<'a>>,
    /// Where the running function's (or lambda's) variables start: those below are hidden.
    frame: usize,
    loops: u32,
    depth: usize,
    stack_base: usize,
    /// The document's ctx (what `metadata()` and `field()` read and write).
    pub ctx: V<'a>,
    /// The ingest timestamp's text (`_ingest.timestamp`), parsed when first needed.
    pub now_text: Option<&'a str>,
    /// The document's `_ingest` map, where `now_text` is read from when first needed.
    pub ingest: Option<&'a crate::value::Map>,
    /// The ingest timestamp, once parsed.
    now: std::cell::OnceCell<chrono::NaiveDateTime>,
    /// The lowered form of the program, when it runs as a script (see `painless::ir`).
    pub lowered: Option<&'a super::ir::Compiled>,
}

/// The body of a function as it runs: syntax, or its lowered form.
#[derive(Clone, Copy)]
enum Code<'a> {
    Syntax(&'a [Stmt]),
    Lowered(&'a [super::ir::Op]),
}

/// `a == b` for variable names, which are short: compared inline rather than through memcmp.
#[inline]
fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

fn cannot_access(name: &str) -> Exc {
    Exc::npe(format!(
        "cannot access method/field [{name}] from a null def reference"
    ))
}

thread_local! {
    /// An empty string value, standing for any string where only its class matters.
    static EMPTY_STR: Rc<str> = Rc::from("");
    /// Set while a script runs over borrowed views of some ctx keys (see `Script::execute`).
    static BORROWED_RUN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Set when such a run tried to change a borrowed view: the run must start over.
    static BORROWED_WRITE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Starts (`true`) or ends a run over borrowed views; returns whether the run tried to write.
pub fn borrowed_run(on: bool) -> bool {
    BORROWED_RUN.with(|r| r.set(on));
    BORROWED_WRITE.with(|w| w.replace(false))
}

/// Records that a run over borrowed views reached something it could change through a copy
/// (a snapshot view of a document map): the run must start over with converted values.
pub fn note_borrowed_escape() {
    if BORROWED_RUN.with(|r| r.get()) {
        BORROWED_WRITE.with(|w| w.set(true));
    }
}

/// Error for a write to a read-only (conditional) document view. During a run over borrowed
/// views it is an uncatchable error instead, and the run starts over with converted values.
pub fn read_only() -> Exc {
    if BORROWED_RUN.with(|r| r.get()) {
        BORROWED_WRITE.with(|w| w.set(true));
        return Exc::fatal(
            "UnsupportedOperationException",
            "write to a borrowed document view",
            usize::MAX,
        );
    }
    Exc::new(
        "UnsupportedOperationException",
        "Mutating ingest documents in conditionals is not supported",
    )
}

/// A variable: name, declared type, value.
type Var<'a> = (&'a str, &'a Ty, V<'a>);

impl<'a> Interp<'a> {
    /// A fresh interpreter over the program's functions.
    pub fn new(functions: &'a [std::sync::Arc<Function>]) -> Self {
        super::budget::reset();
        Interp {
            functions,
            vars: Vec::with_capacity(16),
            frame: 0,
            loops: 0,
            depth: 0,
            stack_base: stack_pos(),
            ctx: V::Null,
            now_text: None,
            ingest: None,
            now: std::cell::OnceCell::new(),
            lowered: None,
        }
    }

    /// The ingest timestamp (`metadata().now`); the epoch when it is absent or unreadable.
    pub fn now(&self) -> chrono::NaiveDateTime {
        *self.now.get_or_init(|| {
            self.now_text
                .or_else(|| self.ingest?.get("timestamp")?.as_str())
                .and_then(super::time::parse_timestamp)
                .unwrap_or_default()
        })
    }

    /// The year of the ingest timestamp.
    pub fn now_year(&self) -> i32 {
        chrono::Datelike::year(&self.now())
    }

    /// Declares a global (`ctx`, `params`).
    pub fn global(&mut self, name: &'a str, v: V<'a>) {
        self.vars.push((name, &DEF, v));
    }

    /// The index of the visible variable `name`: always within `self.vars` (callers index
    /// the stack with it right away, before anything is pushed or popped).
    fn lookup(&self, name: &str) -> Option<usize> {
        self.vars[self.frame..]
            .iter()
            .rposition(|(n, _, _)| same_name(n, name))
            .map(|i| i + self.frame)
    }

    /// Runs the main body; the value of a final expression statement (or `return`) is returned.
    pub fn run_main(&mut self, body: &'a [Stmt]) -> Res<V<'a>> {
        let n = body.len();
        for (i, s) in body.iter().enumerate() {
            if i + 1 == n
                && let StmtKind::Expr(e) = &s.kind
            {
                return self.eval(e);
            }
            match self.exec(s)? {
                Flow::Return(v) => return Ok(v),
                Flow::Normal => {}
                Flow::Break | Flow::Continue => {}
            }
        }
        Ok(V::Null)
    }

    fn exec_block(&mut self, body: &'a [Stmt]) -> Res<Flow<'a>> {
        let mark = self.vars.len();
        let mut r = Ok(Flow::Normal);
        for s in body {
            match self.exec(s) {
                Ok(Flow::Normal) => {}
                other => {
                    r = other;
                    break;
                }
            }
        }
        self.vars.truncate(mark);
        r
    }

    fn tick(&mut self, pos: usize) -> Res<()> {
        self.loops += 1;
        if self.loops > MAX_LOOP {
            return Err(Exc::fatal(
                "PainlessError",
                "The maximum number of statements that can be executed in a loop has been reached.",
                pos,
            ));
        }
        Ok(())
    }

    fn exec(&mut self, s: &'a Stmt) -> Res<Flow<'a>> {
        self.exec_inner(s).map_err(|e| e.at(s.pos))
    }

    fn exec_inner(&mut self, s: &'a Stmt) -> Res<Flow<'a>> {
        match &s.kind {
            StmtKind::Expr(e) => {
                self.eval(e)?;
            }
            StmtKind::Decl(t, vars) => {
                for (name, init) in vars {
                    let v = match init {
                        Some(e) => {
                            let v = self.eval(e)?;
                            convert(v, t, false).map_err(|x| x.at(e.pos))?
                        }
                        None => default_value(t),
                    };
                    self.vars.push((name, t, v));
                }
            }
            StmtKind::If(c, a, b) => {
                // Walk `else if` chains in a loop rather than by recursion.
                let (mut c, mut a, mut b) = (c, a, b);
                loop {
                    if self.cond(c)? {
                        return self.exec_block(a);
                    }
                    match b.as_deref() {
                        Some(
                            [
                                Stmt {
                                    kind: StmtKind::If(c2, a2, b2),
                                    ..
                                },
                            ],
                        ) => (c, a, b) = (c2, a2, b2),
                        Some(other) => return self.exec_block(other),
                        None => break,
                    }
                }
            }
            StmtKind::While(c, body) => {
                while self.cond(c)? {
                    self.tick(s.pos)?;
                    match self.exec_block(body)? {
                        Flow::Break => break,
                        r @ Flow::Return(_) => return Ok(r),
                        _ => {}
                    }
                }
            }
            StmtKind::DoWhile(body, c) => loop {
                self.tick(s.pos)?;
                match self.exec_block(body)? {
                    Flow::Break => break,
                    r @ Flow::Return(_) => return Ok(r),
                    _ => {}
                }
                if !self.cond(c)? {
                    break;
                }
            },
            StmtKind::For(init, c, after, body) => {
                let mark = self.vars.len();
                let r = self.exec_for(init.as_deref(), c.as_ref(), after.as_ref(), body, s.pos);
                self.vars.truncate(mark);
                return r;
            }
            StmtKind::Each(t, name, e, body) => {
                let coll = self.eval(e)?;
                let items = self.iterate(&coll).map_err(|x| x.at(e.pos))?;
                for item in items {
                    self.tick(s.pos)?;
                    let item = convert(item, t, false)?;
                    let mark = self.vars.len();
                    self.vars.push((name, t, item));
                    let r = self.exec_block(body);
                    self.vars.truncate(mark);
                    match r? {
                        Flow::Break => break,
                        r @ Flow::Return(_) => return Ok(r),
                        _ => {}
                    }
                }
            }
            StmtKind::Block(b) => return self.exec_block(b),
            StmtKind::Break => return Ok(Flow::Break),
            StmtKind::Continue => return Ok(Flow::Continue),
            StmtKind::Return(e) => {
                let v = match e {
                    Some(e) => self.eval(e)?,
                    None => V::Null,
                };
                return Ok(Flow::Return(v));
            }
            StmtKind::Throw(e) => {
                let v = self.eval(e)?;
                return Err(match v {
                    V::Obj(o) => match &*o {
                        Obj::Exception(c, m) => Exc::java(c, m.clone(), usize::MAX),
                        _ => Exc::cce(format!(
                            "Cannot cast {} to java.lang.Throwable",
                            V::Obj(o.clone()).class_name()
                        )),
                    },
                    V::Null => Exc::npe("Cannot throw null"),
                    other => Exc::cce(format!(
                        "Cannot cast {} to java.lang.Throwable",
                        other.class_name()
                    )),
                });
            }
            StmtKind::Try(body, catches) => match self.exec_block(body) {
                Err(e) => {
                    if let Thrown::Java { class, msg, .. } = &*e.0
                        && let Some(c) = catches
                            .iter()
                            .find(|c| builtins::exception_is_a(class, c.class))
                    {
                        let mark = self.vars.len();
                        self.vars
                            .push((&c.name, &DEF, V::obj(Obj::Exception(class, msg.clone()))));
                        let r = self.exec_block(&c.body);
                        self.vars.truncate(mark);
                        return r;
                    }
                    return Err(e);
                }
                other => return other,
            },
        }
        Ok(Flow::Normal)
    }

    fn exec_for(
        &mut self,
        init: Option<&'a Stmt>,
        c: Option<&'a Expr>,
        after: Option<&'a Expr>,
        body: &'a [Stmt],
        pos: usize,
    ) -> Res<Flow<'a>> {
        if let Some(i) = init {
            self.exec(i)?;
        }
        loop {
            if let Some(c) = c
                && !self.cond(c)?
            {
                break;
            }
            self.tick(pos)?;
            match self.exec_block(body)? {
                Flow::Break => break,
                r @ Flow::Return(_) => return Ok(r),
                _ => {}
            }
            if let Some(a) = after {
                self.eval(a)?;
            }
        }
        Ok(Flow::Normal)
    }

    /// The elements a for-each loop visits.
    pub fn iterate(&mut self, coll: &V<'a>) -> Res<Vec<V<'a>>> {
        match coll {
            V::List(_) | V::Array(_) | V::Set(_) | V::DocList(_) | V::View(..) => Ok(coll.items()),
            V::Null => Err(Exc::npe(
                "Cannot invoke \"Object.getClass()\" because \"receiver\" is null",
            )),
            V::Obj(o) => match &**o {
                Obj::Iter(it) => {
                    let st = &mut *it.borrow_mut();
                    let rest = st.items.get(st.pos..).unwrap_or_default().to_vec();
                    st.pos = st.items.len();
                    Ok(rest)
                }
                Obj::Stream(items) => Ok(items.clone()),
                _ => Err(Exc::iae(format!(
                    "Cannot iterate over [{}]",
                    coll.class_name()
                ))),
            },
            _ => Err(Exc::iae(format!(
                "Cannot iterate over [{}]",
                coll.class_name()
            ))),
        }
    }

    /// `a.equals(b)` when `a` is a map or list of the document read by a condition: Elasticsearch
    /// hands those out in fresh UnmodifiableIngestData / UnmodifiableIngestList wrappers, which
    /// keep Object's identity `equals` (so two reads of equal maps differ). None otherwise
    /// (scripts, and `params`, whose maps compare by content).
    pub fn wrapper_equals(&self, a: &V<'a>, b: &V<'a>) -> Option<bool> {
        if !matches!(self.ctx, V::DocMap(_)) || !matches!(a, V::DocMap(_) | V::DocList(_)) {
            return None;
        }
        let params = self.vars.iter().find(|(n, _, _)| *n == "params");
        if let Some((_, _, V::DocMap(p))) = params
            && super::value::doc_within(p, a)
        {
            return None;
        }
        Some(match (a, b) {
            (V::DocMap(x), V::DocMap(y)) => std::ptr::eq(*x, *y),
            (V::DocList(x), V::DocList(y)) => std::ptr::eq(*x, *y),
            _ => false,
        })
    }

    /// Evaluates a boolean condition; the boolean operators, `==`, `!=` and `instanceof` are
    /// decided without making their result a value.
    fn cond(&mut self, e: &'a Expr) -> Res<bool> {
        // Errors are positioned at `e`, as `eval` positions the errors of what it evaluates.
        match &e.kind {
            ExprKind::And(l, r) => match self.cond(l) {
                Ok(true) => self.cond(r),
                other => other,
            },
            ExprKind::Or(l, r) => match self.cond(l) {
                Ok(false) => self.cond(r),
                other => other,
            },
            ExprKind::Binary(op @ (BinOp::Eq | BinOp::Ne), l, r) => match self.equals_expr(l, r) {
                Ok(eq) => Ok(eq == (*op == BinOp::Eq)),
                Err(x) => Err(x.at(e.pos)),
            },
            ExprKind::InstanceOf(x, t) => self.instance_of_expr(x, t).map_err(|x| x.at(e.pos)),
            _ => match self.eval(e)? {
                V::Bool(b) => Ok(b),
                other => Err(
                    Exc::cce(format!("Cannot cast {} to boolean", other.class_name())).at(e.pos),
                ),
            },
        }
    }

    /// Evaluates an expression.
    pub fn eval(&mut self, e: &'a Expr) -> Res<V<'a>> {
        self.eval_inner(e).map_err(|x| x.at(e.pos))
    }

    fn eval_inner(&mut self, e: &'a Expr) -> Res<V<'a>> {
        Ok(match &e.kind {
            ExprKind::Null => V::Null,
            ExprKind::Bool(b) => V::Bool(*b),
            ExprKind::Int(i) => V::Int(*i),
            ExprKind::Long(l) => V::Long(*l),
            ExprKind::Float(f) => V::Float(*f),
            ExprKind::Double(d) => V::Double(*d),
            ExprKind::Str(s) => V::Str(JStr::Lent(s)),
            ExprKind::Regex(r) => V::obj(Obj::Pattern(r.clone())),
            ExprKind::Var(name) => match self.lookup(name) {
                Some(i) => self.vars[i].2.clone(),
                None => return Err(Exc::iae(format!("cannot resolve symbol [{name}]"))),
            },
            ExprKind::ListInit(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.eval(i)?);
                }
                V::new_list(out)
            }
            ExprKind::MapInit(entries) => {
                let mut m =
                    indexmap::IndexMap::with_capacity_and_hasher(entries.len(), Default::default());
                for (k, v) in entries {
                    let k = self.eval(k)?;
                    let v = self.eval(v)?;
                    m.insert(K(k), v);
                }
                V::new_map(m)
            }
            ExprKind::New(class, args) => {
                let args = self.eval_args(args)?;
                builtins::construct(self, class, args)?
            }
            ExprKind::NewArray(t, dims) => {
                let mut sizes = Vec::new();
                for d in dims {
                    let n = self.eval(d)?;
                    let n = to_index(&n)?;
                    if n < 0 {
                        return Err(Exc::new("NegativeArraySizeException", n.to_string()));
                    }
                    sizes.push(n as usize);
                }
                super::budget::array(&sizes)?;
                new_array(t, &sizes)
            }
            ExprKind::NewArrayInit(t, items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    let v = self.eval(i)?;
                    out.push(convert(v, t, false)?);
                }
                V::Array(Rc::new(std::cell::RefCell::new(out)))
            }
            ExprKind::Field {
                obj,
                name,
                null_safe,
            } => {
                let o = self.eval_object(obj)?;
                if o.is_null() && *null_safe {
                    return Ok(V::Null);
                }
                get_field(&o, name)?
            }
            ExprKind::Index { obj, idx } => {
                let o = self.eval(obj)?;
                let i = self.eval(idx)?;
                get_index(&o, &i)?
            }
            ExprKind::Call {
                obj,
                name,
                args,
                null_safe,
            } => {
                let o = self.eval(obj)?;
                if o.is_null() {
                    if *null_safe {
                        return Ok(V::Null);
                    }
                    return Err(cannot_access(name));
                }
                let args = self.eval_args(args)?;
                builtins::call_method(self, o, name, args)?
            }
            ExprKind::StaticCall(class, name, args) => {
                let args = self.eval_args(args)?;
                builtins::call_static(self, class, name, args)?
            }
            ExprKind::StaticField(class, name) => builtins::static_field(class, name)?,
            ExprKind::LocalCall(name, args) => {
                match self.functions.iter().find(|f| same_name(&f.name, name)) {
                    Some(f) if f.params.len() == args.len() => self.call_local(f, args)?,
                    Some(f) => {
                        let args = self.eval_args(args)?;
                        self.call_function(f, args)?
                    }
                    None => {
                        let args = self.eval_args(args)?;
                        builtins::call_global(self, name, args)?
                    }
                }
            }
            ExprKind::Unary(op, x) => {
                let v = self.eval(x)?;
                unary(*op, v)?
            }
            ExprKind::Binary(op @ (BinOp::Eq | BinOp::Ne), l, r) => {
                V::Bool(self.equals_expr(l, r)? == (*op == BinOp::Eq))
            }
            ExprKind::Binary(op, l, r) => {
                let a = self.eval(l)?;
                let b = self.eval(r)?;
                binary(*op, a, b)?
            }
            ExprKind::And(l, r) => V::Bool(self.cond(l)? && self.cond(r)?),
            ExprKind::Or(l, r) => V::Bool(self.cond(l)? || self.cond(r)?),
            ExprKind::Cond(c, a, b) => {
                if self.cond(c)? {
                    self.eval(a)?
                } else {
                    self.eval(b)?
                }
            }
            ExprKind::Elvis(a, b) => {
                let v = self.eval(a)?;
                if v.is_null() { self.eval(b)? } else { v }
            }
            ExprKind::InstanceOf(x, t) => V::Bool(self.instance_of_expr(x, t)?),
            ExprKind::Cast(t, x) => {
                let v = self.eval(x)?;
                convert(v, t, true)?
            }
            ExprKind::Assign { target, op, value } => self.assign(target, *op, value)?,
            ExprKind::IncDec { target, pre, delta } => self.inc_dec(target, *pre, *delta)?,
            ExprKind::Lambda(l) => {
                // Capture the visible variables by value, as Java's effectively-final captures;
                // a lambda that only forwards its parameters to a function uses none of them.
                let forward = self.forwarded(l);
                let captured = match forward {
                    Some(_) => Vec::new(),
                    None => self.vars[self.frame..].to_vec(),
                };
                V::obj(Obj::Func(Func::Lambda(l, captured, forward)))
            }
            ExprKind::FuncRef(r) => {
                let recv = match &**r {
                    FuncRef::Capture(var, _) => match self.lookup(var) {
                        Some(i) => Some(self.vars[i].2.clone()),
                        None => return Err(Exc::iae(format!("cannot resolve symbol [{var}]"))),
                    },
                    _ => None,
                };
                V::obj(Obj::Func(Func::Ref(r, recv)))
            }
        })
    }

    /// Evaluates the receiver of a field access: a chain of fields over a condition's document
    /// is read in place.
    fn eval_object(&mut self, obj: &'a Expr) -> Res<V<'a>> {
        match self.peek(obj) {
            Some(p) => Ok(p.into_value()),
            None => self.eval(obj),
        }
    }

    /// `ctx.a.b?.c` read straight from a condition's document, when every step is a document
    /// map (or null behind `?.`); None when the general evaluation must decide (other values,
    /// errors, `empty`). Reading has no effects, so the general evaluation may follow.
    fn peek(&self, e: &'a Expr) -> Option<Peek<'a>> {
        if !matches!(self.ctx, V::DocMap(_)) {
            return None;
        }
        self.peek_in(e)
    }

    fn peek_in(&self, e: &'a Expr) -> Option<Peek<'a>> {
        match &e.kind {
            ExprKind::Var(name) => match &self.vars.get(self.lookup(name)?)?.2 {
                V::DocMap(m) => Some(Peek::Map(m)),
                _ => None,
            },
            ExprKind::Field {
                obj,
                name,
                null_safe,
            } => match self.peek_in(obj)? {
                // `map.empty` is `isEmpty()`.
                Peek::Map(m) if name != "empty" => Some(match m.get(name.as_str()) {
                    Some(crate::value::Value::Map(c)) => Peek::Map(c),
                    Some(crate::value::Value::Null) | None => Peek::Null,
                    Some(v) => Peek::Value(v),
                }),
                Peek::Null if *null_safe => Some(Peek::Null),
                _ => None,
            },
            _ => None,
        }
    }

    /// Whether `obj.name` (`obj?.name`) is null; a document map's field is looked at in place.
    fn field_is_null(&mut self, obj: &'a Expr, name: &str, null_safe: bool) -> Res<bool> {
        let o = self.eval_object(obj)?;
        if o.is_null() && null_safe {
            return Ok(true);
        }
        match &o {
            // `map.empty` is `isEmpty()`, never null.
            V::DocMap(m) if name != "empty" => Ok(m
                .get(name)
                .is_none_or(|v| matches!(v, crate::value::Value::Null))),
            _ => Ok(get_field(&o, name)?.is_null()),
        }
    }

    /// `x instanceof t`; a document map's string field `a.b` is not copied.
    fn instance_of_expr(&mut self, x: &'a Expr, t: &Ty) -> Res<bool> {
        if let ExprKind::Field {
            obj,
            name,
            null_safe,
        } = &x.kind
        {
            return self
                .field_instance_of(obj, name, *null_safe, t)
                .map_err(|e| e.at(x.pos));
        }
        // A variable is tested where it is, without a copy.
        if let ExprKind::Var(name) = &x.kind
            && let Some(i) = self.lookup(name)
        {
            return Ok(instance_of(&self.vars[i].2, t));
        }
        let v = self.eval(x)?;
        Ok(instance_of(&v, t))
    }

    /// `l == r` (Java's `==` between def values, or the identity of document wrappers).
    fn equals_expr(&mut self, l: &'a Expr, r: &'a Expr) -> Res<bool> {
        if let ExprKind::Field {
            obj,
            name,
            null_safe,
        } = &l.kind
        {
            match &r.kind {
                // `a.b == null` on a document map: tested without copying the field's value.
                ExprKind::Null => {
                    return self
                        .field_is_null(obj, name, *null_safe)
                        .map_err(|x| x.at(l.pos));
                }
                // `a.b == 'literal'` on a document map: compared without copying the field.
                ExprKind::Str(lit) => {
                    return self
                        .field_is_str(obj, name, *null_safe, lit)
                        .map_err(|x| x.at(l.pos));
                }
                _ => {}
            }
        }
        // `x == 'literal'` and `x == null`: decided without making the literal a value. Only a
        // string equals a string and only null equals null, whatever `x` is (def_equals,
        // java_equals and wrapper_equals all agree on that). A variable is compared where it
        // is, without a copy.
        let literal = |a: &V<'a>| match (a, &r.kind) {
            (V::Str(x), ExprKind::Str(lit)) => Some(**x == **lit),
            (_, ExprKind::Str(_)) => Some(false),
            (_, ExprKind::Null) => Some(a.is_null()),
            _ => None,
        };
        if let ExprKind::Var(name) = &l.kind
            && let Some(i) = self.lookup(name)
            && let Some(eq) = literal(&self.vars[i].2)
        {
            return Ok(eq);
        }
        let a = self.eval(l)?;
        if let Some(eq) = literal(&a) {
            return Ok(eq);
        }
        let b = self.eval(r)?;
        Ok(match self.wrapper_equals(&a, &b) {
            Some(eq) => eq,
            None => def_equals(&a, &b),
        })
    }

    /// Whether `obj.name` (`obj?.name`) equals the string `lit`; a document map's field is
    /// compared in place.
    fn field_is_str(&mut self, obj: &'a Expr, name: &str, null_safe: bool, lit: &str) -> Res<bool> {
        let o = self.eval_object(obj)?;
        if o.is_null() && null_safe {
            return Ok(false);
        }
        match &o {
            V::DocMap(m) if name != "empty" => Ok(matches!(m.get(name),
                Some(crate::value::Value::String(s)) if s == lit)),
            _ => Ok(matches!(get_field(&o, name)?, V::Str(s) if *s == *lit)),
        }
    }

    /// `obj.name instanceof t` (`obj?.name`); a document map's string field is not copied.
    fn field_instance_of(
        &mut self,
        obj: &'a Expr,
        name: &str,
        null_safe: bool,
        t: &Ty,
    ) -> Res<bool> {
        let o = self.eval_object(obj)?;
        if o.is_null() && null_safe {
            return Ok(false);
        }
        match &o {
            V::DocMap(m) if name != "empty" => {
                Ok(m.get(name).is_some_and(|v| instance_of(&from_doc(v), t)))
            }
            _ => Ok(instance_of(&get_field(&o, name)?, t)),
        }
    }

    fn eval_args(&mut self, args: &'a [Expr]) -> Res<Vec<V<'a>>> {
        let mut out = Vec::with_capacity(args.len());
        for a in args {
            out.push(self.eval(a)?);
        }
        Ok(out)
    }

    /// Runs `body` in a new frame (which hides the caller's variables) holding `captured`, then
    /// `params` bound to `args`; the call depth and stack use are bounded.
    fn run_in_frame(
        &mut self,
        captured: &[(&'a str, &'a Ty, V<'a>)],
        params: &'a [(Ty, String)],
        args: impl Iterator<Item = V<'a>>,
        body: Code<'a>,
    ) -> Res<Flow<'a>> {
        let base = self.vars.len();
        self.vars.extend(captured.iter().cloned());
        self.vars.extend(args.map(|v| ("", &DEF, v)));
        self.enter(base, params, body)
    }

    /// Runs `body` in a new frame from variable `base`, whose last `params.len()` variables are
    /// the (still unnamed) arguments: they are converted to the parameters' types and named.
    /// The frame's variables are gone afterwards; the call depth and stack use are bounded.
    fn enter(&mut self, base: usize, params: &'a [(Ty, String)], body: Code<'a>) -> Res<Flow<'a>> {
        self.depth += 1;
        if self.depth > MAX_CALL_DEPTH || self.stack_base.saturating_sub(stack_pos()) > STACK_BUDGET
        {
            self.depth -= 1;
            self.vars.truncate(base);
            return Err(Exc::fatal(
                "StackOverflowError",
                "the script exceeded the maximum call depth",
                usize::MAX,
            ));
        }
        let saved_frame = self.frame;
        self.frame = base;
        let first = self.vars.len().saturating_sub(params.len()).max(base);
        let mut r = Ok(());
        for ((t, n), slot) in params.iter().zip(&mut self.vars[first..]) {
            match convert(std::mem::take(&mut slot.2), t, false) {
                Ok(v) => *slot = (n, t, v),
                Err(e) => {
                    r = Err(e);
                    break;
                }
            }
        }
        let out = r.and_then(|_| match body {
            Code::Syntax(b) => self.exec_block(b),
            Code::Lowered(b) => self.ops(b),
        });
        self.vars.truncate(base);
        self.frame = saved_frame;
        self.depth -= 1;
        out
    }

    /// The body `f` runs: its lowered form when the program runs lowered.
    fn code_of(&self, f: &'a Function) -> Code<'a> {
        if let Some(l) = self.lowered
            && let Some(i) = self.functions.iter().position(|g| std::ptr::eq(&**g, f))
        {
            return Code::Lowered(&l.functions[i]);
        }
        Code::Syntax(&f.body)
    }

    /// Calls a script function with as many argument expressions as it has parameters: the
    /// arguments are evaluated straight into the new frame.
    fn call_local(&mut self, f: &'a Function, args: &'a [Expr]) -> Res<V<'a>> {
        let base = self.vars.len();
        for a in args {
            match self.eval(a) {
                // Unnamed until the call starts, so later arguments cannot see them.
                Ok(v) => self.vars.push(("", &DEF, v)),
                Err(e) => {
                    self.vars.truncate(base);
                    return Err(e);
                }
            }
        }
        let out = self.enter(base, &f.params, self.code_of(f));
        function_result(f, out?)
    }

    /// Calls a script function.
    pub fn call_function(&mut self, f: &'a Function, args: Vec<V<'a>>) -> Res<V<'a>> {
        if args.len() != f.params.len() {
            return Err(Exc::iae(format!(
                "Unknown call [{}] with [{}] arguments.",
                f.name,
                args.len()
            )));
        }
        let out = self.run_in_frame(&[], &f.params, args.into_iter(), self.code_of(f));
        function_result(f, out?)
    }

    /// Calls a lambda, method reference or function value with arguments.
    pub fn call_value(&mut self, f: &V<'a>, args: Vec<V<'a>>) -> Res<V<'a>> {
        self.call_value_with(f, args.into_iter())
    }

    /// As [`Interp::call_value`] with one argument (a lambda gets it without a list built).
    pub fn call_value1(&mut self, f: &V<'a>, arg: V<'a>) -> Res<V<'a>> {
        self.call_value_with(f, std::iter::once(arg))
    }

    fn call_value_with(
        &mut self,
        f: &V<'a>,
        args: impl ExactSizeIterator<Item = V<'a>>,
    ) -> Res<V<'a>> {
        let V::Obj(o) = f else {
            return Err(Exc::iae(format!(
                "Cannot convert [{}] to a functional interface",
                f.class_name()
            )));
        };
        let Obj::Func(func) = &**o else {
            return Err(Exc::iae(format!(
                "Cannot convert [{}] to a functional interface",
                f.class_name()
            )));
        };
        match func {
            Func::Lambda(l, captured, forward) => self.call_lambda(l, captured, *forward, args),
            _ => self.call_func(func, args.collect()),
        }
    }

    fn call_lambda(
        &mut self,
        l: &'a Lambda,
        captured: &[(&'a str, &'a Ty, V<'a>)],
        forward: Option<(&'a Function, usize)>,
        args: impl ExactSizeIterator<Item = V<'a>>,
    ) -> Res<V<'a>> {
        if l.params.len() != args.len() {
            return Err(Exc::iae(format!(
                "Incorrect number of parameters for lambda: expected [{}] but found [{}]",
                l.params.len(),
                args.len()
            )));
        }
        if let Some((f, pos)) = forward {
            return self.call_forwarded(l, f, pos, args);
        }
        let out = self.run_in_frame(captured, &l.params, args, Code::Syntax(&l.body));
        match out? {
            Flow::Return(v) => Ok(v),
            _ => Ok(V::Null),
        }
    }

    /// The script function a lambda only forwards its parameters to, in order (`x -> f(x)`),
    /// and the offset of that call.
    fn forwarded(&self, l: &'a Lambda) -> Option<(&'a Function, usize)> {
        let (i, pos) = super::ir::forwarding(l, self.functions)?;
        Some((&*self.functions[i], pos))
    }

    /// Runs a forwarding lambda (see [`Interp::forwarded`]) as its frame would: the call depth
    /// and stack are checked and the arguments converted to the lambda's parameter types, then
    /// the function is called with them, without the lambda's own frame.
    fn call_forwarded(
        &mut self,
        l: &'a Lambda,
        f: &'a Function,
        pos: usize,
        args: impl Iterator<Item = V<'a>>,
    ) -> Res<V<'a>> {
        self.depth += 1;
        if self.depth > MAX_CALL_DEPTH || self.stack_base.saturating_sub(stack_pos()) > STACK_BUDGET
        {
            self.depth -= 1;
            return Err(Exc::fatal(
                "StackOverflowError",
                "the script exceeded the maximum call depth",
                usize::MAX,
            ));
        }
        let base = self.vars.len();
        for (v, (t, _)) in args.zip(&l.params) {
            match convert(v, t, false) {
                // Unnamed until the call starts, as `call_local` passes them.
                Ok(v) => self.vars.push(("", &DEF, v)),
                Err(e) => {
                    self.vars.truncate(base);
                    self.depth -= 1;
                    return Err(e);
                }
            }
        }
        let out = self
            .enter(base, &f.params, self.code_of(f))
            .and_then(|flow| function_result(f, flow))
            .map_err(|x| x.at(pos));
        self.depth -= 1;
        out
    }

    /// Calls a function value.
    fn call_func(&mut self, func: &Func<'a>, args: Vec<V<'a>>) -> Res<V<'a>> {
        match func {
            Func::Lambda(l, captured, forward) => {
                self.call_lambda(l, captured, *forward, args.into_iter())
            }
            Func::Local(f) => self.call_function(f, args),
            Func::Ref(r, recv) => match &**r {
                FuncRef::Local(name) => match self.functions.iter().find(|f| f.name == *name) {
                    Some(f) => self.call_function(f, args),
                    None => Err(Exc::iae(format!("Unknown call [{name}]"))),
                },
                FuncRef::Capture(_, m) => {
                    let recv = recv.clone().unwrap_or_default();
                    if recv.is_null() {
                        return Err(cannot_access(m));
                    }
                    builtins::call_method(self, recv, m, args)
                }
                FuncRef::New(class) => builtins::construct(self, class, args),
                FuncRef::Class(class, m) => {
                    if builtins::is_known_static(class, m, args.len()) {
                        builtins::call_static(self, class, m, args)
                    } else {
                        let mut it = args.into_iter();
                        let recv = it.next().unwrap_or_default();
                        if recv.is_null() {
                            return Err(cannot_access(m));
                        }
                        builtins::call_method(self, recv, m, it.collect())
                    }
                }
            },
        }
    }

    fn assign(&mut self, target: &'a Expr, op: Option<BinOp>, value: &'a Expr) -> Res<V<'a>> {
        match &target.kind {
            ExprKind::Var(name) => {
                let Some(i) = self.lookup(name) else {
                    return Err(Exc::iae(format!("cannot resolve symbol [{name}]")));
                };
                let rhs = self.eval(value)?;
                self.put_var(i, op, rhs)
            }
            ExprKind::Field {
                obj,
                name,
                null_safe,
            } => {
                let o = self.eval(obj)?;
                if o.is_null() && *null_safe {
                    return Ok(V::Null);
                }
                let rhs = self.eval(value)?;
                put_field(&o, name, op, rhs, target.pos)
            }
            ExprKind::Index { obj, idx } => {
                let o = self.eval(obj)?;
                let k = self.eval(idx)?;
                let rhs = self.eval(value)?;
                put_index(&o, k, op, rhs, target.pos)
            }
            _ => Err(Exc::iae("invalid assignment target")),
        }
    }

    /// Stores `rhs` (combined with the old value by `op`) in variable `i`, converted to its
    /// declared type; the value stored.
    fn put_var(&mut self, i: usize, op: Option<BinOp>, rhs: V<'a>) -> Res<V<'a>> {
        let v = match op {
            Some(op) => compound(op, self.vars[i].2.clone(), rhs, self.vars[i].1)?,
            None => rhs,
        };
        let v = convert(v, self.vars[i].1, false)?;
        self.vars[i].2 = v.clone();
        Ok(v)
    }

    fn inc_dec(&mut self, target: &'a Expr, pre: bool, delta: i32) -> Res<V<'a>> {
        let step = |old: &V<'a>, t: &Ty| -> Res<V<'a>> {
            let new = binary(BinOp::Add, old.clone(), V::Int(delta))?;
            // `x++` keeps the variable's type (byte/short/char/int wrap).
            match (old, t) {
                (V::Char(_) | V::Byte(_) | V::Short(_), _) => convert(new, &ty_of(old), true),
                _ => Ok(new),
            }
        };
        match &target.kind {
            ExprKind::Var(name) => {
                let Some(i) = self.lookup(name) else {
                    return Err(Exc::iae(format!("cannot resolve symbol [{name}]")));
                };
                let old = self.vars[i].2.clone();
                let new = convert(step(&old, self.vars[i].1)?, self.vars[i].1, true)?;
                self.vars[i].2 = new.clone();
                Ok(if pre { new } else { old })
            }
            ExprKind::Field { obj, name, .. } => {
                let o = self.eval(obj)?;
                let old = get_field(&o, name)?;
                let new = step(&old, &DEF)?;
                set_member(&o, V::str(name), new.clone(), true)?;
                Ok(if pre { new } else { old })
            }
            ExprKind::Index { obj, idx } => {
                let o = self.eval(obj)?;
                let k = self.eval(idx)?;
                let old = get_index(&o, &k)?;
                let new = step(&old, &DEF)?;
                set_member(&o, k, new.clone(), false)?;
                Ok(if pre { new } else { old })
            }
            _ => Err(Exc::iae("invalid increment target")),
        }
    }
}

/// `o.name = rhs` (`o.name op= rhs`): the value stored; a store error is placed at the target.
fn put_field<'a>(
    o: &V<'a>,
    name: &str,
    op: Option<BinOp>,
    rhs: V<'a>,
    target_pos: usize,
) -> Res<V<'a>> {
    let v = match op {
        Some(op) => compound(op, get_field(o, name)?, rhs, &DEF)?,
        None => rhs,
    };
    set_member(o, V::str(name), v.clone(), true).map_err(|e| e.at(target_pos))?;
    Ok(v)
}

/// `o[k] = rhs` (`o[k] op= rhs`): the value stored; a store error is placed at the target.
fn put_index<'a>(
    o: &V<'a>,
    k: V<'a>,
    op: Option<BinOp>,
    rhs: V<'a>,
    target_pos: usize,
) -> Res<V<'a>> {
    let v = match op {
        Some(op) => compound(op, get_index(o, &k)?, rhs, &DEF)?,
        None => rhs,
    };
    set_member(o, k, v.clone(), false).map_err(|e| e.at(target_pos))?;
    Ok(v)
}

/// A script function's result from how its body ended.
fn function_result<'a>(f: &Function, flow: Flow<'a>) -> Res<V<'a>> {
    match flow {
        Flow::Return(v) => {
            if f.ret == Ty::Void {
                Ok(V::Null)
            } else {
                convert(v, &f.ret, false)
            }
        }
        _ => Ok(default_value(&f.ret)),
    }
}

fn ty_of(v: &V<'_>) -> Ty {
    match v {
        V::Char(_) => Ty::Char,
        V::Byte(_) => Ty::Byte,
        V::Short(_) => Ty::Short,
        _ => Ty::Def,
    }
}

fn compound<'a>(op: BinOp, old: V<'a>, rhs: V<'a>, t: &Ty) -> Res<V<'a>> {
    let r = binary(op, old, rhs)?;
    // Compound assignment casts back to the variable's type (`int i; i += 1.5`).
    if matches!(
        t,
        Ty::Byte | Ty::Short | Ty::Char | Ty::Int | Ty::Long | Ty::Float | Ty::Double
    ) {
        convert(r, t, true)
    } else {
        Ok(r)
    }
}

/// The zero value of a declared type.
pub fn default_value<'a>(t: &Ty) -> V<'a> {
    match t {
        Ty::Bool => V::Bool(false),
        Ty::Byte => V::Byte(0),
        Ty::Short => V::Short(0),
        Ty::Char => V::Char(0),
        Ty::Int => V::Int(0),
        Ty::Long => V::Long(0),
        Ty::Float => V::Float(0.0),
        Ty::Double => V::Double(0.0),
        _ => V::Null,
    }
}

fn new_array<'a>(t: &Ty, sizes: &[usize]) -> V<'a> {
    let Some((first, rest)) = sizes.split_first() else {
        return default_value(t);
    };
    let items = (0..*first)
        .map(|_| {
            if rest.is_empty() {
                default_value(t)
            } else {
                new_array(t, rest)
            }
        })
        .collect();
    V::Array(Rc::new(std::cell::RefCell::new(items)))
}

/// An int index from a value (int, short, byte, char).
pub fn to_index(v: &V<'_>) -> Res<i64> {
    match v {
        V::Int(i) => Ok(*i as i64),
        V::Short(i) => Ok(*i as i64),
        V::Byte(i) => Ok(*i as i64),
        V::Char(i) => Ok(*i as i64),
        V::Null => Err(Exc::npe(
            "Cannot invoke \"java.lang.Number.intValue()\" because the index is null",
        )),
        other => Err(Exc::cce(format!(
            "Cannot cast {} to int",
            other.class_name()
        ))),
    }
}

fn list_index(i: i64, len: usize, array: bool) -> Res<usize> {
    // Painless normalizes negative indexes on lists and arrays.
    let idx = if i < 0 { i + len as i64 } else { i };
    if idx < 0 || idx >= len as i64 {
        let class = if array {
            "ArrayIndexOutOfBoundsException"
        } else {
            "IndexOutOfBoundsException"
        };
        return Err(Exc::new(
            class,
            format!("Index {i} out of bounds for length {len}"),
        ));
    }
    Ok(idx as usize)
}

/// `obj.name` on a def value.
pub fn get_field<'a>(o: &V<'a>, name: &str) -> Res<V<'a>> {
    match o {
        V::Null => Err(cannot_access(name)),
        // Whitelisted getters win over the map shortcut: `map.empty` is `isEmpty()`.
        V::Map(m) if name == "empty" => Ok(V::Bool(m.borrow().is_empty())),
        V::DocMap(m) if name == "empty" => Ok(V::Bool(m.is_empty())),
        V::Map(m) => Ok(m.borrow().get(&StrKey(name)).cloned().unwrap_or(V::Null)),
        V::DocMap(m) => Ok(m.get(name).map(from_doc).unwrap_or(V::Null)),
        V::List(_) | V::DocList(_) | V::Array(_) | V::Set(_) | V::View(..) => {
            let len = match o {
                V::List(l) | V::Array(l) => l.borrow().len(),
                V::DocList(l) => l.len(),
                V::Set(s) => s.borrow().len(),
                V::View(m, _) => m.borrow().len(),
                _ => 0,
            };
            if name == "length" && !o.is_set() {
                return Ok(V::Int(len as i32));
            }
            if name == "empty" && !matches!(o, V::Array(_)) {
                return Ok(V::Bool(len == 0));
            }
            if let Ok(i) = name.parse::<i64>()
                && !o.is_set()
            {
                return get_index(o, &V::Int(i as i32));
            }
            Err(Exc::iae(format!(
                "dynamic getter [{}, {name}] not found",
                o.class_name()
            )))
        }
        V::Str(s) if name == "empty" => Ok(V::Bool(s.is_empty())),
        V::Obj(ob) => match (&**ob, name) {
            (Obj::Entry(k, _, _), "key") => Ok(k.clone()),
            (Obj::Entry(_, v, _), "value") => Ok(v.borrow().clone()),
            (Obj::Exception(_, m), "message") => Ok(m.as_deref().map(V::str).unwrap_or(V::Null)),
            (Obj::Metadata(ctx, now), _) => super::ingest::metadata_get(ctx, *now, name),
            (Obj::Time(t), _) => super::time::getter(t, name, 0),
            _ => Err(Exc::iae(format!(
                "dynamic getter [{}, {name}] not found",
                o.class_name()
            ))),
        },
        _ => Err(Exc::iae(format!(
            "dynamic getter [{}, {name}] not found",
            o.class_name()
        ))),
    }
}

/// `obj[idx]` on a def value.
pub fn get_index<'a>(o: &V<'a>, i: &V<'a>) -> Res<V<'a>> {
    match o {
        V::Null => Err(Exc::npe(
            "Cannot invoke \"Object.getClass()\" because \"callArgs[0]\" is null",
        )),
        V::Map(m) => Ok(m.borrow().get(&K(i.clone())).cloned().unwrap_or(V::Null)),
        V::DocMap(m) => Ok(match i {
            V::Str(k) => m.get(&**k).map(from_doc).unwrap_or(V::Null),
            _ => V::Null,
        }),
        V::List(l) | V::Array(l) => {
            let l = l.borrow();
            let idx = list_index(to_index(i)?, l.len(), matches!(o, V::Array(_)))?;
            // `list_index` checked `idx < len`.
            Ok(l[idx].clone())
        }
        V::DocList(l) => {
            let idx = list_index(to_index(i)?, l.len(), false)?;
            // `list_index` checked `idx < len`.
            Ok(from_doc(&l[idx]))
        }
        _ => Err(Exc::iae(format!(
            "Attempting to address a non-array-like type [{}] as an array.",
            o.class_name()
        ))),
    }
}

/// `obj.name = v` / `obj[k] = v`.
pub fn set_member<'a>(o: &V<'a>, key: V<'a>, v: V<'a>, field: bool) -> Res<()> {
    match o {
        V::Null => Err(if field {
            cannot_access(&key.to_java_string())
        } else {
            Exc::npe("Cannot invoke \"Object.getClass()\" because \"callArgs[0]\" is null")
        }),
        V::Map(m) => {
            m.borrow_mut().insert(K(key), v);
            Ok(())
        }
        V::DocMap(_) | V::DocList(_) => Err(read_only()),
        V::List(l) | V::Array(l) => {
            let idx = if field {
                match key.to_java_string().parse::<i64>() {
                    Ok(i) => i,
                    Err(_) => {
                        return Err(Exc::iae(format!(
                            "dynamic setter [{}, {}] not found",
                            o.class_name(),
                            key.to_java_string()
                        )));
                    }
                }
            } else {
                to_index(&key)?
            };
            let mut l = l.borrow_mut();
            let len = l.len();
            let idx = list_index(idx, len, matches!(o, V::Array(_)))?;
            // `list_index` checked `idx < len`.
            l[idx] = v;
            Ok(())
        }
        V::Obj(ob) => match (&**ob, field) {
            (Obj::Metadata(ctx, _), true) => {
                super::ingest::metadata_set(ctx, &key.to_java_string(), v)
            }
            (Obj::Entry(k, val, map), true) if key.to_java_string() == "value" => {
                *val.borrow_mut() = v.clone();
                if let Some(m) = map {
                    m.borrow_mut().insert(K(k.clone()), v);
                }
                Ok(())
            }
            _ => Err(Exc::iae(format!(
                "dynamic setter [{}, {}] not found",
                o.class_name(),
                key.to_java_string()
            ))),
        },
        _ => Err(Exc::iae(format!(
            "dynamic setter [{}, {}] not found",
            o.class_name(),
            key.to_java_string()
        ))),
    }
}

/// `v instanceof T`.
pub fn instance_of(v: &V<'_>, t: &Ty) -> bool {
    match t {
        Ty::Def => !v.is_null(),
        Ty::Bool => matches!(v, V::Bool(_)),
        Ty::Byte => matches!(v, V::Byte(_)),
        Ty::Short => matches!(v, V::Short(_)),
        Ty::Char => matches!(v, V::Char(_)),
        Ty::Int => matches!(v, V::Int(_)),
        Ty::Long => matches!(v, V::Long(_)),
        Ty::Float => matches!(v, V::Float(_)),
        Ty::Double => matches!(v, V::Double(_)),
        Ty::Void => false,
        Ty::Array(_) => matches!(v, V::Array(_)),
        Ty::Class(c) => builtins::is_instance(v, c),
    }
}

fn num_rank(v: &V<'_>) -> Option<u8> {
    Some(match v {
        V::Byte(_) | V::Short(_) | V::Char(_) | V::Int(_) => 0,
        V::Long(_) => 1,
        V::Float(_) => 2,
        V::Double(_) => 3,
        _ => return None,
    })
}

/// The value as i64 (integral types).
pub fn as_i64(v: &V<'_>) -> Option<i64> {
    Some(match v {
        V::Byte(x) => *x as i64,
        V::Short(x) => *x as i64,
        V::Char(x) => *x as i64,
        V::Int(x) => *x as i64,
        V::Long(x) => *x,
        _ => return None,
    })
}

/// The value as f64 (any number).
pub fn as_f64(v: &V<'_>) -> Option<f64> {
    Some(match v {
        V::Float(f) => *f as f64,
        V::Double(d) => *d,
        _ => as_i64(v)? as f64,
    })
}

fn unary<'a>(op: UnOp, v: V<'a>) -> Res<V<'a>> {
    match op {
        UnOp::Not => match v {
            V::Bool(b) => Ok(V::Bool(!b)),
            other => Err(Exc::cce(format!(
                "Cannot cast {} to java.lang.Boolean",
                other.class_name()
            ))),
        },
        UnOp::BitNot => match num_rank(&v) {
            Some(0) => Ok(V::Int(!(as_i64(&v).unwrap_or(0) as i32))),
            Some(1) => Ok(V::Long(!as_i64(&v).unwrap_or(0))),
            _ => Err(bad_operand("~", &v)),
        },
        UnOp::Neg => match (num_rank(&v), &v) {
            (Some(0), _) => Ok(V::Int((as_i64(&v).unwrap_or(0) as i32).wrapping_neg())),
            (Some(1), _) => Ok(V::Long(as_i64(&v).unwrap_or(0).wrapping_neg())),
            (_, V::Float(f)) => Ok(V::Float(-f)),
            (_, V::Double(d)) => Ok(V::Double(-d)),
            _ => Err(bad_operand("-", &v)),
        },
        UnOp::Plus => match num_rank(&v) {
            Some(0) => Ok(V::Int(as_i64(&v).unwrap_or(0) as i32)),
            Some(_) => Ok(v),
            None => Err(bad_operand("+", &v)),
        },
    }
}

fn bad_operand(op: &str, v: &V<'_>) -> Exc {
    if v.is_null() {
        return Exc::npe("Cannot invoke \"Object.getClass()\" because \"unary\" is null");
    }
    Exc::cce(format!(
        "Cannot apply [{op}] operation to type [{}].",
        v.class_name()
    ))
}

fn bad_operands(op: &str, a: &V<'_>, b: &V<'_>) -> Exc {
    if a.is_null() {
        return Exc::npe("Cannot invoke \"Object.getClass()\" because \"leftObject\" is null");
    }
    if b.is_null() {
        return Exc::npe("Cannot invoke \"Object.getClass()\" because \"rightObject\" is null");
    }
    Exc::cce(format!(
        "Cannot apply [{op}] operation to types [{}] and [{}].",
        a.class_name(),
        b.class_name()
    ))
}

/// Java's `==` between def values: numbers compare by value, objects by `equals`.
pub fn def_equals<'a>(a: &V<'a>, b: &V<'a>) -> bool {
    if let (Some(ra), Some(rb)) = (num_rank(a), num_rank(b)) {
        return match ra.max(rb) {
            0 | 1 => as_i64(a) == as_i64(b),
            2 => as_f64(a).map(|x| x as f32) == as_f64(b).map(|x| x as f32),
            _ => as_f64(a) == as_f64(b),
        };
    }
    java_equals(a, b)
}

fn ref_equals<'a>(a: &V<'a>, b: &V<'a>) -> bool {
    match (a, b) {
        (V::List(x), V::List(y)) | (V::Array(x), V::Array(y)) => Rc::ptr_eq(x, y),
        (V::Map(x), V::Map(y)) => Rc::ptr_eq(x, y),
        (V::Set(x), V::Set(y)) => Rc::ptr_eq(x, y),
        (V::DocMap(x), V::DocMap(y)) => std::ptr::eq(*x, *y),
        (V::Obj(x), V::Obj(y)) => Rc::ptr_eq(x, y),
        _ => def_equals(a, b),
    }
}

/// Applies a binary operator with Java's numeric promotion.
pub fn binary<'a>(op: BinOp, a: V<'a>, b: V<'a>) -> Res<V<'a>> {
    use BinOp::*;
    match op {
        Eq => return Ok(V::Bool(def_equals(&a, &b))),
        Ne => return Ok(V::Bool(!def_equals(&a, &b))),
        RefEq => return Ok(V::Bool(ref_equals(&a, &b))),
        RefNe => return Ok(V::Bool(!ref_equals(&a, &b))),
        Find | Match => return builtins::regex_op(op == Match, &a, &b),
        _ => {}
    }
    if op == Add && (matches!(a, V::Str(_)) || matches!(b, V::Str(_))) {
        let mut s = a.to_java_string();
        super::budget::concat(&mut s, &b.to_java_string())?;
        return Ok(V::owned_str(s));
    }
    if matches!(op, BitAnd | BitOr | Xor)
        && let (V::Bool(x), V::Bool(y)) = (&a, &b)
    {
        return Ok(V::Bool(match op {
            BitAnd => x & y,
            BitOr => x | y,
            _ => x ^ y,
        }));
    }
    let sym = match op {
        Mul => "*",
        Div => "/",
        Rem => "%",
        Add => "+",
        Sub => "-",
        Shl => "<<",
        Shr => ">>",
        Ushr => ">>>",
        Lt => "<",
        Le => "<=",
        Gt => ">",
        Ge => ">=",
        BitAnd => "&",
        Xor => "^",
        BitOr => "|",
        _ => "?",
    };
    let (Some(ra), Some(rb)) = (num_rank(&a), num_rank(&b)) else {
        return Err(bad_operands(sym, &a, &b));
    };
    if matches!(op, Shl | Shr | Ushr) {
        if ra > 1 || rb > 1 {
            return Err(bad_operands(sym, &a, &b));
        }
        let n = as_i64(&b).unwrap_or(0);
        let x = as_i64(&a).unwrap_or(0);
        return Ok(if ra == 0 {
            let x = x as i32;
            let n = (n & 31) as u32;
            V::Int(match op {
                Shl => x.wrapping_shl(n),
                Shr => x.wrapping_shr(n),
                _ => ((x as u32).wrapping_shr(n)) as i32,
            })
        } else {
            let n = (n & 63) as u32;
            V::Long(match op {
                Shl => x.wrapping_shl(n),
                Shr => x.wrapping_shr(n),
                _ => ((x as u64).wrapping_shr(n)) as i64,
            })
        });
    }
    let rank = ra.max(rb);
    if matches!(op, Lt | Le | Gt | Ge) {
        let r = if rank <= 1 {
            let (x, y) = (as_i64(&a).unwrap_or(0), as_i64(&b).unwrap_or(0));
            match op {
                Lt => x < y,
                Le => x <= y,
                Gt => x > y,
                _ => x >= y,
            }
        } else {
            let (x, y) = (as_f64(&a).unwrap_or(0.0), as_f64(&b).unwrap_or(0.0));
            match op {
                Lt => x < y,
                Le => x <= y,
                Gt => x > y,
                _ => x >= y,
            }
        };
        return Ok(V::Bool(r));
    }
    match rank {
        0 | 1 => {
            let (x, y) = (as_i64(&a).unwrap_or(0), as_i64(&b).unwrap_or(0));
            if matches!(op, Div | Rem) && y == 0 {
                return Err(Exc::new("ArithmeticException", "/ by zero"));
            }
            if rank == 0 {
                let (x, y) = (x as i32, y as i32);
                Ok(V::Int(match op {
                    Mul => x.wrapping_mul(y),
                    Div => x.wrapping_div(y),
                    Rem => x.wrapping_rem(y),
                    Add => x.wrapping_add(y),
                    Sub => x.wrapping_sub(y),
                    BitAnd => x & y,
                    BitOr => x | y,
                    Xor => x ^ y,
                    _ => return Err(bad_operands(sym, &a, &b)),
                }))
            } else {
                Ok(V::Long(match op {
                    Mul => x.wrapping_mul(y),
                    Div => x.wrapping_div(y),
                    Rem => x.wrapping_rem(y),
                    Add => x.wrapping_add(y),
                    Sub => x.wrapping_sub(y),
                    BitAnd => x & y,
                    BitOr => x | y,
                    Xor => x ^ y,
                    _ => return Err(bad_operands(sym, &a, &b)),
                }))
            }
        }
        2 => {
            let (x, y) = (
                as_f64(&a).unwrap_or(0.0) as f32,
                as_f64(&b).unwrap_or(0.0) as f32,
            );
            Ok(V::Float(match op {
                Mul => x * y,
                Div => x / y,
                Rem => x % y,
                Add => x + y,
                Sub => x - y,
                _ => return Err(bad_operands(sym, &a, &b)),
            }))
        }
        _ => {
            let (x, y) = (as_f64(&a).unwrap_or(0.0), as_f64(&b).unwrap_or(0.0));
            Ok(V::Double(match op {
                Mul => x * y,
                Div => x / y,
                Rem => x % y,
                Add => x + y,
                Sub => x - y,
                _ => return Err(bad_operands(sym, &a, &b)),
            }))
        }
    }
}

fn java_name(t: &Ty) -> String {
    match t {
        Ty::Def => "def".into(),
        Ty::Void => "void".into(),
        Ty::Bool => "boolean".into(),
        Ty::Byte => "byte".into(),
        Ty::Short => "short".into(),
        Ty::Char => "char".into(),
        Ty::Int => "int".into(),
        Ty::Long => "long".into(),
        Ty::Float => "float".into(),
        Ty::Double => "double".into(),
        Ty::Class(c) => builtins::class_java_name(c).to_string(),
        Ty::Array(e) => format!("{}[]", java_name(e)),
    }
}

/// Converts a value to a declared type: implicit (assignment) or explicit (cast).
#[inline]
pub fn convert<'a>(v: V<'a>, t: &Ty, explicit: bool) -> Res<V<'a>> {
    // `def` takes any value, and a boolean is already a `boolean`: the common cases stay out
    // of the general conversion.
    match (t, &v) {
        (Ty::Def, _) | (Ty::Bool, V::Bool(_)) => Ok(v),
        _ => convert_to(v, t, explicit),
    }
}

fn convert_to<'a>(v: V<'a>, t: &Ty, explicit: bool) -> Res<V<'a>> {
    let fail = |v: &V<'_>| {
        Exc::cce(format!(
            "Cannot cast {} to {}",
            v.class_name(),
            java_name(t)
        ))
    };
    let numeric = |v: &V<'a>| -> Option<(i64, f64, u8)> {
        let r = num_rank(v)?;
        Some((as_i64(v).unwrap_or(0), as_f64(v).unwrap_or(0.0), r))
    };
    match t {
        Ty::Def | Ty::Void => Ok(v),
        Ty::Bool => match v {
            V::Bool(_) => Ok(v),
            V::Null => Err(Exc::npe("Cannot unbox null value to boolean")),
            _ => Err(fail(&v)),
        },
        Ty::Byte | Ty::Short | Ty::Char | Ty::Int | Ty::Long | Ty::Float | Ty::Double => {
            if v.is_null() {
                return Err(Exc::npe(format!(
                    "Cannot unbox null value to {}",
                    java_name(t)
                )));
            }
            if explicit
                && *t == Ty::Char
                && let V::Str(s) = &v
            {
                let units: Vec<u16> = s.encode_utf16().collect();
                return match units.as_slice() {
                    [c] => Ok(V::Char(*c)),
                    _ => Err(Exc::cce(
                        "cannot cast java.lang.String with length not equal to one to char",
                    )),
                };
            }
            let Some((i, f, rank)) = numeric(&v) else {
                return Err(fail(&v));
            };
            let is_float = matches!(v, V::Float(_) | V::Double(_));
            let target_rank = match t {
                Ty::Long => 1,
                Ty::Float => 2,
                Ty::Double => 3,
                _ => 0,
            };
            // Implicit conversions only widen (char/byte/short → int also allowed).
            if !explicit {
                let ok = match t {
                    Ty::Int => matches!(v, V::Int(_) | V::Short(_) | V::Byte(_) | V::Char(_)),
                    Ty::Byte => matches!(v, V::Byte(_)),
                    Ty::Short => matches!(v, V::Short(_) | V::Byte(_)),
                    Ty::Char => matches!(v, V::Char(_)),
                    _ => rank <= target_rank,
                };
                if !ok {
                    return Err(fail(&v));
                }
            }
            let as_int = |f: f64| -> i64 { if f.is_nan() { 0 } else { f as i64 } };
            Ok(match t {
                Ty::Byte => V::Byte(if is_float {
                    as_int(f) as i32 as i8
                } else {
                    i as i8
                }),
                Ty::Short => V::Short(if is_float {
                    as_int(f) as i32 as i16
                } else {
                    i as i16
                }),
                Ty::Char => V::Char(if is_float {
                    as_int(f) as i32 as u16
                } else {
                    i as u16
                }),
                Ty::Int => V::Int(if is_float { f as i32 } else { i as i32 }),
                Ty::Long => V::Long(if is_float { f as i64 } else { i }),
                Ty::Float => V::Float(f as f32),
                _ => V::Double(f),
            })
        }
        Ty::Class(c) => {
            if v.is_null() || builtins::is_instance(&v, c) {
                return Ok(v);
            }
            // Boxing conversions between number classes are not implicit in Java.
            Err(fail(&v))
        }
        Ty::Array(_) => match v {
            V::Null | V::Array(_) => Ok(v),
            _ => Err(fail(&v)),
        },
    }
}
