//! Tests of the interpreter's shortcuts: each one must give what the general path gives.

use super::*;

fn doc(json: &str) -> IngestDocument {
    let Value::Map(m) = Value::from_json_str(json).expect("valid JSON") else {
        panic!("document must be an object")
    };
    IngestDocument::new(m, "2024-01-01T00:00:00.000Z")
}

fn cond(expr: &str, ctx: &str) -> Result<bool, String> {
    let c = Condition::from_config(&Value::from(expr)).unwrap_or_else(|e| panic!("{expr}: {e}"));
    c.eval(&doc(ctx)).map_err(|e| {
        let cause = e.caused_by.map(|c| c.reason).unwrap_or_default();
        format!("{}: {cause}", e.reason)
    })
}

fn run(src: &str, input: &str) -> String {
    let s = Script::compile(src, Map::default()).unwrap_or_else(|e| panic!("{src}: {e}"));
    let mut d = doc(input);
    s.execute(&mut d, "p")
        .unwrap_or_else(|e| panic!("{src} on {input}: {e} {:?}", e.caused_by));
    Value::Map(d.into_source()).to_json()
}

#[test]
fn field_compared_with_a_string_literal() {
    let ctx = r#"{"a":{"s":"x","n":1,"z":null,"m":{}},"empty":"e"}"#;
    assert_eq!(cond("ctx.a.s == 'x'", ctx), Ok(true));
    assert_eq!(cond("ctx.a.s != 'x'", ctx), Ok(false));
    assert_eq!(cond("ctx.a.s == 'y'", ctx), Ok(false));
    assert_eq!(cond("ctx.a.n == '1'", ctx), Ok(false));
    assert_eq!(cond("ctx.a.z != ''", ctx), Ok(true));
    assert_eq!(cond("ctx.a.missing == ''", ctx), Ok(false));
    assert_eq!(cond("ctx.b?.c == 'x'", ctx), Ok(false));
    // `map.empty` is isEmpty(), a boolean, not the key "empty".
    assert_eq!(cond("ctx.empty == 'e'", ctx), Ok(false));
    assert_eq!(cond("ctx['empty'] == 'e'", ctx), Ok(true));
    let err = cond("ctx.b.c == 'x'", ctx).unwrap_err();
    assert!(
        err.contains("cannot access method/field [c] from a null def reference"),
        "{err}"
    );
    // The same in a script, over converted maps.
    assert_eq!(
        run(
            "ctx.r = ctx.a.s == 'x' && ctx.a.n != '1'",
            r#"{"a":{"s":"x","n":1}}"#
        ),
        r#"{"a":{"s":"x","n":1},"r":true}"#
    );
}

#[test]
fn field_instance_of() {
    let ctx = r#"{"a":{"s":"x","n":1,"l":[1],"m":{"k":1},"z":null}}"#;
    assert_eq!(cond("ctx.a.s instanceof String", ctx), Ok(true));
    assert_eq!(cond("ctx.a.s instanceof Map", ctx), Ok(false));
    assert_eq!(cond("ctx.a.s instanceof Object", ctx), Ok(true));
    assert_eq!(cond("ctx.a.n instanceof Integer", ctx), Ok(true));
    assert_eq!(cond("ctx.a.n instanceof String", ctx), Ok(false));
    assert_eq!(cond("ctx.a.l instanceof List", ctx), Ok(true));
    assert_eq!(cond("ctx.a.m instanceof Map", ctx), Ok(true));
    assert_eq!(cond("ctx.a.z instanceof Object", ctx), Ok(false));
    assert_eq!(cond("ctx.a.missing instanceof String", ctx), Ok(false));
    assert_eq!(cond("ctx.b?.c instanceof String", ctx), Ok(false));
    assert_eq!(cond("ctx.a.m.empty instanceof Boolean", ctx), Ok(true));
    assert!(cond("ctx.b.c instanceof String", ctx).is_err());
}

#[test]
fn contains_on_a_document_list() {
    let ctx = r#"{"tags":["a",1,null,{"k":"v"}]}"#;
    assert_eq!(cond("ctx.tags.contains('a')", ctx), Ok(true));
    assert_eq!(cond("ctx.tags.contains('b')", ctx), Ok(false));
    assert_eq!(cond("ctx.tags.contains(1)", ctx), Ok(true));
    assert_eq!(cond("ctx.tags.contains('1')", ctx), Ok(false));
    assert_eq!(cond("ctx.tags.contains(1L)", ctx), Ok(false));
    assert_eq!(cond("ctx.tags.contains(null)", ctx), Ok(true));
    assert_eq!(cond("ctx.tags.contains(['k': 'v'])", ctx), Ok(true));
}

