//! `atlas`: assemble, run, disassemble and profile RISC-V guest programs on a modelled MMU.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod cli;

/// Atlas: a cycle-level hardware MMU emulator for RV32IM/RV64IM guest programs.
#[derive(Debug, Parser)]
#[command(name = "atlas", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Assemble (if needed) and run a guest program.
    Run(Box<cli::run::Args>),
    /// Assemble a program into a static RISC-V ELF executable.
    Asm(cli::asm::Args),
    /// Disassemble an ELF file or a raw binary.
    Disasm(cli::disasm::Args),
    /// Explain selected translations step by step (OSTEP style).
    Explain(Box<cli::explain::Args>),
    /// Read access traces: dump them, or replay them on another machine.
    Trace(cli::trace::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => cli::run::main(*args),
        Command::Asm(args) => cli::asm::main(args),
        Command::Disasm(args) => cli::disasm::main(args),
        Command::Explain(args) => cli::explain::main(*args),
        Command::Trace(args) => cli::trace::main(args),
    }
}
