//! Runs Elasticsearch's own ingest YAML REST tests (../shared/conformance/es-rest-yaml) offline, one
//! test per case, against pipette's in-process API emulation. Skips as a whole without ../shared.

use libtest_mimic::{Arguments, Failed, Trial};
use pipette::rest::{Cluster, RestError};
use pipette::{IngestDocument, Map, Pipeline, PipelineSet, Resources, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Test-runner features this runner implements (`skip.features` / `requires.test_runner_features`).
const FEATURES: &[&str] = &[
    "contains",
    "allowed_warnings",
    "allowed_warnings_regex",
    "warnings",
    "headers",
];

/// The GeoIP databases the cases run with: `PIPETTE_GEOIP_DIR` when set (e.g. the production
/// GeoLite2 databases), else the MaxMind test databases pipette ships.
fn resources() -> Resources {
    match std::env::var_os("PIPETTE_GEOIP_DIR") {
        Some(d) if !d.is_empty() => Resources::with_geoip_dir(Some(PathBuf::from(d))),
        _ => Resources::new(),
    }
}

fn shared_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/es-rest-yaml")
}

fn main() {
    let args = Arguments::from_args();
    let dir = shared_dir();
    if !dir.is_dir() {
        println!(
            "conformance: skipped: {} is absent (Elasticsearch's YAML REST tests are not shipped)",
            dir.display()
        );
        libtest_mimic::run(&args, Vec::new()).exit();
    }
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    let mut trials = Vec::new();
    for file in files {
        let rel = file
            .strip_prefix(&dir)
            .unwrap_or(&file)
            .display()
            .to_string();
        match load_suite(&file) {
            Err(e) => {
                let msg = e.clone();
                trials.push(Trial::test(rel.clone(), move || Err(msg.into())));
            }
            Ok(suite) => {
                let suite = std::sync::Arc::new(suite);
                for (i, (name, _)) in suite.tests.iter().enumerate() {
                    let suite = suite.clone();
                    let id = format!("{rel}::{name}");
                    let t = match suite.skip_reason(i) {
                        Some(reason) => {
                            println!("skip {id}: {reason}");
                            Trial::test(id, || Ok(())).with_ignored_flag(true)
                        }
                        None => match suite.run(i, Shape::Current) {
                            // A case written for Elasticsearch before 7.9 fails on today's verbose
                            // `_simulate` results; it is skipped when it passes against the older
                            // shape, so every other assertion in it is still checked.
                            Err(_)
                                if suite.uses_verbose_simulate(i)
                                    && suite.run(i, Shape::Before79).is_ok() =>
                            {
                                println!("skip {id}: {PRE_79_VERBOSE}");
                                Trial::test(id, || Ok(())).with_ignored_flag(true)
                            }
                            // pipette reads the field a rendered `field` template names, as
                            // Elasticsearch's RenameProcessor does; cases expecting otherwise are
                            // skipped with the reason, and only on that exact error.
                            Err(e)
                                if suite.renames_through_template(i)
                                    && e.message().is_some_and(|m| m.contains("doesn't exist")) =>
                            {
                                println!("skip {id}: {RENAME_THROUGH_TEMPLATE}");
                                Trial::test(id, || Ok(())).with_ignored_flag(true)
                            }
                            _ => Trial::test(id, move || suite.run(i, Shape::Current)),
                        },
                    };
                    trials.push(t);
                }
            }
        }
    }
    let conclusion = libtest_mimic::run(&args, trials);
    println!(
        "{} passed, {} failed, {} skipped",
        conclusion.num_passed, conclusion.num_failed, conclusion.num_ignored
    );
    conclusion.exit();
}

/// The ingest timestamp of every run.
const NOW: &str = "2024-01-01T00:00:00.000Z";

