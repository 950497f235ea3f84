//! Register-only instructions in a flat form for the hot loop: one operation code per
//! instruction (not a kind and then an operation) and the operands unpacked, so the loop
//! dispatches with one jump. The semantics are the interpreter's own helpers
//! ([`crate::exec::alu`] and friends), shared with [`crate::Cpu::step`].

use crate::exec::{alu, alu_imm, branch_taken, shift_imm};
use crate::{Cpu, Trap, Word};
use atlas_isa::{AluImmOp, AluOp, BranchOp, Inst, Reg, ShiftImmOp};

/// Defines [`FlatOp`], the conversion from [`Inst`] and the flat execute from lists of
/// operation names per instruction kind (a flat operation is named as its operation).
macro_rules! flat_ops {
    (
        alu: $($alu:ident),* ;
        alu_imm: $($imm:ident),* ;
        shift_imm: $($sh:ident),* ;
        branch: $($br:ident),* $(;)?
    ) => {
        /// The operation of a register-only instruction; `Other` for every instruction the
        /// hot loop leaves to `step`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum FlatOp {
            $($alu,)*
            $($imm,)*
            $($sh,)*
            $($br,)*
            Lui,
            Auipc,
            Jal,
            Jalr,
            Nop,
            Other,
        }

        impl Flat {
            /// The flat form of `inst`.
            pub fn new(inst: &Inst) -> Flat {
                let z = Reg::Zero;
                let (op, rd, rs1, rs2, imm) = match *inst {
                    Inst::Alu { op, rd, rs1, rs2 } => {
                        let op = match op { $(AluOp::$alu => FlatOp::$alu,)* };
                        (op, rd, rs1, rs2, 0)
                    }
                    Inst::AluImm { op, rd, rs1, imm } => {
                        let op = match op { $(AluImmOp::$imm => FlatOp::$imm,)* };
                        (op, rd, rs1, z, imm)
                    }
                    Inst::ShiftImm { op, rd, rs1, shamt } => {
                        let op = match op { $(ShiftImmOp::$sh => FlatOp::$sh,)* };
                        (op, rd, rs1, z, i32::from(shamt))
                    }
                    Inst::Branch { op, rs1, rs2, offset } => {
                        let op = match op { $(BranchOp::$br => FlatOp::$br,)* };
                        (op, z, rs1, rs2, offset)
                    }
                    Inst::Lui { rd, imm } => (FlatOp::Lui, rd, z, z, imm),
                    Inst::Auipc { rd, imm } => (FlatOp::Auipc, rd, z, z, imm),
                    Inst::Jal { rd, offset } => (FlatOp::Jal, rd, z, z, offset),
                    Inst::Jalr { rd, rs1, offset } => (FlatOp::Jalr, rd, rs1, z, offset),
                    Inst::Fence { .. } | Inst::FenceI => (FlatOp::Nop, z, z, z, 0),
                    _ => (FlatOp::Other, z, z, z, 0),
                };
                Flat { op, rd, rs1, rs2, imm }
            }
        }

        impl<X: Word> Cpu<X> {
            /// Executes the register-only instruction `f` at `pc` exactly as `execute`
            /// executes it, except that the new `pc` is returned rather than stored (the
            /// hot loop keeps it in a local) and a taken branch's cycles go to `cycles`.
            /// An `Other` only advances: the hot loop never passes one.
            #[inline(always)]
            pub(crate) fn execute_flat(
                &mut self,
                f: Flat,
                pc: X,
                cycles: &mut u64,
            ) -> Result<X, Trap> {
                let next = pc.add(X::from_u64(4));
                let imm = X::from_i64(i64::from(f.imm));
                let r = match f.op {
                    $(FlatOp::$alu => alu(AluOp::$alu, self.x(f.rs1), self.x(f.rs2)),)*
                    $(FlatOp::$imm => alu_imm(AluImmOp::$imm, self.x(f.rs1), imm),)*
                    $(FlatOp::$sh => shift_imm(ShiftImmOp::$sh, self.x(f.rs1), f.imm as u32),)*
                    $(FlatOp::$br => {
                        if !branch_taken(BranchOp::$br, self.x(f.rs1), self.x(f.rs2)) {
                            return Ok(next);
                        }
                        let target = self.flat_jump(pc, pc.add(imm), Reg::Zero, next)?;
                        let c = &mut self.counters;
                        c.taken_branches = c.taken_branches.wrapping_add(1);
                        *cycles = cycles.wrapping_add(self.costs().branch_taken);
                        return Ok(target);
                    })*
                    FlatOp::Lui => imm,
                    FlatOp::Auipc => pc.add(imm),
                    FlatOp::Jal => return self.flat_jump(pc, pc.add(imm), f.rd, next),
                    FlatOp::Jalr => {
                        let target = self.x(f.rs1).add(imm).and(X::from_i64(!1));
                        return self.flat_jump(pc, target, f.rd, next);
                    }
                    FlatOp::Nop | FlatOp::Other => return Ok(next),
                };
                self.set_x(f.rd, r);
                Ok(next)
            }

            /// `jump` from `pc` for the hot loop: returns the target instead of storing it.
            #[inline(always)]
            fn flat_jump(&mut self, pc: X, target: X, rd: Reg, link: X) -> Result<X, Trap> {
                if target.to_u64() & 3 != 0 {
                    return Err(Trap::MisalignedFetch {
                        target: target.to_u64(),
                    });
                }
                self.set_x(rd, link);
                self.set_last_jump_from(pc);
                Ok(target)
            }
        }
    };
}

/// A register-only instruction, flat (operands a form does not have are `zero` or 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Flat {
    /// The operation.
    pub op: FlatOp,
    rd: Reg,
    rs1: Reg,
    rs2: Reg,
    /// The immediate, offset or shift amount.
    imm: i32,
}

flat_ops! {
    alu: Add, Sub, Sll, Slt, Sltu, Xor,
        Srl, Sra, Or, And, Addw, Subw,
        Sllw, Srlw, Sraw, Mul, Mulh,
        Mulhsu, Mulhu, Div, Divu, Rem,
        Remu, Mulw, Divw, Divuw, Remw,
        Remuw;
    alu_imm: Addi, Slti, Sltiu, Xori, Ori,
        Andi, Addiw;
    shift_imm: Slli, Srli, Srai, Slliw, Srliw,
        Sraiw;
    branch: Beq, Bne, Blt, Bge, Bltu, Bgeu;
}
