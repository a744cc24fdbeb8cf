//! The `roster` binary: parse the command line and hand over to the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = roster::cli::Cli::parse();
    roster::cli::run(cli)
}
