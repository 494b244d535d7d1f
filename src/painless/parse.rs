//! Parser: tokens to a [`Program`], by recursive descent for statements and precedence climbing
//! for binary operators (PainlessParser.g4). Names are resolved here, so unknown variables,
//! classes and methods are compile errors.

use super::CompileError;
use super::ast::*;
use super::builtins;
use super::lex::{Tok, Token};
use super::regex::JavaRegex;
use std::collections::HashSet;
use std::sync::Arc;

/// Deepest nesting of expressions and blocks accepted (keeps evaluation off the stack limit).
const MAX_DEPTH: usize = 60;

/// Deepest expression tree accepted: chains of operators (`1 + 1 + …`), member accesses and
/// calls (`a.b.c…`, `x[0][0]…`), assignments and ternaries. The interpreter, the other passes
/// over the tree and dropping it all recurse once per level; Elasticsearch's compiler fails far
/// deeper chains with a StackOverflowError (`compile error`).
pub const MAX_EXPR_DEPTH: usize = 1_000;

/// How deep an expression tree is (1 for a leaf), without recursion; lambda bodies are not
/// counted (they run in a call frame of their own).
pub fn expr_depth(e: &Expr) -> usize {
    let mut max = 0;
    let mut stack = vec![(e, 1usize)];
    while let Some((e, d)) = stack.pop() {
        max = max.max(d);
        for c in children(e) {
            stack.push((c, d + 1));
        }
    }
    max
}

/// The sub-expressions directly under `e`.
fn children(e: &Expr) -> Vec<&Expr> {
    use ExprKind::*;
    match &e.kind {
        Null | Bool(_) | Int(_) | Long(_) | Float(_) | Double(_) | Str(_) | Regex(_) | Var(_)
        | StaticField(..) | Lambda(_) | FuncRef(_) => vec![],
        ListInit(v)
        | New(_, v)
        | NewArray(_, v)
        | NewArrayInit(_, v)
        | StaticCall(_, _, v)
        | LocalCall(_, v) => v.iter().collect(),
        MapInit(kv) => kv.iter().flat_map(|(k, v)| [k, v]).collect(),
        Field { obj, .. } => vec![obj],
        Index { obj, idx } => vec![obj, idx],
        Call { obj, args, .. } => std::iter::once(&**obj).chain(args.iter()).collect(),
        Unary(_, a) | InstanceOf(a, _) | Cast(_, a) | IncDec { target: a, .. } => vec![a],
        Binary(_, a, b) | And(a, b) | Or(a, b) | Elvis(a, b) => vec![a, b],
        Assign { target, value, .. } => vec![target, value],
        Cond(a, b, c) => vec![a, b, c],
    }
}

/// Longer than any fully qualified class name Painless knows (the longest are about 50
/// characters).
const MAX_CLASS_NAME: usize = 128;

struct Parser<'a> {
    toks: &'a [Token],
    i: usize,
    depth: usize,
    /// Depth of the expression tree `expr_prec` returned last.
    last_depth: usize,
    scopes: Vec<Vec<String>>,
    functions: HashSet<String>,
    local_calls: Vec<(String, usize)>,
}

type R<T> = Result<T, CompileError>;

/// A right-associative operator waiting for its right-hand side (see `expr_prec`).
struct Open {
    kind: OpenKind,
    /// The condition, the elvis' left side or the assignment's target.
    left: Expr,
    /// The precedence level the operator was found at, which goes on once it is built.
    min: u8,
    /// Depth of the operands known so far.
    depth: usize,
}

enum OpenKind {
    /// `left ? a : _`.
    Cond(Expr),
    /// `left ?: _`.
    Elvis,
    /// `left = _`, `left += _`, ….
    Assign(Option<BinOp>),
}

/// Parses a whole script; `globals` are the names in scope for the main body (`ctx`, `params`).
pub fn parse(toks: &[Token], globals: &[&str]) -> R<Program> {
    let mut p = Parser {
        toks,
        i: 0,
        depth: 0,
        last_depth: 0,
        scopes: vec![],
        functions: HashSet::new(),
        local_calls: vec![],
    };
    // Functions come first: `decltype ID ( ...`.
    let mut functions = Vec::new();
    while p.is_function_start() {
        let f = p.function()?;
        if !p.functions.insert(f.name.clone()) {
            return Err(CompileError::new(
                p.pos(),
                format!("illegal duplicate functions [{}]", f.name),
            ));
        }
        functions.push(Arc::new(f));
    }
    p.scopes
        .push(globals.iter().map(|s| s.to_string()).collect());
    let mut body = Vec::new();
    while !p.at_eof() {
        body.push(p.statement()?);
    }
    for (name, pos) in &p.local_calls {
        if !p.functions.contains(name) && !builtins::is_global_function(name) {
            return Err(CompileError::new(
                *pos,
                format!("Unknown call [{name}] with [?] arguments."),
            ));
        }
    }
    Ok(Program { functions, body })
}

impl<'a> Parser<'a> {
    fn tok(&self) -> &Tok {
        self.toks.get(self.i).map_or(&Tok::Eof, |t| &t.tok)
    }
    fn peek(&self, n: usize) -> &Tok {
        self.toks.get(self.i + n).map_or(&Tok::Eof, |t| &t.tok)
    }
    fn pos(&self) -> usize {
        self.toks
            .get(self.i)
            .or(self.toks.last())
            .map_or(0, |t| t.pos)
    }
    fn at_eof(&self) -> bool {
        matches!(self.tok(), Tok::Eof)
    }
    fn is_sym(&self, s: &str) -> bool {
        matches!(self.tok(), Tok::Sym(x) if *x == s)
    }
    fn is_kw(&self, s: &str) -> bool {
        matches!(self.tok(), Tok::Kw(x) if *x == s)
    }
    fn eat_sym(&mut self, s: &str) -> bool {
        if self.is_sym(s) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn eat_kw(&mut self, s: &str) -> bool {
        if self.is_kw(s) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn unexpected(&self) -> CompileError {
        let what = match self.tok() {
            Tok::Eof => "end of script".to_string(),
            Tok::Id(s) | Tok::DotInt(s) => format!("[{s}]"),
            Tok::Int(s, ..) | Tok::Dec(s, _) => format!("[{s}]"),
            Tok::Str(s) => format!("string ['{s}']"),
            Tok::Regex(s, _) => format!("regex [/{s}/]"),
            Tok::Sym(s) | Tok::Kw(s) => format!("[{s}]"),
        };
        CompileError::new(self.pos(), format!("unexpected token {what}"))
    }
    fn expect_sym(&mut self, s: &str) -> R<()> {
        if self.eat_sym(s) {
            Ok(())
        } else {
            let e = self.unexpected();
            Err(CompileError::new(
                e.offset,
                format!("{}, expected [{s}]", e.message),
            ))
        }
    }
    fn ident(&mut self) -> R<String> {
        match self.tok() {
            Tok::Id(s) => {
                let s = s.clone();
                self.i += 1;
                Ok(s)
            }
            _ => Err(self.unexpected()),
        }
    }
    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(CompileError::new(
                self.pos(),
                "script is nested too deeply".to_string(),
            ));
        }
        Ok(())
    }
    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Checks the depth of an expression tree about to be built.
    fn check_depth(&self, depth: usize, pos: usize) -> R<()> {
        if depth > MAX_EXPR_DEPTH {
            return Err(CompileError::new(
                pos,
                format!("expression is nested too deeply (more than {MAX_EXPR_DEPTH} levels)"),
            ));
        }
        Ok(())
    }

    fn declare(&mut self, name: &str, pos: usize) -> R<()> {
        if self.is_declared(name) {
            return Err(CompileError::new(
                pos,
                format!("variable [{name}] is already defined"),
            ));
        }
        if let Some(s) = self.scopes.last_mut() {
            s.push(name.to_string());
        }
        Ok(())
    }
    fn is_declared(&self, name: &str) -> bool {
        self.scopes.iter().any(|s| s.iter().any(|n| n == name))
    }