#[test]
fn remove_if_on_map_views_and_lists() {
    let drop_empty = "boolean dropEmpty(def v) { if (v == null || v == '') { return true; } \
        if (v instanceof Map) { ((Map) v).values().removeIf(x -> dropEmpty(x)); return ((Map) v).isEmpty(); } \
        if (v instanceof List) { ((List) v).removeIf(x -> dropEmpty(x)); return ((List) v).isEmpty(); } \
        return false; } if (dropEmpty(ctx.a)) { ctx.remove('a'); }";
    assert_eq!(
        run(
            drop_empty,
            r#"{"a":{"p":"","q":1,"r":{"s":null},"t":[null,"u",""],"v":"w","x":[]},"b":""}"#
        ),
        r#"{"a":{"q":1,"t":["u"],"v":"w"},"b":""}"#
    );
    assert_eq!(
        run(drop_empty, r#"{"a":{"p":"","r":{"s":null}},"b":1}"#),
        r#"{"b":1}"#
    );
    // Return values, keySet and entrySet views.
    assert_eq!(
        run(
            "def m = ['a': 1, 'b': 2, 'c': 3]; ctx.r = [m.values().removeIf(x -> x == 2), \
             m.values().removeIf(x -> x == 9), m.keySet().removeIf(k -> k == 'c'), \
             m.entrySet().removeIf(e -> e.value == 9), m]",
            "{}"
        ),
        r#"{"r":[true,false,true,false,{"a":1}]}"#
    );
    // A predicate that changes the map: the doomed keys still go, the new one stays.
    assert_eq!(
        run(
            "def m = ['a': 1, 'b': 2]; m.values().removeIf(x -> { m.put('z', 0); return x == 1; }); \
             ctx.r = m",
            "{}"
        ),
        r#"{"r":{"b":2,"z":0}}"#
    );
    assert_eq!(
        run(
            "def l = [1, 2, 3, 4]; ctx.r = [l.removeIf(x -> x % 2 == 0), l.removeIf(x -> x > 9), l]",
            "{}"
        ),
        r#"{"r":[true,false,[1,3]]}"#
    );
}

#[test]
fn results_written_back_in_place_keep_the_order() {
    // Entries removed, changed and added at several depths.
    assert_eq!(
        run(
            "ctx.a.remove('b'); ctx.a.d.e = 5; ctx.a.n = 'new'; ctx.l.remove(0); ctx.l[0].x = 1",
            r#"{"a":{"b":1,"c":2,"d":{"e":1,"f":2}},"l":[{"x":0},{"x":0},3]}"#
        ),
        r#"{"a":{"c":2,"d":{"e":5,"f":2},"n":"new"},"l":[{"x":1},3]}"#
    );
    // A key removed and put back goes last.
    assert_eq!(
        run(
            "def v = ctx.a.remove('b'); ctx.a.b = v",
            r#"{"a":{"b":{"k":1},"c":2}}"#
        ),
        r#"{"a":{"c":2,"b":{"k":1}}}"#
    );
}

#[test]
fn field_chains_read_in_place_in_conditions() {
    let ctx = r#"{"a":{"b":{"c":"x","n":null},"l":[{"k":1}],"e":{}},"s":"t"}"#;
    assert_eq!(cond("ctx.a.b.c == 'x'", ctx), Ok(true));
    assert_eq!(cond("ctx.a?.b?.c != null", ctx), Ok(true));
    assert_eq!(cond("ctx.a.b.n == null", ctx), Ok(true));
    assert_eq!(cond("ctx.a.b.n?.x == null", ctx), Ok(true));
    assert_eq!(cond("ctx.a.missing?.x?.y == null", ctx), Ok(true));
    assert_eq!(cond("ctx.a.l.0.k == 1", ctx), Ok(true));
    assert_eq!(cond("ctx.a.e.empty", ctx), Ok(true));
    assert_eq!(cond("ctx.a.b.empty", ctx), Ok(false));
    assert_eq!(cond("ctx.a.b.c.empty", ctx), Ok(false));
    // As before the in-place reads: the same document map read twice is the same map.
    assert_eq!(cond("ctx.a.b == ctx.a.b", ctx), Ok(true));
    assert_eq!(cond("ctx.a.b == ctx.a.l", ctx), Ok(false));
    assert_eq!(cond("ctx.s.length() == 1", ctx), Ok(true));
    let err = cond("ctx.a.missing.x == null", ctx).unwrap_err();
    assert!(
        err.contains("cannot access method/field [x] from a null def reference"),
        "{err}"
    );
    let err = cond("ctx.a.b.n.x == 'y'", ctx).unwrap_err();
    assert!(
        err.contains("cannot access method/field [x] from a null def reference"),
        "{err}"
    );
    let err = cond("ctx.a.l.x == null", ctx).unwrap_err();
    assert!(
        err.contains("dynamic getter [java.util.ArrayList, x] not found"),
        "{err}"
    );
    // A variable of the same name as a key is not the document.
    assert_eq!(cond("def a = ['b': 1]; a.b == 1", ctx), Ok(true));
}

/// Runs `src`; the result, or the error's reason, offset and cause.
fn outcome(src: &str) -> String {
    let s = Script::compile(src, Map::default()).unwrap_or_else(|e| panic!("{src}: {e}"));
    let mut d = doc("{}");
    match s.execute(&mut d, "p") {
        Ok(()) => Value::Map(d.into_source()).to_json(),
        Err(e) => {
            let offset = e
                .details
                .get("position")
                .and_then(|p| p.as_map())
                .and_then(|p| p.get("offset"))
                .map(Value::to_json)
                .unwrap_or_default();
            let cause = e.caused_by.map(|c| format!("{}: {}", c.kind, c.reason));
            format!("{} at {offset}: {cause:?}", e.reason)
        }
    }
}

#[test]
fn lambdas_forwarding_to_a_function() {
    // Each forwarding lambda against the same lambda made general by a no-op `== true`.
    let cases = [
        (
            "boolean odd(def x) { return x % 2 == 1 } def l = [1, 2, 3]; ",
            "l.removeIf(x -> odd(x)); ctx.r = l",
        ),
        (
            "boolean odd(int x) { return x % 2 == 1 } def l = [1, 2, 3]; ",
            "l.removeIf((def x) -> odd(x)); ctx.r = l",
        ),
        (
            "boolean odd(def x) { return x % 2 == 1 } def l = [1, 'a', 3]; ",
            "l.removeIf((String x) -> odd(x)); ctx.r = l",
        ),
        (
            "boolean odd(int x) { return x % 2 == 1 } def l = [1, 'a', 3]; ",
            "l.removeIf(x -> odd(x)); ctx.r = l",
        ),
        (
            "boolean bad(def x) { return x.foo() } def l = [1]; ",
            "l.removeIf(x -> bad(x)); ctx.r = l",
        ),
        (
            "boolean deep(def n) { return n == 0 || [n - 1].removeIf(x -> deep(x)) } ",
            "ctx.r = deep(5)",
        ),
        (
            "boolean deep(def n) { return n == 0 || [n - 1].removeIf(x -> deep(x)) } ",
            "ctx.r = deep(5000)",
        ),
    ];
    for (functions, body) in cases {
        let forwarded = outcome(&format!("{functions}{body}"));
        let general = outcome(&format!(
            "{functions}{}",
            body.replace("(x))", "(x) == true)")
        ));
        assert_eq!(forwarded, general, "{body}");
    }
    assert_eq!(
        outcome(
            "boolean odd(def x) { return x % 2 == 1 } def l = [1, 2, 3]; l.removeIf(x -> odd(x)); ctx.r = l"
        ),
        r#"{"r":[2]}"#
    );
    let deep = "boolean deep(def n) { return n == 0 || [n - 1].removeIf(x -> deep(x)) } ";
    assert_eq!(outcome(&format!("{deep}ctx.r = deep(5)")), r#"{"r":true}"#);
    assert!(
        outcome(&format!("{deep}ctx.r = deep(5000)")).contains("maximum call depth"),
        "deep recursion through a forwarding lambda is bounded"
    );
}

/// The document (or the error) a script gives, run lowered or as syntax.
fn both_ways(src: &str, input: &str) -> (Result<String, String>, Result<String, String>) {
    let outcome = |s: &Script| {
        let mut d = doc(input);
        match s.execute(&mut d, "p") {
            Ok(()) => Ok(Value::Map(d.into_source()).to_json()),
            Err(e) => Err(format!("{e:?}")),
        }
    };
    let compile = || Script::compile(src, Map::default()).unwrap_or_else(|e| panic!("{src}: {e}"));
    (outcome(&compile()), outcome(&compile().without_lowering()))
}

#[test]
fn lowered_scripts_match_the_syntax_tree() {
    let scripts = [
        // Variables at their slots: blocks, declarations, shadowing lambdas, loops run as syntax.
        "def a = 1; { def b = a + 1; ctx.b = b } def c = 3; ctx.c = c; ctx.a = a",
        "int x = 2; if (x > 1) { def y = x * 2; ctx.y = y } else { def z = 0; ctx.z = z } ctx.x = x",
        "def l = [1, 2, 3]; def n = 0; for (def v : l) { n += v } ctx.n = n",
        "def s = 'q'; def f = v -> v + s; ctx.r = f.apply('p')",
        "def m = ['a': 1]; m.values().removeIf(v -> v == 1); ctx.m = m",
        // Functions: recursion, forwarding lambdas, wrong argument counts run as syntax.
        "int f(int n) { return n < 1 ? 0 : n + f(n - 1) } ctx.f = f(10)",
        "boolean e(def v) { if (v == null || v == '') { return true } if (v instanceof Map) { ((Map) v).values().removeIf(x -> e(x)); return ((Map) v).isEmpty() } if (v instanceof List) { ((List) v).removeIf(x -> e(x)); return ((List) v).isEmpty() } return false } if (e(ctx.a)) { ctx.remove('a') }",
        "def g(def a, def b) { return a + b } ctx.g = g(1)",
        "void h(def m) { m.k = 1 } h(ctx); ctx.done = true",
        // Tests and casts, on locals, fields and other values.
        "def v = ctx.a; ctx.t = [v == null, v != null, v == 'x', v != 'x', v instanceof Map, v instanceof List, v instanceof String]",
        "ctx.t = [ctx.a?.b == null, ctx.a?.b == 's', ctx.a?.b instanceof String, ctx.q?.r instanceof Map]",
        "def v = ctx.a; Map m = (Map) v; ctx.n = m.size()",
        "def v = ctx.a; List l = (List) v; ctx.n = l.size()",
        "def v = ctx.a; String s = (String) v; ctx.s = s",
        "def v = null; ctx.t = (Map) v == null && !(v instanceof Map)",
        "ctx.u = -ctx.n; ctx.w = !(ctx.a == null)",
        // Assignments, operators, literals and constructors.
        "int i = 1; i += 2; i *= 3; long l = 5L; l -= i; double d = 1.5; d /= 2; ctx.r = [i, l, d]",
        "def s = 'a'; s += 1; s += ctx.n; ctx.s = s; ctx.t = 'x' + null + 2.5",
        "ctx.m = [:]; ctx.m.k = 1; ctx.m.k += 2; ctx.m['j'] = 'v'; ctx.m['j'] += 'w'",
        "def l = new ArrayList(); l.add(1); l[0] = 7; l[0] *= 2; ctx.l = l; ctx.e = l[0] > 10 ? 'big' : 'small'",
        "def m = new HashMap(['a': 1]); ctx.m = m; ctx.x = ctx.q ?: 'dflt'; ctx.y = ctx.n ?: 'dflt'",
        "ctx.z = Math.max(ctx.n, 2) + Integer.parseInt('12') % 5 - (ctx.n << 3) + (7 >> 1) ^ 3",
        "int i = 2147483647; i += 1; ctx.i = i; byte b = 10; b += 300; ctx.b = b",
        "ctx.q = [1, 'a', null, [2], ['k': ctx.a]]; ctx.p = ctx.q[3][0]",
        "ctx.a?.b = 5",
        // Errors and where they are reported.
        "def l = [1]; l[3] = 0",
        "def m = null; m.k = 1",
        "int i = 0; i = 'x'",
        "def v = ctx.a; v.b.c = 1",
        "ctx.r = ctx.n / 0",
        "def l = [1]; ctx.x = l[5]",
        "def v = null; v.foo()",
        "def v = null; ctx.y = v.foo",
        "def v = 1; if (v) { ctx.a = 1 }",
        "def v = 'x'; if (v == 'x' && v.length()) { ctx.a = 1 }",
        "def f(def n) { return f(n + 1) } f(0)",
        "ctx.a.b.c.d = 1",
    ];
    let inputs = [
        r#"{"a":{"b":"s","c":"","d":null,"e":{"f":""},"g":[null,"",{}]},"n":3}"#,
        r#"{"a":[1,"",null,{"x":null}],"n":1}"#,
        r#"{"a":"x","n":-2}"#,
        r#"{"a":null}"#,
        r#"{}"#,
    ];
    let mut differ = Vec::new();
    for src in scripts {
        for input in inputs {
            let (lowered, syntax) = both_ways(src, input);
            if lowered != syntax {
                differ.push(format!(
                    "{src} on {input}:\n  lowered {lowered:?}\n  syntax  {syntax:?}"
                ));
            }
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}
