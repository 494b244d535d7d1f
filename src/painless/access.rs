//! Which top-level keys of `ctx` a script can reach, found once at compile time, so a run converts
//! only those into interpreter values (the rest of the document stays as it is).

use super::ast::{self, Expr, ExprKind, Program, Stmt, StmtKind};

/// `Map` methods whose first argument, a string literal, is the only key they touch.
const KEYED_METHODS: [&str; 5] = ["get", "put", "remove", "containsKey", "getOrDefault"];

/// Global calls that read or write `ctx` without naming it.
const CTX_GLOBALS: [&str; 3] = ["metadata", "field", "$"];

/// The top-level `ctx` keys the program names, in first-use order; `None` when it may reach
/// others: `ctx` used as a value (passed, iterated, `keySet()`, `ctx.empty`, …), a computed key,
/// or `metadata()` / `field()` / `$()`.
pub fn ctx_keys(program: &Program) -> Option<Vec<String>> {
    let mut keys = Vec::new();
    for f in &program.functions {
        stmts(&f.body, &mut keys)?;
    }
    stmts(&program.body, &mut keys)?;
    Some(keys)
}

fn add(keys: &mut Vec<String>, k: &str) {
    if !keys.iter().any(|x| x == k) {
        keys.push(k.to_string());
    }
}

fn is_ctx(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Var(v) if v == "ctx")
}

fn stmts(body: &[Stmt], keys: &mut Vec<String>) -> Option<()> {
    body.iter().try_for_each(|s| stmt(s, keys))
}

fn opt(e: &Option<Expr>, keys: &mut Vec<String>) -> Option<()> {
    e.as_ref().map_or(Some(()), |e| expr(e, keys))
}

fn stmt(s: &Stmt, keys: &mut Vec<String>) -> Option<()> {
    use StmtKind::*;
    match &s.kind {
        StmtKind::Expr(e) | Throw(e) => expr(e, keys),
        Decl(_, vars) => vars.iter().try_for_each(|(_, e)| opt(e, keys)),
        If(c, a, b) => {
            expr(c, keys)?;
            stmts(a, keys)?;
            b.as_ref().map_or(Some(()), |b| stmts(b, keys))
        }
        While(c, b) | DoWhile(b, c) | Each(_, _, c, b) => {
            expr(c, keys)?;
            stmts(b, keys)
        }
        For(init, c, step, b) => {
            if let Some(i) = init {
                stmt(i, keys)?;
            }
            opt(c, keys)?;
            opt(step, keys)?;
            stmts(b, keys)
        }
        Block(b) => stmts(b, keys),
        Return(e) => opt(e, keys),
        Try(b, catches) => {
            stmts(b, keys)?;
            catches.iter().try_for_each(|c| stmts(&c.body, keys))
        }
        Break | Continue => Some(()),
    }
}

fn exprs(list: &[Expr], keys: &mut Vec<String>) -> Option<()> {
    list.iter().try_for_each(|e| expr(e, keys))
}

fn expr(e: &Expr, keys: &mut Vec<String>) -> Option<()> {
    use ExprKind::*;
    match &e.kind {
        // `ctx` anywhere but as the receiver of a named key: it may reach any key.
        Var(v) => (v != "ctx").then_some(()),
        Field { obj, name, .. } if is_ctx(obj) => {
            // `map.empty` is `isEmpty()`, which sees every key.
            (name != "empty").then(|| add(keys, name))
        }
        Index { obj, idx } if is_ctx(obj) => match &idx.kind {
            Str(k) => {
                add(keys, k);
                Some(())
            }
            _ => None,
        },
        Call {
            obj, name, args, ..
        } if is_ctx(obj) => match args.first().map(|a| &a.kind) {
            Some(Str(k)) if KEYED_METHODS.contains(&name.as_str()) => {
                add(keys, k);
                exprs(&args[1..], keys)
            }
            _ => None,
        },
        Null | Bool(_) | Int(_) | Long(_) | Float(_) | Double(_) | Str(_) | Regex(_) => Some(()),
        StaticField(..) => Some(()),
        ListInit(l) | New(_, l) | NewArray(_, l) | NewArrayInit(_, l) | StaticCall(_, _, l) => {
            exprs(l, keys)
        }
        LocalCall(name, args) => {
            if CTX_GLOBALS.contains(&name.as_str()) {
                return None;
            }
            exprs(args, keys)
        }
        MapInit(pairs) => pairs.iter().try_for_each(|(k, v)| {
            expr(k, keys)?;
            expr(v, keys)
        }),
        Field { obj, .. } => expr(obj, keys),
        Index { obj, idx } => {
            expr(obj, keys)?;
            expr(idx, keys)
        }
        Call { obj, args, .. } => {
            expr(obj, keys)?;
            exprs(args, keys)
        }
        Unary(_, a) | InstanceOf(a, _) | Cast(_, a) => expr(a, keys),
        Binary(_, a, b) | And(a, b) | Or(a, b) | Elvis(a, b) => {
            expr(a, keys)?;
            expr(b, keys)
        }
        Cond(a, b, c) => {
            expr(a, keys)?;
            expr(b, keys)?;
            expr(c, keys)
        }
        Assign { target, value, .. } => {
            expr(target, keys)?;
            expr(value, keys)
        }
        IncDec { target, .. } => expr(target, keys),
        ExprKind::Lambda(l) => stmts(&l.body, keys),
        ExprKind::FuncRef(f) => match &**f {
            ast::FuncRef::Capture(var, _) if var == "ctx" => None,
            ast::FuncRef::Class(..)
            | ast::FuncRef::New(_)
            | ast::FuncRef::Local(_)
            | ast::FuncRef::Capture(..) => Some(()),
        },
    }
}