    // ---- types ----

    /// Length in tokens of a type starting at offset `n` (without array dims), if one is there.
    fn type_len_at(&self, n: usize) -> Option<usize> {
        let Tok::Id(name) = self.peek(n) else {
            return None;
        };
        if name == "java" || name == "org" {
            // A fully qualified name: the longest dotted run that names a class.
            let mut full = name.clone();
            let mut best = None;
            let mut k = 1;
            while let (Tok::Sym("."), Tok::Id(part)) = (self.peek(n + k), self.peek(n + k + 1)) {
                // No class name is that long: stop looking up ever longer runs (a 64 KiB
                // `java.a.a…` would otherwise cost one class-list scan per link).
                if full.len() + part.len() >= MAX_CLASS_NAME {
                    break;
                }
                full.push('.');
                full.push_str(part);
                k += 2;
                if builtins::class_name(&full).is_some() {
                    best = Some(k);
                }
            }
            return best;
        }
        if let (Tok::Sym("."), Tok::Id(inner)) = (self.peek(n + 1), self.peek(n + 2))
            && builtins::class_name(&format!("{name}.{inner}")).is_some()
        {
            return Some(3);
        }
        if builtins::primitive(name).is_some() || builtins::class_name(name).is_some() {
            Some(1)
        } else {
            None
        }
    }

    /// Length of a declaration type with `[]` dims at offset `n`.
    fn decltype_len_at(&self, n: usize) -> Option<usize> {
        let mut len = self.type_len_at(n)?;
        while matches!(self.peek(n + len), Tok::Sym("["))
            && matches!(self.peek(n + len + 1), Tok::Sym("]"))
        {
            len += 2;
        }
        Some(len)
    }

    fn base_type(&mut self) -> R<Ty> {
        let pos = self.pos();
        let Some(len) = self.type_len_at(0) else {
            return match self.tok() {
                Tok::Id(name) => Err(CompileError::new(
                    pos,
                    format!("cannot resolve type [{name}] (not supported)"),
                )),
                _ => Err(self.unexpected()),
            };
        };
        let mut name = String::new();
        for k in 0..len {
            match self.peek(k) {
                Tok::Id(s) => name.push_str(s),
                _ => name.push('.'),
            }
        }
        let name = builtins::class_name(&name).map_or(name, str::to_string);
        self.i += len;
        if let Some(t) = builtins::primitive(&name) {
            return Ok(t);
        }
        builtins::class_name(&name)
            .map(Ty::Class)
            .ok_or_else(|| CompileError::new(pos, format!("cannot resolve type [{name}]")))
    }

    fn decltype(&mut self) -> R<Ty> {
        let mut t = self.base_type()?;
        while self.is_sym("[") && matches!(self.peek(1), Tok::Sym("]")) {
            self.i += 2;
            t = Ty::Array(Box::new(t));
        }
        Ok(t)
    }

    // ---- functions ----

    fn is_function_start(&self) -> bool {
        let Some(len) = self
            .decltype_len_at(0)
            .or_else(|| matches!(self.tok(), Tok::Id(s) if s == "void").then_some(1))
        else {
            return false;
        };
        matches!(self.peek(len), Tok::Id(_)) && matches!(self.peek(len + 1), Tok::Sym("("))
    }

    fn function(&mut self) -> R<Function> {
        let ret = if matches!(self.tok(), Tok::Id(s) if s == "void") {
            self.i += 1;
            Ty::Void
        } else {
            self.decltype()?
        };
        let name = self.ident()?;
        self.expect_sym("(")?;
        let mut params = Vec::new();
        let mut scope = Vec::new();
        if !self.eat_sym(")") {
            loop {
                let t = self.decltype()?;
                let n = self.ident()?;
                scope.push(n.clone());
                params.push((t, n));
                if self.eat_sym(")") {
                    break;
                }
                self.expect_sym(",")?;
            }
        }
        // Painless functions see only their parameters, not `ctx` or `params`.
        let saved = std::mem::take(&mut self.scopes);
        self.scopes.push(scope);
        let body = self.block();
        self.scopes = saved;
        Ok(Function {
            name,
            ret,
            params,
            body: body?,
        })
    }

    // ---- statements ----

    fn block(&mut self) -> R<Vec<Stmt>> {
        self.expect_sym("{")?;
        self.enter()?;
        self.scopes.push(vec![]);
        let mut out = Vec::new();
        let r = loop {
            if self.eat_sym("}") {
                break Ok(());
            }
            if self.at_eof() {
                break Err(self.unexpected());
            }
            match self.statement() {
                Ok(s) => out.push(s),
                Err(e) => break Err(e),
            }
        };
        self.scopes.pop();
        self.leave();
        r.map(|_| out)
    }

    /// A loop or branch body: a block or a single statement (own scope).
    fn trailer(&mut self) -> R<Vec<Stmt>> {
        if self.is_sym("{") {
            return self.block();
        }
        self.scopes.push(vec![]);
        let s = self.statement();
        self.scopes.pop();
        Ok(vec![s?])
    }

    /// Ends a simple statement: `;`, or nothing before `}` / end of script.
    fn end_stmt(&mut self) -> R<()> {
        if self.eat_sym(";") || self.is_sym("}") || self.at_eof() {
            Ok(())
        } else {
            let e = self.unexpected();
            Err(CompileError::new(
                e.offset,
                format!("{}, expected [;]", e.message),
            ))
        }
    }

    fn is_decl_start(&self) -> bool {
        match self.decltype_len_at(0) {
            Some(len) => matches!(self.peek(len), Tok::Id(_)),
            None => false,
        }
    }

    fn statement(&mut self) -> R<Stmt> {
        self.enter()?;
        let r = self.statement_inner();
        self.leave();
        r
    }

    fn statement_inner(&mut self) -> R<Stmt> {
        let pos = self.pos();
        let kind = if self.eat_kw("if") {
            // `else if` chains are read iteratively so long chains do not nest the parser.
            let mut arms = Vec::new();
            let mut arm_pos = pos;
            let els = loop {
                self.expect_sym("(")?;
                let c = self.expr()?;
                self.expect_sym(")")?;
                let then = self.trailer()?;
                arms.push((arm_pos, c, then));
                if !self.eat_kw("else") {
                    break None;
                }
                if self.is_kw("if") {
                    arm_pos = self.pos();
                    self.i += 1;
                    continue;
                }
                break Some(self.trailer()?);
            };
            let mut els = els;
            let mut last = None;
            while let Some((p, c, then)) = arms.pop() {
                if arms.is_empty() {
                    last = Some(StmtKind::If(c, then, els.take()));
                } else {
                    els = Some(vec![Stmt {
                        kind: StmtKind::If(c, then, els.take()),
                        pos: p,
                    }]);
                }
            }
            last.ok_or_else(|| self.unexpected())?
        } else if self.eat_kw("while") {
            self.expect_sym("(")?;
            let c = self.expr()?;
            self.expect_sym(")")?;
            let body = if self.eat_sym(";") {
                vec![]
            } else {
                self.trailer()?
            };
            StmtKind::While(c, body)
        } else if self.eat_kw("for") {
            return self.for_stmt(pos);
        } else if self.eat_kw("try") {
            let body = self.block()?;
            let mut catches = Vec::new();
            while self.eat_kw("catch") {
                self.expect_sym("(")?;
                let tpos = self.pos();
                let t = self.base_type()?;
                let Ty::Class(class) = t else {
                    return Err(CompileError::new(tpos, "invalid catch type"));
                };
                if !builtins::is_exception_class(class) {
                    return Err(CompileError::new(
                        tpos,
                        format!("invalid catch type [{class}]"),
                    ));
                }
                let npos = self.pos();
                let name = self.ident()?;
                self.expect_sym(")")?;
                self.scopes.push(vec![]);
                self.declare(&name, npos)?;
                let b = self.block();
                self.scopes.pop();
                catches.push(Catch {
                    class,
                    name,
                    body: b?,
                });
            }
            if catches.is_empty() {
                return Err(CompileError::new(self.pos(), "try without catch"));
            }
            StmtKind::Try(body, catches)
        } else if self.is_sym("{") {
            StmtKind::Block(self.block()?)
        } else if self.eat_sym(";") {
            StmtKind::Block(vec![])
        } else {
            let k = self.dstatement()?;
            self.end_stmt()?;
            k
        };
        Ok(Stmt { kind, pos })
    }

