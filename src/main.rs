//! The `roster` binary: parse the command line and hand over to the library.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the system allocator: imports and exports allocate many small,
/// short-lived values on several threads (tokio's and one per SQLite connection), where
/// glibc's per-thread arenas held twice the memory and spent a fifth of the time in
/// malloc/free (docs/performance.md). Its 2.x line (feature `v2`): 3.x keeps freed memory a
/// second before returning it, 30-50 MB more at the peak of a large import.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = roster::cli::Cli::parse();
    roster::cli::run(cli)
}
