//! Unit tests for the Painless interpreter.

use super::*;

fn doc(json: &str) -> IngestDocument {
    let Value::Map(m) = Value::from_json_str(json).expect("valid JSON") else {
        panic!("document must be an object")
    };
    IngestDocument::new(m, "2024-01-01T00:00:00.000Z")
}

/// Asserts that condition `expr` on `ctx` is `want`.
fn cond(expr: &str, ctx: &str, want: bool) {
    let c = Condition::from_config(&Value::from(expr)).unwrap_or_else(|e| panic!("{expr}: {e}"));
    let got = c
        .eval(&doc(ctx))
        .unwrap_or_else(|e| panic!("{expr} on {ctx}: {e}"));
    assert_eq!(got, want, "{expr} on {ctx}");
}

/// Asserts that script `src` turns `input` ctx into `output` ctx.
fn give(src: &str, input: &str, output: &str) {
    let s = Script::compile(src, Map::default()).unwrap_or_else(|e| panic!("{src}: {e}"));
    let mut d = doc(input);
    s.execute(&mut d, "p")
        .unwrap_or_else(|e| panic!("{src} on {input}: {e} {:?}", e.caused_by));
    let want = Value::from_json_str(output).expect("valid expected JSON");
    let got = Value::Map(d.into_source());
    assert_eq!(got.to_json(), want.to_json(), "{src} on {input}");
}

#[test]
fn smoke() {
    cond("ctx.a == 1", r#"{"a":1}"#, true);
    give("ctx.b = ctx.a + 1", r#"{"a":1}"#, r#"{"a":1,"b":2}"#);
}

fn collect_scripts(v: &Value, ifs: &mut Vec<String>, srcs: &mut Vec<String>) {
    match v {
        Value::Map(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("if", Value::String(s)) => ifs.push(s.clone()),
                    ("script", Value::Map(sm)) => {
                        let lang_ok = sm
                            .get("lang")
                            .is_none_or(|l| l.as_str() == Some("painless"));
                        if let (true, Some(Value::String(s))) = (lang_ok, sm.get("source")) {
                            srcs.push(s.clone());
                        }
                    }
                    _ => {}
                }
                collect_scripts(x, ifs, srcs);
            }
        }
        Value::List(l) => l.iter().for_each(|x| collect_scripts(x, ifs, srcs)),
        _ => {}
    }
}

/// Every `if:` and painless `source:` of the corpus pipelines compiles (skipped without the corpus).
#[test]
fn corpus_scripts_compile() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/packages");
    if !root.is_dir() {
        eprintln!("skipping: {} not found", root.display());
        return;
    }
    let (mut ifs, mut srcs) = (Vec::new(), Vec::new());
    for entry in walkdir::WalkDir::new(&root).into_iter().flatten() {
        let p = entry.path();
        let in_pipelines = p
            .parent()
            .is_some_and(|d| d.ends_with("elasticsearch/ingest_pipeline"));
        if !in_pipelines || p.extension().is_none_or(|e| e != "yml") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(p) else {
            continue;
        };
        let Ok(v) = crate::yaml::parse(&text) else {
            continue;
        };
        collect_scripts(&v, &mut ifs, &mut srcs);
    }
    let mut failures = Vec::new();
    let (mut ok_if, mut ok_src) = (0, 0);
    for s in &ifs {
        match Script::compile(s, Map::default()) {
            Ok(_) => ok_if += 1,
            Err(e) => failures.push(format!("if: {e}\n    {}", s.replace('\n', "\n    "))),
        }
    }
    for s in &srcs {
        match Script::compile(s, Map::default()) {
            Ok(_) => ok_src += 1,
            Err(e) => failures.push(format!("source: {e}\n    {}", s.replace('\n', "\n    "))),
        }
    }
    eprintln!(
        "corpus: {ok_if}/{} conditions and {ok_src}/{} scripts compile",
        ifs.len(),
        srcs.len()
    );
    if let Ok(path) = std::env::var("PAINLESS_CORPUS_FAILURES") {
        let _ = std::fs::write(path, failures.join("\n\n"));
    }
    let total = ifs.len() + srcs.len();
    assert!(
        (ok_if + ok_src) * 100 >= total * 90,
        "too many corpus scripts fail to compile; first: {:?}",
        failures.first()
    );
}