    fn dstatement(&mut self) -> R<StmtKind> {
        if self.eat_kw("do") {
            let body = self.block()?;
            if !self.eat_kw("while") {
                return Err(self.unexpected());
            }
            self.expect_sym("(")?;
            let c = self.expr()?;
            self.expect_sym(")")?;
            return Ok(StmtKind::DoWhile(body, c));
        }
        if self.eat_kw("continue") {
            return Ok(StmtKind::Continue);
        }
        if self.eat_kw("break") {
            return Ok(StmtKind::Break);
        }
        if self.eat_kw("return") {
            if self.is_sym(";") || self.is_sym("}") || self.at_eof() {
                return Ok(StmtKind::Return(None));
            }
            return Ok(StmtKind::Return(Some(self.expr()?)));
        }
        if self.eat_kw("throw") {
            return Ok(StmtKind::Throw(self.expr()?));
        }
        if self.is_decl_start() {
            return self.declaration();
        }
        Ok(StmtKind::Expr(self.expr()?))
    }

    fn declaration(&mut self) -> R<StmtKind> {
        let t = self.decltype()?;
        let mut vars = Vec::new();
        loop {
            let npos = self.pos();
            let name = self.ident()?;
            let init = if self.eat_sym("=") {
                Some(self.expr()?)
            } else {
                None
            };
            self.declare(&name, npos)?;
            vars.push((name, init));
            if !self.eat_sym(",") {
                break;
            }
        }
        Ok(StmtKind::Decl(t, vars))
    }

    fn for_stmt(&mut self, pos: usize) -> R<Stmt> {
        self.expect_sym("(")?;
        self.scopes.push(vec![]);
        let r = self.for_rest(pos);
        self.scopes.pop();
        r
    }

    fn for_rest(&mut self, pos: usize) -> R<Stmt> {
        // for (x in e)
        if matches!(self.tok(), Tok::Id(_)) && matches!(self.peek(1), Tok::Kw("in")) {
            let npos = self.pos();
            let name = self.ident()?;
            self.i += 1;
            let e = self.expr()?;
            self.expect_sym(")")?;
            self.declare(&name, npos)?;
            let body = self.trailer()?;
            return Ok(Stmt {
                kind: StmtKind::Each(Ty::Def, name, e, body),
                pos,
            });
        }
        // for (T x : e)
        if let Some(len) = self.decltype_len_at(0)
            && matches!(self.peek(len), Tok::Id(_))
            && matches!(self.peek(len + 1), Tok::Sym(":"))
        {
            let t = self.decltype()?;
            let npos = self.pos();
            let name = self.ident()?;
            self.i += 1;
            let e = self.expr()?;
            self.expect_sym(")")?;
            self.declare(&name, npos)?;
            let body = self.trailer()?;
            return Ok(Stmt {
                kind: StmtKind::Each(t, name, e, body),
                pos,
            });
        }
        let init = if self.is_sym(";") {
            None
        } else {
            let ipos = self.pos();
            let k = if self.is_decl_start() {
                self.declaration()?
            } else {
                StmtKind::Expr(self.expr()?)
            };
            Some(Box::new(Stmt { kind: k, pos: ipos }))
        };
        self.expect_sym(";")?;
        let cond = if self.is_sym(";") {
            None
        } else {
            Some(self.expr()?)
        };
        self.expect_sym(";")?;
        let after = if self.is_sym(")") {
            None
        } else {
            Some(self.expr()?)
        };
        self.expect_sym(")")?;
        let body = if self.eat_sym(";") {
            vec![]
        } else {
            self.trailer()?
        };
        Ok(Stmt {
            kind: StmtKind::For(init, cond, after, body),
            pos,
        })
    }

    // ---- expressions ----

    fn expr(&mut self) -> R<Expr> {
        self.enter()?;
        let r = self.expr_prec(0);
        self.leave();
        r
    }

    fn binop(&self) -> Option<(u8, BinOp)> {
        let Tok::Sym(s) = self.tok() else {
            return None;
        };
        Some(match *s {
            "*" => (13, BinOp::Mul),
            "/" => (13, BinOp::Div),
            "%" => (13, BinOp::Rem),
            "+" => (12, BinOp::Add),
            "-" => (12, BinOp::Sub),
            "=~" => (11, BinOp::Find),
            "==~" => (11, BinOp::Match),
            "<<" => (10, BinOp::Shl),
            ">>" => (10, BinOp::Shr),
            ">>>" => (10, BinOp::Ushr),
            "<" => (9, BinOp::Lt),
            "<=" => (9, BinOp::Le),
            ">" => (9, BinOp::Gt),
            ">=" => (9, BinOp::Ge),
            "==" => (7, BinOp::Eq),
            "===" => (7, BinOp::RefEq),
            "!=" => (7, BinOp::Ne),
            "!==" => (7, BinOp::RefNe),
            "&" => (6, BinOp::BitAnd),
            "^" => (5, BinOp::Xor),
            "|" => (4, BinOp::BitOr),
            _ => return None,
        })
    }

    fn assign_op(&self) -> Option<Option<BinOp>> {
        let Tok::Sym(s) = self.tok() else {
            return None;
        };
        Some(match *s {
            "=" => None,
            "+=" => Some(BinOp::Add),
            "-=" => Some(BinOp::Sub),
            "*=" => Some(BinOp::Mul),
            "/=" => Some(BinOp::Div),
            "%=" => Some(BinOp::Rem),
            "&=" => Some(BinOp::BitAnd),
            "^=" => Some(BinOp::Xor),
            "|=" => Some(BinOp::BitOr),
            "<<=" => Some(BinOp::Shl),
            ">>=" => Some(BinOp::Shr),
            ">>>=" => Some(BinOp::Ushr),
            _ => return None,
        })
    }

