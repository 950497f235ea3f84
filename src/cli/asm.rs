//! `atlas asm`: assemble a source file into a static RISC-V ELF executable.

use atlas_isa::Xlen;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Assembly source file.
    pub file: PathBuf,
    /// Output ELF file (default: the input name with `.elf`).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Register width: 32 or 64 (a `.attribute arch, "rv32…"` in the source overrides it).
    #[arg(long, default_value_t = 64, value_parser = parse_xlen)]
    pub xlen: u32,
    /// Address of the first `.text` byte (decimal or 0x hex).
    #[arg(long, default_value = "0x10000", value_parser = parse_addr)]
    pub text_addr: u64,
}

fn parse_xlen(s: &str) -> Result<u32, String> {
    match s {
        "32" => Ok(32),
        "64" => Ok(64),
        _ => Err(format!("invalid width `{s}` (expected 32 or 64)")),
    }
}

fn parse_addr(s: &str) -> Result<u64, String> {
    let r = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse(),
    };
    r.map_err(|e| format!("invalid address `{s}`: {e}"))
}

/// Runs the subcommand: exit 0 on success, 1 with diagnostics on stderr otherwise.
pub fn main(args: Args) -> ExitCode {
    let opts = atlas_asm::Options {
        xlen: if args.xlen == 32 {
            Xlen::X32
        } else {
            Xlen::X64
        },
        text_addr: args.text_addr,
        ..Default::default()
    };
    let image = match atlas_asm::assemble_file(&args.file, &opts) {
        Ok(image) => image,
        Err(diags) => {
            eprint!("{diags}");
            return ExitCode::from(1);
        }
    };
    let bytes = match atlas_asm::write_elf(&image) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("atlas asm: {}: {e}", args.file.display());
            return ExitCode::from(1);
        }
    };
    let out = args
        .output
        .unwrap_or_else(|| args.file.with_extension("elf"));
    if let Err(e) = std::fs::write(&out, bytes) {
        eprintln!("atlas asm: cannot write {}: {e}", out.display());
        return ExitCode::from(1);
    }
    make_executable(&out);
    ExitCode::SUCCESS
}

/// Marks the output executable, as a linker does (qemu-user refuses to run it otherwise).
fn make_executable(path: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mut perms = meta.permissions();
            perms.set_mode(perms.mode() | 0o111);
            // Best effort: the ELF is written either way.
            let _ = std::fs::set_permissions(path, perms);
        }
    }
}
