//! The second pass for instructions: once sections have addresses, evaluates each operand
//! expression, applies its relocation function (`%hi`, `%lo`, `%pcrel_hi`, `%pcrel_lo`, or a
//! branch target), checks ranges, and encodes through `atlas_isa::encode`.

use crate::expr::{display_name, EvalError, Expr, Value};
use crate::parse::{Assembler, SymEnv};
use atlas_isa::{encode, Fields, Inst, Opcode, Operand, Xlen};
use std::collections::HashMap;

/// How an operand's value is derived from its expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reloc {
    /// The value itself.
    Plain,
    /// `%hi(x)`: bits 31..12 of `x`, rounded for a sign-extended `%lo`.
    Hi,
    /// `%lo(x)`: the low 12 bits of `x`, sign-extended.
    Lo,
    /// `%pcrel_hi(x)`: the upper 20 bits of `x - pc`.
    PcrelHi,
    /// `%pcrel_lo(label)`: the low 12 bits of the offset computed by the `auipc` at `label`.
    PcrelLo,
    /// The low 12 bits of `x - (pc - 4)`: the second half of a pseudo-instruction pair
    /// whose `auipc` is the instruction just before.
    PcrelLoPrev,
    /// A branch or jump target: `x - pc`.
    Target,
}

/// An operand value: known now, or an expression for the second pass.
#[derive(Clone, Debug)]
pub(crate) enum Arg {
    Const(i64),
    Expr {
        expr: Expr,
        pos: usize,
        reloc: Reloc,
    },
}

/// An instruction waiting for its operands.
#[derive(Clone, Debug)]
pub(crate) enum InstItem {
    /// Fully known (registers and constants only).
    Fixed(Inst),
    /// Operands still to resolve.
    Pending {
        opcode: Opcode,
        ops: Vec<(Operand, Arg)>,
    },
}

/// A second-pass error: byte position in the statement's line and message.
pub(crate) type EncodeError = (usize, String);

fn sext12(v: i64) -> i64 {
    (v << 52) >> 52
}

fn upper20(offset: i64) -> i64 {
    (offset.wrapping_add(0x800) >> 12) & 0xfffff
}

/// An address difference as the hart sees it: wrapped to 32 bits on RV32.
fn wrap_offset(d: i64, xlen: Xlen) -> i64 {
    match xlen {
        Xlen::X32 => i64::from(d as i32),
        Xlen::X64 => d,
    }
}

/// Second-pass context: section addresses and the `auipc`s `%pcrel_lo` can refer to.
pub(crate) struct Resolver<'a> {
    pub asm: &'a Assembler,
    pub bases: &'a [u64],
    /// Address of each `auipc … %pcrel_hi(x)` → its offset `x - pc`.
    pub pcrel_hi: HashMap<u64, i64>,
}

impl Resolver<'_> {
    /// Evaluates an expression to an address or number with `.` at `dot`.
    pub fn eval(&self, expr: &Expr, dot: Value, pos: usize) -> Result<i64, EncodeError> {
        let env = SymEnv {
            asm: self.asm,
            dot,
            bases: Some(self.bases),
        };
        match expr.eval(&env, 0) {
            Ok(Value::Abs(v)) => Ok(v),
            Ok(Value::Rel(..)) => Err((pos, "expression is not a number".into())),
            Err(EvalError::Undefined(name, p)) => Err((p, undefined(&name))),
            Err(EvalError::Other(m)) => Err((pos, m)),
        }
    }

    /// Records the offset of an `auipc` using `%pcrel_hi` at `pc` (before encoding, so a
    /// `%pcrel_lo` may come first in the source).
    pub fn note_pcrel_hi(&mut self, item: &InstItem, pc: u64, dot: Value) {
        if let InstItem::Pending { ops, .. } = item {
            for (_, arg) in ops {
                if let Arg::Expr {
                    expr,
                    pos,
                    reloc: Reloc::PcrelHi,
                } = arg
                {
                    if let Ok(v) = self.eval(expr, dot, *pos) {
                        let d = wrap_offset(v.wrapping_sub(pc as i64), self.asm.xlen);
                        self.pcrel_hi.insert(pc, d);
                    }
                }
            }
        }
    }

    /// Encodes one instruction at `pc`.
    pub fn encode(&self, item: &InstItem, pc: u64, dot: Value) -> Result<u32, EncodeError> {
        let (opcode, ops) = match item {
            InstItem::Fixed(inst) => return Ok(encode(inst)),
            InstItem::Pending { opcode, ops } => (*opcode, ops),
        };
        let xlen = self.asm.xlen;
        let mut f = Fields::default();
        for (op, arg) in ops {
            let (v, pos) = match arg {
                Arg::Const(v) => (*v, 0),
                Arg::Expr { expr, pos, reloc } => (self.apply(expr, *reloc, pc, dot, *pos)?, *pos),
            };
            let v = check_range(opcode, *op, v, xlen).map_err(|m| (pos, m))?;
            f.set(*op, v);
            if *op == Operand::Shamt6 {
                f.set(Operand::Shamt5, v);
            }
        }
        Ok(encode(&Inst::from_fields(opcode, &f)))
    }

    fn apply(
        &self,
        expr: &Expr,
        reloc: Reloc,
        pc: u64,
        dot: Value,
        pos: usize,
    ) -> Result<i64, EncodeError> {
        let v = self.eval(expr, dot, pos)?;
        let xlen = self.asm.xlen;
        let pcrel = |anchor: u64| -> Result<i64, EncodeError> {
            let d = v.wrapping_sub(anchor as i64);
            if i32::try_from(d).is_err() && xlen == Xlen::X64 {
                return Err((
                    pos,
                    format!("PC-relative offset {d} out of range (more than ±2 GiB)"),
                ));
            }
            Ok(wrap_offset(d, xlen))
        };
        Ok(match reloc {
            Reloc::Plain => v,
            Reloc::Hi => upper20(v),
            Reloc::Lo => sext12(v),
            Reloc::PcrelHi => upper20(pcrel(pc)?),
            Reloc::PcrelLoPrev => sext12(pcrel(pc.wrapping_sub(4))?),
            Reloc::Target => wrap_offset(v.wrapping_sub(pc as i64), xlen),
            Reloc::PcrelLo => match self.pcrel_hi.get(&(v as u64)) {
                Some(d) => sext12(*d),
                None => {
                    return Err((
                        pos,
                        "`%pcrel_lo` must name the label of an `auipc` that uses `%pcrel_hi`"
                            .into(),
                    ))
                }
            },
        })
    }
}