    /// Precedence climbing. Levels: 0 assignment, 1 `?:`/elvis, 2 `||`, 3 `&&`, 4.. binary ops.
    /// Left-associative operators extend `lhs` in the loop; the right-associative ones
    /// (assignment, `? :`, `?:`) wait on an explicit stack for their right-hand side instead of
    /// recursing, so a long chain of them needs no native stack.
    fn expr_prec(&mut self, min: u8) -> R<Expr> {
        let mut pending: Vec<Open> = Vec::new();
        let mut cur_min = min;
        let mut lhs = self.unary()?;
        // The depth of `lhs`, checked before each level is added.
        let mut d = expr_depth(&lhs);
        loop {
            let pos = lhs.pos;
            if let Some((prec, op)) = self.binop() {
                if prec >= cur_min {
                    self.i += 1;
                    let rhs = self.expr_prec(prec + 1)?;
                    d = d.max(self.last_depth) + 1;
                    self.check_depth(d, pos)?;
                    lhs = Expr {
                        kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                        pos,
                    };
                    continue;
                }
            } else if self.is_kw("instanceof") {
                if 8 >= cur_min {
                    self.i += 1;
                    let t = self.decltype()?;
                    d += 1;
                    self.check_depth(d, pos)?;
                    lhs = Expr {
                        kind: ExprKind::InstanceOf(Box::new(lhs), t),
                        pos,
                    };
                    continue;
                }
            } else if self.is_sym("&&") && cur_min <= 3 {
                self.i += 1;
                let rhs = self.expr_prec(4)?;
                d = d.max(self.last_depth) + 1;
                self.check_depth(d, pos)?;
                lhs = Expr {
                    kind: ExprKind::And(Box::new(lhs), Box::new(rhs)),
                    pos,
                };
                continue;
            } else if self.is_sym("||") && cur_min <= 2 {
                self.i += 1;
                let rhs = self.expr_prec(3)?;
                d = d.max(self.last_depth) + 1;
                self.check_depth(d, pos)?;
                lhs = Expr {
                    kind: ExprKind::Or(Box::new(lhs), Box::new(rhs)),
                    pos,
                };
                continue;
            } else if self.is_sym("?") && cur_min <= 1 {
                self.i += 1;
                let a = self.expr()?;
                let da = self.last_depth;
                self.expect_sym(":")?;
                pending.push(Open {
                    kind: OpenKind::Cond(a),
                    left: lhs,
                    min: cur_min,
                    depth: d.max(da),
                });
                (lhs, d) = self.next_operand(&pending)?;
                cur_min = 1;
                continue;
            } else if self.is_sym("?:") && cur_min <= 1 {
                self.i += 1;
                pending.push(Open {
                    kind: OpenKind::Elvis,
                    left: lhs,
                    min: cur_min,
                    depth: d,
                });
                (lhs, d) = self.next_operand(&pending)?;
                cur_min = 1;
                continue;
            } else if let Some(op) = self.assign_op()
                && cur_min == 0
            {
                if !matches!(
                    lhs.kind,
                    ExprKind::Var(_) | ExprKind::Field { .. } | ExprKind::Index { .. }
                ) {
                    return Err(CompileError::new(
                        self.pos(),
                        "invalid assignment: cannot assign a value to this expression",
                    ));
                }
                self.i += 1;
                pending.push(Open {
                    kind: OpenKind::Assign(op),
                    left: lhs,
                    min: 0,
                    depth: d,
                });
                (lhs, d) = self.next_operand(&pending)?;
                continue;
            }
            // Nothing more at this level: the innermost waiting operator takes `lhs` as its
            // right-hand side, and its own level goes on.
            let Some(open) = pending.pop() else {
                break;
            };
            let pos = open.left.pos;
            d = d.max(open.depth) + 1;
            self.check_depth(d, pos)?;
            let left = Box::new(open.left);
            let right = Box::new(lhs);
            lhs = Expr {
                kind: match open.kind {
                    OpenKind::Cond(a) => ExprKind::Cond(left, Box::new(a), right),
                    OpenKind::Elvis => ExprKind::Elvis(left, right),
                    OpenKind::Assign(op) => ExprKind::Assign {
                        target: left,
                        op,
                        value: right,
                    },
                },
                pos,
            };
            cur_min = open.min;
        }
        self.last_depth = d;
        Ok(lhs)
    }

    /// The first operand of a right-hand side, once the operators waiting for one are known
    /// not to nest too deeply.
    fn next_operand(&mut self, pending: &[Open]) -> R<(Expr, usize)> {
        if pending.len() >= MAX_EXPR_DEPTH {
            return Err(CompileError::new(
                self.pos(),
                format!("expression is nested too deeply (more than {MAX_EXPR_DEPTH} levels)"),
            ));
        }
        let e = self.unary()?;
        let d = expr_depth(&e);
        Ok((e, d))
    }

    fn unary(&mut self) -> R<Expr> {
        self.enter()?;
        let r = self.unary_inner();
        self.leave();
        r
    }

    fn unary_inner(&mut self) -> R<Expr> {
        let pos = self.pos();
        if self.is_sym("++") || self.is_sym("--") {
            let delta = if self.is_sym("++") { 1 } else { -1 };
            self.i += 1;
            let target = self.chain()?;
            check_assignable(&target)?;
            return Ok(Expr {
                kind: ExprKind::IncDec {
                    target: Box::new(target),
                    pre: true,
                    delta,
                },
                pos,
            });
        }
        if self.is_sym("-")
            && let Tok::Int(digits, radix, suffix) = self.peek(1).clone()
            && !matches!(self.peek(2), Tok::Sym("." | "?." | "["))
        {
            self.i += 2;
            return Ok(Expr {
                kind: int_literal(&format!("-{digits}"), radix, suffix, pos)?,
                pos,
            });
        }
        let op = match self.tok() {
            Tok::Sym("!") => Some(UnOp::Not),
            Tok::Sym("~") => Some(UnOp::BitNot),
            Tok::Sym("-") => Some(UnOp::Neg),
            Tok::Sym("+") => Some(UnOp::Plus),
            _ => None,
        };
        if let Some(op) = op {
            self.i += 1;
            let e = self.unary()?;
            return Ok(Expr {
                kind: ExprKind::Unary(op, Box::new(e)),
                pos,
            });
        }
        // Cast: `(T) unary`.
        if self.is_sym("(")
            && let Some(len) = self.decltype_len_at(1)
            && matches!(self.peek(1 + len), Tok::Sym(")"))
        {
            self.i += 1;
            let t = self.decltype()?;
            self.expect_sym(")")?;
            let e = self.unary()?;
            return Ok(Expr {
                kind: ExprKind::Cast(t, Box::new(e)),
                pos,
            });
        }
        let e = self.chain()?;
        if self.is_sym("++") || self.is_sym("--") {
            let delta = if self.is_sym("++") { 1 } else { -1 };
            check_assignable(&e)?;
            self.i += 1;
            return Ok(Expr {
                kind: ExprKind::IncDec {
                    target: Box::new(e),
                    pre: false,
                    delta,
                },
                pos,
            });
        }
        Ok(e)
    }

    fn chain(&mut self) -> R<Expr> {
        let e = self.primary()?;
        self.chain_from(e)
    }

    fn arguments(&mut self) -> R<Vec<Expr>> {
        self.expect_sym("(")?;
        let mut args = Vec::new();
        if self.eat_sym(")") {
            return Ok(args);
        }
        loop {
            args.push(self.expr()?);
            if self.eat_sym(")") {
                return Ok(args);
            }
            self.expect_sym(",")?;
        }
    }

    /// Is there a lambda here: `x ->`, `(a, b) ->`, `(T a) ->`, `() ->`?
    fn lambda_ahead(&self) -> bool {
        if matches!(self.tok(), Tok::Id(_)) && matches!(self.peek(1), Tok::Sym("->")) {
            return true;
        }
        if !self.is_sym("(") {
            return false;
        }
        let mut n = 1;
        loop {
            match self.peek(n) {
                Tok::Sym(")") => return matches!(self.peek(n + 1), Tok::Sym("->")),
                Tok::Id(_) | Tok::Sym(",") | Tok::Sym(".") | Tok::Sym("[") | Tok::Sym("]") => {
                    n += 1
                }
                _ => return false,
            }
        }
    }

    fn lambda(&mut self) -> R<Expr> {
        let pos = self.pos();
        let mut params = Vec::new();
        let mut parse_param = |p: &mut Self| -> R<()> {
            let t = if p.decltype_len_at(0).is_some() && matches!(p.peek(1), Tok::Id(_)) {
                p.decltype()?
            } else {
                Ty::Def
            };
            let n = p.ident()?;
            params.push((t, n));
            Ok(())
        };
        if self.eat_sym("(") {
            if !self.eat_sym(")") {
                loop {
                    parse_param(self)?;
                    if self.eat_sym(")") {
                        break;
                    }
                    self.expect_sym(",")?;
                }
            }
        } else {
            parse_param(self)?;
        }
        self.expect_sym("->")?;
        // Lambdas see the enclosing scope (captures) plus their parameters.
        self.scopes
            .push(params.iter().map(|(_, n)| n.clone()).collect());
        let body = if self.is_sym("{") {
            self.block()
        } else {
            self.expr().map(|e| {
                let p = e.pos;
                vec![Stmt {
                    kind: StmtKind::Return(Some(e)),
                    pos: p,
                }]
            })
        };
        self.scopes.pop();
        Ok(Expr {
            kind: ExprKind::Lambda(Arc::new(Lambda {
                params,
                body: body?,
            })),
            pos,
        })
    }

