//! Field definitions (fields.yml, ECS): validation of output documents and field coverage.
//!
//! Follows elastic-package's `internal/fields` (validate.go, dependency_manager.go, model.go) as
//! used by `elastic-package test pipeline`: definitions load once into a lookup table (exact names
//! hashed, wildcard names scanned, `.lat`/`.lon`/`.values`/`.counts` sub-fields and `object_type`
//! children resolved like `FindElementDefinition`); each document is then only walked.

mod gofmt;
pub mod lint;
mod lookup;
mod model;
mod package;
mod validate;

#[cfg(test)]
mod corpus_tests;
#[cfg(test)]
mod tests;

use crate::value::{Map, Value};
use lookup::{Lookup, Table};
use model::{Def, RawField};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

pub use package::kibana_constraint_requires_ecs_mappings;

/// Where ECS definitions come from for fields declared `external: ecs`.
#[derive(Debug, Clone)]
pub struct EcsSource {
    /// Folder holding `<ref>/ecs_nested.yml` (e.g. `~/.elastic-package/cache/fields/ecs`).
    pub dir: PathBuf,
    /// The reference from `_dev/build/build.yml` (`git@v8.11.0` → `v8.11.0`), if any.
    pub reference: Option<String>,
}

/// An error reading field definitions.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct FieldsError {
    /// The file.
    pub file: PathBuf,
    /// What is wrong.
    pub message: String,
}

impl FieldsError {
    fn new(file: &Path, message: impl Into<String>) -> FieldsError {
        FieldsError {
            file: file.to_path_buf(),
            message: message.into(),
        }
    }
}

/// One problem found validating a document.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldProblem {
    /// The dotted field name.
    pub field: String,
    /// What is wrong, as elastic-package words it.
    pub message: String,
}

/// A package-spec version (a package's `format_version`); some checks depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SpecVersion(pub u64, pub u64, pub u64);

impl SpecVersion {
    /// A version newer than every rule change, enabling all checks.
    pub const LATEST: SpecVersion = SpecVersion(3, 3, 0);

    /// Parses `3.0.2` (also `3.0`, `v3`, and `3.1.0-next`, ignoring the pre-release part).
    pub fn parse(text: &str) -> Option<SpecVersion> {
        let t = text.trim().trim_start_matches('v');
        let core = t.split(['-', '+']).next()?;
        let mut parts = core.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().map_or(Some(0), |p| p.parse().ok())?;
        let patch = parts.next().map_or(Some(0), |p| p.parse().ok())?;
        if parts.next().is_some() {
            return None;
        }
        Some(SpecVersion(major, minor, patch))
    }
}

/// Which generation of elastic-package's validation rules to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RuleSet {
    /// elastic-package as of August 2024 (the corpus date), before PR #2054 (2024-08-28) and
    /// #2090: `object` fields do not check their values, their undeclared children are undefined.
    #[default]
    Mid2024,
    /// Current elastic-package: children of an `object` take its `object_type` (and are checked
    /// against it, also inside arrays of objects), and before spec 3.0.1 dotted leaves below
    /// object-like fields are skipped.
    Latest,
}

/// How documents are validated (elastic-package's validator options for pipeline tests).
#[derive(Debug, Clone)]
pub struct ValidationSettings {
    /// The rule generation (default: the corpus' August 2024 rules).
    pub rules: RuleSet,
    /// The package's spec version: normalization, `event.type` and dataset checks need 2.0.0;
    /// arrays of objects are checked from 3.0.1 (before, dotted leaves below objects pass).
    pub spec_version: SpecVersion,
    /// Values `event.dataset` / `data_stream.dataset` may take (may hold `{{field}}` templates).
    pub expected_datasets: Option<Vec<String>>,
    /// IP fields must hold test-database, private or documentation addresses (pipeline tests).
    pub allowed_ip_check: bool,
    /// Accept numbers and booleans in every keyword field (`WithDefaultNumericConversion`).
    pub default_numeric_conversion: bool,
}

impl Default for ValidationSettings {
    /// Every check elastic-package's pipeline tests run, without a dataset expectation.
    fn default() -> Self {
        ValidationSettings {
            rules: RuleSet::default(),
            spec_version: SpecVersion::LATEST,
            expected_datasets: None,
            allowed_ip_check: true,
            default_numeric_conversion: false,
        }
    }
}

/// Options for loading a schema.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Also define every ECS field of the reference (elastic-package does so when the package
    /// embeds ECS mappings or only runs on stacks with `ecs@mappings`, i.e. Kibana ≥ 8.13).
    pub import_all_ecs: bool,
    /// Validation settings stored in the schema.
    pub settings: ValidationSettings,
}