/// Why a case that passes only against the verbose `_simulate` shape of Elasticsearch before 7.9
/// is skipped.
const PRE_79_VERBOSE: &str = "asserts the verbose `_simulate` results of Elasticsearch before 7.9, \
which had no `processor_type`, `status` or `if` keys and no entries for `pipeline` processors \
(elastic/elasticsearch#60433 added them); pipette gives today's shape, and the case passes \
against the older one";

/// A `_simulate` request gives the same body through `pipette simulate` as through the
/// in-process API, so the command answers every such request of the suite. The stored
/// pipelines are given as a folder (`--pipelines`), for `--id` and for `pipeline` processors.
fn same_from_cli(
    params: &Map,
    stored: &Value,
    result: &Result<Value, RestError>,
) -> Result<(), String> {
    use std::io::Write as _;
    let body = params.get("body").map(Value::to_json).unwrap_or_default();
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    for (id, def) in stored.as_map().into_iter().flatten() {
        std::fs::write(dir.path().join(format!("{id}.json")), def.to_json())
            .map_err(|e| e.to_string())?;
    }
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_pipette"));
    cmd.args(["simulate", "--now", NOW, "--color", "never", "--pipelines"]);
    cmd.arg(dir.path());
    if params
        .get("verbose")
        .is_some_and(|v| v.to_java_string() == "true")
    {
        cmd.arg("--verbose");
    }
    if let Some(id) = params.get("id") {
        cmd.arg("--id").arg(id.to_java_string());
    }
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("pipette simulate: {e}"))?;
    child
        .stdin
        .take()
        .ok_or("pipette simulate: no stdin")?
        .write_all(body.as_bytes())
        .map_err(|e| format!("pipette simulate: {e}"))?;
    let out = child
        .wait_with_output()
        .map_err(|e| format!("pipette simulate: {e}"))?;
    let printed = Value::from_json_str(&String::from_utf8_lossy(&out.stdout)).map_err(|e| {
        format!(
            "pipette simulate printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    let expected = match result {
        Ok(v) => v,
        Err(e) => &e.body,
    };
    if printed.to_json() == expected.to_json() {
        Ok(())
    } else {
        Err(format!(
            "pipette simulate answers differently from the API: {} vs {}",
            short(&printed),
            short(expected)
        ))
    }
}

/// Why a case that expects `rename` to move the field its `field` template reads is skipped.
const RENAME_THROUGH_TEMPLATE: &str = "expects a `rename` whose `field` is the template \
`{{name}}` to move the field `name` itself; Elasticsearch's RenameProcessor renders `field` \
against the document (ConfigurationUtils.compileTemplate, IngestDocument.renderTemplate) and \
moves the field named by the result, which does not exist here, so pipette fails the document \
with `field [<value>] doesn't exist`, as that source does";

/// Which shape of verbose `_simulate` results the runner checks a case against.
#[derive(Clone, Copy, PartialEq)]
enum Shape {
    /// What Elasticsearch 7.9 and later return (and pipette emulates).
    Current,
    /// Today's results with what elastic/elasticsearch#60433 added taken out again.
    Before79,
}

/// Today's verbose results in the older shape: entries of `pipeline` processors dropped, and
/// `processor_type`, `status` and `if` removed from the others.
fn before_79(response: &mut Value) {
    let Some(docs) = response.as_map_mut().and_then(|m| m.get_mut("docs")) else {
        return;
    };
    let Value::List(docs) = docs else { return };
    for doc in docs {
        let Some(Value::List(results)) = doc
            .as_map_mut()
            .and_then(|m| m.get_mut("processor_results"))
        else {
            continue;
        };
        results.retain(|r| {
            r.as_map()
                .and_then(|m| m.get("processor_type"))
                .is_none_or(|t| t.to_java_string() != "pipeline")
        });
        for r in results.iter_mut() {
            if let Some(m) = r.as_map_mut() {
                for key in ["processor_type", "status", "if"] {
                    m.shift_remove(key);
                }
            }
        }
    }
}

struct Suite {
    setup: Vec<Value>,
    teardown: Vec<Value>,
    tests: Vec<(String, Vec<Value>)>,
}

fn load_suite(file: &Path) -> Result<Suite, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut suite = Suite {
        setup: Vec::new(),
        teardown: Vec::new(),
        tests: Vec::new(),
    };
    for doc in serde_norway::Deserializer::from_str(&text) {
        let v: Value =
            serde::Deserialize::deserialize(doc).map_err(|e| format!("{}: {e}", file.display()))?;
        let Value::Map(m) = v else { continue };
        for (k, steps) in m {
            let steps = match steps {
                Value::List(l) => l,
                Value::Null => Vec::new(),
                other => vec![other],
            };
            match k.as_str() {
                "setup" => suite.setup = steps,
                "teardown" => suite.teardown = steps,
                _ => suite.tests.push((k, steps)),
            }
        }
    }
    Ok(suite)
}

