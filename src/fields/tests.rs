//! Table-driven tests: inline fields.yml + JSON document → problems, with elastic-package's words.

use super::*;
use crate::value::Value;

const FIELDS: &str = r#"
- name: k
  type: keyword
- name: t
  type: text
- name: n
  type: long
- name: i
  type: integer
- name: d
  type: date
- name: dp
  type: date
  pattern: '^\d{4}$'
- name: ip
  type: ip
- name: ck
  type: constant_keyword
  value: fixed
- name: pat
  type: keyword
  pattern: '^[A-Z]+$'
- name: ev
  type: keyword
  expected_values: [a, b]
- name: arr
  type: keyword
  normalize: [array]
- name: g
  type: group
  fields:
    - name: c
      type: long
    - name: mf
      type: keyword
      multi_fields:
        - name: text
          type: match_only_text
- name: nest
  type: nested
  fields:
    - name: x
      type: keyword
- name: flat
  type: flattened
- name: labels.*
  type: keyword
- name: o.*
  type: object
  object_type: long
- name: obj
  type: object
  object_type: keyword
- name: loc
  type: geo_point
- name: off
  type: group
  enabled: false
- name: b
  type: boolean
- name: category
  type: keyword
  allowed_values:
    - name: authentication
      expected_event_types: [start, end, info]
    - name: host
"#;

fn schema_with(yaml: &str, settings: ValidationSettings) -> FieldSchema {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fields.yml"), yaml).unwrap();
    let options = LoadOptions {
        import_all_ecs: false,
        settings,
    };
    FieldSchema::load_with(&[dir.path()], None, &options).unwrap()
}

fn doc(json: &str) -> Map {
    Value::from_json_str(json)
        .unwrap()
        .as_map()
        .cloned()
        .unwrap()
}

fn messages(schema: &FieldSchema, json: &str, nkf: &[&str]) -> Vec<String> {
    let nkf: Vec<String> = nkf.iter().map(|s| s.to_string()).collect();
    schema
        .validate(&doc(json), &nkf)
        .into_iter()
        .map(|p| p.message)
        .collect()
}

const P: &str = "parsing field value failed: ";