/// Per-test-case field options (from `_dev/test/pipeline/*config.yml`).
#[derive(Debug, Clone, Default)]
pub struct CaseFields {
    /// Keyword fields that may hold numbers or booleans (`numeric_keyword_fields`).
    pub numeric_keyword_fields: Vec<String>,
    /// float/long/double fields that may hold numeric strings (`string_number_fields`).
    pub string_number_fields: Vec<String>,
}

/// One resolved field definition (see [`FieldSchema::definitions`]).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldInfo {
    /// Full dotted name (may contain `*`).
    pub name: String,
    /// Type (`keyword` when the definition gives none, as Fleet maps it).
    pub ty: String,
    /// `object_type`, for `object` fields.
    pub object_type: String,
    /// `external` (`ecs`) when imported.
    pub external: String,
    /// `pattern`.
    pub pattern: String,
    /// `value` (constant_keyword).
    pub value: String,
    /// `normalize`.
    pub normalize: Vec<String>,
    /// `expected_values`.
    pub expected_values: Vec<String>,
    /// Multi-fields as `name: type`.
    pub multi_fields: Vec<String>,
}

/// A dataset's field schema.
#[derive(Debug, Default)]
pub struct FieldSchema {
    lookup: Lookup,
    settings: ValidationSettings,
    files: Vec<PathBuf>,
}

/// A parsed ECS reference: its definitions, lookup table, and (lazily) the table used when all
/// of ECS is imported (with the `.text` multi-fields of `ecs@mappings`).
struct Ecs {
    table: Table,
    defs: Vec<Def>,
    all: OnceLock<Arc<Table>>,
}

impl Ecs {
    fn all_table(&self) -> Arc<Table> {
        self.all
            .get_or_init(|| {
                let mut defs = self.defs.clone();
                model::append_ecs_mapping_multifields(&mut defs, "");
                Arc::new(Table::build(&defs))
            })
            .clone()
    }
}

type EcsCache = Mutex<HashMap<PathBuf, Arc<Ecs>>>;

/// ECS files parsed once per process.
fn ecs_cache() -> &'static EcsCache {
    static CACHE: OnceLock<EcsCache> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

fn load_ecs(dir: &Path, reference: &str) -> Result<Arc<Ecs>, FieldsError> {
    let path = dir.join(reference).join("ecs_nested.yml");
    let mut cache = ecs_cache().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(e) = cache.get(&path) {
        return Ok(e.clone());
    }
    let text = std::fs::read_to_string(&path).map_err(|e| {
        FieldsError::new(
            &path,
            format!("can't read ECS fields schema (reference {reference}): {e}"),
        )
    })?;
    let defs = model::parse_ecs_file(&text)
        .map_err(|e| FieldsError::new(&path, format!("unmarshalling field body failed: {e}")))?;
    let ecs = Arc::new(Ecs {
        table: Table::build(&defs),
        defs,
        all: OnceLock::new(),
    });
    cache.insert(path, ecs.clone());
    Ok(ecs)
}

/// Resolves `external` definitions (elastic-package's `injectFieldsWithOptions`).
fn inject(raws: &[RawField], root: &str, ecs: Option<&Ecs>) -> Result<Vec<Def>, String> {
    let mut out = Vec::with_capacity(raws.len());
    for raw in raws {
        let Some(name) = raw.name.as_ref() else {
            return Err("a field definition has no name".into());
        };
        let path = if root.is_empty() {
            name.0.clone()
        } else {
            format!("{root}.{}", name.0)
        };
        if let Some(external) = &raw.external {
            if external.0 != "ecs" {
                return Err(format!(
                    "can't import field: schema \"{}\" is not defined as package depedency",
                    external.0
                ));
            }
            let Some(ecs) = ecs else {
                return Err(format!(
                    "can't import field: field definition not found in schema (name: {path}); no ECS reference in _dev/build/build.yml"
                ));
            };
            let Some(found) = find_in(&ecs.table, &path) else {
                return Err(format!(
                    "can't import field: field definition not found in schema (name: {path})"
                ));
            };
            out.push(found.override_with(raw));
        } else {
            let mut def = Def::from_raw(raw);
            if let Some(children) = &raw.fields {
                def.fields = inject(&children.0, &path, ecs)?;
            }
            out.push(def);
        }
    }
    Ok(out)
}