/// The top-level `ctx` keys the program may change in place: assigned (`ctx.a = …`,
/// `ctx.a.b += …`), removed or put (`ctx.remove('a')`), used as the receiver of a method call
/// (`ctx.a.b.add(…)`), or passed to a script function. The other named keys are only read by
/// their syntax, so a run may first try them as borrowed read-only views (any write to such a
/// view makes the run start over with converted values; see `Script::execute`).
pub fn written_keys(program: &Program) -> Vec<String> {
    let mut keys = Vec::new();
    for f in &program.functions {
        walk_stmts(&f.body, &mut keys);
    }
    walk_stmts(&program.body, &mut keys);
    keys
}

/// The top-level key an access chain starts from: `ctx.a`, `ctx['a']`, `ctx.get('a')`, then
/// fields, indexes and casts.
fn root_key(e: &Expr) -> Option<&str> {
    use ExprKind::*;
    match &e.kind {
        Field { obj, name, .. } if is_ctx(obj) => Some(name),
        Index { obj, idx } if is_ctx(obj) => match &idx.kind {
            Str(k) => Some(k),
            _ => None,
        },
        Call {
            obj, name, args, ..
        } if is_ctx(obj) && name == "get" => match args.first().map(|a| &a.kind) {
            Some(Str(k)) => Some(k),
            _ => None,
        },
        Field { obj, .. } | Index { obj, .. } | Cast(_, obj) => root_key(obj),
        _ => None,
    }
}

fn walk_stmts(body: &[Stmt], keys: &mut Vec<String>) {
    for s in body {
        walk_stmt(s, keys);
    }
}

fn walk_stmt(s: &Stmt, keys: &mut Vec<String>) {
    use StmtKind::*;
    let mut e = |x: &ast::Expr| walk(x, keys);
    match &s.kind {
        StmtKind::Expr(x) | Throw(x) => e(x),
        Decl(_, vars) => vars.iter().filter_map(|(_, x)| x.as_ref()).for_each(e),
        If(c, a, b) => {
            e(c);
            walk_stmts(a, keys);
            if let Some(b) = b {
                walk_stmts(b, keys);
            }
        }
        While(c, b) | DoWhile(b, c) | Each(_, _, c, b) => {
            e(c);
            walk_stmts(b, keys);
        }
        For(init, c, step, b) => {
            if let Some(i) = init {
                walk_stmt(i, keys);
            }
            for x in [c, step].into_iter().flatten() {
                walk(x, keys);
            }
            walk_stmts(b, keys);
        }
        Block(b) => walk_stmts(b, keys),
        Return(x) => {
            if let Some(x) = x {
                e(x);
            }
        }
        Try(b, catches) => {
            walk_stmts(b, keys);
            for c in catches {
                walk_stmts(&c.body, keys);
            }
        }
        Break | Continue => {}
    }
}

fn mark(e: &Expr, keys: &mut Vec<String>) {
    if let Some(k) = root_key(e) {
        add(keys, k);
    }
}

