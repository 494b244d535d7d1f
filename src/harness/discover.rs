//! Finding pipeline tests: this repository's layout, one elastic-package package (or one of its
//! data streams), or a folder of packages.

use super::HarnessError;
use super::config::{CONFIG_SUFFIX, Skip, global_pipeline_skip, read_yaml_opt};
use super::golden::EXPECTED_SUFFIX;
use crate::value::Value;
use std::path::{Path, PathBuf};

/// How the tests were laid out on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `pipelines/<ds>/`, `fields/<ds>/`, `sample_events/<ds>/`, `expected/<ds>/`.
    Repository,
    /// One elastic-package package (`manifest.yml`, `data_stream/*/`).
    Package,
    /// A folder whose subfolders are packages.
    Packages,
}

/// One data stream's tests: where its pipelines, fields, inputs and goldens are.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Package name (manifest `name`, else the folder name).
    pub package: String,
    /// Data stream name (the folder name).
    pub name: String,
    /// Data stream type (`logs`, `metrics`, …), for the simulated `_index`.
    pub kind: String,
    /// Folder of the data stream's pipelines (entry and sub-pipelines).
    pub pipeline_dir: PathBuf,
    /// Id of the entry pipeline (`default` unless the manifest names another).
    pub entry: String,
    /// Folders of field definitions (`fields/`).
    pub field_dirs: Vec<PathBuf>,
    /// ECS reference from `_dev/build/build.yml` (`git@v8.11.0` → `v8.11.0`).
    pub ecs_reference: Option<String>,
    /// The package's `format_version` (decides HTML escaping in goldens).
    pub format_version: Option<String>,
    /// Test inputs, sorted by name.
    pub inputs: Vec<PathBuf>,
    /// Folder holding the `-expected.json` goldens.
    pub expected_dir: PathBuf,
    /// A package-wide `pipeline.skip` from `_dev/test/config.yml`.
    pub skip: Option<Skip>,
    /// `routing_rules.yml`, when present (appended to the `default` pipeline as reroute processors).
    pub routing_rules: Option<PathBuf>,
    /// A problem found while discovering this dataset; its tests report it as an error.
    pub error: Option<String>,
    /// The elastic-package package folder, when the dataset is one of its data streams.
    pub package_root: Option<PathBuf>,
}

impl Dataset {
    /// `package.data_stream`.
    pub fn full_name(&self) -> String {
        format!("{}.{}", self.package, self.name)
    }

    /// The `_index` elastic-package simulates with: `<type>-<package>.<data_stream>-default`.
    pub fn simulated_index(&self) -> String {
        format!("{}-{}.{}-default", self.kind, self.package, self.name)
    }

    /// The golden file of one of this dataset's inputs.
    pub fn expected_file(&self, input: &Path) -> PathBuf {
        super::golden::expected_path(&self.expected_dir, input)
    }

    /// The field definition folders that exist.
    pub fn existing_field_dirs(&self) -> Vec<&Path> {
        self.field_dirs
            .iter()
            .filter(|d| d.is_dir())
            .map(PathBuf::as_path)
            .collect()
    }
}

/// Everything found under one path.
#[derive(Debug, Clone)]
pub struct Suite {
    /// The path given.
    pub root: PathBuf,
    /// Its layout.
    pub layout: Layout,
    /// Datasets in a stable order (package, then data stream).
    pub datasets: Vec<Dataset>,
}