/// The imported part of the ECS definition for `path` (`FindElementDefinition` on the ECS schema).
fn find_in(table: &Table, path: &str) -> Option<Def> {
    if let Some(id) = table.find_direct(path) {
        // find_direct returns ids of the table's own nodes.
        let n = &table.nodes[id];
        return Some(imported(n, &n.ty, &n.object_type));
    }
    // The child of an object with an object_type.
    let (parent, _) = path.rsplit_once('.')?;
    let p = find_in(table, parent)?;
    (p.ty == "object" && !p.object_type.is_empty()).then(|| Def {
        ty: p.object_type.clone(),
        object_type: String::new(),
        ..p
    })
}

fn imported(n: &lookup::Node, ty: &str, object_type: &str) -> Def {
    Def {
        name: n.full.rsplit('.').next().unwrap_or_default().to_string(),
        ty: ty.to_string(),
        object_type: object_type.to_string(),
        pattern: n.pattern.clone(),
        normalize: n.normalize.clone(),
        allowed_values: n.allowed_values.clone(),
        expected_values: n.expected_values.clone(),
        multi_fields: n.multi_fields.iter().map(Def::imported_part).collect(),
        ..Def::default()
    }
}

/// The `*.yml` files of a folder, sorted by name (Go's `filepath.Glob`); none if it is missing.
fn yml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "yml") && p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

impl FieldSchema {
    /// Loads every `*.yml` in the given folders (a dataset's `fields/`), resolving `external: ecs`.
    pub fn load(dirs: &[&Path], ecs: Option<&EcsSource>) -> Result<FieldSchema, FieldsError> {
        Self::load_with(dirs, ecs, &LoadOptions::default())
    }

    /// Like [`FieldSchema::load`], with options (import all of ECS, validation settings).
    ///
    /// Without `ecs`, `external` definitions stay unresolved (as elastic-package without a
    /// build manifest): they accept any value.
    pub fn load_with(
        dirs: &[&Path],
        ecs: Option<&EcsSource>,
        options: &LoadOptions,
    ) -> Result<FieldSchema, FieldsError> {
        let ecs_schema = match ecs {
            Some(EcsSource {
                dir,
                reference: Some(r),
            }) => Some(load_ecs(dir, r)?),
            _ => None,
        };
        let mut defs = Vec::new();
        let mut files = Vec::new();
        for dir in dirs {
            for file in yml_files(dir) {
                let text = std::fs::read_to_string(&file).map_err(|e| {
                    FieldsError::new(&file, format!("reading fields file failed: {e}"))
                })?;
                let raw = model::parse_fields_file(&text).map_err(|e| {
                    FieldsError::new(&file, format!("unmarshalling field body failed: {e}"))
                })?;
                if ecs.is_some() {
                    let injected = inject(&raw, "", ecs_schema.as_deref()).map_err(|e| {
                        FieldsError::new(&file, format!("loading external fields failed: {e}"))
                    })?;
                    defs.extend(injected);
                } else {
                    defs.extend(raw.iter().map(Def::from_raw));
                }
                files.push(file);
            }
        }
        let ecs_table = if options.import_all_ecs {
            ecs_schema.as_ref().map(|e| e.all_table())
        } else {
            None
        };
        Ok(FieldSchema {
            lookup: Lookup {
                local: Table::build(&defs),
                ecs: ecs_table,
            },
            settings: options.settings.clone(),
            files,
        })
    }

    /// The validation settings (spec version, expected datasets, IP check).
    pub fn settings(&self) -> &ValidationSettings {
        &self.settings
    }

    /// Mutable validation settings.
    pub fn settings_mut(&mut self) -> &mut ValidationSettings {
        &mut self.settings
    }

    /// The fields files loaded, in load order.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// The package's own definitions (`external: ecs` ones resolved), depth first, groups left
    /// out: what `pipette fields show` prints.
    pub fn definitions(&self) -> Vec<FieldInfo> {
        self.lookup
            .local
            .nodes
            .iter()
            .filter(|n| n.ty != "group" && (n.leaf || !n.ty.is_empty()))
            .map(|n| FieldInfo {
                name: n.full.clone(),
                ty: if n.ty.is_empty() {
                    "keyword".into()
                } else {
                    n.ty.clone()
                },
                object_type: n.object_type.clone(),
                external: n.external.clone(),
                pattern: n.pattern.clone(),
                value: n.value.clone(),
                normalize: n.normalize.clone(),
                expected_values: n.expected_values.clone(),
                multi_fields: n
                    .multi_fields
                    .iter()
                    .map(|m| format!("{}: {}", m.name, m.ty))
                    .collect(),
            })
            .collect()
    }

