//! What `pipette test --watch` watches, and which datasets a changed file affects.

use super::discover::{Dataset, Suite};
use std::path::{Path, PathBuf};

/// The folders a dataset's tests read: pipelines, fields, inputs (with their configs) and goldens.
pub fn dataset_dirs(ds: &Dataset) -> Vec<PathBuf> {
    let mut dirs = vec![ds.pipeline_dir.clone(), ds.expected_dir.clone()];
    dirs.extend(ds.field_dirs.iter().cloned());
    for input in &ds.inputs {
        if let Some(p) = input.parent() {
            dirs.push(p.to_path_buf());
        }
    }
    if let Some(r) = &ds.routing_rules {
        dirs.push(r.clone());
    }
    if let Some(root) = &ds.package_root {
        // manifest.yml, _dev/build/build.yml, package-level fields.
        dirs.push(root.clone());
    }
    let mut out: Vec<PathBuf> = dirs.into_iter().map(|d| absolute(&d)).collect();
    out.sort();
    out.dedup();
    out
}

fn absolute(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| {
        std::env::current_dir()
            .map(|c| c.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    })
}

/// Every folder to watch for a suite (existing ones only), without folders inside others.
pub fn watched_dirs(suite: &Suite) -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = suite
        .datasets
        .iter()
        .flat_map(dataset_dirs)
        .filter(|d| d.exists())
        .collect();
    all.sort();
    all.dedup();
    let mut out: Vec<PathBuf> = Vec::new();
    for d in all {
        if !out.iter().any(|o| d.starts_with(o)) {
            out.push(d);
        }
    }
    out
}

/// Whether a changed path matters to tests at all: YAML, JSON, `.log` and other test inputs;
/// editor swap and backup files (`.swp`, `~`, `.#x`, `4913`) do not.
pub fn relevant(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    !(name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.starts_with(".#")
        || name == "4913")
}

/// Indexes of the datasets a set of changed paths affects: a path inside one of the dataset's
/// folders (a file directly in a package root only affects that package's datasets).
pub fn affected(suite: &Suite, changed: &[PathBuf]) -> Vec<usize> {
    let changed: Vec<PathBuf> = changed
        .iter()
        .filter(|p| relevant(p))
        .map(|p| {
            // A deleted file cannot be canonicalised: canonicalise its folder.
            match (p.parent(), p.file_name()) {
                (Some(parent), Some(name)) => absolute(parent).join(name),
                _ => absolute(p),
            }
        })
        .collect();
    suite
        .datasets
        .iter()
        .enumerate()
        .filter(|(_, ds)| {
            let dirs = dataset_dirs(ds);
            changed.iter().any(|c| {
                dirs.iter().any(|d| {
                    if Some(d) == ds.package_root.as_ref().map(|r| absolute(r)).as_ref() {
                        // Package root: its own files, and anything under this data stream.
                        c.parent() == Some(d.as_path())
                            || c.starts_with(d.join("data_stream").join(&ds.name))
                    } else {
                        c.starts_with(d)
                    }
                })
            })
        })
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swap_files_are_ignored() {
        assert!(relevant(Path::new("a/default.yml")));
        assert!(!relevant(Path::new("a/.default.yml.swp")));
        assert!(!relevant(Path::new("a/default.yml~")));
    }
}