fn walk(e: &Expr, keys: &mut Vec<String>) {
    use ExprKind::*;
    match &e.kind {
        Assign { target, value, .. } => {
            mark(target, keys);
            walk(target, keys);
            walk(value, keys);
        }
        IncDec { target, .. } => {
            mark(target, keys);
            walk(target, keys);
        }
        Call {
            obj, name, args, ..
        } => {
            if is_ctx(obj) {
                if let (Some(Str(k)), true) = (
                    args.first().map(|a| &a.kind),
                    matches!(name.as_str(), "remove" | "put"),
                ) {
                    add(keys, k);
                }
            } else {
                mark(obj, keys);
            }
            walk(obj, keys);
            args.iter().for_each(|a| walk(a, keys));
        }
        LocalCall(_, args) => {
            for a in args {
                mark(a, keys);
                walk(a, keys);
            }
        }
        Null | Bool(_) | Int(_) | Long(_) | Float(_) | Double(_) | Str(_) | Regex(_) => {}
        Var(_) | StaticField(..) => {}
        ListInit(l) | New(_, l) | NewArray(_, l) | NewArrayInit(_, l) | StaticCall(_, _, l) => {
            l.iter().for_each(|a| walk(a, keys))
        }
        MapInit(pairs) => pairs.iter().for_each(|(k, v)| {
            walk(k, keys);
            walk(v, keys);
        }),
        Field { obj, .. } => walk(obj, keys),
        Index { obj, idx } => {
            walk(obj, keys);
            walk(idx, keys);
        }
        Unary(_, a) | InstanceOf(a, _) | Cast(_, a) => walk(a, keys),
        Binary(_, a, b) | And(a, b) | Or(a, b) | Elvis(a, b) => {
            walk(a, keys);
            walk(b, keys);
        }
        Cond(a, b, c) => {
            walk(a, keys);
            walk(b, keys);
            walk(c, keys);
        }
        ExprKind::Lambda(l) => walk_stmts(&l.body, keys),
        ExprKind::FuncRef(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(src: &str) -> Option<Vec<String>> {
        let toks = super::super::lex::lex(src).unwrap();
        let program = super::super::parse::parse(&toks, &["ctx", "params"]).unwrap();
        ctx_keys(&program)
    }

    #[test]
    fn named_keys_are_found() {
        assert_eq!(
            keys(
                "def m = params.get(ctx.a.b); if (m != null) { ctx.c = m; ctx['d'] = 1 } ctx.remove('e'); return ctx?.f;"
            ),
            Some(vec![
                "a".into(),
                "c".into(),
                "d".into(),
                "e".into(),
                "f".into()
            ])
        );
        assert_eq!(
            keys(
                "boolean x(def v) { return v == null } if (x(ctx.a)) { ctx.a.values().removeIf(v -> x(v)) }"
            ),
            Some(vec!["a".into()])
        );
        assert_eq!(keys("return 1"), Some(vec![]));
    }

    fn written(src: &str) -> Vec<String> {
        let toks = super::super::lex::lex(src).unwrap();
        let program = super::super::parse::parse(&toks, &["ctx", "params"]).unwrap();
        written_keys(&program)
    }

    #[test]
    fn written_keys_are_found() {
        assert_eq!(
            written(
                "boolean z(def v) { return v == null } def m = params.get(ctx.a.b.c); if (m != null) { ctx.d.e = new ArrayList(m.x) } \
                 ctx['f'].g++; ctx.h.i.add(1); ((Map) ctx.j).clear(); ctx.remove('k'); \
                 z(ctx.l.m); return ctx.get('n').o == ctx.p"
            ),
            vec!["d", "f", "h", "j", "k", "l"]
        );
    }

    #[test]
    fn whole_ctx_uses_are_found() {
        for src in [
            "for (def k : ctx.keySet()) {}",
            "def c = ctx; c.a = 1",
            "ctx[params.k] = 1",
            "ctx.put(params.k, 1)",
            "return ctx.empty",
            "return ctx.size()",
            "metadata().index = 'x'",
            "field('a.b').set(1)",
            "return $('a', 1)",
            "[1].forEach(ctx::remove)",
            "boolean f(def c) { return c == null } return f(ctx)",
        ] {
            assert_eq!(keys(src), None, "{src}");
        }
    }

    /// Runs `src` over `input` and returns the resulting source as JSON.
    fn run(src: &str, input: &str) -> String {
        use crate::value::{Map, Value};
        let script = super::super::Script::compile(src, Map::default()).unwrap();
        let Ok(Value::Map(m)) = Value::from_json_str(input) else {
            panic!("bad input")
        };
        let mut doc = crate::document::IngestDocument::new(m, "2024-01-01T00:00:00.000Z");
        script.execute(&mut doc, "p").unwrap();
        Value::Map(doc.into_source()).to_json()
    }

    #[test]
    fn borrowed_keys_fall_back_when_written_through_an_alias() {
        let input = r#"{"a":{"b":1,"c":""},"l":[1],"n":{"x":[{"y":1}]}}"#;
        // Only read: the document keeps its values and gains the written key.
        assert_eq!(
            run("ctx.z = ctx.a.b + ctx.n.x[0].y", input),
            r#"{"a":{"b":1,"c":""},"l":[1],"n":{"x":[{"y":1}]},"z":2}"#
        );
        // Writes through aliases of keys that the syntax only reads start the run over.
        assert_eq!(
            run("def a = ctx.a; a.b = 2", input),
            r#"{"a":{"b":2,"c":""},"l":[1],"n":{"x":[{"y":1}]}}"#
        );
        assert_eq!(
            run(
                "def l = ctx.l; l.add(3); def y = ctx.n.x[0]; y.y = 5",
                input
            ),
            r#"{"a":{"b":1,"c":""},"l":[1,3],"n":{"x":[{"y":5}]}}"#
        );
        assert_eq!(
            run("def a = ctx.a; a.values().removeIf(v -> v == '')", input),
            r#"{"a":{"b":1},"l":[1],"n":{"x":[{"y":1}]}}"#
        );
        // A catch block does not see the borrowed run's write failure.
        assert_eq!(
            run(
                "def a = ctx.a; try { a.b = 3 } catch (Exception e) { ctx.caught = true }",
                input
            ),
            r#"{"a":{"b":3,"c":""},"l":[1],"n":{"x":[{"y":1}]}}"#
        );
        // Copies of borrowed values are new values.
        assert_eq!(
            run("ctx.m = ctx.a; ctx.remove('l')", input),
            r#"{"a":{"b":1,"c":""},"n":{"x":[{"y":1}]},"m":{"b":1,"c":""}}"#
        );
    }

    #[test]
    fn top_level_keys_keep_the_order_a_full_ctx_gives() {
        let input = r#"{"a":1,"b":{"x":1},"u":0,"c":[2]}"#;
        // Kept keys change in place; the unreachable `u` never moves.
        assert_eq!(
            run("ctx.b.y = 2; ctx.c.add(3)", input),
            r#"{"a":1,"b":{"x":1,"y":2},"u":0,"c":[2,3]}"#
        );
        // A key removed and set again goes to the end, after keys the script cannot reach.
        assert_eq!(
            run("ctx.remove('a'); ctx.a = 3", input),
            r#"{"b":{"x":1},"u":0,"c":[2],"a":3}"#
        );
        assert_eq!(
            run("def b = ctx.remove('b'); ctx.z = 1; ctx.b = b", input),
            r#"{"a":1,"u":0,"c":[2],"z":1,"b":{"x":1}}"#
        );
        assert_eq!(
            run("ctx.remove('c'); ctx.remove('a')", input),
            r#"{"b":{"x":1},"u":0}"#
        );
        // Without named keys the whole ctx is converted, with the same result.
        assert_eq!(
            run("def m = ctx; m.remove('a'); m.a = 3", input),
            r#"{"b":{"x":1},"u":0,"c":[2],"a":3}"#
        );
    }

    fn cond(src: &str, input: &str) -> Result<bool, String> {
        use crate::value::Value;
        let c = super::super::Condition::from_config(&Value::from(src)).unwrap();
        let Ok(Value::Map(m)) = Value::from_json_str(input) else {
            panic!("bad input")
        };
        let doc = crate::document::IngestDocument::new(m, "2024-01-01T00:00:00.000Z");
        c.eval(&doc).map_err(|e| e.reason)
    }

    #[test]
    fn null_tests_of_document_fields() {
        let input = r#"{"m":{"n":null,"s":"x","e":{}},"s":"x"}"#;
        assert_eq!(cond("ctx.m.n == null", input), Ok(true));
        assert_eq!(cond("ctx.m.zz == null", input), Ok(true));
        assert_eq!(cond("ctx.m.s != null", input), Ok(true));
        assert_eq!(cond("ctx.q?.s == null", input), Ok(true));
        // `empty` is `isEmpty()`, never null.
        assert_eq!(cond("ctx.m.e.empty == null", input), Ok(false));
        assert_eq!(cond("ctx.m.s == 'x' && ctx.m.n != 'x'", input), Ok(true));
        assert_eq!(
            cond("ctx.q.s == null", input),
            Err("cannot access method/field [s] from a null def reference".into())
        );
        assert_eq!(
            cond("ctx.s.x == null", input),
            Err("dynamic getter [java.lang.String, x] not found".into())
        );
    }

    #[test]
    fn unchanged_parts_are_reused_exactly() {
        // Equal-looking values of other types are rebuilt, not reused.
        let input = r#"{"a":{"i":1,"d":1.0,"s":"x","l":[1,2],"m":{"k":null}}}"#;
        assert_eq!(
            run(
                "ctx.a.i = 1L; ctx.a.d = 1.0f; ctx.a.l.remove(0); ctx.a.m.k = 'v'",
                input
            ),
            r#"{"a":{"i":1,"d":1.0,"s":"x","l":[2],"m":{"k":"v"}}}"#
        );
        assert_eq!(
            run("ctx.a.remove('i'); ctx.a.i = 1", input),
            r#"{"a":{"d":1.0,"s":"x","l":[1,2],"m":{"k":null},"i":1}}"#
        );
    }
}
