//! The syntax tree of a Painless script.

use super::regex::JavaRegex;
use std::sync::Arc;

/// A declared type: `def`, a primitive, a whitelisted class, or an array of one.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    /// `def` (dynamic).
    Def,
    /// `void` (function return only).
    Void,
    /// `boolean`.
    Bool,
    /// `byte`.
    Byte,
    /// `short`.
    Short,
    /// `char`.
    Char,
    /// `int`.
    Int,
    /// `long`.
    Long,
    /// `float`.
    Float,
    /// `double`.
    Double,
    /// A whitelisted class, by its Painless name (`String`, `Map`, `Map.Entry`, …).
    Class(&'static str),
    /// An array of the element type.
    Array(Box<Ty>),
}

/// A unary operator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UnOp {
    /// `!`
    Not,
    /// `~`
    BitNot,
    /// `-`
    Neg,
    /// `+`
    Plus,
}

/// A binary operator (not the short-circuit ones).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BinOp {
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `=~`
    Find,
    /// `==~`
    Match,
    /// `<<`
    Shl,
    /// `>>`
    Shr,
    /// `>>>`
    Ushr,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `===`
    RefEq,
    /// `!=`
    Ne,
    /// `!==`
    RefNe,
    /// `&`
    BitAnd,
    /// `^`
    Xor,
    /// `|`
    BitOr,
}

/// An expression and its byte offset in the source.
#[derive(Debug, Clone)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Byte offset where it starts.
    pub pos: usize,
}

/// The kinds of expression.
#[derive(Debug, Clone)]
pub enum ExprKind {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An int literal.
    Int(i32),
    /// A long literal.
    Long(i64),
    /// A float literal.
    Float(f32),
    /// A double literal.
    Double(f64),
    /// A string literal.
    Str(Arc<str>),
    /// A regex literal, compiled.
    Regex(Arc<JavaRegex>),
    /// A variable.
    Var(String),
    /// `[a, b]`.
    ListInit(Vec<Expr>),
    /// `[k: v]`.
    MapInit(Vec<(Expr, Expr)>),
    /// `new C(args)`.
    New(&'static str, Vec<Expr>),
    /// `new T[n]…`.
    NewArray(Ty, Vec<Expr>),
    /// `new T[] {a, b}`.
    NewArrayInit(Ty, Vec<Expr>),
    /// `obj.name` / `obj?.name`.
    Field {
        /// The receiver.
        obj: Box<Expr>,
        /// The field (or map key / list index) name.
        name: String,
        /// `?.`
        null_safe: bool,
    },
    /// `obj[idx]`.
    Index {
        /// The receiver.
        obj: Box<Expr>,
        /// The index or key.
        idx: Box<Expr>,
    },
    /// `obj.name(args)` / `obj?.name(args)`.
    Call {
        /// The receiver.
        obj: Box<Expr>,
        /// The method.
        name: String,
        /// Arguments.
        args: Vec<Expr>,
        /// `?.`
        null_safe: bool,
    },
    /// `Class.name(args)`.
    StaticCall(&'static str, String, Vec<Expr>),
    /// `Class.NAME`.
    StaticField(&'static str, String),
    /// `f(args)`: a function declared in the script, or a built-in like `metadata()`.
    LocalCall(String, Vec<Expr>),
    /// A unary operator.
    Unary(UnOp, Box<Expr>),
    /// A binary operator.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `&&`.
    And(Box<Expr>, Box<Expr>),
    /// `||`.
    Or(Box<Expr>, Box<Expr>),
    /// `c ? a : b`.
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `a ?: b`.
    Elvis(Box<Expr>, Box<Expr>),
    /// `e instanceof T`.
    InstanceOf(Box<Expr>, Ty),
    /// `(T) e`.
    Cast(Ty, Box<Expr>),
    /// `t = v`, `t += v`, ….
    Assign {
        /// Variable, field or index.
        target: Box<Expr>,
        /// The compound operator, if any.
        op: Option<BinOp>,
        /// The value.
        value: Box<Expr>,
    },
    /// `++t`, `t--`, ….
    IncDec {
        /// Variable, field or index.
        target: Box<Expr>,
        /// Prefix form (result is the new value).
        pre: bool,
        /// +1 or -1.
        delta: i32,
    },
    /// `(a, b) -> body`.
    Lambda(Arc<Lambda>),
    /// `Type::method`, `this::f`, `x::m`, `Type::new`.
    FuncRef(Arc<FuncRef>),
}

/// A lambda: parameter names and body.
#[derive(Debug)]
pub struct Lambda {
    /// Parameters (declared type, name).
    pub params: Vec<(Ty, String)>,
    /// Body statements (an expression body is a `return`).
    pub body: Vec<Stmt>,
}

/// A method reference.
#[derive(Debug)]
pub enum FuncRef {
    /// `Type::method` (static or instance method of a class).
    Class(&'static str, String),
    /// `Type::new`.
    New(&'static str),
    /// `this::f`.
    Local(String),
    /// `var::method` (capturing).
    Capture(String, String),
}

/// A statement and its byte offset.
#[derive(Debug, Clone)]
pub struct Stmt {
    /// What it is.
    pub kind: StmtKind,
    /// Byte offset where it starts.
    pub pos: usize,
}

/// The kinds of statement.
#[derive(Debug, Clone)]
pub enum StmtKind {
    /// An expression statement.
    Expr(Expr),
    /// `T a = x, b;`.
    Decl(Ty, Vec<(String, Option<Expr>)>),
    /// `if (c) a else b`.
    If(Expr, Vec<Stmt>, Option<Vec<Stmt>>),
    /// `while (c) body`.
    While(Expr, Vec<Stmt>),
    /// `do body while (c)`.
    DoWhile(Vec<Stmt>, Expr),
    /// `for (init; cond; after) body`.
    For(Option<Box<Stmt>>, Option<Expr>, Option<Expr>, Vec<Stmt>),
    /// `for (T x : e) body` / `for (x in e) body`.
    Each(Ty, String, Expr, Vec<Stmt>),
    /// `{ … }`.
    Block(Vec<Stmt>),
    /// `break`.
    Break,
    /// `continue`.
    Continue,
    /// `return e?`.
    Return(Option<Expr>),
    /// `throw e`.
    Throw(Expr),
    /// `try {…} catch (T e) {…}…`.
    Try(Vec<Stmt>, Vec<Catch>),
}

/// One `catch` clause.
#[derive(Debug, Clone)]
pub struct Catch {
    /// The exception class caught.
    pub class: &'static str,
    /// The variable name.
    pub name: String,
    /// The handler.
    pub body: Vec<Stmt>,
}

/// A function declared at the top of a script.
#[derive(Debug)]
pub struct Function {
    /// Its name.
    pub name: String,
    /// Return type.
    pub ret: Ty,
    /// Parameters (type, name).
    pub params: Vec<(Ty, String)>,
    /// Body.
    pub body: Vec<Stmt>,
}

/// A parsed script: functions and the main statements.
#[derive(Debug)]
pub struct Program {
    /// Declared functions.
    pub functions: Vec<Arc<Function>>,
    /// Main body.
    pub body: Vec<Stmt>,
}