/// Why a step list cannot run here, from its `skip` / `requires` sections.
fn unsupported(steps: &[Value]) -> Option<String> {
    for step in steps {
        let Some(m) = step.as_map() else { continue };
        for key in ["skip", "requires"] {
            let Some(Value::Map(s)) = m.get(key) else {
                continue;
            };
            let mut feats: Vec<String> = Vec::new();
            for fk in ["features", "test_runner_features"] {
                match s.get(fk) {
                    Some(Value::String(f)) => feats.push(f.clone()),
                    Some(Value::List(l)) => feats.extend(l.iter().map(Value::to_java_string)),
                    _ => {}
                }
            }
            for f in feats {
                // `capabilities` is checked below, against the ones pipette emulates.
                if f != "capabilities" && !FEATURES.contains(&f.as_str()) {
                    return Some(format!("needs test-runner feature [{f}]"));
                }
            }
            if let Some(caps) = s.get("capabilities")
                && let Some(missing) = missing_capability(caps)
            {
                return Some(format!(
                    "needs cluster capability [{missing}], which pipette does not emulate"
                ));
            }
        }
        if let Some(Value::Map(d)) = m.get("do") {
            for api in d.keys() {
                let why = match api.as_str() {
                    "nodes.info" | "cluster.state" => {
                        "a cluster API (the node's modules and installed processors), outside ingest"
                    }
                    "simulate.ingest" => {
                        "the `_ingest/_simulate` API (pipeline, template and mapping substitutions \
                         checked against index mappings), which pipette does not emulate"
                    }
                    _ => continue,
                };
                return Some(format!("calls [{api}]: {why}"));
            }
        }
    }
    None
}

/// Cluster capabilities (`requires.capabilities`) pipette emulates, as `(method, path, name)`.
const CAPABILITIES: &[(&str, &str, &str)] = &[
    (
        "PUT",
        "/_ingest/pipeline/{id}",
        "field_access_pattern.flexible",
    ),
    (
        "PUT",
        "/_ingest/pipeline/{id}",
        "field_access_pattern.flexible.arrays",
    ),
];

/// The first capability a `capabilities` requirement lists that pipette does not emulate.
fn missing_capability(caps: &Value) -> Option<String> {
    let entries: Vec<&Value> = match caps {
        Value::List(l) => l.iter().collect(),
        other => vec![other],
    };
    for entry in entries {
        let Some(e) = entry.as_map() else {
            return Some(entry.to_java_string());
        };
        let method = e
            .get("method")
            .map(Value::to_java_string)
            .unwrap_or_default();
        let path = e.get("path").map(Value::to_java_string).unwrap_or_default();
        if e.contains_key("parameters") {
            return Some(format!("{method} {path} parameters"));
        }
        let names: Vec<String> = match e.get("capabilities") {
            Some(Value::List(l)) => l.iter().map(Value::to_java_string).collect(),
            Some(other) => vec![other.to_java_string()],
            None => Vec::new(),
        };
        for name in names {
            let known = CAPABILITIES
                .iter()
                .any(|(m, p, n)| m.eq_ignore_ascii_case(&method) && *p == path && *n == name);
            if !known {
                return Some(format!("{method} {path} {name}"));
            }
        }
    }
    None
}

