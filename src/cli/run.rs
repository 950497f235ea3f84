//! Placeholder: filled in by its owner.

use std::process::ExitCode;

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input file.
    pub file: std::path::PathBuf,
}

/// Runs the subcommand.
pub fn main(args: Args) -> ExitCode {
    eprintln!("atlas: {} is not implemented yet", args.file.display());
    ExitCode::from(2)
}
