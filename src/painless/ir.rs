//! A lowered form of a script's statements, run by `Interp` in place of the syntax tree:
//! variables resolved to their place in the frame, calls of the script's functions resolved,
//! and the common tests (`x == null`, `x == 'literal'`, `x instanceof T`) made single steps.
//! Every other construct stays syntax and runs through the tree-walking interpreter, so both
//! forms share one frame layout, one set of operations and one set of error messages.

use super::ast::*;
use super::value::V;
use std::sync::Arc;

/// A script's main body and functions (in the program's order), lowered.
#[derive(Debug)]
pub struct Compiled {
    /// The main statements.
    pub main: Vec<Op>,
    /// The body of each function of the program, at the same index.
    pub functions: Vec<Vec<Op>>,
}

/// A lowered statement and its source offset.
#[derive(Debug)]
pub struct Op {
    /// What it does.
    pub kind: OpKind,
    /// Byte offset of the statement.
    pub pos: usize,
}

/// The kinds of lowered statement.
#[derive(Debug)]
pub enum OpKind {
    /// An expression statement.
    Expr(N),
    /// `T a = x, b;`.
    Decl(Ty, Vec<(String, Option<N>)>),
    /// `if (c) a else b`.
    If(N, Vec<Op>, Option<Vec<Op>>),
    /// `return e?`.
    Return(Option<N>),
    /// `{ … }`.
    Block(Vec<Op>),
    /// Any other statement, run by the tree-walking interpreter.
    Stmt(Stmt),
}

/// A lowered expression and its source offset.
#[derive(Debug)]
pub struct N {
    /// What it computes.
    pub kind: NKind,
    /// Byte offset of the expression.
    pub pos: usize,
}

/// The kinds of lowered expression.
#[derive(Debug)]
pub enum NKind {
    /// A variable: its slot in the running frame and its name.
    Local(usize, String),
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An int literal.
    Int(i32),
    /// A long literal.
    Long(i64),
    /// A double literal.
    Double(f64),
    /// A string literal.
    Str(Arc<str>),
    /// `[a, b]`.
    ListInit(Vec<N>),
    /// `[k: v]`.
    MapInit(Vec<(N, N)>),
    /// `new C(args)`.
    New(&'static str, Vec<N>),
    /// `obj[idx]`.
    Index(Box<N>, Box<N>),
    /// `Class.name(args)`.
    StaticCall(&'static str, String, Vec<N>),
    /// A binary operator other than `==` and `!=`.
    Binary(BinOp, Box<N>, Box<N>),
    /// `c ? a : b`.
    Cond(Box<N>, Box<N>, Box<N>),
    /// `a ?: b`.
    Elvis(Box<N>, Box<N>),
    /// `t = v` / `t op= v`, and the offset of the target.
    Assign(Target, Option<BinOp>, Box<N>, usize),
    /// `obj.name` / `obj?.name`.
    Field(Box<N>, String, bool),
    /// `obj.name(args)` / `obj?.name(args)`.
    Call(Box<N>, String, Vec<N>, bool),
    /// A call of the script function at this index, with as many arguments as it has
    /// parameters.
    CallFn(usize, Vec<N>),
    /// `(T) e`, and the class test of `T` when it is a common class.
    Cast(Ty, Box<N>, Option<ClassTest>),
    /// `e instanceof T`, and the class test of `T` when it is a common class.
    InstanceOf(Box<N>, Ty, Option<ClassTest>),
    /// `e == null` (`e != null` when the flag is set).
    IsNull(Box<N>, bool),
    /// `e == 'literal'` (`!=` when the flag is set).
    IsStr(Box<N>, Arc<str>, bool),
    /// `&&`.
    And(Box<N>, Box<N>),
    /// `||`.
    Or(Box<N>, Box<N>),
    /// A unary operator.
    Unary(UnOp, Box<N>),
    /// A lambda, and the function it only forwards its parameters to (index, offset of
    /// the call), if it does.
    Lambda(Arc<Lambda>, Option<(usize, usize)>),
    /// Any other expression, run by the tree-walking interpreter.
    Expr(Expr),
}

/// Where an assignment stores.
#[derive(Debug)]
pub enum Target {
    /// A variable: its slot in the running frame and its name.
    Local(usize, String),
    /// `obj.name` / `obj?.name`.
    Field(Box<N>, String, bool),
    /// `obj[idx]`.
    Index(Box<N>, Box<N>),
}

/// Whether a non-null value is an instance of a class.
pub type ClassTest = for<'v> fn(&V<'v>) -> bool;

/// The instance test of the classes scripts name most, decided by the kind of value alone, as
/// `builtins::is_instance` decides them (no java.time object is one of them).
fn class_test(t: &Ty) -> Option<ClassTest> {
    let Ty::Class(c) = t else {
        return None;
    };
    Some(match *c {
        "Map" | "HashMap" | "AbstractMap" => |v| matches!(v, V::Map(_) | V::DocMap(_)),
        "List" | "ArrayList" | "AbstractList" => |v| matches!(v, V::List(_) | V::DocList(_)),
        "String" | "CharSequence" => |v| matches!(v, V::Str(_)),
        _ => return None,
    })
}

/// Lowers a parsed program whose main body sees the globals `globals`, in their order.
pub fn lower(program: &Program, globals: &[&str]) -> Compiled {
    let fns = &program.functions;
    let mut main = Lower {
        fns,
        scope: globals.iter().map(|g| g.to_string()).collect(),
    };
    Compiled {
        main: main.block(&program.body),
        functions: fns
            .iter()
            .map(|f| {
                let mut l = Lower {
                    fns,
                    scope: f.params.iter().map(|(_, n)| n.clone()).collect(),
                };
                l.block(&f.body)
            })
            .collect(),
    }
}

/// The lowering of one frame: the names its variables have, in frame order, at the point
/// being lowered (as the interpreter pushes and truncates them).
struct Lower<'p> {
    fns: &'p [Arc<Function>],
    scope: Vec<String>,
}