/// Every value in the steps' API calls, depth first.
fn call_values<'a>(steps: &'a [Value], out: &mut Vec<&'a Value>) {
    fn walk<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
        out.push(v);
        match v {
            Value::Map(m) => m.values().for_each(|x| walk(x, out)),
            Value::List(l) => l.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    for step in steps {
        if let Some(d) = step.as_map().and_then(|m| m.get("do")) {
            walk(d, out);
        }
    }
}

/// The GeoIP `database_file`s the steps' pipelines read (`GeoLite2-City.mmdb` when not given).
fn geoip_databases(values: &[Value]) -> Vec<String> {
    let mut dbs = Vec::new();
    for v in values {
        let Some(m) = v.as_map() else { continue };
        for kind in ["geoip", "ip_location"] {
            if let Some(Value::Map(opts)) = m.get(kind) {
                let db = opts
                    .get("database_file")
                    .map(Value::to_java_string)
                    .unwrap_or_else(|| "GeoLite2-City.mmdb".to_string());
                if !dbs.contains(&db) {
                    dbs.push(db);
                }
            }
        }
    }
    dbs
}

/// Whether an address is one a public GeoIP database could know (not loopback, private, …).
fn is_public_ip(ip: &std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => {
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation())
        }
        std::net::IpAddr::V6(v6) => !(v6.is_loopback() || v6.is_unspecified()),
    }
}

/// Why a case cannot give Elasticsearch's results with the loaded GeoIP databases: it looks up a
/// public address that none of them covers, so its expected values come from databases pipette
/// does not have (Elasticsearch's test cluster uses the production GeoLite2 databases; pipette
/// ships MaxMind's test databases).
fn geoip_uncovered(steps: &[&[Value]], resources: &Resources) -> Option<String> {
    let mut values = Vec::new();
    for s in steps {
        call_values(s, &mut values);
    }
    // Bodies given as JSON text hold the pipelines and documents too.
    let texts: Vec<Value> = values
        .iter()
        .filter_map(|v| match v {
            Value::String(s) if s.trim_start().starts_with('{') => Value::from_json_str(s).ok(),
            _ => None,
        })
        .collect();
    let mut all: Vec<Value> = values.iter().map(|v| (*v).clone()).collect();
    for t in &texts {
        let mut inner = Vec::new();
        let wrapped = [Value::Map(Map::from_iter([("do".to_string(), t.clone())]))];
        call_values(&wrapped, &mut inner);
        all.extend(inner.into_iter().cloned());
    }
    let dbs = geoip_databases(&all);
    if dbs.is_empty() {
        return None;
    }
    let mut ips: Vec<String> = Vec::new();
    for v in &all {
        if let Value::String(s) = v
            && let Ok(ip) = s.parse::<std::net::IpAddr>()
            && is_public_ip(&ip)
            && !ips.contains(s)
        {
            ips.push(s.clone());
        }
    }
    for ip in ips {
        let covered = dbs.iter().any(|db| {
            let def = Value::from_json_str(&format!(
                r#"{{"processors":[{{"geoip":{{"field":"ip","target_field":"g","database_file":"{db}"}}}}]}}"#
            ));
            let Ok(def) = def else { return false };
            let Ok(p) = Pipeline::from_value("geoip-coverage", &def, None, None, resources) else {
                return false;
            };
            let mut set = PipelineSet::new();
            set.insert(p);
            let mut source = Map::default();
            source.insert("ip".into(), ip.clone().into());
            let doc = IngestDocument::new(source, "2024-01-01T00:00:00.000Z");
            matches!(set.run("geoip-coverage", doc), Ok(Some(d)) if d.ctx.contains_key("g"))
        });
        if !covered {
            return Some(format!(
                "looks up {ip}, which the loaded GeoIP databases ({}) do not cover: its expected values come from the production GeoLite2 databases (set PIPETTE_GEOIP_DIR to a folder holding them to run it)",
                dbs.join(", ")
            ));
        }
    }
    None
}

