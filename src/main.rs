//! The `pipette` binary: a thin wrapper over the library's command line.

/// mimalloc: documents are trees of many small maps, strings and lists, built and freed per
/// document; it halves the time glibc's allocator spent on them (see README, Performance).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    pipette::cli::main()
}