impl Lower<'_> {
    /// Statements of a block: the variables it declares are gone after it.
    fn block(&mut self, body: &[Stmt]) -> Vec<Op> {
        let mark = self.scope.len();
        let ops = body.iter().map(|s| self.stmt(s)).collect();
        self.scope.truncate(mark);
        ops
    }

    fn stmt(&mut self, s: &Stmt) -> Op {
        let kind = match &s.kind {
            StmtKind::Expr(e) => OpKind::Expr(self.expr(e)),
            StmtKind::Decl(t, vars) => {
                let mut out = Vec::with_capacity(vars.len());
                for (name, init) in vars {
                    // The initializer sees the variables declared before this one.
                    let init = init.as_ref().map(|e| self.expr(e));
                    self.scope.push(name.clone());
                    out.push((name.clone(), init));
                }
                OpKind::Decl(t.clone(), out)
            }
            StmtKind::If(c, a, b) => OpKind::If(
                self.expr(c),
                self.block(a),
                b.as_ref().map(|b| self.block(b)),
            ),
            StmtKind::Return(e) => OpKind::Return(e.as_ref().map(|e| self.expr(e))),
            StmtKind::Block(b) => OpKind::Block(self.block(b)),
            // Loops, `try`, `throw`, `break` and `continue` run as syntax: whatever variables
            // they declare are gone when they end.
            _ => OpKind::Stmt(s.clone()),
        };
        Op { kind, pos: s.pos }
    }

    /// The slot of the visible variable `name`, as the interpreter's lookup finds it.
    fn slot_of(&self, name: &str) -> Option<usize> {
        self.scope.iter().rposition(|n| n == name)
    }

    fn exprs(&mut self, es: &[Expr]) -> Vec<N> {
        es.iter().map(|e| self.expr(e)).collect()
    }

    fn boxed(&mut self, e: &Expr) -> Box<N> {
        Box::new(self.expr(e))
    }

    fn expr(&mut self, e: &Expr) -> N {
        let kind = match &e.kind {
            ExprKind::Var(name) => match self.slot_of(name) {
                Some(slot) => NKind::Local(slot, name.clone()),
                None => NKind::Expr(e.clone()),
            },
            ExprKind::Null => NKind::Null,
            ExprKind::Bool(b) => NKind::Bool(*b),
            ExprKind::Int(i) => NKind::Int(*i),
            ExprKind::Long(l) => NKind::Long(*l),
            ExprKind::Double(d) => NKind::Double(*d),
            ExprKind::Str(s) => NKind::Str(s.clone()),
            ExprKind::ListInit(items) => NKind::ListInit(self.exprs(items)),
            ExprKind::MapInit(entries) => NKind::MapInit(
                entries
                    .iter()
                    .map(|(k, v)| (self.expr(k), self.expr(v)))
                    .collect(),
            ),
            ExprKind::New(class, args) => NKind::New(class, self.exprs(args)),
            ExprKind::Index { obj, idx } => NKind::Index(self.boxed(obj), self.boxed(idx)),
            ExprKind::StaticCall(class, name, args) => {
                NKind::StaticCall(class, name.clone(), self.exprs(args))
            }
            ExprKind::Binary(op, l, r) if !matches!(op, BinOp::Eq | BinOp::Ne) => {
                NKind::Binary(*op, self.boxed(l), self.boxed(r))
            }
            ExprKind::Cond(c, a, b) => NKind::Cond(self.boxed(c), self.boxed(a), self.boxed(b)),
            ExprKind::Elvis(a, b) => NKind::Elvis(self.boxed(a), self.boxed(b)),
            ExprKind::Assign { target, op, value } => {
                let to = match &target.kind {
                    ExprKind::Var(name) => match self.slot_of(name) {
                        Some(slot) => Target::Local(slot, name.clone()),
                        None => {
                            return N {
                                kind: NKind::Expr(e.clone()),
                                pos: e.pos,
                            };
                        }
                    },
                    ExprKind::Field {
                        obj,
                        name,
                        null_safe,
                    } => Target::Field(self.boxed(obj), name.clone(), *null_safe),
                    ExprKind::Index { obj, idx } => Target::Index(self.boxed(obj), self.boxed(idx)),
                    _ => {
                        return N {
                            kind: NKind::Expr(e.clone()),
                            pos: e.pos,
                        };
                    }
                };
                NKind::Assign(to, *op, self.boxed(value), target.pos)
            }
            ExprKind::Field {
                obj,
                name,
                null_safe,
            } => NKind::Field(self.boxed(obj), name.clone(), *null_safe),
            ExprKind::Call {
                obj,
                name,
                args,
                null_safe,
            } => NKind::Call(
                self.boxed(obj),
                name.clone(),
                args.iter().map(|a| self.expr(a)).collect(),
                *null_safe,
            ),
            ExprKind::LocalCall(name, args) => {
                // The interpreter calls the first function of that name; with another number
                // of arguments it reports the error itself.
                match self.fns.iter().position(|f| f.name == *name) {
                    Some(i) if self.fns[i].params.len() == args.len() => {
                        NKind::CallFn(i, args.iter().map(|a| self.expr(a)).collect())
                    }
                    _ => NKind::Expr(e.clone()),
                }
            }
            ExprKind::Cast(t, x) => NKind::Cast(t.clone(), self.boxed(x), class_test(t)),
            ExprKind::InstanceOf(x, t) => {
                NKind::InstanceOf(self.boxed(x), t.clone(), class_test(t))
            }
            ExprKind::Binary(op @ (BinOp::Eq | BinOp::Ne), l, r) => {
                let negated = *op == BinOp::Ne;
                match &r.kind {
                    ExprKind::Null => NKind::IsNull(self.boxed(l), negated),
                    ExprKind::Str(s) => NKind::IsStr(self.boxed(l), s.clone(), negated),
                    _ => NKind::Expr(e.clone()),
                }
            }
            ExprKind::And(l, r) => NKind::And(self.boxed(l), self.boxed(r)),
            ExprKind::Or(l, r) => NKind::Or(self.boxed(l), self.boxed(r)),
            ExprKind::Unary(op, x) => NKind::Unary(*op, self.boxed(x)),
            ExprKind::Lambda(l) => NKind::Lambda(l.clone(), forwarding(l, self.fns)),
            _ => NKind::Expr(e.clone()),
        };
        N { kind, pos: e.pos }
    }
}

