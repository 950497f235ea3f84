//! The Atlas assembler: GNU `as`-compatible RISC-V assembly to program images and ELF
//! executables, and the ELF reader for `atlas run`.

mod image;
pub mod li;

pub use image::{Image, LineTable, Perms, Segment, Symbol};