impl Suite {
    fn skip_reason(&self, i: usize) -> Option<String> {
        unsupported(&self.setup)
            .or_else(|| unsupported(&self.tests[i].1))
            .or_else(|| geoip_uncovered(&[&self.setup, &self.tests[i].1], &resources()))
    }

    /// Whether a pipeline the case puts has a `rename` whose whole `field` is one `{{name}}`.
    fn renames_through_template(&self, i: usize) -> bool {
        fn walk(v: &Value) -> bool {
            match v {
                Value::Map(m) => m.iter().any(|(k, x)| {
                    (k == "rename"
                        && x.as_map().and_then(|r| r.get("field")).is_some_and(|f| {
                            let f = f.to_java_string();
                            let f = f.trim();
                            f.starts_with("{{") && f.ends_with("}}") && f.matches("{{").count() == 1
                        }))
                        || walk(x)
                }),
                Value::List(l) => l.iter().any(walk),
                Value::String(s) if s.trim_start().starts_with('{') => {
                    Value::from_json_str(s).is_ok_and(|v| walk(&v))
                }
                _ => false,
            }
        }
        self.setup.iter().chain(&self.tests[i].1).any(walk)
    }

    /// Whether the case calls `ingest.simulate` with `verbose`.
    fn uses_verbose_simulate(&self, i: usize) -> bool {
        self.setup.iter().chain(&self.tests[i].1).any(|step| {
            step.as_map()
                .and_then(|m| m.get("do"))
                .and_then(Value::as_map)
                .and_then(|m| m.get("ingest.simulate"))
                .and_then(Value::as_map)
                .and_then(|m| m.get("verbose"))
                .is_some_and(|v| v.to_java_string() == "true")
        })
    }

    fn run(&self, i: usize, shape: Shape) -> Result<(), Failed> {
        let mut ctx = Runner {
            cluster: Cluster::new(resources(), NOW),
            last: Value::Null,
            stash: HashMap::new(),
            shape,
        };
        for (n, step) in self.setup.iter().enumerate() {
            ctx.step(step).map_err(|e| format!("setup step {n}: {e}"))?;
        }
        for (n, step) in self.tests[i].1.iter().enumerate() {
            ctx.step(step)
                .map_err(|e| format!("step {n} {}: {e}", short(step)))?;
        }
        Ok(())
    }
}

fn short(v: &Value) -> String {
    let s = v.to_json();
    if s.len() > 200 {
        format!("{}…", &s[..s.floor_char_boundary(200)])
    } else {
        s
    }
}

struct Runner {
    cluster: Cluster,
    last: Value,
    stash: HashMap<String, Value>,
    shape: Shape,
}

impl Runner {
    fn step(&mut self, step: &Value) -> Result<(), String> {
        let m = step.as_map().ok_or("a step must be a map")?;
        let (kind, arg) = m.iter().next().ok_or("empty step")?;
        match kind.as_str() {
            "skip" | "requires" => Ok(()),
            "do" => self.do_call(arg),
            "set" => {
                for (path, var) in arg.as_map().ok_or("set needs a map")? {
                    let v = lookup(&self.last, path).cloned().unwrap_or(Value::Null);
                    self.stash.insert(var.to_java_string(), v);
                }
                Ok(())
            }
            "match" | "length" | "gt" | "gte" | "lt" | "lte" | "contains" | "close_to" => {
                for (path, expected) in arg.as_map().ok_or("assertion needs a map")? {
                    self.assert(kind, path, expected)?;
                }
                Ok(())
            }
            "is_true" | "is_false" => {
                let path = arg.to_java_string();
                let v = if path.is_empty() {
                    Some(&self.last)
                } else {
                    lookup(&self.last, &path)
                };
                let truthy = match v {
                    None | Some(Value::Null) | Some(Value::Bool(false)) => false,
                    Some(Value::String(s)) => !(s.is_empty() || s == "false"),
                    _ => true,
                };
                if truthy != (kind == "is_true") {
                    return Err(format!(
                        "{kind} {path}: got {}",
                        v.map(Value::to_json).unwrap_or("missing".into())
                    ));
                }
                Ok(())
            }
            other => Err(format!("unknown step [{other}]")),
        }
    }

