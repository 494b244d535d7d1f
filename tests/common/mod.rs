//! Helpers the binary-level test suites share.

// Each test crate compiles this module and uses only part of it.
#![allow(dead_code)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// The `pipette` binary, with colour left to `--color` and no ECS download folder.
pub fn pipette() -> Command {
    let mut c = Command::cargo_bin("pipette").expect("binary");
    c.env_remove("NO_COLOR")
        .env("PIPETTE_ECS_DIR", "/nonexistent");
    c
}

/// A folder under tests/fixtures.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Copies the tree at `from` into `to` (a fixture into a scratch folder).
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("walk");
        let rel = entry.path().strip_prefix(from).expect("prefix");
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
        } else {
            std::fs::copy(entry.path(), &dest).expect("copy");
        }
    }
}