    fn primary(&mut self) -> R<Expr> {
        let pos = self.pos();
        if self.lambda_ahead() {
            return self.lambda();
        }
        let tok = self.tok().clone();
        let kind = match tok {
            Tok::Sym("(") => {
                self.i += 1;
                let e = self.expr()?;
                self.expect_sym(")")?;
                return Ok(e);
            }
            Tok::Int(digits, radix, suffix) => {
                self.i += 1;
                int_literal(&digits, radix, suffix, pos)?
            }
            Tok::Dec(text, suffix) => {
                self.i += 1;
                match suffix {
                    Some('f' | 'F') => ExprKind::Float(text.parse().map_err(|_| {
                        CompileError::new(pos, format!("Invalid float constant [{text}]."))
                    })?),
                    _ => ExprKind::Double(text.parse().map_err(|_| {
                        CompileError::new(pos, format!("Invalid double constant [{text}]."))
                    })?),
                }
            }
            Tok::Str(s) => {
                self.i += 1;
                ExprKind::Str(Arc::from(s.as_str()))
            }
            Tok::Regex(p, flags) => {
                self.i += 1;
                let re = JavaRegex::new(&p, &flags).map_err(|e| {
                    CompileError::new(pos, format!("invalid regular expression [{p}]: {e}"))
                })?;
                ExprKind::Regex(Arc::new(re))
            }
            Tok::Kw("true") => {
                self.i += 1;
                ExprKind::Bool(true)
            }
            Tok::Kw("false") => {
                self.i += 1;
                ExprKind::Bool(false)
            }
            Tok::Kw("null") => {
                self.i += 1;
                ExprKind::Null
            }
            Tok::Kw("this") if matches!(self.peek(1), Tok::Sym("::")) => {
                self.i += 2;
                let name = self.ident()?;
                self.local_calls.push((name.clone(), pos));
                ExprKind::FuncRef(Arc::new(FuncRef::Local(name)))
            }
            Tok::Kw("new") => {
                self.i += 1;
                return self.new_expr(pos);
            }
            // `$(path, default)`: the fields API shortcut.
            Tok::Sym("$") if matches!(self.peek(1), Tok::Sym("(")) => {
                self.i += 1;
                let args = self.arguments()?;
                self.local_calls.push(("$".to_string(), pos));
                ExprKind::LocalCall("$".to_string(), args)
            }
            Tok::Sym("[") => {
                self.i += 1;
                return self.list_or_map(pos);
            }
            Tok::Id(name) => {
                // A type: static call/field, or a method reference.
                if let Some(len) = self.decltype_len_at(0)
                    && matches!(self.peek(len), Tok::Sym("::"))
                {
                    let t = self.decltype()?;
                    self.i += 1;
                    let Ty::Class(class) = t else {
                        return Err(CompileError::new(pos, "unsupported method reference"));
                    };
                    if self.eat_kw("new") {
                        ExprKind::FuncRef(Arc::new(FuncRef::New(class)))
                    } else {
                        let m = self.ident()?;
                        ExprKind::FuncRef(Arc::new(FuncRef::Class(class, m)))
                    }
                } else if !self.is_declared(&name)
                    && let Some(len) = self.type_len_at(0)
                    && matches!(self.peek(len), Tok::Sym("."))
                {
                    let t = self.base_type()?;
                    let Ty::Class(class) = t else {
                        return Err(self.unexpected());
                    };
                    self.i += 1;
                    let mpos = self.pos();
                    let m = self.ident()?;
                    if self.is_sym("(") {
                        let args = self.arguments()?;
                        if !builtins::is_known_static(class, &m, args.len()) {
                            return Err(CompileError::new(
                                mpos,
                                format!(
                                    "static method [{class}, {m}/{}] not found (not supported)",
                                    args.len()
                                ),
                            ));
                        }
                        ExprKind::StaticCall(class, m, args)
                    } else {
                        if !builtins::is_known_static_field(class, &m) {
                            return Err(CompileError::new(
                                mpos,
                                format!("static field [{class}.{m}] not found (not supported)"),
                            ));
                        }
                        ExprKind::StaticField(class, m)
                    }
                } else if matches!(self.peek(1), Tok::Sym("::")) {
                    self.i += 2;
                    if !self.is_declared(&name) {
                        return Err(CompileError::new(
                            pos,
                            format!("cannot resolve symbol [{name}]"),
                        ));
                    }
                    let m = self.ident()?;
                    ExprKind::FuncRef(Arc::new(FuncRef::Capture(name, m)))
                } else if matches!(self.peek(1), Tok::Sym("(")) {
                    self.i += 1;
                    let args = self.arguments()?;
                    self.local_calls.push((name.clone(), pos));
                    ExprKind::LocalCall(name, args)
                } else {
                    if !self.is_declared(&name) {
                        let hint = if name.starts_with(char::is_uppercase) {
                            " (class not supported)"
                        } else {
                            ""
                        };
                        return Err(CompileError::new(
                            pos,
                            format!("cannot resolve symbol [{name}]{hint}"),
                        ));
                    }
                    self.i += 1;
                    ExprKind::Var(name)
                }
            }
            _ => return Err(self.unexpected()),
        };
        Ok(Expr { kind, pos })
    }

    fn new_expr(&mut self, pos: usize) -> R<Expr> {
        let tpos = self.pos();
        let t = self.base_type()?;
        if self.is_sym("[") {
            if matches!(self.peek(1), Tok::Sym("]")) {
                let mut et = t;
                self.i += 2;
                while self.is_sym("[") && matches!(self.peek(1), Tok::Sym("]")) {
                    self.i += 2;
                    et = Ty::Array(Box::new(et));
                }
                self.expect_sym("{")?;
                let mut items = Vec::new();
                if !self.eat_sym("}") {
                    loop {
                        items.push(self.expr()?);
                        if self.eat_sym("}") {
                            break;
                        }
                        self.expect_sym(",")?;
                    }
                }
                return self.chain_from(Expr {
                    kind: ExprKind::NewArrayInit(et, items),
                    pos,
                });
            }
            let mut dims = Vec::new();
            while self.eat_sym("[") {
                dims.push(self.expr()?);
                self.expect_sym("]")?;
            }
            return self.chain_from(Expr {
                kind: ExprKind::NewArray(t, dims),
                pos,
            });
        }
        let Ty::Class(class) = t else {
            return Err(CompileError::new(tpos, "cannot construct a primitive type"));
        };
        let args = self.arguments()?;
        if !builtins::is_known_constructor(class, args.len()) {
            return Err(CompileError::new(
                tpos,
                format!(
                    "constructor [{class}, <init>/{}] not found (not supported)",
                    args.len()
                ),
            ));
        }
        self.chain_from(Expr {
            kind: ExprKind::New(class, args),
            pos,
        })
    }

