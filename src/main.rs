//! The `pipette` binary: a thin wrapper over the library's command line.

/// mimalloc: documents are trees of many small maps, strings and lists, built and freed per
/// document, which mimalloc serves faster than glibc's allocator (README, Performance).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `purge_delay` option (`mi_option_e` in mimalloc.h, v3).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> std::process::ExitCode {
    // Give freed memory back at once rather than after 10 ms, so that a streaming run stays
    // near the memory its documents need. SAFETY: sets a plain integer option, which mimalloc
    // reads each time it purges; setting it at any time is allowed.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    pipette::cli::main()
}
