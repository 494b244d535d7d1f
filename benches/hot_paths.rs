//! Criterion benchmarks of the per-document hot paths: field paths, templates, Painless, the
//! common processors, JSON in and out, and a whole pipeline (`cargo bench --bench hot_paths`).

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use pipette::Resources;
use pipette::document::{FieldPath, IngestDocument};
use pipette::painless::{Condition, Script};
use pipette::pipeline::{Pipeline, PipelineSet};
use pipette::template::Template;
use pipette::value::{Map, Value};
use std::hint::black_box;
use std::path::Path;

const TIMESTAMP: &str = "2024-01-02T03:04:05.000Z";

/// A realistic event: one of the repository's authentik sample events, parsed as `json` would.
fn event() -> Map {
    let line = include_str!("../sample_events/event/test-event.log")
        .lines()
        .next()
        .expect("a sample event");
    let mut m = Map::default();
    m.insert("message".into(), Value::from(line));
    if let Ok(v) = Value::from_json_str(line) {
        m.insert("authentik".into(), v);
    }
    m
}

fn doc() -> IngestDocument {
    IngestDocument::new(event(), TIMESTAMP)
}

fn json(text: &str) -> Value {
    Value::from_json_str(text).expect("valid JSON")
}

fn field_paths(c: &mut Criterion) {
    let mut g = c.benchmark_group("field_path");
    let deep = FieldPath::parse("authentik.context.http_request.method").unwrap();
    let d = doc();
    g.bench_function("get", |b| b.iter(|| black_box(d.get(&deep).is_ok())));
    let target = FieldPath::parse("event.outcome").unwrap();
    g.bench_function("set", |b| {
        b.iter_batched_ref(
            doc,
            |d| d.set(&target, Value::from("success")).is_ok(),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("parse", |b| {
        b.iter(|| FieldPath::parse(black_box("authentik.context.http_request.method")).is_ok())
    });
    g.finish();
}

fn templates(c: &mut Criterion) {
    let t = Template::compile("{{authentik.action}} by {{authentik.user.username}}").unwrap();
    let d = doc();
    c.bench_function("template/render", |b| b.iter(|| black_box(t.render(&d))));
}

fn painless(c: &mut Criterion) {
    let mut g = c.benchmark_group("painless");
    let cond = Condition::from_config(&Value::from(
        "ctx.authentik?.action instanceof String && ctx.authentik.action != 'login_failed'",
    ))
    .unwrap();
    let d = doc();
    // Plain field tests are decided from the document (painless::quick)…
    g.bench_function("condition", |b| b.iter(|| black_box(cond.eval(&d).is_ok())));
    // …other conditions run in the interpreter.
    let general = Condition::from_config(&Value::from(
        "ctx.authentik?.action instanceof String && ctx.authentik.action.length() > 3",
    ))
    .unwrap();
    g.bench_function("condition/interpreted", |b| {
        b.iter(|| black_box(general.eval(&d).is_ok()))
    });
    let script = Script::compile(
        "def m = params.get(ctx.authentik.action); if (m != null) { if (ctx.event == null) { ctx.event = [:] } ctx.event.category = new ArrayList(m.category); ctx.event.outcome = m.outcome }",
        json(r#"{"login":{"category":["authentication","session"],"outcome":"success"}}"#)
            .as_map()
            .cloned()
            .unwrap(),
    )
    .unwrap();
    g.bench_function("script/named_keys", |b| {
        b.iter_batched_ref(
            doc,
            |d| script.execute(d, "bench").is_ok(),
            BatchSize::SmallInput,
        )
    });
    // Iterates ctx: the whole document goes into the interpreter and back.
    let whole = Script::compile(
        "int n = 0; for (def k : ctx.keySet()) { n++ } ctx.count = n",
        Map::default(),
    )
    .unwrap();
    g.bench_function("script/whole_ctx", |b| {
        b.iter_batched_ref(
            doc,
            |d| whole.execute(d, "bench").is_ok(),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

/// One pipeline per processor, run as `_simulate` would (ingest metadata included).
fn processors(c: &mut Criterion) {
    let resources = Resources::new();
    let cases = [
        ("set", r#"{"set":{"field":"event.kind","value":"event"}}"#),
        (
            "set_template",
            r#"{"set":{"field":"event.action","value":"{{authentik.action}}"}}"#,
        ),
        (
            "rename",
            r#"{"rename":{"field":"authentik.app","target_field":"event.provider"}}"#,
        ),
        (
            "grok",
            r#"{"grok":{"field":"authentik.created","patterns":["%{YEAR:y}-%{MONTHNUM:m}-%{MONTHDAY:d}T%{TIME:t}Z"]}}"#,
        ),
        (
            "date",
            r#"{"date":{"field":"authentik.created","formats":["ISO8601"]}}"#,
        ),
        (
            "json",
            r#"{"json":{"field":"message","target_field":"parsed"}}"#,
        ),
        (
            "convert",
            r#"{"convert":{"field":"authentik.client_ip","type":"ip"}}"#,
        ),
        (
            "user_agent",
            r#"{"user_agent":{"field":"authentik.context.http_request.user_agent"}}"#,
        ),
        ("geoip", r#"{"geoip":{"field":"authentik.client_ip"}}"#),
        ("lowercase", r#"{"lowercase":{"field":"authentik.action"}}"#),
        (
            "remove",
            r#"{"remove":{"field":["authentik.brand","authentik.expires"]}}"#,
        ),
    ];
    let mut g = c.benchmark_group("processor");
    for (name, config) in cases {
        let def = json(&format!(r#"{{"processors":[{config}]}}"#));
        let p = Pipeline::from_value(name, &def, None, None, &resources)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut set = PipelineSet::new();
        set.insert(p);
        g.bench_function(name, |b| {
            b.iter_batched(
                doc,
                |d| black_box(set.run(name, d).is_ok()),
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

fn json_io(c: &mut Criterion) {
    let mut g = c.benchmark_group("json");
    let text = Value::Map(event()).to_json();
    let v = json(&text);
    g.bench_function("read", |b| {
        b.iter(|| Value::from_json_str(black_box(&text)).is_ok())
    });
    g.bench_function("write", |b| b.iter(|| black_box(v.to_json())));
    g.bench_function("write_pretty", |b| {
        b.iter(|| black_box(v.to_json_pretty(2)))
    });
    g.finish();
}

/// The repository's authentik.event pipeline over one sample event, JSON in and out.
fn whole_pipeline(c: &mut Criterion) {
    let resources = Resources::new();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/event/default.yml");
    let Ok((set, id, _)) = pipette::harness::run::load_with_siblings(&file, &resources) else {
        return;
    };
    let clock = pipette::harness::Clock::parse("2024-01-02T03:04:05Z").unwrap();
    let line = include_str!("../sample_events/event/test-event.log")
        .lines()
        .next()
        .unwrap();
    let mut m = Map::default();
    m.insert("message".into(), Value::from(line));
    let input = Value::Map(m).to_json();
    c.bench_function("pipeline/authentik_event", |b| {
        b.iter(|| {
            let Ok(Value::Map(source)) = Value::from_json_str(&input) else {
                return 0;
            };
            let out = pipette::harness::run_event(&set, &id, source, None, &clock)
                .map(|v| v.to_json())
                .unwrap_or_default();
            black_box(out).len()
        })
    });
}

criterion_group!(
    benches,
    field_paths,
    templates,
    painless,
    processors,
    json_io,
    whole_pipeline
);
criterion_main!(benches);
