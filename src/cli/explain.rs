//! `atlas explain PROG [--first N | --pc ADDR | --va ADDR]`: runs the program and tells
//! selected translations step by step (see [`atlas_prof::explain`]). The guest's own output
//! is discarded; the explanations go to stdout.

use super::machine::{describe, MachineArgs};
use super::run::{parse_size, parse_xlen, EXIT_HOST_ERROR};
use atlas_asm::Image;
use atlas_isa::{disassemble, Style, Xlen};
use atlas_os::{GuestIo, OsConfig};
use atlas_prof::explain::{Explainer, Selection};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Accesses explained when `--first` is not given.
pub const DEFAULT_FIRST: usize = 10;

/// Arguments of `atlas explain`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Program: assembly source or RISC-V ELF executable.
    pub file: PathBuf,
    /// Register width for assembly sources.
    #[arg(long, value_parser = parse_xlen)]
    pub xlen: Option<Xlen>,
    /// MMU mode (default: sv39 on RV64, sv32 on RV32).
    #[arg(long, value_name = "MODE", value_parser = atlas_os::MmuMode::parse)]
    pub mmu: Option<atlas_os::MmuMode>,
    /// Physical memory size (bytes, or with K, M, G).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub phys_mem: Option<u64>,
    /// Stop the program after this many instructions.
    #[arg(long, value_name = "N", default_value_t = 100_000_000)]
    pub max_insns: u64,
    /// Explain at most N translations (default 10), the first ones selected.
    #[arg(long, value_name = "N")]
    pub first: Option<usize>,
    /// Only translations for accesses by the instruction at ADDR (hex with 0x, or decimal).
    #[arg(long, value_name = "ADDR", value_parser = parse_addr)]
    pub pc: Option<u64>,
    /// Only translations of accesses to the page holding ADDR.
    #[arg(long, value_name = "ADDR", value_parser = parse_addr)]
    pub va: Option<u64>,
    /// The machine: preset and TLB options.
    #[command(flatten)]
    pub machine: MachineArgs,
    /// Arguments passed to the guest (after `--`).
    #[arg(last = true)]
    pub args: Vec<String>,
}

/// Parses `0x…` hex or decimal.
pub fn parse_addr(s: &str) -> Result<u64, String> {
    match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse(),
    }
    .map_err(|_| format!("invalid address `{s}` (expected 0x-prefixed hex or decimal)"))
}

/// `<symbol+offset> at file:line: disassembly` for an instruction of `image`.
fn describe_pc(image: &Image, pc: u64) -> String {
    let mut s = String::new();
    if let Some((name, off)) = image.symbolize(pc) {
        s.push_str(&format!("<{name}+{off:#x}>"));
    }
    if let Some((file, line)) = image.lines.lookup(pc) {
        let file = std::path::Path::new(file)
            .file_name()
            .map_or_else(|| file.to_string(), |f| f.to_string_lossy().into_owned());
        s.push_str(&format!(" {file}:{line}"));
    }
    let word = image.segments.iter().find_map(|seg| {
        let at = usize::try_from(pc.checked_sub(seg.vaddr)?).ok()?;
        let bytes: [u8; 4] = seg.data.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(u32::from_le_bytes(bytes))
    });
    if let Some(inst) = word.and_then(|w| atlas_isa::decode(w, image.xlen).ok()) {
        s.push_str(&format!(
            ": {}",
            disassemble(&inst, pc, image.xlen, Style::Aliases)
        ));
    }
    s
}

/// Runs the subcommand.
pub fn main(args: Args) -> ExitCode {
    match explain(args) {
        Ok(text) => {
            let _ = std::io::stdout().write_all(text.as_bytes());
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = std::io::stderr().write_all(format!("atlas: {e}\n").as_bytes());
            ExitCode::from(EXIT_HOST_ERROR)
        }
    }
}

fn explain(args: Args) -> Result<String, String> {
    let options = atlas_asm::Options {
        xlen: args.xlen.unwrap_or(Xlen::X64),
        require_xlen: args.xlen.is_some(),
        ..atlas_asm::Options::default()
    };
    let image = atlas_asm::load_program(&args.file, &options).map_err(|e| e.to_string())?;
    let mut config = OsConfig {
        max_insns: args.max_insns,
        mmu_mode: args.mmu,
        mmu: args.machine.config()?,
        ..OsConfig::default()
    };
    if let Some(size) = args.phys_mem {
        config.phys_mem = size;
    }
    config.args = std::iter::once(args.file.display().to_string())
        .chain(args.args)
        .collect();
    let selection = Selection {
        limit: args.first.unwrap_or(DEFAULT_FIRST),
        pc: args.pc,
        va: args.va,
    };
    let symbols = image.clone();
    let explainer = Explainer::new(selection, Box::new(move |pc| describe_pc(&symbols, pc)));
    let (mut stdin, mut stdout, mut stderr) = (std::io::empty(), std::io::sink(), std::io::sink());
    let mut io = GuestIo {
        stdin: &mut stdin,
        stdout: &mut stdout,
        stderr: &mut stderr,
    };
    let (report, observer) =
        atlas_os::run_image_observed(&image, &config, &mut io, Box::new(explainer))
            .map_err(|e| format!("{}: {e}", args.file.display()))?;
    let explainer = observer
        .and_then(|o| o.into_any().downcast::<Explainer>().ok())
        .ok_or("the explainer was lost")?;
    let mut text = format!(
        "atlas explain: {} in {} mode on {}\n\n",
        args.file.display(),
        report.mode.name(),
        describe(&config.mmu)
    );
    text.push_str(explainer.text());
    text.push_str(&format!(
        "{} translation(s) explained\n",
        explainer.explained()
    ));
    Ok(text)
}