    /// The type a dotted field name is defined with (package fields first, then imported ECS).
    pub fn field_type(&self, name: &str) -> Option<&str> {
        self.lookup.find(name, self.object_children()).map(|f| f.ty)
    }

    fn object_children(&self) -> bool {
        self.settings.rules == RuleSet::Latest
    }

    /// Validates one output document (`_source`) with elastic-package's rules.
    pub fn validate(&self, doc: &Map, numeric_keyword_fields: &[String]) -> Vec<FieldProblem> {
        validate::Run {
            lookup: &self.lookup,
            settings: &self.settings,
            numeric_keyword_fields,
            string_number_fields: &[],
            doc,
        }
        .run()
    }

    /// Validates one output document with a test case's field options.
    pub fn validate_case(&self, doc: &Map, case: &CaseFields) -> Vec<FieldProblem> {
        validate::Run {
            lookup: &self.lookup,
            settings: &self.settings,
            numeric_keyword_fields: &case.numeric_keyword_fields,
            string_number_fields: &case.string_number_fields,
            doc,
        }
        .run()
    }

    /// Defined leaf fields that none of the documents contains, sorted.
    ///
    /// Leaves are the package's own definitions (ECS fields it imports with `external: ecs`
    /// included; the whole-ECS import and multi-fields excluded) that are not `group`s and have no
    /// children. A document contains a definition when one of its non-null values resolves to it
    /// the way validation resolves names: wildcard names (`*`) are covered by any matching field,
    /// an `object` with an `object_type` by any dynamic child, a `geo_point` by its `lat`/`lon`, a
    /// `flattened`, `object` or `nested` field by any value (object or not) at its path. Null
    /// values and empty arrays contain nothing.
    pub fn uncovered<'a>(&self, docs: impl IntoIterator<Item = &'a Map>) -> Vec<String> {
        let mut covered: HashSet<&str> = HashSet::new();
        for doc in docs {
            self.cover_map("", doc, &mut covered);
        }
        let mut out: Vec<String> = self
            .lookup
            .local
            .nodes
            .iter()
            .filter(|n| n.leaf && !covered.contains(n.full.as_str()))
            .map(|n| n.full.clone())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    fn cover_map<'s>(&'s self, root: &str, m: &Map, covered: &mut HashSet<&'s str>) {
        for (name, val) in m {
            let joined = format!("{root}.{name}");
            let key = joined.trim_start_matches('.');
            self.cover_value(key, val, covered);
        }
    }

    fn cover_value<'s>(&'s self, key: &str, val: &Value, covered: &mut HashSet<&'s str>) {
        match val {
            Value::Null => {}
            Value::List(items) => {
                for item in items {
                    self.cover_value(key, item, covered);
                }
            }
            Value::Map(inner) => {
                let found = self.lookup.find(key, self.object_children());
                if let Some(f) = found
                    && matches!(f.ty, "flattened" | "object" | "nested" | "group")
                {
                    covered.insert(f.node.full.as_str());
                }
                if found.is_some_and(|f| f.ty == "flattened") {
                    return;
                }
                self.cover_map(key, inner, covered);
            }
            _ => {
                if let Some(f) = self.lookup.find(key, self.object_children()) {
                    covered.insert(f.node.full.as_str());
                }
            }
        }
    }
}

/// elastic-package's `checkErrorMessage`: a document with `error.message` is a pipeline failure
/// and is not validated further; returns the failure text.
pub fn pipeline_error_message(doc: &Map) -> Option<String> {
    let msg = validate::get_path(doc, "error.message")?;
    match msg {
        Value::Null => None,
        Value::String(s) => Some(format!("unexpected pipeline error: {s}")),
        Value::List(items) => {
            if let Some((i, bad)) = items
                .iter()
                .enumerate()
                .find(|(_, v)| !matches!(v, Value::String(_)))
            {
                return Some(format!(
                    "unexpected pipeline error (unexpected error.message type {} at position {i}): {}",
                    go_type_json_number(bad),
                    gofmt::go_v(msg)
                ));
            }
            Some(format!("unexpected pipeline error: {}", gofmt::go_v(msg)))
        }
        other => Some(format!(
            "unexpected pipeline error (unexpected error.message type {}): {}",
            go_type_json_number(other),
            gofmt::go_v(other)
        )),
    }
}

/// `%T` when Go decoded with `UseNumber` (numbers are `json.Number`).
fn go_type_json_number(v: &Value) -> &'static str {
    if v.is_number() {
        "json.Number"
    } else {
        gofmt::go_type(v)
    }
}
