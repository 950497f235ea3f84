//! Register-only operations: each computed in its destination's host register where x86's
//! two-operand forms allow ([`Emitter::in_place`]), else into `rax` ([`Emitter::value`]),
//! which the caller moves to the destination (or, for a branch over it, selects).

use super::{regs_of, state, word_op, Emitter, Loc};
use crate::state_offset as off;
use crate::x86::reg::*;
use crate::x86::{Arith, Cond, Rm, Shift};
use crate::{AluImmOp, AluOp, LoopOp, Reg, ShiftImmOp};

impl Emitter {
    /// Computes the register-only `op` straight in the host register that holds its `rd`,
    /// when x86's two-operand forms can: `add rd, rs2` for `add rd, rd, rs2` (or a copy of
    /// `rs1` first when `rd` is neither source), instead of a trip through `rax` and back.
    /// Covers the full-width add, sub, logic, multiply and their immediate forms, and the
    /// immediate shifts; returns whether it emitted `op` (else nothing is emitted, and
    /// [`Emitter::value`] does it). Clobbers `rcx` and the flags, as `value` does.
    pub(super) fn in_place(&mut self, op: &LoopOp) -> bool {
        let w = self.wide;
        let Loc::Host(h) = self.loc(regs_of(op)[0]) else {
            return false;
        };
        let dest = Rm::Reg(h);
        match *op {
            LoopOp::Alu { op, rd, rs1, rs2 } => {
                let arith = arith_of(op);
                if word_op(op) || (arith.is_none() && op != AluOp::Mul) {
                    return false;
                }
                // The source that is not `rd`, with `rd` holding the other first.
                let other = if rs1 == rd {
                    rs2
                } else if rs2 == rd {
                    if op == AluOp::Sub {
                        return false;
                    }
                    rs1
                } else {
                    self.load(h, rs1);
                    rs2
                };
                let b = self.operand(other);
                match arith {
                    Some(arith) => self.asm.arith(arith, w, h, b),
                    None => self.asm.imul(w, h, b),
                }
                true
            }
            LoopOp::AluImm { op, rd, rs1, imm } => {
                let Some(arith) = arith_imm_of(op).filter(|_| op != AluImmOp::Addiw) else {
                    return false;
                };
                if rs1 != rd {
                    self.load(h, rs1);
                }
                // `addi rd, rs1, 0` is `mv`: the copy is all of it.
                if !(op == AluImmOp::Addi && imm == 0) {
                    self.asm.arith_imm(arith, w, dest, imm);
                }
                true
            }
            LoopOp::ShiftImm { op, rd, rs1, shamt } => {
                let (shift, word) = shift_imm_of(op);
                if word {
                    return false;
                }
                if rs1 != rd {
                    self.load(h, rs1);
                }
                self.asm.shift_imm(shift, w, dest, shamt as u8);
                true
            }
            _ => false,
        }
    }

