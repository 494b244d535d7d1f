//! Memory budget for one Painless execution (issue #6).
//!
//! Elasticsearch has no per-script memory limit: a script that builds a huge string or list
//! runs the JVM out of heap, and Painless turns the `java.lang.OutOfMemoryError` into a
//! `script_exception` (the generated `execute` catches `PainlessError | BootstrapMethodError |
//! OutOfMemoryError | StackOverflowError | Exception`). pipette cannot wait for an allocation
//! to fail (Rust aborts the process), so every place a script grows a string or a collection
//! asks this module first, before allocating, and the document fails with the same
//! `out_of_memory_error` instead.
//!
//! Two limits, counted per execution on a thread-local counter that [`reset`] clears when an
//! interpreter starts (as the loop counter is per interpreter):
//! - one string may hold at most [`MAX_VALUE_LEN`] chars (UTF-8 bytes) and one list, array,
//!   map or set at most [`MAX_VALUE_LEN`] elements;
//! - all the strings and collection slots one execution creates at these places add up to at
//!   most [`MAX_RUN_BYTES`] bytes (a string counts its length, an element [`ELEMENT_BYTES`]).
//!
//! Creation is counted, not what is alive (pipette does not see values being freed), so the
//! run limit also bounds the work a script can do by copying: appending one char at a time
//! with `s = s + c` stops at about 32,000 chars.

use super::interp::{Exc, Res};
use super::value::{JStr, V};
use std::cell::Cell;
use std::rc::Rc;

/// Most chars (UTF-8 bytes) in one string, or elements in one collection: 16 Mi. A Java
/// `ArrayList` of that many boxed numbers takes about 300 MiB of heap, near what the 1 GiB
/// heap of a test cluster can give one script.
pub const MAX_VALUE_LEN: usize = 16 * 1024 * 1024;

/// Most bytes one execution may create in strings and collection slots: 512 MiB.
pub const MAX_RUN_BYTES: usize = 512 * 1024 * 1024;

/// What one collection element (or map entry) is counted as, in bytes.
pub const ELEMENT_BYTES: usize = 32;

thread_local! {
    /// Bytes created by the running execution on this thread.
    static USED: Cell<usize> = const { Cell::new(0) };
}

/// Starts a new execution's count.
pub fn reset() {
    USED.with(|u| u.set(0));
}

/// Bytes created so far by this thread's execution.
pub fn used() -> usize {
    USED.with(Cell::get)
}

/// The error a script gets when it is over budget (Java's `OutOfMemoryError`, uncatchable).
pub fn out_of_memory(msg: impl Into<String>) -> Exc {
    Exc::fatal("OutOfMemoryError", msg, usize::MAX)
}

fn charge(bytes: usize) -> Res<()> {
    let total = used().saturating_add(bytes);
    if total > MAX_RUN_BYTES {
        return Err(out_of_memory(format!(
            "Java heap space (pipette: the script created more than [{MAX_RUN_BYTES}] bytes of strings and collections in one run)"
        )));
    }
    USED.with(|u| u.set(total));
    Ok(())
}

/// Checks and counts a new string of `len` chars (UTF-8 bytes), before it is built.
pub fn string(len: usize) -> Res<()> {
    if len > MAX_VALUE_LEN {
        return Err(out_of_memory(format!(
            "Java heap space (pipette: a string of [{len}] chars is over the limit of [{MAX_VALUE_LEN}])"
        )));
    }
    charge(len)
}

/// Checks and counts a string growing by `added` chars to `new_len` (StringBuilder appends).
pub fn string_growth(new_len: usize, added: usize) -> Res<()> {
    if new_len > MAX_VALUE_LEN {
        return Err(out_of_memory(format!(
            "Java heap space (pipette: a string of [{new_len}] chars is over the limit of [{MAX_VALUE_LEN}])"
        )));
    }
    charge(added)
}

/// Appends `add` to `out` once the budget allows the longer string.
pub fn push_str(out: &mut String, add: &str) -> Res<()> {
    string_growth(out.len().saturating_add(add.len()), add.len())?;
    out.push_str(add);
    Ok(())
}

/// String concatenation (`+`, `+=`): appends `add` to `out` once the budget allows the whole
/// new string, which is counted in full (Java copies both sides into a new string).
pub fn concat(out: &mut String, add: &str) -> Res<()> {
    string(out.len().saturating_add(add.len()))?;
    out.push_str(add);
    Ok(())
}

/// Checks that a new string of `len` chars fits, without counting it (the caller's result is
/// counted by [`charge_fresh`]).
pub fn check_string(len: usize) -> Res<()> {
    if len > MAX_VALUE_LEN {
        return Err(out_of_memory(format!(
            "Java heap space (pipette: a string of [{len}] chars is over the limit of [{MAX_VALUE_LEN}])"
        )));
    }
    if used().saturating_add(len) > MAX_RUN_BYTES {
        return charge(len);
    }
    Ok(())
}

