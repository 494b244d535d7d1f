//! Validates every expected document of the corpus (elastic/integrations pipeline tests, whose
//! expected files real elastic-package accepted) against its data stream's fields.
//! Skips when `../shared` is absent. `PIPETTE_FIELDS_REPORT=1` prints every problem.

use super::{CaseFields, FieldSchema, RuleSet, pipeline_error_message};
use crate::value::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn shared_dir() -> PathBuf {
    std::env::var_os("PIPETTE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// `numeric_keyword_fields` / `string_number_fields` of a test case: the common config and the
/// case's own config, united.
fn case_fields(test_dir: &Path, case: &str) -> CaseFields {
    let mut out = CaseFields::default();
    for name in [
        "test-common-config.yml".to_string(),
        format!("{case}-config.yml"),
    ] {
        let Ok(text) = std::fs::read_to_string(test_dir.join(&name)) else {
            continue;
        };
        let Ok(y) = serde_norway::from_str::<serde_norway::Value>(&text) else {
            continue;
        };
        for (key, list) in [
            ("numeric_keyword_fields", &mut out.numeric_keyword_fields),
            ("string_number_fields", &mut out.string_number_fields),
        ] {
            if let Some(serde_norway::Value::Sequence(items)) = y.get(key) {
                for i in items {
                    if let Some(s) = i.as_str()
                        && !list.iter().any(|x| x == s)
                    {
                        list.push(s.to_string());
                    }
                }
            }
        }
    }
    out
}

/// The message with quoted parts blanked, to group problems by kind.
fn kind(message: &str) -> String {
    let mut out = String::new();
    let mut in_quote = false;
    let mut prev = ' ';
    for c in message.chars() {
        if c == '"' && prev != '\\' {
            in_quote = !in_quote;
            out.push_str(if in_quote { "\"…" } else { "\"" });
        } else if !in_quote {
            out.push(c);
        }
        prev = c;
    }
    out.chars().take(140).collect()
}

#[test]
fn corpus_expected_documents_validate() {
    let shared = shared_dir();
    let packages = shared.join("corpus/packages");
    let ecs_dir = shared.join("ecs");
    if !packages.is_dir() {
        eprintln!(
            "SKIPPED: {} is absent (set PIPETTE_SHARED to the shared folder)",
            packages.display()
        );
        return;
    }
    let verbose = std::env::var_os("PIPETTE_FIELDS_REPORT").is_some();
    // PIPETTE_FIELDS_RULES=latest validates with current elastic-package's rules instead.
    let rules = match std::env::var("PIPETTE_FIELDS_RULES").as_deref() {
        Ok("latest") => RuleSet::Latest,
        _ => RuleSet::Mid2024,
    };
    let (mut docs, mut clean, mut pipeline_errors, mut streams) = (0usize, 0usize, 0usize, 0usize);
    let mut load_errors = Vec::new();
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let mut per_stream: BTreeMap<String, usize> = BTreeMap::new();
    let mut examples: BTreeMap<String, String> = BTreeMap::new();
    for pkg in sorted_entries(&packages) {
        for ds in sorted_entries(&pkg.join("data_stream")) {
            let test_dir = ds.join("_dev/test/pipeline");
            if !test_dir.is_dir() {
                continue;
            }
            let ds_name = ds.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let label = format!(
                "{}/{}",
                pkg.file_name().and_then(|n| n.to_str()).unwrap_or_default(),
                ds_name
            );
            let schema = match FieldSchema::for_data_stream(&pkg, ds_name, &ecs_dir) {
                Ok(mut s) => {
                    s.settings_mut().rules = rules;
                    s
                }
                Err(e) => {
                    load_errors.push(format!("{label}: {e}"));
                    continue;
                }
            };
            streams += 1;
            for file in sorted_entries(&test_dir) {
                let fname = file
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                let Some(case) = fname.strip_suffix("-expected.json") else {
                    continue;
                };
                let case_opts = case_fields(&test_dir, case);
                let text = std::fs::read_to_string(&file).unwrap_or_default();
                let Ok(v) = Value::from_json_str(&text) else {
                    load_errors.push(format!("{}: not JSON", file.display()));
                    continue;
                };
                let expected = v
                    .as_map()
                    .and_then(|m| m.get("expected"))
                    .and_then(Value::as_list)
                    .cloned()
                    .unwrap_or_default();
                for doc in expected.iter().filter_map(Value::as_map) {
                    docs += 1;
                    if pipeline_error_message(doc).is_some() {
                        pipeline_errors += 1;
                        continue;
                    }
                    let problems = schema.validate_case(doc, &case_opts);
                    if problems.is_empty() {
                        clean += 1;
                        continue;
                    }
                    *per_stream.entry(label.clone()).or_default() += 1;
                    for p in &problems {
                        let k = kind(&p.message);
                        *kinds.entry(k.clone()).or_default() += 1;
                        examples
                            .entry(k)
                            .or_insert_with(|| format!("{label} {case}: {}", p.message));
                        if verbose {
                            eprintln!("{label} {case}: {}", p.message);
                        }
                    }
                }
            }
        }
    }
    eprintln!(
        "fields corpus ({rules:?} rules): {streams} data streams, {docs} documents, {clean} validate cleanly, {pipeline_errors} carry error.message, {} with problems",
        docs - clean - pipeline_errors
    );
    for e in &load_errors {
        eprintln!("load error: {e}");
    }
    let mut ranked: Vec<_> = kinds.iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(a.1));
    for (k, n) in ranked.iter().take(25) {
        eprintln!("{n:6}  {k}\n        e.g. {}", examples[*k]);
    }
    let mut streams_ranked: Vec<_> = per_stream.iter().collect();
    streams_ranked.sort_by(|a, b| b.1.cmp(a.1));
    for (s, n) in streams_ranked.iter().take(30) {
        eprintln!("{n:6} docs  {s}");
    }
    assert!(
        docs > 10_000,
        "expected the whole corpus, saw {docs} documents"
    );
    assert!(load_errors.is_empty(), "{load_errors:#?}");
    // Real elastic-package accepted these documents: nearly all must validate.
    assert!(
        clean * 100 >= (docs - pipeline_errors) * 97,
        "only {clean} of {docs} documents validate"
    );
}
