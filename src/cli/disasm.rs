//! `atlas disasm`: print address, word and instruction text, as `objdump -d` does.

use atlas_isa::{decode, Disasm, Style, Xlen};
use object::{Object, ObjectSection, ObjectSymbol, SectionKind};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `atlas disasm`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A RISC-V ELF file (object or executable), or a raw binary with `--raw`.
    pub file: PathBuf,
    /// Treat the file as raw instruction words (little-endian), not ELF.
    #[arg(long)]
    pub raw: bool,
    /// Register width for raw input: 32 or 64 (ELF files say their own).
    #[arg(long, default_value_t = 64, value_parser = parse_xlen)]
    pub xlen: u32,
    /// Address of the first byte of raw input.
    #[arg(long, default_value = "0", value_parser = parse_addr)]
    pub base: u64,
    /// Print real instructions only, as `objdump -M no-aliases`.
    #[arg(long)]
    pub no_aliases: bool,
}

fn parse_xlen(s: &str) -> Result<u32, String> {
    match s {
        "32" => Ok(32),
        "64" => Ok(64),
        _ => Err(format!("xlen must be 32 or 64, not {s:?}")),
    }
}

/// Parses a decimal or `0x` hexadecimal address.
pub fn parse_addr(s: &str) -> Result<u64, String> {
    let parsed = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse(),
    };
    parsed.map_err(|_| format!("not an address: {s:?}"))
}

/// A block of code to print: where it starts and its bytes.
struct Block<'a> {
    name: String,
    addr: u64,
    bytes: &'a [u8],
}

/// Runs `atlas disasm`.
pub fn main(args: Args) -> ExitCode {
    let data = match std::fs::read(&args.file) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("atlas disasm: cannot read {}: {e}", args.file.display());
            return ExitCode::from(1);
        }
    };
    let style = if args.no_aliases {
        Style::NoAliases
    } else {
        Style::Aliases
    };
    let result = if args.raw {
        let xlen = if args.xlen == 32 {
            Xlen::X32
        } else {
            Xlen::X64
        };
        let block = Block {
            name: "raw".to_string(),
            addr: args.base,
            bytes: &data,
        };
        Ok(render(&[block], &BTreeMap::new(), xlen, style))
    } else {
        render_elf(&data, style)
    };
    match result {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("atlas disasm: {}: {e}", args.file.display());
            ExitCode::from(1)
        }
    }
}

fn render_elf(data: &[u8], style: Style) -> Result<String, String> {
    let file = object::File::parse(data).map_err(|e| format!("not an ELF file ({e})"))?;
    if file.architecture() != object::Architecture::Riscv64
        && file.architecture() != object::Architecture::Riscv32
    {
        return Err(format!(
            "not a RISC-V file (architecture {:?})",
            file.architecture()
        ));
    }
    let xlen = if file.is_64() { Xlen::X64 } else { Xlen::X32 };
    let symbols: BTreeMap<u64, String> = file
        .symbols()
        .filter(|s| s.is_definition() && !s.name().unwrap_or("").is_empty())
        .filter(|s| !s.name().unwrap_or("").starts_with("$"))
        .filter_map(|s| Some((s.address(), s.name().ok()?.to_string())))
        .collect();
    let mut blocks = Vec::new();
    for section in file.sections() {
        if section.kind() != SectionKind::Text {
            continue;
        }
        let bytes = section
            .data()
            .map_err(|e| format!("cannot read section {}: {e}", section.name().unwrap_or("?")))?;
        blocks.push(Block {
            name: section.name().unwrap_or("?").to_string(),
            addr: section.address(),
            bytes,
        });
    }
    if blocks.is_empty() {
        return Err("no executable sections".to_string());
    }
    Ok(render(&blocks, &symbols, xlen, style))
}

/// `name+0x10` for the symbol at or below `addr`.
fn symbolize(symbols: &BTreeMap<u64, String>, addr: u64) -> Option<String> {
    let (base, name) = symbols.range(..=addr).next_back()?;
    Some(match addr - base {
        0 => name.clone(),
        off => format!("{name}+{off:#x}"),
    })
}

fn render(blocks: &[Block], symbols: &BTreeMap<u64, String>, xlen: Xlen, style: Style) -> String {
    use std::fmt::Write as _;
    let width = if xlen == Xlen::X64 { 16 } else { 8 };
    let mut out = String::new();
    for block in blocks {
        let _ = writeln!(out, "\nDisassembly of section {}:", block.name);
        for (i, chunk) in block.bytes.chunks(4).enumerate() {
            let pc = block.addr.wrapping_add(4 * i as u64);
            if let Some(name) = symbols.get(&pc) {
                let _ = writeln!(out, "\n{pc:0width$x} <{name}>:");
            }
            if chunk.len() < 4 {
                let hex: Vec<String> = chunk.iter().map(|b| format!("{b:#04x}")).collect();
                let _ = writeln!(out, "{pc:>8x}:\t.byte\t{}", hex.join(","));
                continue;
            }
            let word = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            let _ = write!(out, "{pc:>8x}:\t{word:08x}          \t");
            match decode(word, xlen) {
                Ok(inst) => {
                    let _ = write!(
                        out,
                        "{}",
                        Disasm {
                            inst,
                            pc,
                            xlen,
                            style
                        }
                    );
                    if let Some(target) = inst.target(pc, xlen) {
                        if let Some(sym) = symbolize(symbols, target) {
                            let _ = write!(out, " <{sym}>");
                        }
                    }
                    out.push('\n');
                }
                Err(_) => {
                    let _ = writeln!(out, ".word\t{word:#010x}");
                }
            }
        }
    }
    out
}