/// Appends `add` to a string being built for a result that [`charge_fresh`] counts.
pub fn push_checked(out: &mut String, add: &str) -> Res<()> {
    check_string(out.len().saturating_add(add.len()))?;
    out.push_str(add);
    Ok(())
}

/// Counts a value a method just made: a string or collection nothing else holds yet (a new
/// `Rc`), such as `substring`, `toUpperCase` or `split`'s results. Values the method returned
/// from elsewhere are shared and not counted again.
pub fn charge_fresh(v: &V<'_>) -> Res<()> {
    match v {
        V::Str(JStr::Shared(s)) if Rc::strong_count(s) == 1 => string(s.len()),
        V::List(l) | V::Array(l) if Rc::strong_count(l) == 1 => {
            let items = l.borrow();
            // New strings inside (`split`'s parts) count too.
            let chars = items.iter().fold(0usize, |n, v| match v {
                V::Str(JStr::Shared(s)) if Rc::strong_count(s) == 1 => n.saturating_add(s.len()),
                _ => n,
            });
            charge(chars)?;
            elements(items.len())
        }
        _ => Ok(()),
    }
}

/// Checks and counts a new collection of `len` elements (a copy, `nCopies`, an array).
pub fn elements(len: usize) -> Res<()> {
    growth(len, len)
}

/// Checks and counts a collection growing by `added` elements to `new_len`.
pub fn growth(new_len: usize, added: usize) -> Res<()> {
    if new_len > MAX_VALUE_LEN {
        return Err(out_of_memory(format!(
            "Java heap space (pipette: a collection of [{new_len}] elements is over the limit of [{MAX_VALUE_LEN}])"
        )));
    }
    charge(added.saturating_mul(ELEMENT_BYTES))
}