/// Asserts that script `src` fails on `input` with a cause of `kind` and root message `msg`.
fn fails(src: &str, input: &str, kind: &str, msg: &str) {
    let s = Script::compile(src, Map::default()).unwrap_or_else(|e| panic!("{src}: {e}"));
    let mut d = doc(input);
    let e = s.execute(&mut d, "p").expect_err(src);
    assert_eq!(e.kind, "script_exception", "{src}");
    let cause = e.caused_by.as_ref().expect("caused_by");
    assert_eq!(
        (cause.kind.as_str(), e.reason.as_str()),
        (kind, msg),
        "{src}"
    );
}

/// Asserts that `src` does not compile, with a message containing `part`.
fn bad(src: &str, part: &str) {
    match Script::compile(src, Map::default()) {
        Ok(_) => panic!("{src}: expected a compile error"),
        Err(e) => assert!(e.contains(part), "{src}: {e} does not contain {part}"),
    }
}

#[test]
fn conditions() {
    let d = r#"{"a":{"b":"x","n":5,"l":[1,2],"e":""},"t":["p"],"s":"Hello"}"#;
    cond("ctx.a?.b == 'x'", d, true);
    cond("ctx.z?.b == null", d, true);
    cond("ctx.z?.b?.c != null", d, false);
    cond("ctx['a']['b'] == \"x\"", d, true);
    cond("ctx.a.n > 4 && ctx.a.n <= 5", d, true);
    cond("ctx.a.n == 5L", d, true);
    cond("ctx.a.n == 5.0", d, true);
    cond("ctx.a.n.equals(5L)", d, false);
    cond("ctx.a.l instanceof List && ctx.a instanceof Map", d, true);
    cond(
        "ctx.s instanceof String && !(ctx.s instanceof Map)",
        d,
        true,
    );
    cond(
        "ctx.a.l.contains(2) && ctx.a.l.size() == 2 && ctx.a.l.length == 2",
        d,
        true,
    );
    cond("ctx.tags == null || !(ctx.tags.contains('x'))", d, true);
    cond("ctx.t.contains('p')", d, true);
    cond("ctx.s.toLowerCase().startsWith('hel')", d, true);
    cond("ctx.a.e.isEmpty() || ctx.a.e == ''", d, true);
    cond(
        "ctx.a.l[0] == 1 && ctx.a.l[-1] == 2 && ctx.a.l.0 == 1",
        d,
        true,
    );
    cond(
        "ctx.s =~ /ell/ && ctx.s ==~ /H.*o/ && !(ctx.s ==~ /ell/)",
        d,
        true,
    );
    cond("ctx.s ==~ /hello/i", d, true);
    cond(
        "ctx.a.containsKey('b') && ctx.a.keySet().contains('n')",
        d,
        true,
    );
    cond("ctx.a.n > 3 ? true : false", d, true);
    cond("(ctx.z ?: 'd') == 'd'", d, true);
    cond("def x = ctx.a.n; x += 1; return x == 6;", d, true);
    cond("ctx._index == '_index'", d, true);
    cond("true", "{}", true);
    cond("params.x == null", "{}", true);
    cond("ctx.a.l.stream().anyMatch(v -> v > 1)", d, true);
    cond("['a','b'].contains(ctx.a.b) == false", d, true);
}