    /// Computes the register-only `op` into `rax` (clobbers `rcx` and the flags).
    pub(super) fn value(&mut self, op: &LoopOp) {
        let w = self.wide;
        let rax = Rm::Reg(RAX);
        match *op {
            LoopOp::Alu { op, rs1, rs2, .. } => {
                let word = word_op(op);
                let w = w && !word;
                let arith = arith_of(op);
                let shift = match op {
                    AluOp::Sll | AluOp::Sllw => Some(Shift::Left),
                    AluOp::Srl | AluOp::Srlw => Some(Shift::RightLogical),
                    AluOp::Sra | AluOp::Sraw => Some(Shift::RightArith),
                    _ => None,
                };
                let high = matches!(op, AluOp::Mulh | AluOp::Mulhsu | AluOp::Mulhu);
                let divide = matches!(
                    op,
                    AluOp::Div
                        | AluOp::Divu
                        | AluOp::Rem
                        | AluOp::Remu
                        | AluOp::Divw
                        | AluOp::Divuw
                        | AluOp::Remw
                        | AluOp::Remuw
                );
                if high {
                    self.high_product(op, rs1, rs2);
                } else if divide {
                    self.divide(op, rs1, rs2, w);
                } else if let Some(shift) = shift {
                    self.load(RCX, rs2);
                    self.load(RAX, rs1);
                    self.asm.shift_cl(shift, w, rax);
                } else {
                    self.load(RAX, rs1);
                    let b = self.operand(rs2);
                    match (arith, op) {
                        (Some(arith), _) => self.asm.arith(arith, w, RAX, b),
                        (None, AluOp::Mul | AluOp::Mulw) => self.asm.imul(w, RAX, b),
                        (None, _) => {
                            self.asm.arith(Arith::Cmp, w, RAX, b);
                            self.less_flag(op == AluOp::Sltu);
                        }
                    }
                }
                if word {
                    self.asm.movsxd(RAX, rax);
                }
            }
            LoopOp::AluImm { op, rs1, imm, .. } => {
                self.load(RAX, rs1);
                match (op, arith_imm_of(op)) {
                    (AluImmOp::Addiw, _) => {
                        self.asm.arith_imm(Arith::Add, false, rax, imm);
                        self.asm.movsxd(RAX, rax);
                    }
                    (_, Some(arith)) => self.asm.arith_imm(arith, w, rax, imm),
                    (_, None) => {
                        self.asm.arith_imm(Arith::Cmp, w, rax, imm);
                        self.less_flag(op == AluImmOp::Sltiu);
                    }
                }
            }
            LoopOp::ShiftImm { op, rs1, shamt, .. } => {
                self.load(RAX, rs1);
                let (shift, word) = shift_imm_of(op);
                self.asm.shift_imm(shift, w && !word, rax, shamt as u8);
                if word {
                    self.asm.movsxd(RAX, rax);
                }
            }
            LoopOp::Lui { imm, .. } => self.asm.mov_imm(w, RAX, imm),
            // The entry's address (zero-extended) plus the immediate, at the width: a 32-bit
            // add wraps as RV32 does.
            LoopOp::Auipc { imm, .. } => {
                self.asm.load(true, RAX, state(off::ENTRY_PC));
                self.asm.arith_imm(Arith::Add, w, rax, imm);
            }
            LoopOp::Nop
            | LoopOp::Fall
            | LoopOp::JumpBack { .. }
            | LoopOp::Other
            | LoopOp::Load { .. }
            | LoopOp::Store { .. }
            | LoopOp::Branch { .. }
            | LoopOp::BranchOver { .. } => {}
        }
    }

    /// `rax` = 1 if the comparison just made found its left side less (`unsigned`: below),
    /// else 0: `slt`, `sltu` and their immediate forms.
    fn less_flag(&mut self, unsigned: bool) {
        let cond = if unsigned { Cond::Below } else { Cond::Less };
        self.asm.set_bool(cond, RAX);
    }

    /// The upper half of `rs1 * rs2` into `rax`: signed × signed (`mulh`), unsigned ×
    /// unsigned (`mulhu`), or signed × unsigned (`mulhsu`: the unsigned product's upper half
    /// less `rs2` when `rs1` is negative). The one-operand multiply writes `rdx`, which may
    /// hold a guest register: it is saved around it.
    fn high_product(&mut self, op: AluOp, rs1: Reg, rs2: Reg) {
        let w = self.wide;
        if rs1 == Reg::Zero || rs2 == Reg::Zero {
            self.asm.zero(RAX);
            return;
        }
        let b = self.operand(rs2);
        if op == AluOp::Mulhsu {
            // rcx = rs1 < 0 ? rs2 : 0, while `b` still reads rs2.
            self.load(RCX, rs1);
            self.asm
                .shift_imm(Shift::RightArith, w, Rm::Reg(RCX), if w { 63 } else { 31 });
            self.asm.arith(Arith::And, w, RCX, b);
        }
        self.asm.push(RDX);
        self.load(RAX, rs1);
        self.asm.mul_wide(op == AluOp::Mulh, w, b);
        if op == AluOp::Mulhsu {
            self.asm.arith(Arith::Sub, w, RDX, Rm::Reg(RCX));
        }
        self.asm.load(w, RAX, Rm::Reg(RDX));
        self.asm.pop(RDX);
    }