/// Checks a multi-dimensional array (`new String[a][b]`) before it is allocated.
pub fn array(dims: &[usize]) -> Res<()> {
    // Every level but the last is arrays of arrays; each level's total is the product so far.
    let mut total: usize = 0;
    let mut level: usize = 1;
    for d in dims {
        level = level.saturating_mul(*d);
        if level == 0 {
            break;
        }
        if *d > MAX_VALUE_LEN {
            return growth(*d, *d);
        }
        total = total.saturating_add(level);
    }
    charge(total.saturating_mul(ELEMENT_BYTES))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::painless::interp::Thrown;

    fn class_of(r: Res<()>) -> Option<(&'static str, String)> {
        match r {
            Err(e) => match *e.0 {
                Thrown::Fatal { class, msg, .. } => Some((class, msg)),
                Thrown::Java { .. } => None,
            },
            Ok(()) => None,
        }
    }

    #[test]
    fn one_value_is_capped() {
        reset();
        assert!(string(MAX_VALUE_LEN).is_ok());
        let (class, msg) = class_of(string(MAX_VALUE_LEN + 1)).expect("over the cap");
        assert_eq!(class, "OutOfMemoryError");
        assert!(msg.starts_with("Java heap space"), "{msg}");
        assert!(msg.contains("[16777217] chars"), "{msg}");
        assert!(class_of(growth(MAX_VALUE_LEN + 1, 1)).is_some());
        assert!(growth(MAX_VALUE_LEN, 1).is_ok());
    }

    #[test]
    fn the_run_total_is_capped_and_reset() {
        reset();
        // 32 strings of 16 Mi fill the 512 MiB; one more char does not fit.
        for _ in 0..32 {
            string(MAX_VALUE_LEN).expect("within the run budget");
        }
        assert_eq!(used(), MAX_RUN_BYTES);
        let (_, msg) = class_of(string(1)).expect("over the run budget");
        assert!(msg.contains("in one run"), "{msg}");
        reset();
        assert_eq!(used(), 0);
        assert!(string(1).is_ok());
    }

    #[test]
    fn push_str_checks_before_growing() {
        reset();
        let mut s = "x".repeat(MAX_VALUE_LEN);
        assert!(push_str(&mut s, "y").is_err());
        assert_eq!(s.len(), MAX_VALUE_LEN);
        let mut t = String::from("a");
        push_str(&mut t, "bc").expect("small");
        assert_eq!(t, "abc");
    }

    #[test]
    fn arrays_count_every_level() {
        reset();
        assert!(array(&[10, 10]).is_ok());
        assert_eq!(used(), 110 * ELEMENT_BYTES);
        assert!(class_of(array(&[2_000_000_000])).is_some());
        // 2048 x 4096 = 8 Mi slots (256 MiB counted) fit; 8192 x 8192 is over the run budget.
        reset();
        assert!(array(&[2048, 4096]).is_ok());
        reset();
        assert!(class_of(array(&[8192, 8192])).is_some());
        reset();
        assert!(array(&[0, 2_000_000_000]).is_ok());
    }

    /// Runs `src` as a script processor would; the error's `caused_by` type and reason.
    fn run(src: &str) -> Result<crate::value::Value, (String, String)> {
        let script = crate::painless::Script::compile(src, Default::default())
            .unwrap_or_else(|e| panic!("{src}: {e}"));
        let mut doc =
            crate::document::IngestDocument::new(Default::default(), "2024-01-01T00:00:00.000Z");
        match script.execute(&mut doc, "p") {
            Ok(()) => Ok(doc
                .into_source()
                .get("n")
                .cloned()
                .unwrap_or(crate::value::Value::Null)),
            Err(e) => {
                assert_eq!(e.kind, "script_exception", "{src}");
                let c = e.caused_by.expect("a cause");
                Err((c.kind, c.reason))
            }
        }
    }

    fn oom(src: &str) -> String {
        match run(src) {
            Err((kind, reason)) if kind == "out_of_memory_error" => reason,
            other => panic!("{src}: want out_of_memory_error, got {other:?}"),
        }
    }

    #[test]
    fn memory_bombs_fail_the_document() {
        let value_cap = "over the limit of [16777216]";
        for src in [
            "String s = 'x'; for (int i = 0; i < 64; i++) { s = s + s; } ctx.n = s.length();",
            "String s = 'x'; for (int i = 0; i < 64; i++) { s += s; } ctx.n = s.length();",
            "String s = 'x'; for (int i = 0; i < 64; i++) { s = s.concat(s); }",
            "def l = [1]; for (int i = 0; i < 64; i++) { l.addAll(l); } ctx.n = l.size();",
            "def l = [1]; for (int i = 0; i < 64; i++) { l.addAll(0, l); }",
            "ctx.n = Collections.nCopies(2000000000, 'x').size();",
            "StringBuilder b = new StringBuilder('x'); for (int i = 0; i < 64; i++) { b.append(b.toString()); }",
            "StringBuilder b = new StringBuilder(); b.setLength(2000000000);",
            "String[] a = new String[2000000000];",
            "ctx.n = String.format('%2000000000d', [1]);",
            "ctx.n = 'x'.repeat(2000000000).length();",
            "String s = 'x'.repeat(3000000); ctx.n = s.replace('x', 'yyyyyyyy').length();",
            "def l = ['x'.repeat(1000000)]; for (int i = 0; i < 5; i++) { l.addAll(l); } ctx.n = String.join(',', l).length();",
            "def l = ['x'.repeat(1000000)]; for (int i = 0; i < 5; i++) { l.addAll(l); } ctx.n = l.join(',').length();",
        ] {
            let reason = oom(src);
            assert!(
                reason.starts_with("Java heap space (pipette: "),
                "{src}: {reason}"
            );
            assert!(
                reason.contains(value_cap) || reason.contains("in one run"),
                "{src}: {reason}"
            );
        }
    }

    #[test]
    fn repeat_past_integer_max_value_is_java_s_own_error() {
        assert_eq!(
            oom("ctx.n = 'xx'.repeat(2000000000);"),
            "Required length exceeds implementation limit"
        );
    }

    #[test]
    fn the_run_budget_stops_copying_loops() {
        // Each `s + i` makes a new 8 MiB string: 64 of them are over 512 MiB.
        let reason = oom(
            "String s = 'x'.repeat(8388608); String t; for (int i = 0; i < 100; i++) { t = s + i; }",
        );
        assert!(reason.contains("in one run"), "{reason}");
    }

    #[test]
    fn out_of_memory_is_not_caught_by_catch_exception() {
        oom("try { 'x'.repeat(2000000000); } catch (Exception e) { ctx.n = 1; }");
    }

    #[test]
    fn ordinary_growth_is_fine_and_each_run_starts_afresh() {
        let src = "StringBuilder b = new StringBuilder(); def l = []; Map m = [:]; for (int i = 0; i < 100000; i++) { b.append('ab'); l.add(i); m.put(i, i); } ctx.n = b.length() + l.size() + m.size();";
        for _ in 0..3 {
            // 200k chars, 200k elements: far below the limits, however many runs.
            assert_eq!(run(src).map(|v| v.to_json()), Ok("400000".to_string()));
        }
        // 16 Mi chars exactly is allowed.
        assert!(run("ctx.n = 'x'.repeat(16777216).length();").is_ok());
    }

    #[test]
    fn kept_copies_count() {
        // A 16 MiB string copied by trim() or split() and kept in a list: each
        // copy counts, so the 33rd fails instead of exhausting memory.
        for copy in ["s.trim()", "s.split(',')"] {
            let reason = oom(&format!(
                "String s = 'x'.repeat(16777215) + ' '; def l = []; for (int i = 0; i < 1000; i++) {{ l.add({copy}); }}"
            ));
            assert!(reason.contains("in one run"), "{copy}: {reason}");
        }
        // Keeping the same string many times copies nothing.
        assert!(
            run("String s = 'x'.repeat(16000000); def l = []; for (int i = 0; i < 1000; i++) { l.add(s); }")
                .is_ok()
        );
    }
}