    fn resolve_stash(&self, v: &Value) -> Value {
        match v {
            Value::String(s) if s.starts_with('$') => self
                .stash
                .get(&s[1..])
                .cloned()
                .unwrap_or_else(|| v.clone()),
            Value::Map(m) => Value::Map(
                m.iter()
                    .map(|(k, x)| (k.clone(), self.resolve_stash(x)))
                    .collect(),
            ),
            Value::List(l) => Value::List(l.iter().map(|x| self.resolve_stash(x)).collect()),
            other => other.clone(),
        }
    }

    fn do_call(&mut self, arg: &Value) -> Result<(), String> {
        let m = arg.as_map().ok_or("do needs a map")?;
        let catch = m.get("catch").map(Value::to_java_string);
        let mut call = None;
        for (k, v) in m {
            if !matches!(
                k.as_str(),
                "catch"
                    | "headers"
                    | "warnings"
                    | "allowed_warnings"
                    | "allowed_warnings_regex"
                    | "node_selector"
            ) {
                call = Some((k.clone(), v.clone()));
            }
        }
        let (api, params) = call.ok_or("do without an API call")?;
        let mut params: Map = self
            .resolve_stash(&params)
            .as_map()
            .cloned()
            .unwrap_or_default();
        let ignore: Vec<String> = match params.shift_remove("ignore") {
            Some(Value::List(l)) => l.iter().map(Value::to_java_string).collect(),
            Some(v) => vec![v.to_java_string()],
            None => vec![],
        };
        if let Some(Value::String(s)) = params.get("body")
            && let Ok(v) = Value::from_json_str(s)
        {
            params.insert("body".into(), v);
        }
        let result = self.cluster.call(&api, &params);
        if api == "ingest.simulate" {
            let stored = self
                .cluster
                .call("ingest.get_pipeline", &Map::default())
                .unwrap_or_default();
            same_from_cli(&params, &stored, &result)?;
        }
        match (result, catch) {
            (Ok(mut v), None) => {
                if self.shape == Shape::Before79 && api == "ingest.simulate" {
                    before_79(&mut v);
                }
                self.last = v;
                Ok(())
            }
            (Ok(v), Some(c)) => Err(format!(
                "expected error [{c}] from {api}, got {}",
                short(&v)
            )),
            (Err(e), None) => {
                if ignore.contains(&e.status.to_string()) {
                    self.last = e.body;
                    return Ok(());
                }
                Err(format!(
                    "{api} failed with {}: {}",
                    e.status,
                    short(&e.body)
                ))
            }
            (Err(e), Some(c)) => {
                let ok = match c.as_str() {
                    "missing" => e.status == 404,
                    "bad_request" => e.status == 400,
                    "conflict" => e.status == 409,
                    "forbidden" => e.status == 403,
                    "unauthorized" => e.status == 401,
                    "request" => e.status >= 400,
                    // `catch` patterns are plain regexes (only `match` values use COMMENTS mode).
                    re if re.starts_with('/') && re.ends_with('/') && re.len() >= 2 => {
                        regex::Regex::new(&re[1..re.len() - 1])
                            .is_ok_and(|r| r.is_match(&e.body.to_json()))
                    }
                    _ => false,
                };
                self.last = e.body.clone();
                if ok {
                    Ok(())
                } else {
                    Err(format!(
                        "expected [{c}], got {}: {}",
                        e.status,
                        short(&e.body)
                    ))
                }
            }
        }
    }