impl Suite {
    /// Number of distinct packages.
    pub fn package_count(&self) -> usize {
        let mut names: Vec<&str> = self.datasets.iter().map(|d| d.package.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names.len()
    }
}

/// Finds the tests under `path`.
pub fn discover(path: &Path) -> Result<Suite, HarnessError> {
    if !path.is_dir() {
        return Err(HarnessError::input(
            path,
            if path.exists() {
                "not a folder: give a package, a folder of packages, or a repository with pipelines/"
                    .to_string()
            } else {
                "no such folder".to_string()
            },
        ));
    }
    let root = path.to_path_buf();
    if path.join("pipelines").is_dir() {
        return Ok(Suite {
            datasets: repository_datasets(path)?,
            root,
            layout: Layout::Repository,
        });
    }
    // A data stream folder inside a package: <pkg>/data_stream/<ds>.
    if path.join("_dev/test/pipeline").is_dir()
        && let Some(pkg) = path.parent().and_then(Path::parent)
        && pkg.join("manifest.yml").is_file()
        && path.parent().and_then(Path::file_name) == Some("data_stream".as_ref())
    {
        let ds = file_name(path);
        return Ok(Suite {
            datasets: package_datasets(pkg, Some(&ds))?,
            root,
            layout: Layout::Package,
        });
    }
    if path.join("manifest.yml").is_file() {
        return Ok(Suite {
            datasets: package_datasets(path, None)?,
            root,
            layout: Layout::Package,
        });
    }
    let mut datasets = Vec::new();
    let mut found = false;
    for sub in sorted_dirs(path)? {
        if sub.join("manifest.yml").is_file() {
            found = true;
            match package_datasets(&sub, None) {
                Ok(mut d) => datasets.append(&mut d),
                Err(e) => datasets.push(broken_package(&sub, e.to_string())),
            }
        }
    }
    if !found {
        return Err(HarnessError::input(
            path,
            "no pipeline tests found: expected a repository with pipelines/, a package (manifest.yml), or a folder of packages".to_string(),
        ));
    }
    Ok(Suite {
        root,
        layout: Layout::Packages,
        datasets,
    })
}

fn broken_package(dir: &Path, error: String) -> Dataset {
    Dataset {
        package: file_name(dir),
        name: String::new(),
        kind: "logs".into(),
        pipeline_dir: dir.to_path_buf(),
        entry: "default".into(),
        field_dirs: Vec::new(),
        ecs_reference: None,
        format_version: None,
        inputs: Vec::new(),
        expected_dir: dir.to_path_buf(),
        skip: None,
        routing_rules: None,
        error: Some(error),
        package_root: None,
    }
}

fn file_name(p: &Path) -> String {
    let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
    name.or_else(|| {
        std::fs::canonicalize(p)
            .ok()
            .and_then(|c| c.file_name().map(|n| n.to_string_lossy().into_owned()))
    })
    .unwrap_or_else(|| "package".into())
}

fn sorted_dirs(dir: &Path) -> Result<Vec<PathBuf>, HarnessError> {
    let rd = std::fs::read_dir(dir)
        .map_err(|e| HarnessError::input(dir, format!("cannot read folder: {e}")))?;
    let mut v: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    Ok(v)
}

/// Test inputs in a folder as elastic-package lists them: every file but goldens and configs
/// (hidden files aside), sorted by name.
pub fn test_inputs(dir: &Path) -> Result<Vec<PathBuf>, HarnessError> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(HarnessError::input(dir, format!("cannot read folder: {e}"))),
    };
    let mut v: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() || is_broken_symlink(p))
        .filter(|p| {
            let n = p
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            !n.starts_with('.') && !n.ends_with(EXPECTED_SUFFIX) && !n.ends_with(CONFIG_SUFFIX)
        })
        .collect();
    v.sort();
    Ok(v)
}

/// A symlink that cannot be followed (dangling or looping): elastic-package lists it as a test
/// input and then fails reading it, so pipette reports it instead of skipping it.
fn is_broken_symlink(p: &Path) -> bool {
    p.symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
        && std::fs::metadata(p).is_err()
}

struct PackageInfo {
    name: String,
    format_version: Option<String>,
    ecs_reference: Option<String>,
    skip: Option<Skip>,
}

fn map_str(v: &Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for k in path {
        cur = cur.as_map()?.get(*k)?;
    }
    match cur {
        Value::String(s) => Some(s.clone()),
        Value::Null | Value::Map(_) | Value::List(_) => None,
        other => Some(other.to_java_string()),
    }
}

fn package_info(dir: &Path) -> Result<PackageInfo, HarnessError> {
    let manifest = read_yaml_opt(&dir.join("manifest.yml"))?;
    let name = manifest
        .as_ref()
        .and_then(|m| map_str(m, &["name"]))
        .unwrap_or_else(|| file_name(dir));
    let format_version = manifest
        .as_ref()
        .and_then(|m| map_str(m, &["format_version"]));
    let build = read_yaml_opt(&dir.join("_dev/build/build.yml"))?;
    let ecs_reference = build
        .as_ref()
        .and_then(|b| map_str(b, &["dependencies", "ecs", "reference"]))
        .map(|r| r.strip_prefix("git@").map(str::to_string).unwrap_or(r));
    let skip = global_pipeline_skip(&dir.join("_dev/test/config.yml"))?;
    Ok(PackageInfo {
        name,
        format_version,
        ecs_reference,
        skip,
    })
}

