//! The `pipette` binary: a thin wrapper over the library's command line.

/// mimalloc: documents are trees of many small maps, strings and lists, built and freed per
/// document, which mimalloc serves faster than glibc's allocator (README, Performance).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `purge_delay` option (`mi_option_e` in mimalloc.h, v3).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> std::process::ExitCode {
    // `pipette run` streams any amount of input: give freed memory back at once rather than
    // after 10 ms, so that it stays near the memory its documents need (54 MB instead of 66 MB
    // on 1 GB of events, same speed). Other commands keep the default, which parallel
    // `pipette test` runs are faster with. SAFETY: sets a plain integer option, which mimalloc
    // reads each time it purges; setting it at any time is allowed.
    if std::env::args_os().nth(1).is_some_and(|a| a == "run") {
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    }
    pipette::cli::main()
}