/// The message for an undefined symbol.
pub(crate) fn undefined(name: &str) -> String {
    match name.split_once('\u{2}') {
        Some((n, _)) => format!("no local label `{n}` in that direction"),
        None => format!("undefined symbol {}", display_name(name)),
    }
}

/// Checks `v` against the field of `op` and converts it to the field's stored form.
fn check_range(opcode: Opcode, op: Operand, v: i64, xlen: Xlen) -> Result<i64, String> {
    let within = |lo: i64, hi: i64| (lo..=hi).contains(&v);
    match op {
        Operand::Imm12 | Operand::Simm12 if !within(-2048, 2047) => {
            Err(format!("immediate {v} out of range -2048..2047"))
        }
        Operand::Bimm | Operand::Jimm => {
            let (lo, hi, what) = if op == Operand::Bimm {
                (-4096, 4094, "branch")
            } else {
                (-(1 << 20), (1 << 20) - 2, "jump")
            };
            if v & 1 != 0 {
                Err(format!("misaligned {what} target: offset {v} is odd"))
            } else if !within(lo, hi) {
                Err(format!(
                    "{what} target out of range: offset {v} not in {lo}..{hi}"
                ))
            } else {
                Ok(v)
            }
        }
        Operand::Uimm20 => {
            if within(0, 0xfffff) {
                Ok(i64::from((v << 12) as i32))
            } else {
                Err(format!("upper immediate {v} out of range 0..1048575"))
            }
        }
        Operand::Shamt5 | Operand::Shamt6 => {
            let word_op = opcode.name().ends_with('w');
            let limit = if xlen == Xlen::X32 || word_op { 31 } else { 63 };
            if within(0, limit) {
                Ok(v)
            } else {
                Err(format!("shift amount {v} out of range 0..{limit}"))
            }
        }
        Operand::Csr if !within(0, 4095) => Err(format!("CSR number {v} out of range 0..4095")),
        Operand::Zimm if !within(0, 31) => Err(format!("immediate {v} out of range 0..31")),
        Operand::Pred | Operand::Succ if !within(0, 15) => {
            Err(format!("fence set {v} out of range 0..15"))
        }
        _ => Ok(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relocation_functions() {
        assert_eq!(upper20(0x12345fff), 0x12346);
        assert_eq!(sext12(0x12345fff), -1);
        assert_eq!(upper20(0x800), 1);
        assert_eq!(sext12(0x800), -2048);
        assert_eq!(upper20(-4), 0);
        assert_eq!(sext12(-4), -4);
        assert_eq!(upper20(0x7ffff800), 0x80000);
        assert_eq!(wrap_offset(0x1_0000_0000 - 8, Xlen::X32), -8);
    }

    #[test]
    fn ranges() {
        assert_eq!(
            check_range(Opcode::Addi, Operand::Imm12, 2048, Xlen::X64),
            Err("immediate 2048 out of range -2048..2047".into())
        );
        assert_eq!(
            check_range(Opcode::Beq, Operand::Bimm, 3, Xlen::X64),
            Err("misaligned branch target: offset 3 is odd".into())
        );
        assert_eq!(
            check_range(Opcode::Jal, Operand::Jimm, 1 << 20, Xlen::X64),
            Err("jump target out of range: offset 1048576 not in -1048576..1048574".into())
        );
        assert_eq!(
            check_range(Opcode::Slli, Operand::Shamt6, 32, Xlen::X32),
            Err("shift amount 32 out of range 0..31".into())
        );
        assert_eq!(
            check_range(Opcode::Slli, Operand::Shamt6, 63, Xlen::X64),
            Ok(63)
        );
        assert_eq!(
            check_range(Opcode::Slliw, Operand::Shamt6, 32, Xlen::X64),
            Err("shift amount 32 out of range 0..31".into())
        );
        assert_eq!(
            check_range(Opcode::Lui, Operand::Uimm20, 0xfffff, Xlen::X64),
            Ok(-4096)
        );
    }
}