#[test]
fn validates_like_elastic_package() {
    let schema = schema_with(FIELDS, ValidationSettings::default());
    let ip_error = |ip: &str| {
        format!(
            "{P}the IP \"{ip}\" is not one of the allowed test IPs (see: https://github.com/elastic/elastic-package/blob/main/internal/fields/_static/allowed_geo_ips.txt)"
        )
    };
    let cases: Vec<(&str, &[&str], Vec<String>)> = vec![
        (r#"{"k":"x","t":"y","n":3,"i":"7","b":"yes"}"#, &[], vec![]),
        (r#"{"zz":1}"#, &[], vec![r#"field "zz" is undefined"#.into()]),
        (r#"{"event":{"foo":1},"host":{"x":[1]},"agent":"a","cloud.x":1}"#, &[], vec![]),
        (
            r#"{"k":3}"#,
            &[],
            vec![format!(r#"{P}field "k"'s Go type, float64, does not match the expected field type: keyword (field value: 3)"#)],
        ),
        (r#"{"k":3,"t":true}"#, &["k", "t"], vec![]),
        (
            r#"{"k":1234567}"#,
            &[],
            vec![format!(r#"{P}field "k"'s Go type, float64, does not match the expected field type: keyword (field value: 1.234567e+06)"#)],
        ),
        (
            r#"{"k":["a",null]}"#,
            &[],
            vec![format!(r#"{P}field "k"'s Go type, <nil>, does not match the expected field type: keyword (field value: <nil>)"#)],
        ),
        (
            r#"{"n":"12"}"#,
            &[],
            vec![format!(r#"{P}field "n"'s Go type, string, does not match the expected field type: long (field value: 12)"#)],
        ),
        (
            r#"{"d":true}"#,
            &[],
            vec![format!(r#"{P}field "d"'s Go type, bool, does not match the expected field type: date (field value: true)"#)],
        ),
        (r#"{"d":1700000000000,"dp":"2024"}"#, &[], vec![]),
        (r#"{"dp":5}"#, &[], vec![format!(r#"{P}numeric date in field "dp", but pattern defined"#)]),
        (
            r#"{"dp":"24"}"#,
            &[],
            vec![format!(r#"{P}field "dp"'s value, 24, does not match the expected pattern: ^\d{{4}}$"#)],
        ),
        (r#"{"ip":["10.0.0.1","89.160.20.129","::1"]}"#, &[], vec![]),
        (r#"{"ip":"8.8.8.8"}"#, &[], vec![ip_error("8.8.8.8")]),
        (r#"{"ip":"nope"}"#, &[], vec![ip_error("nope")]),
        (
            r#"{"ip":7}"#,
            &[],
            vec![format!(r#"{P}field "ip"'s Go type, float64, does not match the expected field type: ip (field value: 7)"#)],
        ),
        (
            r#"{"ck":"other"}"#,
            &[],
            vec![format!(r#"{P}field "ck"'s value "other" does not match the declared constant_keyword value "fixed""#)],
        ),
        (
            r#"{"pat":"abc"}"#,
            &[],
            vec![format!(r#"{P}field "pat"'s value, abc, does not match the expected pattern: ^[A-Z]+$"#)],
        ),
        (
            r#"{"ev":"c"}"#,
            &[],
            vec![format!(r#"{P}field "ev"'s value "c" is not one of the expected values (a, b)"#)],
        ),
        (
            r#"{"category":"network"}"#,
            &[],
            vec![format!(r#"{P}field "category"'s value "network" is not one of the allowed values (authentication, host)"#)],
        ),
        (r#"{"category":"authentication","event":{"type":["start"]}}"#, &[], vec![]),
        (
            r#"{"category":["authentication"],"event":{"type":["start","denied"]}}"#,
            &[],
            vec![format!(r#"{P}field "event.type" value "denied" is not one of the expected values (start, end, info) for any of the values of "category" (authentication)"#)],
        ),
        (r#"{"category":"host","event":{"type":"denied"}}"#, &[], vec![]),
        (
            r#"{"arr":"x"}"#,
            &[],
            vec![r#"field "arr" is not normalized as expected: expected array, found "x" (string)"#.into()],
        ),
        (
            r#"{"arr":1}"#,
            &["arr"],
            vec![r#"field "arr" is not normalized as expected: expected array, found %!q(float64=1) (float64)"#.into()],
        ),
        (r#"{"arr":["x"],"g":{"c":1,"mf":"m"}}"#, &[], vec![]),
        (
            r#"{"g":"scalar"}"#,
            &[],
            vec![format!(r#"{P}field "g" is a group of fields of type group, it cannot store values"#)],
        ),
        (
            r#"{"g":{"mf":{"x":"y"}}}"#,
            &[],
            vec![r#"field "g.mf.x" is undefined, could be a multifield"#.into()],
        ),
        (
            r#"{"zz":[{"a":1}]}"#,
            &[],
            vec![r#"field "zz" is used as array of objects, expected explicit definition with type group or nested"#.into()],
        ),
        (
            r#"{"nest":[{"x":"a"},{"y":1,"x":2}]}"#,
            &[],
            vec![format!(
                "{P}[0] field \"nest.y\" is undefined\n[1] {P}field \"nest.x\"'s Go type, float64, does not match the expected field type: keyword (field value: 2)"
            )],
        ),
        (r#"{"flat":{"any":{"thing":[1,{"x":true}]}}}"#, &[], vec![]),
        (r#"{"labels":{"a":"x","b":"y"}}"#, &[], vec![]),
        (
            r#"{"labels":{"a":1}}"#,
            &[],
            vec![format!(r#"{P}field "labels.a"'s Go type, float64, does not match the expected field type: keyword (field value: 1)"#)],
        ),
        // Mid-2024 rules: `object` values are not checked; undeclared children are undefined.
        (r#"{"o":{"a":"text"}}"#, &[], vec![]),
        (r#"{"obj":{"a":"x"}}"#, &[], vec![r#"field "obj.a" is undefined"#.into()]),
        (r#"{"loc":{"lat":1.5,"lon":2}}"#, &[], vec![]),
        (r#"{"loc":"POINT (1 2)"}"#, &[], vec![]),
        (r#"{"off":{"anything":1}}"#, &[], vec![]),
    ];
    for (json, nkf, want) in cases {
        assert_eq!(messages(&schema, json, nkf), want, "{json}");
    }
}

#[test]
fn latest_rules_check_object_children() {
    let settings = ValidationSettings {
        rules: RuleSet::Latest,
        ..ValidationSettings::default()
    };
    let schema = schema_with(FIELDS, settings);
    let cases: Vec<(&str, Vec<String>)> = vec![
        (
            r#"{"o":{"a":"text"}}"#,
            vec![format!(
                r#"{P}field "o.a"'s Go type, string, does not match the expected field type: long (field value: text)"#
            )],
        ),
        (r#"{"o":{"a":5}}"#, vec![]),
        (r#"{"obj":{"a":"x","b":["y"]}}"#, vec![]),
        (
            r#"{"obj":[{"a":true}]}"#,
            vec![format!(
                "{P}[0] {P}field \"obj.a\"'s Go type, bool, does not match the expected field type: keyword (field value: true)"
            )],
        ),
    ];
    for (json, want) in cases {
        assert_eq!(messages(&schema, json, &[]), want, "{json}");
    }
}

#[test]
fn spec_version_gates_checks() {
    let settings = ValidationSettings {
        spec_version: SpecVersion(1, 0, 0),
        expected_datasets: Some(vec!["p.ds".into()]),
        ..ValidationSettings::default()
    };
    let schema = schema_with(FIELDS, settings);
    // Before 2.0.0: no normalization, event.type or dataset checks; arrays of objects pass.
    let json = r#"{"arr":"x","category":"authentication","event":{"type":"denied","dataset":"zz"},"nest":[{"y":1}]}"#;
    assert_eq!(messages(&schema, json, &[]), Vec::<String>::new());
}

#[test]
fn datasets_are_checked() {
    let settings = ValidationSettings {
        expected_datasets: Some(vec!["p.ds".into(), "{{k}}".into()]),
        ..ValidationSettings::default()
    };
    let schema = schema_with(FIELDS, settings);
    assert_eq!(
        messages(
            &schema,
            r#"{"event":{"dataset":"p.ds"},"data_stream":{"dataset":"x"}}"#,
            &[]
        ),
        [
            r#"field "data_stream.dataset" should have value in ["p.ds" "{{k}}"], it has "x""#,
            r#"field "data_stream.dataset" is undefined"#
        ]
    );
    assert_eq!(
        messages(
            &schema,
            r#"{"k":"routed","event":{"dataset":"routed"}}"#,
            &[]
        ),
        Vec::<String>::new()
    );
    let problems = schema.validate(&doc(r#"{"event":{"dataset":"x"}}"#), &[]);
    assert_eq!(
        problems,
        vec![FieldProblem {
            field: "event.dataset".into(),
            message: r#"field "event.dataset" should have value in ["p.ds" "{{k}}"], it has "x""#
                .into()
        }]
    );
}

#[test]
fn string_number_fields_accept_numeric_strings() {
    let schema = schema_with(FIELDS, ValidationSettings::default());
    let case = CaseFields {
        numeric_keyword_fields: vec![],
        string_number_fields: vec!["n".into()],
    };
    assert!(
        schema
            .validate_case(&doc(r#"{"n":"12.5"}"#), &case)
            .is_empty()
    );
    assert_eq!(schema.validate_case(&doc(r#"{"n":"x"}"#), &case).len(), 1);
}

const ECS: &str = r#"
base:
  fields:
    '@timestamp':
      name: '@timestamp'
      type: date
    labels:
      name: labels
      type: object
      object_type: keyword
source:
  type: group
  fields:
    source.ip:
      name: ip
      type: ip
    source.domain:
      name: domain
      type: keyword
      pattern: '^[a-z.]+$'
related:
  type: group
  fields:
    related.hosts:
      name: hosts
      type: keyword
      normalize: [array]
user_agent:
  type: group
  fields:
    user_agent.original:
      name: original
      type: keyword
"#;

fn ecs_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("v8.11.0")).unwrap();
    std::fs::write(dir.path().join("v8.11.0/ecs_nested.yml"), ECS).unwrap();
    dir
}

#[test]
fn external_ecs_fields_are_resolved() {
    let ecs = ecs_dir();
    let fields = tempfile::tempdir().unwrap();
    std::fs::write(
        fields.path().join("ecs.yml"),
        "- name: source\n  type: group\n  fields:\n    - name: ip\n      external: ecs\n    - name: domain\n      external: ecs\n      type: long\n- name: related.hosts\n  external: ecs\n- name: '@timestamp'\n  external: ecs\n",
    )
    .unwrap();
    let src = EcsSource {
        dir: ecs.path().to_path_buf(),
        reference: Some("v8.11.0".into()),
    };
    let schema = FieldSchema::load(&[fields.path()], Some(&src)).unwrap();
    assert_eq!(schema.field_type("source.ip"), Some("ip"));
    // A type override other than keyword → constant_keyword is ignored; the pattern comes along.
    assert_eq!(schema.field_type("source.domain"), Some("keyword"));
    assert_eq!(schema.field_type("related.hosts"), Some("keyword"));
    assert_eq!(schema.field_type("user_agent.original"), None);
    let got = messages(
        &schema,
        r#"{"source":{"domain":"A"},"related":{"hosts":"h"},"@timestamp":"2024-01-01"}"#,
        &[],
    );
    assert_eq!(
        got,
        vec![
            format!(r#"{P}field "source.domain"'s value, A, does not match the expected pattern: ^[a-z.]+$"#),
            r#"field "related.hosts" is not normalized as expected: expected array, found "h" (string)"#.into(),
        ]
    );

    // Importing all of ECS defines the rest, with the `.text` multi-field of ecs@mappings.
    let options = LoadOptions {
        import_all_ecs: true,
        settings: ValidationSettings::default(),
    };
    let all = FieldSchema::load_with(&[fields.path()], Some(&src), &options).unwrap();
    assert_eq!(all.field_type("user_agent.original"), Some("keyword"));
    assert_eq!(
        all.field_type("user_agent.original.text"),
        Some("match_only_text")
    );
    assert_eq!(all.field_type("source.domain"), Some("keyword"));
    assert!(messages(&all, r#"{"user_agent":{"original":"x"}}"#, &[]).is_empty());
}

#[test]
fn unknown_external_fields_are_load_errors() {
    let ecs = ecs_dir();
    let fields = tempfile::tempdir().unwrap();
    let file = fields.path().join("bad.yml");
    std::fs::write(&file, "- name: nothere\n  external: ecs\n").unwrap();
    let src = EcsSource {
        dir: ecs.path().to_path_buf(),
        reference: Some("v8.11.0".into()),
    };
    let err = FieldSchema::load(&[fields.path()], Some(&src)).unwrap_err();
    assert_eq!(err.file, file);
    assert!(
        err.message
            .contains("field definition not found in schema (name: nothere)"),
        "{err}"
    );
    // Without an ECS source, external fields stay unresolved and accept anything.
    let schema = FieldSchema::load(&[fields.path()], None).unwrap();
    assert!(messages(&schema, r#"{"nothere":{"lat":1}}"#, &[]).is_empty());
    // A missing ECS reference folder is an error naming the file.
    let missing = EcsSource {
        dir: ecs.path().to_path_buf(),
        reference: Some("v0.0.0".into()),
    };
    let err = FieldSchema::load(&[fields.path()], Some(&missing)).unwrap_err();
    assert!(err.file.ends_with("v0.0.0/ecs_nested.yml"), "{err}");
}

#[test]
fn malformed_files_name_file_and_line() {
    for text in [
        "- name: a\n  type: keyword\n- name: [b\n",
        "- name: a\n  fields: 7\n",
        "- name: a\n  normalize: array\n",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f.yml");
        std::fs::write(&file, text).unwrap();
        let err = FieldSchema::load(&[dir.path()], None).unwrap_err();
        assert_eq!(err.file, file, "{text}");
        assert!(err.message.contains("line"), "{text}: {err}");
    }
    // A map instead of a list: the parser gives no line here.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.yml"), "name: a\n").unwrap();
    let err = FieldSchema::load(&[dir.path()], None).unwrap_err();
    assert!(err.message.contains("expected a sequence"), "{err}");
    // Missing folders hold no fields.
    let schema = FieldSchema::load(&[Path::new("/nonexistent/fields")], None).unwrap();
    assert!(schema.files().is_empty());
}

#[test]
fn uncovered_lists_leaves_no_document_holds() {
    let schema = schema_with(FIELDS, ValidationSettings::default());
    let docs = [
        doc(
            r#"{"k":"x","labels":{"a":"b"},"loc":{"lat":1,"lon":2},"g":{"c":null},"nest":[{"x":"y"}]}"#,
        ),
        doc(r#"{"flat":{"a":1},"o":{"z":1},"arr":[],"t":"y"}"#),
    ];
    let uncovered = schema.uncovered(docs.iter());
    assert_eq!(
        uncovered,
        [
            "arr", "b", "category", "ck", "d", "dp", "ev", "g.c", "g.mf", "i", "ip", "n", "obj",
            "pat"
        ]
    );
}

#[test]
fn pipeline_errors_are_reported() {
    assert_eq!(
        pipeline_error_message(&doc(r#"{"error":{"message":"boom"}}"#)),
        Some("unexpected pipeline error: boom".into())
    );
    assert_eq!(
        pipeline_error_message(&doc(r#"{"error":{"message":["a","b"]}}"#)),
        Some("unexpected pipeline error: [a b]".into())
    );
    assert_eq!(
        pipeline_error_message(&doc(r#"{"error":{"code":1}}"#)),
        None
    );
}

/// `{"<top>": {"a": {"a": … 1}}}` with `depth` levels below `top`.
fn deep(top: &str, depth: usize) -> Map {
    let mut v = Value::Long(1);
    for _ in 0..depth {
        let mut m = Map::default();
        m.insert("a".to_string(), v);
        v = Value::Map(m);
    }
    let mut m = Map::default();
    m.insert(top.to_string(), v);
    m
}

#[test]
fn deep_documents_take_linear_time_and_keep_their_results() {
    // Quadratic key building made 100,000 levels take minutes; each rule set must still name the
    // leaf exactly as elastic-package does. A big stack: the walk and the drop recurse.
    let run = || {
        for rules in [RuleSet::Mid2024, RuleSet::Latest] {
            let settings = ValidationSettings {
                rules,
                ..ValidationSettings::default()
            };
            let schema = schema_with(FIELDS, settings);
            let check = |top: &str, depth: usize, want: String| {
                let got: Vec<String> = schema
                    .validate(&deep(top, depth), &[])
                    .into_iter()
                    .map(|p| p.message)
                    .collect();
                assert_eq!(got, vec![want], "{rules:?} {top} {depth}");
            };
            let path = |top: &str, depth: usize| {
                std::iter::once(top)
                    .chain(std::iter::repeat_n("a", depth))
                    .collect::<Vec<_>>()
                    .join(".")
            };
            check(
                "labels",
                2,
                format!(
                    r#"field "{}" is undefined, could be a multifield"#,
                    path("labels", 2)
                ),
            );
            check(
                "labels",
                100_000,
                format!(r#"field "{}" is undefined"#, path("labels", 100_000)),
            );
            check(
                "x",
                100_000,
                format!(r#"field "{}" is undefined"#, path("x", 100_000)),
            );
        }
    };
    std::thread::Builder::new()
        .stack_size(crate::harness::run::THREAD_STACK_SIZE)
        .spawn(run)
        .unwrap()
        .join()
        .unwrap();
}
