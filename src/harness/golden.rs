//! Golden files (`<input>-expected.json`): reading them, and writing them in elastic-package's
//! exact format (`{"expected": [...]}`, 4-space indent, keys sorted, trailing newline).

use super::HarnessError;
use super::input::json_kind;
use crate::value::{Map, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Suffix of golden files (`test-x.log` → `test-x.log-expected.json`).
pub const EXPECTED_SUFFIX: &str = "-expected.json";

/// The golden file of an input inside `dir`.
pub fn expected_path(dir: &Path, input: &Path) -> PathBuf {
    let name = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.join(format!("{name}{EXPECTED_SUFFIX}"))
}

/// True when a package's `format_version` is older than 2.12.0: elastic-package then writes
/// goldens with Go's HTML escaping (`<`, `>`, `&` as `\u003c`, `\u003e`, `\u0026`).
pub fn html_escaping_for(format_version: Option<&str>) -> bool {
    let Some(v) = format_version else {
        return false;
    };
    let mut parts = v
        .trim()
        .trim_start_matches('v')
        .split(['.', '-', '+'])
        .map(|p| p.parse::<u64>().unwrap_or(0));
    let major = parts.next().unwrap_or(0);
    let minor = parts.next().unwrap_or(0);
    (major, minor) < (2, 12)
}

/// The text of a golden file for these documents (`null` for dropped ones).
pub fn format_expected(docs: &[Value], html_escape: bool) -> String {
    let mut top = Map::default();
    // Go marshals an empty (nil) slice as null.
    let list = if docs.is_empty() {
        Value::Null
    } else {
        Value::List(docs.to_vec())
    };
    top.insert("expected".into(), list);
    let mut text = Value::Map(top).to_json_pretty_sorted(4);
    if html_escape {
        // These characters only ever occur inside JSON strings, so a textual pass is exact.
        text = text
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026");
    }
    text.push('\n');
    text
}

/// Reads a golden file's documents; a missing or null `expected` is an empty list.
pub fn read_expected(path: &Path) -> Result<Vec<Value>, HarnessError> {
    let bytes = std::fs::read(path).map_err(|e| {
        HarnessError::input(
            path,
            if e.kind() == std::io::ErrorKind::NotFound {
                "expected results file not found (run with --generate to create it)".to_string()
            } else {
                format!("cannot read: {e}")
            },
        )
    })?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| HarnessError::input(path, format!("not valid UTF-8: {e}")))?;
    let v = Value::from_json_str(text)
        .map_err(|e| HarnessError::input(path, format!("invalid JSON: {e}")))?;
    let Value::Map(mut m) = v else {
        return Err(HarnessError::input(
            path,
            format!(
                "expected an object with an \"expected\" list, found {}",
                json_kind(&v)
            ),
        ));
    };
    match m.shift_remove("expected") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::List(l)) => {
            for (i, d) in l.iter().enumerate() {
                if !matches!(d, Value::Map(_) | Value::Null) {
                    return Err(HarnessError::input(
                        path,
                        format!(
                            "expected document {i} must be an object or null, found {}",
                            json_kind(d)
                        ),
                    ));
                }
            }
            Ok(l)
        }
        Some(other) => Err(HarnessError::input(
            path,
            format!("\"expected\" must be a list, found {}", json_kind(&other)),
        )),
    }
}

/// Temporary files being written right now, so a signal handler can remove them
/// ([`abandon_writes`]).
static IN_FLIGHT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Unregisters an in-flight temporary file when the write finishes, however it finishes.
struct InFlight(PathBuf);

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut g = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = g.iter().position(|p| *p == self.0) {
            g.swap_remove(i);
        }
    }
}

/// Removes the temporary files of writes in progress and blocks any further [`write_atomic`];
/// for signal handlers, just before the process exits (goldens stay old or new, never partial).
pub fn abandon_writes() {
    let g = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
    for p in g.iter() {
        let _ = std::fs::remove_file(p);
    }
    // Keep the lock: writers now block instead of creating new temporary files.
    std::mem::forget(g);
}

/// Writes a file atomically: a temporary file in the same folder, then a rename over the target.
/// The file keeps the old file's permissions; a new one gets 0644 (less the umask), as Go's
/// `os.WriteFile(path, data, 0644)` gives it.
pub fn write_atomic(path: &Path, contents: &str) -> Result<(), HarnessError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let fail = |e: std::io::Error| HarnessError::input(path, format!("cannot write: {e}"));
    std::fs::create_dir_all(dir).map_err(fail)?;
    let old_perms = std::fs::metadata(path)
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.permissions());
    // Declared first so that it is dropped last, after the temporary file is gone.
    let _registered;
    let mut tmp = {
        let mut g = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
        let mut builder = tempfile::Builder::new();
        builder.prefix(".pipette-").suffix(".tmp");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o644));
        }
        let tmp = builder.tempfile_in(dir).map_err(fail)?;
        g.push(tmp.path().to_path_buf());
        _registered = InFlight(tmp.path().to_path_buf());
        tmp
    };
    if let Some(p) = old_perms {
        tmp.as_file().set_permissions(p).map_err(fail)?;
    }
    tmp.write_all(contents.as_bytes()).map_err(fail)?;
    tmp.flush().map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_format() {
        let docs = vec![
            Value::from_json_str(r#"{"b":{"y":1,"x":[]},"a":"<&>","c":{}}"#).unwrap(),
            Value::Null,
        ];
        let want = "{\n    \"expected\": [\n        {\n            \"a\": \"<&>\",\n            \"b\": {\n                \"x\": [],\n                \"y\": 1\n            },\n            \"c\": {}\n        },\n        null\n    ]\n}\n";
        assert_eq!(format_expected(&docs, false), want);
        assert!(format_expected(&docs, true).contains(r#""\u003c\u0026\u003e""#));
        assert_eq!(
            format_expected(&[], false),
            "{\n    \"expected\": null\n}\n"
        );
    }

    #[test]
    fn html_escaping_by_spec_version() {
        for (v, want) in [
            (Some("1.0.0"), true),
            (Some("2.11.9"), true),
            (Some("2.12.0"), false),
            (Some("3.0.2"), false),
            (None, false),
        ] {
            assert_eq!(html_escaping_for(v), want, "{v:?}");
        }
    }

    #[test]
    fn atomic_write_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.log-expected.json");
        let docs = vec![Value::from_json_str(r#"{"a":1}"#).unwrap()];
        write_atomic(&p, &format_expected(&docs, false)).unwrap();
        assert_eq!(read_expected(&p).unwrap().len(), 1);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        std::fs::write(&p, "[1]").unwrap();
        assert!(read_expected(&p).is_err());
        assert!(read_expected(&dir.path().join("none")).is_err());
    }
}