    /// A division or remainder into `rax` at operand width `w`, with RISC-V's results where
    /// x86 would fault: dividing by zero gives all ones (the remainder: the dividend), and
    /// the signed overflow (the most negative value by -1) gives the dividend (the
    /// remainder: 0); `-x` is that quotient for any `x`, so a divisor of -1 negates. The
    /// division writes `rdx`, saved around it.
    fn divide(&mut self, op: AluOp, rs1: Reg, rs2: Reg, w: bool) {
        let signed = matches!(op, AluOp::Div | AluOp::Rem | AluOp::Divw | AluOp::Remw);
        let remainder = matches!(op, AluOp::Rem | AluOp::Remu | AluOp::Remw | AluOp::Remuw);
        let (nonzero, normal, done) = (self.asm.label(), self.asm.label(), self.asm.label());
        self.load(RCX, rs2);
        self.load(RAX, rs1);
        self.asm.test(w, RCX);
        self.asm.jump_if(Cond::NotEqual, nonzero);
        if !remainder {
            self.asm.mov_imm(w, RAX, -1);
        }
        self.asm.jump(done);
        self.asm.bind(nonzero);
        if signed {
            self.asm.arith_imm(Arith::Cmp, w, Rm::Reg(RCX), -1);
            self.asm.jump_if(Cond::NotEqual, normal);
            if remainder {
                self.asm.zero(RAX);
            } else {
                self.asm.neg(w, Rm::Reg(RAX));
            }
            self.asm.jump(done);
        }
        self.asm.bind(normal);
        self.asm.push(RDX);
        if signed {
            self.asm.sign_extend_into_rdx(w);
        } else {
            self.asm.zero(RDX);
        }
        self.asm.div_wide(signed, w, Rm::Reg(RCX));
        if remainder {
            self.asm.load(w, RAX, Rm::Reg(RDX));
        }
        self.asm.pop(RDX);
        self.asm.bind(done);
    }
}

/// The x86 arithmetic instruction of the register-register `op` (its word form too), if
/// one computes it: add, sub and the logic ops.
fn arith_of(op: AluOp) -> Option<Arith> {
    match op {
        AluOp::Add | AluOp::Addw => Some(Arith::Add),
        AluOp::Sub | AluOp::Subw => Some(Arith::Sub),
        AluOp::Xor => Some(Arith::Xor),
        AluOp::Or => Some(Arith::Or),
        AluOp::And => Some(Arith::And),
        _ => None,
    }
}

/// The x86 arithmetic instruction of the immediate `op` (`addiw` too), if one computes it:
/// all but `slti` and `sltiu`.
fn arith_imm_of(op: AluImmOp) -> Option<Arith> {
    match op {
        AluImmOp::Addi | AluImmOp::Addiw => Some(Arith::Add),
        AluImmOp::Xori => Some(Arith::Xor),
        AluImmOp::Ori => Some(Arith::Or),
        AluImmOp::Andi => Some(Arith::And),
        AluImmOp::Slti | AluImmOp::Sltiu => None,
    }
}

/// The x86 shift of the immediate shift `op`, and whether it is a word form (RV64's
/// `*w`: computed on 32 bits, the result sign-extended).
fn shift_imm_of(op: ShiftImmOp) -> (Shift, bool) {
    match op {
        ShiftImmOp::Slli => (Shift::Left, false),
        ShiftImmOp::Srli => (Shift::RightLogical, false),
        ShiftImmOp::Srai => (Shift::RightArith, false),
        ShiftImmOp::Slliw => (Shift::Left, true),
        ShiftImmOp::Srliw => (Shift::RightLogical, true),
        ShiftImmOp::Sraiw => (Shift::RightArith, true),
    }
}