    fn assert(&self, kind: &str, path: &str, expected: &Value) -> Result<(), String> {
        let path = path.to_string();
        let actual = if path.is_empty() || path == "$body" {
            Some(&self.last)
        } else {
            lookup(&self.last, &path)
        };
        let expected = self.resolve_stash(expected);
        let fail = |what: &str| {
            Err(format!(
                "{kind} {path}: {what}; expected {}, got {}",
                expected.to_json(),
                actual
                    .map(Value::to_json)
                    .unwrap_or_else(|| "missing".into())
            ))
        };
        match kind {
            "match" => {
                let ok = match (&expected, actual) {
                    (Value::String(s), Some(a))
                        if s.len() > 1 && s.trim().starts_with('/') && s.trim().ends_with('/') =>
                    {
                        let t = s.trim();
                        java_regex(&t[1..t.len() - 1])
                            .is_some_and(|r| r.is_match(&a.to_java_string()))
                    }
                    (e, Some(a)) => loose_eq(e, a),
                    (Value::Null, None) => true,
                    _ => false,
                };
                if ok { Ok(()) } else { fail("mismatch") }
            }
            "length" => {
                let n = match actual {
                    Some(Value::List(l)) => l.len(),
                    Some(Value::Map(m)) => m.len(),
                    Some(Value::String(s)) => s.chars().count(),
                    _ => return fail("not a list, map or string"),
                };
                if expected.as_f64() == Some(n as f64) {
                    Ok(())
                } else {
                    fail("wrong length")
                }
            }
            "gt" | "gte" | "lt" | "lte" => {
                let (Some(a), Some(e)) = (actual.and_then(Value::as_f64), expected.as_f64()) else {
                    return fail("not numbers");
                };
                let ok = match kind {
                    "gt" => a > e,
                    "gte" => a >= e,
                    "lt" => a < e,
                    _ => a <= e,
                };
                if ok { Ok(()) } else { fail("comparison false") }
            }
            "contains" => match actual {
                Some(Value::List(l))
                    if l.iter()
                        .any(|x| loose_eq(&expected, x) || contains_map(x, &expected)) =>
                {
                    Ok(())
                }
                _ => fail("not contained"),
            },
            "close_to" => {
                let e = expected.as_map().ok_or("close_to needs {value, error}")?;
                let (Some(v), Some(err), Some(a)) = (
                    e.get("value").and_then(Value::as_f64),
                    e.get("error").and_then(Value::as_f64),
                    actual.and_then(Value::as_f64),
                ) else {
                    return fail("not numbers");
                };
                if (a - v).abs() <= err {
                    Ok(())
                } else {
                    fail("not close")
                }
            }
            _ => Err(format!("unknown assertion {kind}")),
        }
    }
}

fn contains_map(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Map(a), Value::Map(e)) => e
            .iter()
            .all(|(k, v)| a.get(k).is_some_and(|x| loose_eq(v, x))),
        _ => false,
    }
}

/// Equality as the YAML test runner sees it: numbers by value, maps by content.
fn loose_eq(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (e, a) if e.is_number() && a.is_number() => e.as_f64() == a.as_f64(),
        (Value::Map(e), Value::Map(a)) => {
            e.len() == a.len()
                && e.iter()
                    .all(|(k, v)| a.get(k).is_some_and(|x| loose_eq(v, x)))
        }
        (Value::List(e), Value::List(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(x, y)| loose_eq(x, y))
        }
        (e, a) => e == a,
    }
}

/// A Java regex in COMMENTS mode (whitespace ignored), as the YAML runner compiles expected values.
fn java_regex(pattern: &str) -> Option<regex::Regex> {
    regex::RegexBuilder::new(pattern)
        .ignore_whitespace(true)
        .build()
        .ok()
}

/// Resolves a dotted assertion path (`docs.0.doc._source.foo`, `\.` escapes a dot).
fn lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'.') => {
                cur.push('.');
                chars.next();
            }
            '.' => parts.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    parts.push(cur);
    let mut v = v;
    for p in parts {
        v = match v {
            Value::Map(m) => m.get(&p)?,
            Value::List(l) => l.get(p.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}