    /// Continues postfix operators after an expression that was parsed specially.
    fn chain_from(&mut self, e: Expr) -> R<Expr> {
        // Re-use `chain` by temporarily treating `e` as the primary.
        let mut e = e;
        let mut d = expr_depth(&e);
        loop {
            let pos = self.pos();
            if self.is_sym(".") || self.is_sym("?.") {
                let null_safe = self.is_sym("?.");
                self.i += 1;
                let name = match self.tok() {
                    Tok::Id(s) | Tok::DotInt(s) => s.clone(),
                    _ => return Err(self.unexpected()),
                };
                self.i += 1;
                if self.is_sym("(") {
                    let args = self.arguments()?;
                    d = args.iter().map(expr_depth).fold(d, usize::max) + 1;
                    self.check_depth(d, pos)?;
                    // Calls on `def` values resolve at run time, as in Painless: an unknown
                    // method fails only when reached ("dynamic method [...] not found").
                    e = Expr {
                        kind: ExprKind::Call {
                            obj: Box::new(e),
                            name,
                            args,
                            null_safe,
                        },
                        pos,
                    };
                } else {
                    d += 1;
                    self.check_depth(d, pos)?;
                    e = Expr {
                        kind: ExprKind::Field {
                            obj: Box::new(e),
                            name,
                            null_safe,
                        },
                        pos,
                    };
                }
            } else if self.eat_sym("[") {
                let idx = self.expr()?;
                d = d.max(self.last_depth) + 1;
                self.check_depth(d, pos)?;
                self.expect_sym("]")?;
                e = Expr {
                    kind: ExprKind::Index {
                        obj: Box::new(e),
                        idx: Box::new(idx),
                    },
                    pos,
                };
            } else {
                return Ok(e);
            }
        }
    }

    fn list_or_map(&mut self, pos: usize) -> R<Expr> {
        if self.eat_sym("]") {
            return self.chain_from(Expr {
                kind: ExprKind::ListInit(vec![]),
                pos,
            });
        }
        if self.is_sym(":") && matches!(self.peek(1), Tok::Sym("]")) {
            self.i += 2;
            return self.chain_from(Expr {
                kind: ExprKind::MapInit(vec![]),
                pos,
            });
        }
        let first = self.expr()?;
        if self.eat_sym(":") {
            let v = self.expr()?;
            let mut entries = vec![(first, v)];
            while self.eat_sym(",") {
                let k = self.expr()?;
                self.expect_sym(":")?;
                let v = self.expr()?;
                entries.push((k, v));
            }
            self.expect_sym("]")?;
            return self.chain_from(Expr {
                kind: ExprKind::MapInit(entries),
                pos,
            });
        }
        let mut items = vec![first];
        while self.eat_sym(",") {
            items.push(self.expr()?);
        }
        self.expect_sym("]")?;
        self.chain_from(Expr {
            kind: ExprKind::ListInit(items),
            pos,
        })
    }
}

fn check_assignable(e: &Expr) -> R<()> {
    match e.kind {
        ExprKind::Var(_) | ExprKind::Field { .. } | ExprKind::Index { .. } => Ok(()),
        _ => Err(CompileError::new(
            e.pos,
            "invalid increment/decrement target",
        )),
    }
}