#[test]
fn condition_errors() {
    let c = Condition::from_config(&Value::from("ctx.a.b == 1")).unwrap();
    let e = c.eval(&doc("{}")).unwrap_err();
    assert_eq!(
        e.reason,
        "cannot access method/field [b] from a null def reference"
    );
    assert_eq!(e.caused_by.as_ref().unwrap().kind, "null_pointer_exception");
    assert_eq!(
        e.details["position"].to_json(),
        r#"{"offset":5,"start":0,"end":12}"#
    );
    assert_eq!(
        e.details["script_stack"].to_json(),
        r#"["ctx.a.b == 1","     ^---- HERE"]"#
    );
    let c = Condition::from_config(&Value::from("ctx.x = 1; return true")).unwrap();
    let e = c.eval(&doc("{}")).unwrap_err();
    assert_eq!(
        e.reason,
        "Mutating ingest documents in conditionals is not supported"
    );
    let c = Condition::from_config(&Value::from("ctx.l.add(1); true")).unwrap();
    assert!(c.eval(&doc(r#"{"l":[]}"#)).is_err());
    let c = Condition::from_config(&Value::from("ctx.a")).unwrap();
    let e = c.eval(&doc(r#"{"a":"s"}"#)).unwrap_err();
    assert_eq!(e.caused_by.unwrap().kind, "class_cast_exception");
    let c = Condition::from_config(&Value::from("ctx.n < 50")).unwrap();
    assert!(c.eval(&doc("{}")).is_err());
    // Object form with params; other languages and stored scripts are rejected.
    let v = Value::from_json_str(r#"{"source":"ctx.a == params.v","params":{"v":1}}"#).unwrap();
    let c = Condition::from_config(&v).unwrap();
    assert!(c.eval(&doc(r#"{"a":1}"#)).unwrap());
    let v = Value::from_json_str(r#"{"source":"1","lang":"expression"}"#).unwrap();
    assert!(Condition::from_config(&v).is_err());
    let v = Value::from_json_str(r#"{"id":"x"}"#).unwrap();
    assert!(Condition::from_config(&v).unwrap_err().contains("offline"));
}

#[test]
fn assignments_and_java_types() {
    give(
        "ctx.i = 1; ctx.l = 1L; ctx.d = 1.0; ctx.f = 1.5f",
        "{}",
        r#"{"i":1,"l":1,"d":1.0,"f":1.5}"#,
    );
    let s = Script::compile(
        "ctx.i = 1; ctx.l = 1L; ctx.d = 2.0; ctx.f = 1.5f; ctx.c = (long) 3",
        Map::default(),
    )
    .unwrap();
    let mut d = doc("{}");
    s.execute(&mut d, "p").unwrap();
    assert!(matches!(d.ctx["i"], Value::Int(1)));
    assert!(matches!(d.ctx["l"], Value::Long(1)));
    assert!(matches!(d.ctx["d"], Value::Double(_)));
    assert!(matches!(d.ctx["f"], Value::Float(_)));
    assert!(matches!(d.ctx["c"], Value::Long(3)));
    give("ctx.x = 2147483647 + 1", "{}", r#"{"x":-2147483648}"#);
    give(
        "ctx.x = 7 / 2; ctx.y = 7 % 3; ctx.z = 7 / 2.0; ctx.w = -7 / 2",
        "{}",
        r#"{"x":3,"y":1,"z":3.5,"w":-3}"#,
    );
    give(
        "ctx.x = 'a' + 1 + 2; ctx.y = 1 + 2 + 'a'; ctx.z = 'v' + 1.0 + null",
        "{}",
        r#"{"x":"a12","y":"3a","z":"v1.0null"}"#,
    );
    give(
        "ctx.x = 1 << 3 | 1; ctx.y = -16 >> 2; ctx.z = -16 >>> 28",
        "{}",
        r#"{"x":9,"y":-4,"z":15}"#,
    );
    give(
        "int i = 5; i += 2.7; ctx.i = i; long l = i; ctx.l = l",
        "{}",
        r#"{"i":7,"l":7}"#,
    );
    give(
        "def i = 0; i++; ++i; i--; ctx.i = i; ctx.j = i++ + ++i",
        "{}",
        r#"{"i":1,"j":4}"#,
    );
    give(
        "ctx.a.b = 1; ctx.a.b += 1",
        r#"{"a":{}}"#,
        r#"{"a":{"b":2}}"#,
    );
    give("def m = ctx.a; m.b = 1", r#"{"a":{}}"#, r#"{"a":{"b":1}}"#);
    give("ctx['x.y'] = ctx['a']", r#"{"a":1}"#, r#"{"a":1,"x.y":1}"#);
    give(
        "ctx.l[0] = 5; ctx.l.1 = 6",
        r#"{"l":[1,2]}"#,
        r#"{"l":[5,6]}"#,
    );
    give(
        "ctx.x = (int) 3.9; ctx.y = (double) 3; ctx.z = (char) 'a' + 1",
        "{}",
        r#"{"x":3,"y":3.0,"z":98}"#,
    );
    give(
        // Math is whitelisted with double signatures only.
        "ctx.x = Math.round(2.5); ctx.y = Math.max(1, 2L); ctx.z = Math.abs(-3); \
         ctx.w = Math.round(178.306017f * 1000000) * 1000",
        "{}",
        r#"{"x":3,"y":2.0,"z":3.0,"w":178306016000}"#,
    );
}

#[test]
fn strings() {
    give(
        "def s = ctx.s; ctx.r = [s.length(), s.substring(1, 3), s.indexOf('l'), s.lastIndexOf('l'), s.charAt(0).toString(), s.trim(), s.replace('l', 'L'), s.toUpperCase(), s.contains('ll'), s.endsWith('o'), s.equalsIgnoreCase('HELLO')]",
        r#"{"s":"hello"}"#,
        r#"{"s":"hello","r":[5,"el",2,3,"h","hello","heLLo","HELLO",true,true,true]}"#,
    );
    give(
        "ctx.n = ctx.s.length()",
        r#"{"s":"a😀"}"#,
        r#"{"s":"a😀","n":3}"#,
    );
    give(
        "ctx.p = Arrays.asList(ctx.s.splitOnToken(',')); ctx.q = Arrays.asList(ctx.s.split(','))",
        r#"{"s":"a,b,,"}"#,
        r#"{"s":"a,b,,","p":["a","b","",""],"q":["a","b"]}"#,
    );
    give(
        "ctx.x = ' a '.trim() + String.valueOf(1) + Integer.parseInt('12') + Long.parseLong('-3')",
        "{}",
        r#"{"x":"a112-3"}"#,
    );
    give(
        "ctx.x = Double.parseDouble('1.5'); ctx.y = Integer.toString(5)",
        "{}",
        r#"{"x":1.5,"y":"5"}"#,
    );
    give(
        "StringBuilder sb = new StringBuilder(); sb.append('a').append(1); ctx.x = sb.toString()",
        "{}",
        r#"{"x":"a1"}"#,
    );
    give(
        "ctx.x = Long.decode('0x10') + Long.decode('010')",
        "{}",
        r#"{"x":24}"#,
    );
    give(
        "ctx.x = Character.isWhitespace(' '.charAt(0)); ctx.y = Character.isDigit('7'.charAt(0))",
        "{}",
        r#"{"x":true,"y":true}"#,
    );
    give(
        "ctx.x = 'a-b'.replaceAll(/-/, m -> '+')",
        "{}",
        r#"{"x":"a+b"}"#,
    );
    give(
        "def m = /(\\d+)-(?<w>\\w+)/.matcher('x 12-ab'); if (m.find()) { ctx.a = m.group(1); ctx.b = m.group('w') }",
        "{}",
        r#"{"a":"12","b":"ab"}"#,
    );
    give(
        "ctx.x = String.join('-', ['a', 'b'])",
        "{}",
        r#"{"x":"a-b"}"#,
    );
}

#[test]
fn collections() {
    give(
        "ctx.l.add(3); ctx.l.removeIf(v -> v == 1); ctx.n = ctx.l.size()",
        r#"{"l":[1,2]}"#,
        r#"{"l":[2,3],"n":2}"#,
    );
    give(
        "def l = new ArrayList(); l.add('b'); l.add('a'); Collections.sort(l); ctx.l = l",
        "{}",
        r#"{"l":["a","b"]}"#,
    );
    give(
        "ctx.l.sort((a, b) -> b - a)",
        r#"{"l":[1,3,2]}"#,
        r#"{"l":[3,2,1]}"#,
    );
    give(
        "Map m = new HashMap(); m.put('a', 1); m.putIfAbsent('a', 2); m.putIfAbsent('b', 3); ctx.m = m; ctx.g = m.getOrDefault('z', 9)",
        "{}",
        r#"{"m":{"a":1,"b":3},"g":9}"#,
    );
    give(
        "def s = new HashSet(); s.add(1); s.add(1); s.add(2); ctx.n = s.size()",
        "{}",
        r#"{"n":2}"#,
    );
    give(
        "ctx.m = [:]; ctx.l = []; ctx.x = ['a': 1, 'b': [2]]",
        "{}",
        r#"{"m":{},"l":[],"x":{"a":1,"b":[2]}}"#,
    );
    give(
        "def out = []; for (def e : ctx.m.entrySet()) { out.add(e.getKey() + '=' + e.getValue()) } ctx.o = out",
        r#"{"m":{"a":1,"b":2}}"#,
        r#"{"m":{"a":1,"b":2},"o":["a=1","b=2"]}"#,
    );
    give(
        "def n = 0; for (item in ctx.l) { n += item } ctx.n = n",
        r#"{"l":[1,2,3]}"#,
        r#"{"l":[1,2,3],"n":6}"#,
    );
    give(
        "ctx.m.forEach((k, v) -> ctx[k + '2'] = v)",
        r#"{"m":{"a":1}}"#,
        r#"{"m":{"a":1},"a2":1}"#,
    );
    give(
        "ctx.x = ctx.l.stream().filter(v -> v > 1).map(v -> v * 10).collect(Collectors.toList())",
        r#"{"l":[1,2,3]}"#,
        r#"{"l":[1,2,3],"x":[20,30]}"#,
    );
    give(
        "String[] a = new String[2]; a[0] = 'x'; ctx.n = a.length; ctx.a = Arrays.asList(a)",
        "{}",
        r#"{"n":2,"a":["x",null]}"#,
    );
    give(
        "def it = ctx.m.entrySet().iterator(); while (it.hasNext()) { def e = it.next(); if (e.getValue() == null) { it.remove() } }",
        r#"{"m":{"a":null,"b":1}}"#,
        r#"{"m":{"b":1}}"#,
    );
    give(
        "ctx.remove('a'); ctx.put('b', ctx.containsKey('a'))",
        r#"{"a":1}"#,
        r#"{"b":false}"#,
    );
    give(
        "ctx.x = ctx.l.indexOf('b') + ctx.l.join('|')",
        r#"{"l":["a","b"]}"#,
        r#"{"l":["a","b"],"x":"1a|b"}"#,
    );
}

#[test]
fn control_flow_and_functions() {
    give(
        "int s = 0; for (int i = 0; i < 10; i++) { if (i % 2 == 0) continue; if (i > 7) break; s += i } ctx.s = s",
        "{}",
        r#"{"s":16}"#,
    );
    give(
        "int i = 0; do { i++ } while (i < 3); while (i < 5) i++; ctx.i = i",
        "{}",
        r#"{"i":5}"#,
    );
    give(
        "int fact(int n) { return n <= 1 ? 1 : n * fact(n - 1) } ctx.f = fact(5)",
        "{}",
        r#"{"f":120}"#,
    );
    give(
        "void clean(Map m) { m.remove('a') } clean(ctx)",
        r#"{"a":1,"b":2}"#,
        r#"{"b":2}"#,
    );
    give(
        "try { Integer.parseInt('x') } catch (NumberFormatException e) { ctx.e = e.getMessage() }",
        "{}",
        r#"{"e":"For input string: \"x\""}"#,
    );
    give(
        "try { throw new IllegalStateException('s') } catch (Exception e) { ctx.e = e.getMessage() }",
        "{}",
        r#"{"e":"s"}"#,
    );
    give("if (ctx.a == null) { return; } ctx.b = 1", "{}", "{}");
    give(
        "def f = x -> x * 2; ctx.x = [1, 2].stream().map(f).collect(Collectors.toList())",
        "{}",
        r#"{"x":[2,4]}"#,
    );
    give(
        "boolean isBig(def x) { return x > 10 } ctx.l.removeIf(this::isBig)",
        r#"{"l":[1,20]}"#,
        r#"{"l":[1]}"#,
    );
    give(
        "ctx.x = new CIDR('10.0.0.0/8').contains('10.1.2.3') && !new CIDR('10.0.0.0/8').contains('11.0.0.1')",
        "{}",
        r#"{"x":true}"#,
    );
}

#[test]
fn runtime_errors() {
    // Painless resolves calls on def values at run time: unknown methods compile.
    fails(
        "def s = 'Rule1:2'; if (ctx.a != null) { s.splitByToken(':', 2) }",
        r#"{"a":1}"#,
        "illegal_argument_exception",
        "dynamic method [java.lang.String, splitByToken/2] not found",
    );
    fails(
        "ctx.a.b = 1",
        "{}",
        "null_pointer_exception",
        "cannot access method/field [b] from a null def reference",
    );
    fails(
        "ctx.x = ctx.a.toLowerCase()",
        "{}",
        "null_pointer_exception",
        "cannot access method/field [toLowerCase] from a null def reference",
    );
    fails("ctx.x = 1 / 0", "{}", "arithmetic_exception", "/ by zero");
    fails(
        "String s = ctx.a",
        r#"{"a":1}"#,
        "class_cast_exception",
        "Cannot cast java.lang.Integer to java.lang.String",
    );
    fails(
        "ctx.x = ctx.l[5]",
        r#"{"l":[1]}"#,
        "index_out_of_bounds_exception",
        "Index 5 out of bounds for length 1",
    );
    fails(
        "ctx.x = Integer.parseInt('a')",
        "{}",
        "number_format_exception",
        "For input string: \"a\"",
    );
    fails(
        "while (true) {}",
        "{}",
        "painless_error",
        "The maximum number of statements that can be executed in a loop has been reached.",
    );
    fails(
        "try { while (true) {} } catch (Exception e) {}",
        "{}",
        "painless_error",
        "The maximum number of statements that can be executed in a loop has been reached.",
    );
    fails(
        "int f(int n) { return f(n + 1) } f(0)",
        "{}",
        "stack_overflow_error",
        "the script exceeded the maximum call depth",
    );
    fails(
        "throw new IllegalArgumentException('boom')",
        "{}",
        "illegal_argument_exception",
        "boom",
    );
    fails(
        "ctx.x = ctx.s.substring(5)",
        r#"{"s":"ab"}"#,
        "string_index_out_of_bounds_exception",
        "begin 5, end 2, length 2",
    );
    let s = Script::compile("ctx.foo = ctx", Map::default()).unwrap();
    let e = s
        .execute(&mut doc(r#"{"a":1}"#), "my_pipeline")
        .unwrap_err();
    assert_eq!(
        e.reason,
        "Failed to generate the source document for ingest pipeline [my_pipeline]"
    );
}

#[test]
fn compile_errors() {
    bad("ctx.a = ", "line 1, column 9");
    bad("x = 1", "cannot resolve symbol [x]");
    bad("new Frob()", "cannot resolve type [Frob]");
    bad("OffsetDateTime.parse(ctx.a)", "OffsetDateTime");
    bad("Math.frob(1)", "static method [Math, frob/1] not found");
    bad("'\\n'", "escape");
    bad("int x = 1; int x = 2", "already defined");
    bad(
        "def f(def a) { return ctx } f(1)",
        "cannot resolve symbol [ctx]",
    );
    bad("1 +", "line 1");
    bad("undefined_fn(1)", "Unknown call [undefined_fn]");
    let deep = format!("{}1{}", "(".repeat(500), ")".repeat(500));
    bad(&deep, "nested too deeply");
    let deep = format!("{}ctx.a = 1;{}", "{".repeat(500), "}".repeat(500));
    bad(&deep, "nested too deeply");
}

#[test]
fn deep_but_legal_scripts_run() {
    // A long else-if chain, nested parentheses and deep recursion stay within the stack.
    let mut src = String::from("def x = ctx.n; def r = -1; ");
    for i in 0..300 {
        src.push_str(&format!("if (x == {i}) {{ r = {i} }} else "));
    }
    src.push_str("{ r = 0 } ctx.r = r;");
    give(&src, r#"{"n":299}"#, r#"{"n":299,"r":299}"#);
    let nested = format!("ctx.v = {}1{}", "(".repeat(25), ")".repeat(25));
    give(&nested, "{}", r#"{"v":1}"#);
    give(
        "int f(int n) { if (n == 0) { return 0 } return ((((1 + f(n - 1))))) } ctx.v = f(20)",
        "{}",
        r#"{"v":20}"#,
    );
}

#[test]
fn worst_case_nesting_does_not_overflow() {
    let body = format!("{}f(n - 1){}", "(".repeat(27), ")".repeat(27));
    // Deep enough that the stack budget or the call depth limit stops it, however little
    // stack each call takes.
    let src = format!("int f(int n) {{ if (n <= 0) {{ return 0 }} return {body} }} f(100000)");
    let s = Script::compile(&src, Map::default()).expect("compiles");
    let e = s.execute(&mut doc("{}"), "p").unwrap_err();
    assert_eq!(e.caused_by.unwrap().kind, "stack_overflow_error");
}

#[test]
fn maps_iterate_in_java_hashmap_order() {
    // Keys of params and of script maps come out in java.util.HashMap order.
    let src = "def out = []; for (e in params.entrySet()) { out.add(e.getValue()) } ctx.out = out";
    let mut params = Map::default();
    for (k, v) in [
        ("0x40000000", "Forwardable"),
        ("0x00000010", "Renewable-ok"),
        ("0x00010000", "Name-canonicalize"),
        ("0x00800000", "Renewable"),
    ] {
        params.insert(k.into(), Value::from(v));
    }
    let s = Script::compile(src, params).expect("compiles");
    let mut d = doc("{}");
    s.execute(&mut d, "p").expect("runs");
    assert_eq!(
        d.ctx.get("out").map(Value::to_json).as_deref(),
        Some(r#"["Forwardable","Renewable-ok","Name-canonicalize","Renewable"]"#)
    );
    give(
        "def m = new HashMap(); for (k in ['ClientIP', 'GroupName', 'Id', 'ObjectId']) { m[k] = 1 } \
         ctx.s = m.toString(); ctx.k = new ArrayList(m.keySet()); \
         ctx.h = new ArrayList(new HashSet(['userdte471', 'USERDTE471']))",
        "{}",
        r#"{"s":"{GroupName=1, ObjectId=1, Id=1, ClientIP=1}","k":["GroupName","ObjectId","Id","ClientIP"],"h":["userdte471","USERDTE471"]}"#,
    );
    // `map.empty` is the isEmpty() getter, not the key "empty".
    cond("!ctx.m.empty", r#"{"m":{"a":1}}"#, true);
    cond("ctx.m.empty", r#"{"m":{}}"#, true);
}

#[test]
fn java_time_in_scripts() {
    give(
        "ZonedDateTime start = ZonedDateTime.parse(ctx.s); ctx.e = start.plus(ctx.d, ChronoUnit.NANOS); \
         ctx.n = ChronoUnit.NANOS.between(start, ctx.e); \
         ctx.sec = ZonedDateTime.parse(ctx.s).toEpochSecond()",
        r#"{"s":"2013-01-19T15:18:17.040Z","d":60000000000}"#,
        r#"{"s":"2013-01-19T15:18:17.040Z","d":60000000000,"e":"2013-01-19T15:19:17.040Z","n":60000000000,"sec":1358608697}"#,
    );
    give(
        "ctx.a = Instant.ofEpochSecond(ctx.t).toString(); \
         ctx.b = ZonedDateTime.parse('2021-01-01T00:00:00Z').plusDays(365); \
         ctx.c = ZonedDateTime.parse(ctx.x, DateTimeFormatter.ISO_LOCAL_DATE_TIME.withZone(ZoneId.of('Z'))).plusHours(1L); \
         ctx.d = Duration.between(Instant.parse('2021-01-01T00:00:00Z'), Instant.parse('2021-01-01T00:00:01.5Z')).toNanos(); \
         ctx.e = '' + ZonedDateTime.parse('2021-04-06T15:51:02.759992Z'); \
         ctx.f = ZonedDateTime.ofInstant(Instant.ofEpochMilli(1000L), ZoneOffset.UTC).getYear()",
        r#"{"t":1600000000,"x":"2022-03-04T05:06:07"}"#,
        r#"{"t":1600000000,"x":"2022-03-04T05:06:07","a":"2020-09-13T12:26:40Z","b":"2022-01-01T00:00:00.000Z","c":"2022-03-04T06:06:07.000Z","d":1500000000,"e":"2021-04-06T15:51:02.759992Z","f":1970}"#,
    );
    give(
        "ZonedDateTime convert(String t) { try { return ZonedDateTime.ofInstant(Instant.ofEpochMilli(Long.parseLong(t)), ZoneId.of('Z')) } \
         catch (NumberFormatException e) { return ZonedDateTime.parse(t) } } \
         List z = new ArrayList(); for (def t : ctx.times) { z.add(convert(t)) } ctx.min = Collections.min(z)",
        r#"{"times":["2021-01-01T00:00:00Z","1500000000000"]}"#,
        r#"{"times":["2021-01-01T00:00:00Z","1500000000000"],"min":"2017-07-14T02:40:00.000Z"}"#,
    );
    fails(
        "ctx.x = ZonedDateTime.parse(ctx.s)",
        r#"{"s":"2021-01-01 00:00:00"}"#,
        "date_time_parse_exception",
        "Text '2021-01-01 00:00:00' could not be parsed at index 10",
    );
    give(
        "try { ZonedDateTime.parse(ctx.s) } catch (DateTimeParseException e) { ctx.err = e.getMessage() }",
        r#"{"s":"x"}"#,
        r#"{"s":"x","err":"Text 'x' could not be parsed at index 0"}"#,
    );
}

#[test]
fn ingest_script_api() {
    give(
        "Metadata m = metadata(); m.index += '2'; m.id += 'extra'; m.routing = 'r'; m.version = 5; \
         ctx.now = m.now.toString(); ctx.idx = metadata().getIndex()",
        "{}",
        r#"{"now":"2024-01-01T00:00Z","idx":"_index2"}"#,
    );
    let s =
        Script::compile("metadata().versionType = 'external'", Map::default()).expect("compiles");
    let mut d = doc("{}");
    s.execute(&mut d, "p").expect("runs");
    assert_eq!(d.ctx.get("_version_type"), Some(&Value::from("external")));
    give(
        "ctx.a = field('x.y').get('d'); ctx.b = field('p.q').get('d'); ctx.c = $('x.y', 0); \
         ctx.e = field('x.y').exists(); field('n.m').set(1); field('l').append(2); field('z.w').remove()",
        r#"{"x":{"y":7},"p.q":"lit","l":1,"z":{"w":1}}"#,
        r#"{"x":{"y":7},"p.q":"lit","l":[1,2],"z":{},"a":7,"b":"lit","c":7,"e":true,"n":{"m":1}}"#,
    );
    cond(
        "field('conditional.field').get('') == 'bar'",
        r#"{"conditional.field":"bar"}"#,
        true,
    );
    cond("$('a.b', 'none') == 'none'", r#"{"a":1}"#, true);
    give(
        "ctx.c = Processors.communityId('128.232.110.120', '66.35.250.204', null, 'TCP', 34855, 80, null, null, 123); \
         ctx.u = Processors.uriParts('http://www.example.com/index.html').domain",
        "{}",
        r#"{"c":"1:hTSGlFQnR58UCk+NfKRZzA32dPg=","u":"www.example.com"}"#,
    );
}

#[test]
fn conditions_compare_document_maps_by_identity() {
    // Conditions see ctx's maps and lists through wrappers with Object's identity equals.
    let two = r#"{"a":{"x":1},"b":{"x":1},"l":[1],"m":[1]}"#;
    cond("ctx.a == ctx.b", two, false);
    cond("ctx.a != ctx.b", two, true);
    cond("ctx.l == ctx.m", two, false);
    cond("ctx.a.equals(ctx.b)", two, false);
    cond("Objects.equals(ctx.a, ctx.b)", two, false);
    cond("def m = ctx.a; m == m", two, true);
    cond("ctx.a.x == ctx.b.x", two, true);
    cond("ctx.a == null", two, false);
    // A fresh map on the left compares contents (HashMap.equals).
    cond("['x': 1] == ctx.a", two, true);
    // params maps are not wrapped: contents.
    let v = Value::from_json_str(
        r#"{"source":"params.p == params.q","params":{"p":{"x":1},"q":{"x":1}}}"#,
    )
    .unwrap();
    assert!(
        Condition::from_config(&v)
            .unwrap()
            .eval(&doc("{}"))
            .unwrap()
    );
    // Scripts see plain HashMaps and ArrayLists: contents.
    give(
        "ctx.e = ctx.a == ctx.b",
        r#"{"a":{"x":1},"b":{"x":1}}"#,
        r#"{"a":{"x":1},"b":{"x":1},"e":true}"#,
    );
}

#[test]
fn java_arrays_in_ctx_fail_the_document() {
    // IngestDocument.deepCopy (run by _simulate on the result) rejects Java arrays.
    let s = Script::compile("ctx.a = 'x y'.splitOnToken(' ')", Map::default()).unwrap();
    let mut d = doc("{}");
    let e = s.execute(&mut d, "p").expect_err("a String[] in ctx");
    assert_eq!(e.kind, "illegal_argument_exception");
    assert_eq!(
        e.reason,
        "unexpected value type [class [Ljava.lang.String;]"
    );
    assert!(e.fatal, "on_failure does not see it");
    // Converted to a list, or kept only in a local variable, it is fine.
    give(
        "def p = 'x y'.splitOnToken(' '); ctx.a = Arrays.asList(p); ctx.n = p.length",
        "{}",
        r#"{"a":["x","y"],"n":2}"#,
    );
}

#[test]
fn character_compare_to_takes_a_char_and_never_overflows() {
    give(
        "ctx.d = 'b'.charAt(0).compareTo('a'.charAt(0))",
        "{}",
        r#"{"d":1}"#,
    );
    let s = Script::compile(
        "def v = 'a'.charAt(0); ctx.d = v.compareTo(Integer.MIN_VALUE)",
        Map::default(),
    )
    .expect("compiles");
    let mut d = doc("{}");
    let e = s
        .execute(&mut d, "p")
        .expect_err("an int is not a Character");
    let cause = e.caused_by.as_ref().expect("a cause");
    assert_eq!(cause.kind, "class_cast_exception", "{e:?}");
}
