//! `pipette test --watch`: run, then re-run the data streams whose files change.

use super::test::{TestArgs, run_once};
use super::{Cli, fail};
use crate::harness::watch::{affected, relevant, watched_dirs};
use crate::harness::{Suite, TestOptions, discover};
use notify::{EventKind, RecursiveMode, Watcher};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

/// How long to wait for more changes after one arrives (editors write a file in several steps).
const DEBOUNCE: Duration = Duration::from_millis(250);

/// Clears the terminal and moves the cursor home.
const CLEAR: &str = "\x1b[2J\x1b[H";

/// Writes to stdout; false when stdout is gone (the watch then ends).
fn say(text: &str) -> bool {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .is_ok()
}

/// Runs the tests, then watches their folders and re-runs affected data streams; returns only
/// when the watcher fails (Ctrl-C ends the process).
pub fn watch(
    args: &TestArgs,
    cli: &Cli,
    opts: &TestOptions,
    suite: Suite,
    resources: &crate::Resources,
) -> u8 {
    let (tx, rx) = mpsc::channel();
    let mut watcher = match notify::recommended_watcher(move |res| {
        let _ = tx.send(res);
    }) {
        Ok(w) => w,
        Err(e) => return fail(format!("cannot watch files: {e}")),
    };
    let mut watched: BTreeSet<PathBuf> = BTreeSet::new();
    let add_watches = |suite: &Suite,
                       watcher: &mut notify::RecommendedWatcher,
                       watched: &mut BTreeSet<PathBuf>| {
        for d in watched_dirs(suite) {
            if watched.iter().any(|w| d.starts_with(w)) {
                continue;
            }
            match watcher.watch(&d, RecursiveMode::Recursive) {
                Ok(()) => {
                    watched.insert(d);
                }
                Err(e) => eprintln!("warning: cannot watch {}: {e}", d.display()),
            }
        }
    };
    add_watches(&suite, &mut watcher, &mut watched);
    if args.clear && !say(CLEAR) {
        return 0;
    }
    run_once(args, cli, opts, &suite, resources, false);
    if !say(&format!(
        "\nWatching {} for changes (Ctrl-C to stop)…\n",
        crate::harness::result::plural(watched.len(), "folder", "folders")
    )) {
        return 0;
    }
    loop {
        let first = match rx.recv() {
            Ok(ev) => ev,
            Err(_) => return fail("the file watcher stopped"),
        };
        let mut events = vec![first];
        while let Ok(ev) = rx.recv_timeout(DEBOUNCE) {
            events.push(ev);
        }
        let mut changed: Vec<PathBuf> = Vec::new();
        for ev in events {
            match ev {
                Ok(ev) => {
                    if matches!(ev.kind, EventKind::Access(_)) {
                        continue;
                    }
                    changed.extend(ev.paths.into_iter().filter(|p| relevant(p)));
                }
                Err(e) => eprintln!("warning: file watcher: {e}"),
            }
        }
        changed.sort();
        changed.dedup();
        if changed.is_empty() {
            continue;
        }
        // New test inputs or data streams: discover again.
        let suite = match discover(&args.path) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {e}");
                continue;
            }
        };
        add_watches(&suite, &mut watcher, &mut watched);
        let which = affected(&suite, &changed);
        if which.is_empty() {
            continue;
        }
        let subset = Suite {
            // `affected` returns indexes into this same suite's datasets.
            datasets: which.iter().map(|&i| suite.datasets[i].clone()).collect(),
            ..suite.clone()
        };
        if args.clear && !say(CLEAR) {
            return 0;
        }
        let names: Vec<String> = subset.datasets.iter().map(|d| d.full_name()).collect();
        let files: Vec<String> = changed
            .iter()
            .take(5)
            .map(|p| p.display().to_string())
            .collect();
        if !say(&format!(
            "\n── changed: {}{} → re-running {} ──\n",
            files.join(", "),
            if changed.len() > 5 { ", …" } else { "" },
            names.join(", ")
        )) {
            return 0;
        }
        run_once(args, cli, opts, &subset, resources, false);
        if !say("\nWatching for changes (Ctrl-C to stop)…\n") {
            return 0;
        }
    }
}
