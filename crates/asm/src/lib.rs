//! The Atlas assembler: GNU `as`-compatible RISC-V assembly to program images and ELF
//! executables, and the ELF reader for `atlas run`.
//!
//! The output is byte-identical to `riscv64-unknown-elf-as -mno-relax` linked with
//! `riscv64-unknown-elf-ld --no-relax` at the same section addresses (`.ci/asm-vs-gnu`
//! checks every program and the corpus in `tests/corpus`). Pipeline: `lexer` → `parse`
//! (first pass: statements, labels, `directives`, `macros`, `pseudo` instruction
//! selection) → `layout` (addresses; second pass through `encode`) → [`Image`] →
//! [`write_elf`].
//!
//! Width: [`Options::xlen`], or `.attribute arch, "rv32…"` / `"rv64…"` before the first
//! instruction. Layout: `.text` at [`Options::text_addr`] (GNU ld's 0x10000 by default),
//! `.rodata` and `.data` each from the next page boundary, `.bss` right after `.data`.
//!
//! Beyond the list, `.rept`/`.endr`, `.fill`, `.org`, `.if`/`.ifdef`/`.ifndef`/
//! `.ifeq`/`.ifne`/`.else`/`.endif`, `.pushsection`/`.popsection`/`.previous` and the
//! comparison and logical operators work as in GNU `as`, and GCC's `-S` output assembles:
//! `.sdata`/`.srodata`/`.sbss` join `.data`/`.rodata`/`.bss`, note and debug sections are
//! assembled but not loaded, and `.cfi_*`/`.loc` are ignored.
//!
//! Deliberate differences from GNU `as`: a conditional branch whose target is out of range
//! is an error (GNU silently rewrites it as an inverted branch over a `jal`, as it also
//! does for branches to absolute addresses or other sections, where Atlas emits the plain
//! branch); `.option rvc` is accepted but nothing is compressed (Atlas models no C
//! extension); `fence 0, 0` is accepted (objdump prints empty sets as `0`).

mod cond;
mod diag;
mod directives;
mod elf_read;
mod elf_write;
mod encode;
mod expr;
mod image;
mod layout;
mod lexer;
pub mod li;
mod macros;
mod operands;
mod parse;
mod pseudo;

pub use diag::{Diagnostic, Diagnostics, MAX_ERRORS};
pub use elf_read::read_elf;
pub use elf_write::write_elf;
pub use image::{Image, LineTable, Perms, Segment, Symbol};
pub use layout::PAGE;

use atlas_isa::Xlen;
use std::path::Path;

/// How to assemble (and how to check loaded ELF files).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Register width, unless the source selects one with `.attribute arch, "rv32…"`.
    pub xlen: Xlen,
    /// Address of the first `.text` byte (GNU ld's default for RISC-V is 0x10000).
    pub text_addr: u64,
    /// When set, [`load_program`] refuses an ELF file whose class differs from `xlen`
    /// (for a user who asked for a width explicitly).
    pub require_xlen: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            xlen: Xlen::X64,
            text_addr: 0x10000,
            require_xlen: false,
        }
    }
}

/// Assembles `source` (named `file_name` in errors; `.include` paths are relative to it).
pub fn assemble_str(source: &str, file_name: &str, opts: &Options) -> Result<Image, Diagnostics> {
    let mut asm = parse::Assembler::new(opts);
    asm.source(file_name, source);
    // The second pass runs even after first-pass errors, so range errors and undefined
    // symbols are reported too (unless the first pass stopped early).
    let image = if asm.too_many_errors() {
        None
    } else {
        layout::build(&mut asm)
    };
    match image {
        Some(image) if asm.errors.is_empty() => Ok(image),
        _ => Err(Diagnostics::finish(asm.errors)),
    }
}

/// Reads and assembles a source file.
pub fn assemble_file(path: &Path, opts: &Options) -> Result<Image, Diagnostics> {
    let name = path.to_string_lossy();
    match std::fs::read(path) {
        Ok(bytes) => assemble_str(&String::from_utf8_lossy(&bytes), &name, opts),
        Err(e) => Err(Diagnostics::single(&name, format!("cannot read file: {e}"))),
    }
}

/// Loads a program for running: an ELF executable if the file starts with the ELF magic,
/// otherwise assembly source. Errors are rendered text (diagnostics for assembly).
pub fn load_program(path: &Path, opts: &Options) -> Result<Image, String> {
    let bytes =
        std::fs::read(path).map_err(|e| format!("{}: cannot read file: {e}", path.display()))?;
    if bytes.starts_with(&object::elf::ELFMAG) {
        let image = read_elf(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        if opts.require_xlen && image.xlen != opts.xlen {
            let class = |x: Xlen| {
                if x == Xlen::X32 {
                    "ELFCLASS32 (RV32)"
                } else {
                    "ELFCLASS64 (RV64)"
                }
            };
            return Err(format!(
                "{}: file is {} but {} was requested",
                path.display(),
                class(image.xlen),
                class(opts.xlen)
            ));
        }
        return Ok(image);
    }
    let name = path.to_string_lossy();
    assemble_str(&String::from_utf8_lossy(&bytes), &name, opts).map_err(|d| d.to_string())
}
