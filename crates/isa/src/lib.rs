//! The RV32IM / RV64IM instruction set as data.
//!
//! Everything numeric here — opcodes, operand placements, CSR numbers, trap causes, syscall
//! numbers, cost classes — is generated at build time from the plain-text tables in the
//! repository's `isa/` folder, which are the one source of truth. This crate adds the typed
//! instruction form ([`Inst`]), [`decode`], [`encode`] and objdump-style disassembly.

mod disasm;
mod inst;
mod reg;

pub use disasm::{disassemble, kind_syntax, Disasm, Style};
pub use inst::{decode, encode, Fields, Illegal, Inst};
pub use reg::Reg;

#[allow(missing_docs, clippy::all)]
mod tables {
    use super::{
        Alias, AliasOperand, CsrInfo, Encoding, Fields, Inst, OperandInfo, OperandType, Piece,
    };
    include!(concat!(env!("OUT_DIR"), "/tables.rs"));
}

pub use tables::*;

/// Register width of the hart: RV32 or RV64.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Xlen {
    /// RV32: 32-bit registers and addresses.
    X32,
    /// RV64: 64-bit registers and addresses.
    X64,
}

impl Xlen {
    /// Register width in bits.
    pub const fn bits(self) -> u32 {
        match self {
            Xlen::X32 => 32,
            Xlen::X64 => 64,
        }
    }
}

/// How an operand's value is read from its bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperandType {
    /// A register number.
    Reg,
    /// A two's-complement immediate.
    Simm,
    /// An unsigned immediate.
    Uimm,
    /// A signed 32-bit value whose low 12 bits are zero (U-type).
    Upper,
}

/// A run of `width` operand-value bits starting at `value_lo`, stored at word bit `word_lo`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    /// Lowest instruction-word bit of the run.
    pub word_lo: u32,
    /// Number of bits.
    pub width: u32,
    /// Lowest value bit of the run.
    pub value_lo: u32,
}

/// A named operand field and where its bits live in the instruction word.
#[derive(Clone, Copy, Debug)]
pub struct OperandInfo {
    /// The operand.
    pub operand: Operand,
    /// Its name in the tables.
    pub name: &'static str,
    /// How its value is interpreted.
    pub ty: OperandType,
    /// Number of value bits (the sign bit is the highest for signed types).
    pub value_bits: u32,
    /// Where the value's bits are placed.
    pub pieces: &'static [Piece],
}

impl OperandInfo {
    /// The placement and type of `op`.
    pub fn of(op: Operand) -> &'static OperandInfo {
        &OPERANDS[op as usize]
    }

    /// Reads this operand's value out of an instruction word (sign-extended where signed).
    #[inline]
    pub fn extract(&self, word: u32) -> i64 {
        let mut v: u64 = 0;
        for p in self.pieces {
            let bits = (word >> p.word_lo) as u64 & ((1u64 << p.width) - 1);
            v |= bits << p.value_lo;
        }
        match self.ty {
            OperandType::Simm | OperandType::Upper => {
                let shift = 64 - self.value_bits;
                ((v << shift) as i64) >> shift
            }
            OperandType::Reg | OperandType::Uimm => v as i64,
        }
    }

    /// Places `value` into the operand's bits; bits of `value` outside the field are dropped.
    pub fn insert(&self, value: i64) -> u32 {
        let v = value as u64;
        self.pieces.iter().fold(0u32, |w, p| {
            w | ((((v >> p.value_lo) & ((1u64 << p.width) - 1)) as u32) << p.word_lo)
        })
    }

    /// Whether `value` is representable exactly in this field.
    pub fn fits(&self, value: i64) -> bool {
        self.extract(self.insert(value)) == value
    }
}

/// One encoding of an opcode: fixed bits, operands, and the widths it exists in.
#[derive(Clone, Copy, Debug)]
pub struct Encoding {
    /// The instruction.
    pub opcode: Opcode,
    /// Which word bits are fixed.
    pub mask: u32,
    /// The fixed bits' values.
    pub bits: u32,
    /// Operand fields, in assembly order.
    pub operands: &'static [Operand],
    /// Exists in RV32.
    pub rv32: bool,
    /// Exists in RV64.
    pub rv64: bool,
}

impl Encoding {
    /// Whether this encoding exists at width `xlen`.
    pub const fn in_xlen(&self, xlen: Xlen) -> bool {
        match xlen {
            Xlen::X32 => self.rv32,
            Xlen::X64 => self.rv64,
        }
    }
}

/// An operand as an alias prints it.
#[derive(Clone, Copy, Debug)]
pub enum AliasOperand {
    /// The operand alone.
    Plain(Operand),
    /// `offset(base)`.
    Memory(Operand, Operand),
}

/// A disassembly alias: `base` with `constraints` met is printed as `name operands`.
#[derive(Clone, Copy, Debug)]
pub struct Alias {
    /// The alias mnemonic.
    pub name: &'static str,
    /// Operands printed, in order.
    pub operands: &'static [AliasOperand],
    /// The real instruction.
    pub base: Opcode,
    /// Operand values the base must have.
    pub constraints: &'static [(Operand, i64)],
    /// Only applies to RV32 (the `h` counter halves).
    pub rv32_only: bool,
}

/// A control and status register known to Atlas.
#[derive(Clone, Copy, Debug)]
pub struct CsrInfo {
    /// The 12-bit CSR number.
    pub number: u16,
    /// Its name, as assembly and disassembly spell it.
    pub name: &'static str,
    /// Exists only on RV32 (the high halves).
    pub rv32_only: bool,
    /// Writes are illegal.
    pub read_only: bool,
    /// What it holds.
    pub description: &'static str,
}

impl CsrInfo {
    /// The CSR with this number, if the tables name it.
    pub fn by_number(number: u16) -> Option<&'static CsrInfo> {
        CSRS.iter().find(|c| c.number == number)
    }

    /// The CSR with this name.
    pub fn by_name(name: &str) -> Option<&'static CsrInfo> {
        CSRS.iter().find(|c| c.name == name)
    }
}

#[cfg(test)]
#[path = "../gen/parse.rs"]
#[allow(dead_code)]
mod gen_parse;

#[cfg(test)]
mod table_tests;
