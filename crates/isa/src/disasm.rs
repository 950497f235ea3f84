//! Disassembly text in the style of GNU objdump, with or without its aliases.

use crate::{
    AliasOperand, CsrInfo, Fields, Inst, Kind, Operand, OperandInfo, OperandType, Xlen, ALIASES,
};
use std::fmt;

/// Whether to print objdump's aliases (`li`, `mv`, `ret` …) or the real instructions
/// (`objdump -M no-aliases`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Style {
    /// Aliases, as `objdump -d` prints by default.
    #[default]
    Aliases,
    /// Real instructions only, as `objdump -d -M no-aliases`.
    NoAliases,
}

/// The assembly operand syntax of each instruction kind, in the order assembly writes them.
pub fn kind_syntax(kind: Kind) -> &'static [AliasOperand] {
    use AliasOperand::{Memory as M, Plain as P};
    use Operand as O;
    match kind {
        Kind::Lui | Kind::Auipc => &[P(O::Rd), P(O::Uimm20)],
        Kind::Jal => &[P(O::Rd), P(O::Jimm)],
        Kind::Jalr | Kind::Load => &[P(O::Rd), M(O::Imm12, O::Rs1)],
        Kind::Branch => &[P(O::Rs1), P(O::Rs2), P(O::Bimm)],
        Kind::Store => &[P(O::Rs2), M(O::Simm12, O::Rs1)],
        Kind::AluImm => &[P(O::Rd), P(O::Rs1), P(O::Imm12)],
        Kind::ShiftImm => &[P(O::Rd), P(O::Rs1), P(O::Shamt6)],
        Kind::Alu => &[P(O::Rd), P(O::Rs1), P(O::Rs2)],
        Kind::Fence => &[P(O::Pred), P(O::Succ)],
        Kind::FenceI | Kind::System => &[],
        Kind::Csr => &[P(O::Rd), P(O::Csr), P(O::Rs1)],
        Kind::CsrImm => &[P(O::Rd), P(O::Csr), P(O::Zimm)],
        Kind::SfenceVma => &[P(O::Rs1), P(O::Rs2)],
    }
}

/// An instruction at an address, ready to print.
#[derive(Clone, Copy, Debug)]
pub struct Disasm {
    /// The instruction.
    pub inst: Inst,
    /// Its address (branch and jump targets are printed as absolute addresses).
    pub pc: u64,
    /// Hart width, for address wrap-around and RV32-only aliases.
    pub xlen: Xlen,
    /// Alias or plain style.
    pub style: Style,
}

impl Inst {
    /// The absolute target of a `jal` or conditional branch at `pc`.
    pub fn target(&self, pc: u64, xlen: Xlen) -> Option<u64> {
        let offset = match *self {
            Inst::Jal { offset, .. } | Inst::Branch { offset, .. } => offset,
            _ => return None,
        };
        Some(wrap(pc.wrapping_add(offset as i64 as u64), xlen))
    }
}

fn wrap(addr: u64, xlen: Xlen) -> u64 {
    match xlen {
        Xlen::X32 => addr & 0xffff_ffff,
        Xlen::X64 => addr,
    }
}

/// Fence sets print as a subset of `iorw`.
fn fence_set(bits: i64) -> String {
    if bits == 0 {
        return "0".to_string();
    }
    "iorw"
        .chars()
        .enumerate()
        .filter(|(i, _)| bits & (8 >> i) != 0)
        .map(|(_, c)| c)
        .collect()
}

impl Disasm {
    fn operand(&self, f: &mut fmt::Formatter<'_>, op: Operand, fields: &Fields) -> fmt::Result {
        let v = fields.get(op);
        match op {
            Operand::Bimm | Operand::Jimm => {
                write!(f, "{:x}", wrap(self.pc.wrapping_add(v as u64), self.xlen))
            }
            Operand::Uimm20 => write!(f, "{:#x}", (v >> 12) & 0xfffff),
            Operand::Shamt5 | Operand::Shamt6 => write!(f, "{v:#x}"),
            Operand::Csr => match CsrInfo::by_number(v as u16) {
                Some(c) => f.write_str(c.name),
                None => write!(f, "{v:#x}"),
            },
            Operand::Pred | Operand::Succ => f.write_str(&fence_set(v)),
            _ => match OperandInfo::of(op).ty {
                OperandType::Reg => f.write_str(crate::Reg::from_bits(v as u32).abi_name()),
                _ => write!(f, "{v}"),
            },
        }
    }

    fn operands(
        &self,
        f: &mut fmt::Formatter<'_>,
        ops: &[AliasOperand],
        fields: &Fields,
    ) -> fmt::Result {
        for (i, op) in ops.iter().enumerate() {
            f.write_str(if i == 0 { "\t" } else { "," })?;
            match *op {
                AliasOperand::Plain(o) => self.operand(f, o, fields)?,
                AliasOperand::Memory(imm, base) => {
                    self.operand(f, imm, fields)?;
                    f.write_str("(")?;
                    self.operand(f, base, fields)?;
                    f.write_str(")")?;
                }
            }
        }
        Ok(())
    }
}

impl fmt::Display for Disasm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let opcode = self.inst.opcode();
        let fields = self.inst.fields();
        if self.style == Style::Aliases {
            let alias = ALIASES.iter().find(|a| {
                a.base == opcode
                    && (!a.rv32_only || self.xlen == Xlen::X32)
                    && a.constraints.iter().all(|&(o, v)| fields.get(o) == v)
            });
            if let Some(a) = alias {
                f.write_str(a.name)?;
                return self.operands(f, a.operands, &fields);
            }
        }
        f.write_str(opcode.name())?;
        self.operands(f, kind_syntax(opcode.kind()), &fields)
    }
}

/// Disassembles one instruction at `pc` as objdump would print it (mnemonic, a tab, then
/// comma-separated operands; targets as bare hex addresses).
pub fn disassemble(inst: &Inst, pc: u64, xlen: Xlen, style: Style) -> String {
    Disasm {
        inst: *inst,
        pc,
        xlen,
        style,
    }
    .to_string()
}