/// The script function a lambda only forwards its parameters to, in order (`x -> f(x)`): its
/// index and the offset of the call. Such a lambda needs none of the caller's variables.
pub fn forwarding(l: &Lambda, fns: &[Arc<Function>]) -> Option<(usize, usize)> {
    let [
        Stmt {
            kind: StmtKind::Return(Some(call)),
            ..
        },
    ] = l.body.as_slice()
    else {
        return None;
    };
    let ExprKind::LocalCall(name, args) = &call.kind else {
        return None;
    };
    let forwards = args.len() == l.params.len()
        && args
            .iter()
            .zip(&l.params)
            .all(|(a, (_, p))| matches!(&a.kind, ExprKind::Var(v) if v == p))
        && l.params
            .iter()
            .enumerate()
            .all(|(i, (_, p))| l.params.iter().take(i).all(|(_, q)| q != p));
    if !forwards {
        return None;
    }
    let i = fns.iter().position(|f| f.name == *name)?;
    (fns[i].params.len() == args.len()).then_some((i, call.pos))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{Map, Value};

    #[test]
    fn class_tests_agree_with_instance_of() {
        let doc_map = Map::default();
        let doc_list = vec![Value::from(1)];
        let values = [
            V::Null,
            V::Bool(true),
            V::Int(1),
            V::Double(1.5),
            V::str("s"),
            V::new_list(vec![V::Int(1)]),
            V::new_map(Default::default()),
            V::DocMap(&doc_map),
            V::DocList(&doc_list),
            V::Array(std::rc::Rc::new(std::cell::RefCell::new(vec![]))),
        ];
        let names = [
            "Map",
            "HashMap",
            "AbstractMap",
            "List",
            "ArrayList",
            "AbstractList",
            "String",
            "CharSequence",
        ];
        for name in names {
            let is = class_test(&Ty::Class(name)).expect("a common class");
            for v in &values {
                assert_eq!(
                    is(v),
                    super::super::builtins::is_instance(v, name),
                    "{v:?} instanceof {name}"
                );
            }
        }
        assert!(class_test(&Ty::Class("Object")).is_none());
        assert!(class_test(&Ty::Def).is_none());
    }
}