/// Datasets of one elastic-package package (only data streams with `_dev/test/pipeline/`).
pub fn package_datasets(dir: &Path, only: Option<&str>) -> Result<Vec<Dataset>, HarnessError> {
    let info = package_info(dir)?;
    let mut out = Vec::new();
    let ds_root = dir.join("data_stream");
    let streams: Vec<PathBuf> = if ds_root.is_dir() {
        sorted_dirs(&ds_root)?
    } else {
        Vec::new()
    };
    for ds in streams {
        let name = file_name(&ds);
        if only.is_some_and(|o| o != name) {
            continue;
        }
        let test_dir = ds.join("_dev/test/pipeline");
        if !test_dir.is_dir() {
            continue;
        }
        let mut error = None;
        let manifest = match read_yaml_opt(&ds.join("manifest.yml")) {
            Ok(m) => m,
            Err(e) => {
                error = Some(e.to_string());
                None
            }
        };
        let entry = manifest
            .as_ref()
            .and_then(|m| {
                map_str(m, &["elasticsearch", "ingest_pipeline", "name"]).or_else(|| {
                    map_str(
                        m,
                        &["elasticsearch", "index_template", "ingest_pipeline", "name"],
                    )
                })
            })
            .unwrap_or_else(|| "default".into());
        let kind = manifest
            .as_ref()
            .and_then(|m| map_str(m, &["type"]))
            .unwrap_or_else(|| "logs".into());
        let inputs = match test_inputs(&test_dir) {
            Ok(i) => i,
            Err(e) => {
                error.get_or_insert(e.to_string());
                Vec::new()
            }
        };
        let routing = ds.join("routing_rules.yml");
        out.push(Dataset {
            package: info.name.clone(),
            name,
            kind,
            pipeline_dir: ds.join("elasticsearch/ingest_pipeline"),
            entry,
            field_dirs: vec![ds.join("fields")],
            ecs_reference: info.ecs_reference.clone(),
            format_version: info.format_version.clone(),
            inputs,
            expected_dir: test_dir,
            skip: info.skip.clone(),
            routing_rules: routing.is_file().then_some(routing),
            error,
            package_root: Some(dir.to_path_buf()),
        });
    }
    // Input packages keep one pipeline test folder at the package root.
    let root_tests = dir.join("_dev/test/pipeline");
    if only.is_none() && root_tests.is_dir() && !ds_root.is_dir() {
        out.push(Dataset {
            package: info.name.clone(),
            name: info.name.clone(),
            kind: "logs".into(),
            pipeline_dir: dir.join("elasticsearch/ingest_pipeline"),
            entry: "default".into(),
            field_dirs: vec![dir.join("fields")],
            ecs_reference: info.ecs_reference.clone(),
            format_version: info.format_version.clone(),
            inputs: test_inputs(&root_tests)?,
            expected_dir: root_tests,
            skip: info.skip.clone(),
            routing_rules: None,
            error: None,
            package_root: None,
        });
    }
    Ok(out)
}

/// Datasets of this repository's layout: one per folder of `pipelines/`.
pub fn repository_datasets(dir: &Path) -> Result<Vec<Dataset>, HarnessError> {
    let info = package_info(dir)?;
    let mut out = Vec::new();
    for p in sorted_dirs(&dir.join("pipelines"))? {
        let name = file_name(&p);
        let samples = dir.join("sample_events").join(&name);
        let mut error = None;
        let inputs = match test_inputs(&samples) {
            Ok(i) => i,
            Err(e) => {
                error = Some(e.to_string());
                Vec::new()
            }
        };
        let routing = p.join("routing_rules.yml");
        out.push(Dataset {
            package: info.name.clone(),
            name: name.clone(),
            kind: "logs".into(),
            pipeline_dir: p.clone(),
            entry: "default".into(),
            field_dirs: vec![dir.join("fields").join(&name)],
            ecs_reference: info.ecs_reference.clone(),
            format_version: info.format_version.clone(),
            inputs,
            expected_dir: dir.join("expected").join(&name),
            skip: info.skip.clone(),
            routing_rules: routing.is_file().then_some(routing),
            error,
            package_root: None,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn repository_layout() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        touch(
            r,
            "manifest.yml",
            "name: authentik\nformat_version: 3.0.0\n",
        );
        touch(r, "pipelines/event/default.yml", "processors: []\n");
        touch(r, "sample_events/event/test-a.log", "x\n");
        touch(r, "sample_events/event/test-a.log-config.yml", "");
        touch(r, "sample_events/event/test-common-config.yml", "");
        touch(r, "sample_events/event/test-b.json", "{}");
        let s = discover(r).unwrap();
        assert_eq!(s.layout, Layout::Repository);
        let d = &s.datasets[0];
        assert_eq!(d.full_name(), "authentik.event");
        let names: Vec<_> = d.inputs.iter().map(|p| file_name(p)).collect();
        assert_eq!(names, ["test-a.log", "test-b.json"]);
        assert_eq!(
            d.expected_file(&d.inputs[0]),
            r.join("expected/event/test-a.log-expected.json")
        );
    }

    #[test]
    fn packages_layout() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        touch(r, "p1/manifest.yml", "name: one\n");
        touch(
            r,
            "p1/_dev/build/build.yml",
            "dependencies:\n  ecs:\n    reference: git@v8.11.0\n",
        );
        touch(r, "p1/data_stream/a/manifest.yml", "type: metrics\n");
        touch(r, "p1/data_stream/a/_dev/test/pipeline/test-x.log", "x\n");
        touch(
            r,
            "p1/data_stream/a/_dev/test/pipeline/test-x.log-expected.json",
            "{}",
        );
        touch(r, "p1/data_stream/b/manifest.yml", "");
        touch(r, "p2/manifest.yml", "name: two\n");
        touch(r, "notapackage/readme", "");
        let s = discover(r).unwrap();
        assert_eq!(s.layout, Layout::Packages);
        assert_eq!(s.datasets.len(), 1);
        let d = &s.datasets[0];
        assert_eq!(d.simulated_index(), "metrics-one.a-default");
        assert_eq!(d.ecs_reference.as_deref(), Some("v8.11.0"));
        assert_eq!(d.inputs.len(), 1);
        let one = discover(&r.join("p1/data_stream/a")).unwrap();
        assert_eq!(one.datasets.len(), 1);
        assert_eq!(one.datasets[0].full_name(), "one.a");
        assert!(discover(&r.join("notapackage")).is_err());
    }
}