fn int_literal(digits: &str, radix: u32, suffix: Option<char>, pos: usize) -> R<ExprKind> {
    let (neg, body) = match digits.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, digits),
    };
    let long = matches!(suffix, Some('l' | 'L'));
    let parsed = if radix == 10 {
        body.parse::<i128>().ok().map(|v| if neg { -v } else { v })
    } else {
        // Hex and octal literals are two's-complement bit patterns in Java.
        u64::from_str_radix(body, radix).ok().and_then(|v| {
            let v = if long {
                v as i64 as i128
            } else if v <= u32::MAX as u64 {
                v as u32 as i32 as i128
            } else {
                return None;
            };
            Some(if neg { -v } else { v })
        })
    };
    let bad = || {
        CompileError::new(
            pos,
            format!(
                "Invalid {} constant [{digits}].",
                if long { "long" } else { "int" }
            ),
        )
    };
    let v = parsed.ok_or_else(bad)?;
    if long {
        i64::try_from(v).map(ExprKind::Long).map_err(|_| bad())
    } else {
        i32::try_from(v).map(ExprKind::Int).map_err(|_| bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::painless::lex::lex;

    /// Tokens for `head` + `link` x `n` + `tail`, lexed piece by piece (the lexer alone
    /// refuses sources over 64 KiB).
    fn repeated(head: &str, link: &str, n: usize, tail: &str) -> Vec<Token> {
        let strip = |s: &str| {
            let mut t = lex(s).expect("lexes");
            t.pop(); // Eof
            t
        };
        let mut toks = strip(head);
        let link = strip(link);
        for _ in 0..n {
            toks.extend(link.iter().cloned());
        }
        toks.extend(lex(tail).expect("lexes"));
        toks
    }

    fn parse_toks(toks: &[Token]) -> R<Program> {
        parse(toks, &["ctx", "params"])
    }

    /// Parses `head link…link tail` with `n` links on a 2 MiB thread (the smallest stack a
    /// script runs on), returning the error message if any.
    fn chain(
        head: &'static str,
        link: &'static str,
        n: usize,
        tail: &'static str,
    ) -> Option<String> {
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                let toks = repeated(head, link, n, tail);
                parse_toks(&toks).err().map(|e| e.message)
            })
            .expect("thread")
            .join()
            .expect("no panic")
    }

    const TOO_DEEP: &str = "expression is nested too deeply (more than 1000 levels)";

    #[test]
    fn chains_up_to_the_limit_parse() {
        // 1000 levels: `1 + 1` is two levels deep.
        assert_eq!(chain("ctx.a = 1", " + 1", 998, ";"), None);
        assert_eq!(chain("def x = [1]; ctx.a = x", "[0]", 998, ";"), None);
        assert_eq!(chain("ctx.a = 'x'", ".toString()", 998, ";"), None);
    }

    #[test]
    fn chains_past_the_limit_are_compile_errors() {
        assert_eq!(
            chain("ctx.a = 1", " + 1", 1000, ";").as_deref(),
            Some(TOO_DEEP)
        );
        assert_eq!(
            chain("def x = [1]; ctx.a = x", "[0]", 1000, ";").as_deref(),
            Some(TOO_DEEP)
        );
        assert_eq!(
            chain("ctx.a = ctx", ".b", 1000, ";").as_deref(),
            Some(TOO_DEEP)
        );
    }

    #[test]
    fn a_hundred_thousand_links_do_not_overflow_the_stack() {
        // Left-deep chains are built in loops; right-nested ones recurse in the parser and
        // stop at the limit. Either way the error comes before anything deep is built (or
        // dropped), on a 2 MiB stack.
        let cases: [(&str, &str, &str); 9] = [
            ("ctx.a = 1", " + 1", ";"),
            ("ctx.a = 'x'", " + ctx.message", ";"),
            ("ctx.a = true", " && true", ";"),
            ("ctx.a = false", " || false", ";"),
            ("def x = [1]; ctx.a = x", "[0]", ";"),
            ("ctx.a = 'x'", ".toString()", ";"),
            ("ctx.a = ctx", "?.b", ";"),
            ("def a; ", "a = ", "1;"),
            ("ctx.a = ", "true ? 1 : ", "1;"),
        ];
        for (head, link, tail) in cases {
            assert_eq!(
                chain(head, link, 100_000, tail).as_deref(),
                Some(TOO_DEEP),
                "{head}{link}…{tail}"
            );
        }
        assert_eq!(
            chain("ctx.a = null", " ?: null", 100_000, ";").as_deref(),
            Some(TOO_DEEP)
        );
    }

    fn message(src: &str) -> Option<String> {
        parse_toks(&lex(src).expect("lexes"))
            .err()
            .map(|e| e.message)
    }

    #[test]
    fn depth_is_measured_across_parentheses_and_arguments() {
        // 20 nested groups, each the left operand of 54 additions: 20 x 55 levels, over the
        // limit although no single chain is.
        let nest = |n: usize, open: &str, close: &str| {
            let mut src = String::from("1");
            for _ in 0..n {
                src = format!("{open}{src}{close}{}", " + 1".repeat(54));
            }
            format!("ctx.a = {src};")
        };
        assert_eq!(message(&nest(20, "(", ")")).as_deref(), Some(TOO_DEEP));
        assert_eq!(message(&nest(15, "(", ")")), None);
        // The same through method arguments and indexes.
        assert_eq!(
            message(&nest(20, "'x'.concat(", ")")).as_deref(),
            Some(TOO_DEEP)
        );
        assert_eq!(message(&nest(20, "[1][", "]")).as_deref(), Some(TOO_DEEP));
        // And through the right-hand sides of ternaries.
        let mut src = String::from("1");
        for _ in 0..20 {
            src = format!("true ? 1 : {src}{}", " + 1".repeat(54));
        }
        assert_eq!(
            message(&format!("ctx.a = {src};")).as_deref(),
            Some(TOO_DEEP)
        );
    }

    #[test]
    fn expr_depth_counts_levels() {
        let toks = lex("ctx.a = 1 + 2 * 3;").expect("lexes");
        let p = parse_toks(&toks).expect("parses");
        let StmtKind::Expr(e) = &p.body[0].kind else {
            panic!("an expression statement")
        };
        // Assign(Field(Var), Binary(1, Binary(2, 3))).
        assert_eq!(expr_depth(e), 4);
    }

    #[test]
    fn sources_over_64_kib_are_refused_like_elasticsearch() {
        let ok = format!(
            "ctx.a = 1;{}",
            " ".repeat(crate::painless::lex::MAX_SCRIPT_BYTES - 10)
        );
        assert!(lex(&ok).is_ok());
        let big = format!("{ok} ");
        let e = lex(&big).expect_err("too big");
        assert!(
            e.message.starts_with(
                "exceeded max allowed inline script size in bytes [65535] with size [65536] for script [ctx.a = 1;"
            ),
            "{}",
            &e.message[..120]
        );
    }

    /// Seeds for the crash check: scripts that compile and reach strings, regexes, numbers,
    /// collections and java.time at run time.
    const FUZZ_SEEDS: &[&str] = &[
        "ctx.a = 'héllo😀'.substring(1, 3) + 'ü'.length() + 'é'.charAt(0)",
        "def m = /(ü+)(?<n>é)?/.matcher('aüüé😀b'); if (m.find()) { ctx.a = m.group(1) + m.start() + m.end() + m.group('n') }",
        "ctx.a = /[é😀]/.matcher('x😀éy').replaceAll('$0-'); ctx.b = 'a,é,😀'.splitOnToken(',')",
        "ctx.a = /\\s+/.split('a b  😀').length; ctx.b = 'ABé'.toLowerCase().indexOf('é')",
        "long x = 9223372036854775807L; int y = -2147483648; ctx.a = x + 1; ctx.b = y / -1; ctx.c = x % -1",
        "ctx.a = (byte) 300 + (char) 65 + (short) 70000 + (int) 1e20 + (long) -1e30 + 7 >>> 40",
        "def l = [1, 'é', null, [2]]; l.add(3); ctx.a = l[1] + l.size() + l.get(3)[0]; ctx.b = l.subList(1, 2)",
        "def m = ['k': 'v', 'é': 2]; m.put('😀', m.get('é')); ctx.a = m; ctx.b = m.keySet().size()",
        "ctx.a = ZonedDateTime.parse('2021-01-01T00:00:00Z').plusDays(40).format(DateTimeFormatter.ofPattern('yyyy-MM-dd HH:mm EEE'))",
        "ctx.a = Duration.ofSeconds(90061).multipliedBy(3).toString() + LocalDate.of(2024, 2, 29).plusYears(1)",
        "ctx.a = Instant.ofEpochMilli(1600000000000L).atZone(ZoneId.of('Europe/Paris')).getHour()",
        "String s = ''; for (int i = 0; i < 10; i++) { s += i; } ctx.a = s.length() > 5 ? s : null",
        // Linear recursion: a mutated argument (`f(1010)`) meets the call depth limit, where a
        // doubly recursive function would run for ages.
        "int f(int n) { return n < 2 ? n : f(n - 1) + 1; } ctx.a = f(10)",
        "ctx.a = Math.max(1, 2) + Math.abs(-3.5) + Integer.parseInt('12') + Long.toString(5L)",
        "ctx.a = params.x; ctx.b = ctx.missing?.field ?: 'default'; ctx.c = ctx['k'] == null",
        "def x = 1; x <<= 33; x ^= 0xFF; x |= 07; ctx.a = x; ctx.b = x instanceof Integer",
        "try { throw new IllegalArgumentException('é'); } catch (Exception e) { ctx.a = e.getMessage() }",
        "ctx.a = String.valueOf(3) + 'x'.replace('x', 'é') + 'a|b|😀'.splitOnToken('|').length",
    ];

    /// Pieces the mutator inserts: operators, literals at the edges of their types, non-ASCII
    /// text and half-finished syntax.
    const FUZZ_PIECES: &[&str] = &[
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ";",
        ",",
        ".",
        "?.",
        "?:",
        "?",
        ":",
        "::",
        "->",
        "=",
        "+=",
        "==",
        "===",
        "=~",
        "==~",
        "!",
        "~",
        "-",
        "+",
        "*",
        "/",
        "%",
        "<<",
        ">>>",
        "&&",
        "||",
        "++",
        "--",
        "'",
        "\"",
        "\\",
        "/*",
        "//",
        "\n",
        "$",
        "é",
        "😀",
        "ü",
        "0",
        "-1",
        "07",
        "0x",
        "1e309",
        "2147483647",
        "-2147483648",
        "9223372036854775807L",
        "Long.MIN_VALUE",
        "Integer.MAX_VALUE",
        "1.5f",
        "null",
        "true",
        "new",
        "def",
        "int",
        "String",
        "if",
        "else",
        "for",
        "while",
        "return",
        "break",
        "in",
        "ctx",
        "params",
        "x",
        "this",
        "instanceof",
        "(int)",
        "(char)",
        "(byte)",
        ".length()",
        ".substring(1)",
        ".charAt(-1)",
        ".size()",
        ".get(0)",
        "[-1]",
        "[99]",
        "/é*/",
        "'ü'",
        "\"😀\"",
        "'$'",
        "'${'",
        "ZoneId.of('é')",
        "DateTimeFormatter.ofPattern('üé yyyy')",
        "Duration.ofDays(Long.MAX_VALUE)",
        "LocalDate.MAX",
        "LocalDateTime.MIN",
        ".plusYears(999999999)",
        ".atZone(ZoneOffset.MAX)",
        "ZonedDateTime.parse('+999999999-12-31T23:59:59Z')",
        "Instant.MIN",
        ".matcher('é😀')",
        ".replaceAll('$9')",
        ".split('')",
        "Math.floorMod(1, 0)",
        "/ 0",
        "% 0L",
    ];

    /// Receivers, arguments and calls for templated scripts (`def v = V; ctx.a = v.m(#)…`):
    /// these compile (calls on `def` resolve at run time), so they test the run-time API with
    /// edge values.
    const FUZZ_VALUES: &[&str] = &[
        "'é😀ü'",
        "''",
        "'$1'",
        "'%s'",
        "'\\\\'",
        "-1",
        "0",
        "1",
        "2",
        "3",
        "2147483647",
        "Integer.MIN_VALUE",
        "Long.MAX_VALUE",
        "Long.MIN_VALUE",
        "-0.0",
        "1e308",
        "Double.NaN",
        "null",
        "true",
        "'a'.charAt(0)",
        "[1, 'é', null]",
        "['é': 1, 'k': [2]]",
        "new int[2]",
        "/(é)(?<n>😀)?/",
        "/(é)/.matcher('aé😀é')",
        "Duration.ofSeconds(Long.MAX_VALUE)",
        "Duration.ofNanos(-1)",
        "ZonedDateTime.parse('2021-03-28T01:30:00+01:00[Europe/Paris]')",
        "LocalDate.of(262142, 12, 31)",
        "LocalDateTime.of(-262143, 1, 1, 0, 0)",
        "Instant.ofEpochSecond(-1)",
        "LocalTime.MAX",
        "ZoneOffset.MIN",
        "ChronoUnit.ERAS",
        "DateTimeFormatter.ofPattern('üé yyyy-MM-dd HH:mm:ss.SSS VV')",
        "DayOfWeek.SUNDAY",
        "params.x",
        "ctx.n",
        "ctx.o",
    ];
    const FUZZ_CALLS: &[&str] = &[
        ".substring(#)",
        ".substring(#, #)",
        ".charAt(#)",
        ".indexOf(#)",
        ".lastIndexOf(#, #)",
        ".codePointAt(#)",
        ".get(#)",
        ".remove(#)",
        ".add(#, #)",
        ".set(#, #)",
        ".subList(#, #)",
        ".put(#, #)",
        ".getOrDefault(#, #)",
        ".contains(#)",
        ".startsWith(#, #)",
        ".replace(#, #)",
        ".split(#)",
        ".split(#, #)",
        ".splitOnToken(#, #)",
        ".replaceAll(#, #)",
        ".matcher(#)",
        ".find(#)",
        ".group(#)",
        ".start(#)",
        ".end(#)",
        ".toUpperCase()",
        ".trim()",
        ".length()",
        ".size()",
        ".isEmpty()",
        ".toString()",
        ".hashCode()",
        ".compareTo(#)",
        ".equals(#)",
        ".plusDays(#)",
        ".plusSeconds(#)",
        ".plusNanos(#)",
        ".minusMonths(#)",
        ".plus(#, ChronoUnit.MILLENNIA)",
        ".plus(#, ChronoUnit.NANOS)",
        ".multipliedBy(#)",
        ".dividedBy(#)",
        ".negated()",
        ".withYear(#)",
        ".withDayOfMonth(#)",
        ".truncatedTo(ChronoUnit.DAYS)",
        ".atZone(ZoneId.of(#))",
        ".atZone(ZoneOffset.ofHours(#))",
        ".format(DateTimeFormatter.ofPattern(#))",
        ".getDayOfWeek()",
        ".toEpochMilli()",
        ".until(#, ChronoUnit.NANOS)",
        "[#]",
        ".length",
        " + #",
        " - #",
        " * #",
        " / #",
        " % #",
        " << #",
        " >>> #",
        " == #",
        " < #",
        " =~ #",
        " ?: #",
        " instanceof String",
    ];

    /// A templated script: a value, two or three calls on it with edge arguments, and a
    /// binary operation.
    fn templated(rng: &mut Rng) -> String {
        let mut pick = |list: &[&str]| list[rng.below(list.len())].to_string();
        let v = pick(FUZZ_VALUES);
        let mut calls = String::new();
        for _ in 0..2 {
            let mut c = pick(FUZZ_CALLS);
            while let Some(i) = c.find('#') {
                c.replace_range(i..=i, &pick(FUZZ_VALUES));
            }
            calls.push_str(&c);
        }
        let w = pick(FUZZ_VALUES);
        format!(
            "def v = {v}; def w = {w}; ctx.b = w; ctx.a = v{calls}; ctx.c = w{}",
            pick(FUZZ_CALLS).replace('#', "v")
        )
    }

    /// The generator: a failure names a script that can be re-run.
    use crate::painless::TestRng as Rng;

    /// `seed` with a few random edits: deleted, duplicated or swapped character ranges and
    /// inserted pieces. Edits work on characters, so the result is always valid UTF-8.
    fn mutate(rng: &mut Rng, seed: &str) -> String {
        let mut c: Vec<char> = seed.chars().collect();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(c.len() + 1);
            let len = rng.below(8).min(c.len() - at);
            match rng.below(4) {
                0 => {
                    c.drain(at..at + len);
                }
                1 => {
                    let dup: Vec<char> = c[at..at + len].to_vec();
                    c.splice(at..at, dup);
                }
                2 => {
                    let other = rng.below(c.len() + 1);
                    let piece: Vec<char> = c[at..at + len].to_vec();
                    c.drain(at..at + len);
                    let to = other.min(c.len());
                    c.splice(to..to, piece);
                }
                _ => {
                    let p = FUZZ_PIECES[rng.below(FUZZ_PIECES.len())];
                    c.splice(at..at, p.chars());
                }
            }
        }
        c.into_iter().collect()
    }

    /// Compiles and runs `src` on a small document (a panic anywhere fails the check): whether
    /// it compiled.
    fn compile_and_run(src: &str) -> bool {
        let mut params = crate::value::Map::default();
        params.insert("x".into(), crate::value::Value::from("é😀"));
        let Ok(s) = crate::painless::Script::compile(src, params.clone()) else {
            return false;
        };
        let run = |s: &crate::painless::Script| {
            let crate::value::Value::Map(m) =
                crate::value::Value::from_json_str(r#"{"k":"ü","n":[1,2],"o":{"p":null}}"#)
                    .expect("valid JSON")
            else {
                panic!("an object")
            };
            let mut d = crate::document::IngestDocument::new(m, "2024-01-01T00:00:00.000Z");
            match s.execute(&mut d, "p") {
                Ok(()) => Ok(crate::value::Value::Map(d.into_source()).to_json()),
                Err(e) => Err(format!("{e:?}")),
            }
        };
        let lowered = run(&s);
        // The lowered form and the syntax tree give the same document or the same error.
        let syntax = crate::painless::Script::compile(src, params).expect("compiled once");
        assert_eq!(
            lowered,
            run(&syntax.without_lowering()),
            "lowered and syntax runs differ for: {src}"
        );
        true
    }

    #[test]
    fn mutated_scripts_never_panic() {
        // `PIPETTE_FUZZ_RUNS` / `PIPETTE_FUZZ_SEED` run a longer or different check by hand.
        let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
        let runs = env("PIPETTE_FUZZ_RUNS").map_or(FUZZ_RUNS, |n| n as usize);
        let mut rng = Rng(env("PIPETTE_FUZZ_SEED")
            .unwrap_or(0x9E37_79B9_7F4A_7C15)
            .max(1));
        let mut panicked = Vec::new();
        let mut compiled = 0;
        // The seeds themselves must compile, or the check would only test the parser.
        let bad: Vec<_> = FUZZ_SEEDS
            .iter()
            .filter_map(|seed| {
                crate::painless::Script::compile(seed, crate::value::Map::default()).err()
            })
            .collect();
        assert!(bad.is_empty(), "{bad:#?}");
        for i in 0..runs {
            let seed = FUZZ_SEEDS[i % FUZZ_SEEDS.len()];
            let src = if i % 2 == 0 {
                mutate(&mut rng, seed)
            } else {
                templated(&mut rng)
            };
            match std::panic::catch_unwind(|| compile_and_run(&src)) {
                Ok(ran) => compiled += usize::from(ran),
                Err(_) => panicked.push(src),
            }
        }
        // Most templated scripts compile, so the run-time API is exercised, not only the parser.
        assert!(
            compiled * 3 >= runs,
            "only {compiled} of {runs} scripts compiled"
        );
        assert!(
            panicked.is_empty(),
            "{} scripts panicked: {panicked:#?}",
            panicked.len()
        );
    }

    /// Scripts the crash check tries by default.
    const FUZZ_RUNS: usize = 3_000;

    #[test]
    fn long_dotted_java_names_are_compile_errors() {
        // `java.` starts a fully qualified class name: the parser tries the dotted run after it
        // link by link (30,000 links here) and finds no class.
        let src = format!("ctx.a = java{};", ".a".repeat(30_000));
        let e = crate::painless::Script::compile(&src, crate::value::Map::default())
            .expect_err("not a class");
        assert!(
            e.contains("cannot resolve symbol [java]"),
            "{}",
            &e[..100.min(e.len())]
        );
    }
}
