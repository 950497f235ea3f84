//! A small x86-64 assembler: exactly the instruction forms the loop compiler emits
//! ([`crate::emit`]), with forward and backward labels patched as 32-bit displacements.
//!
//! Encodings follow the Intel SDM, volume 2: an optional REX prefix (`0100WRXB`), the
//! opcode bytes, a ModRM byte (and a SIB byte for an `rsp`/`r12` base), a displacement and
//! an immediate.

/// General-purpose register numbers as the encoding numbers them.
pub(crate) mod reg {
    pub const RAX: u8 = 0;
    pub const RCX: u8 = 1;
    pub const RDX: u8 = 2;
    pub const RBX: u8 = 3;
    /// `rsp`: never handed out; as a SIB index it means "no index".
    pub const RSP_ENCODING: u8 = 4;
    pub const RBP: u8 = 5;
    pub const RSI: u8 = 6;
    pub const RDI: u8 = 7;
    pub const R8: u8 = 8;
    pub const R9: u8 = 9;
    pub const R10: u8 = 10;
    pub const R11: u8 = 11;
    pub const R12: u8 = 12;
    pub const R13: u8 = 13;
    pub const R14: u8 = 14;
    pub const R15: u8 = 15;
}

/// A register or memory operand (the ModRM `r/m` field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rm {
    Reg(u8),
    /// `[base + disp]`.
    Mem {
        base: u8,
        disp: i32,
    },
}

/// Condition codes, as the low nibble of `jcc`, `setcc` and `cmovcc`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Cond {
    Below = 0x2,
    AboveEq = 0x3,
    Equal = 0x4,
    NotEqual = 0x5,
    BelowEq = 0x6,
    Above = 0x7,
    Less = 0xc,
    GreaterEq = 0xd,
}

impl Cond {
    /// The condition that holds exactly when `self` does not.
    pub fn not(self) -> Cond {
        match self {
            Cond::Below => Cond::AboveEq,
            Cond::AboveEq => Cond::Below,
            Cond::Equal => Cond::NotEqual,
            Cond::NotEqual => Cond::Equal,
            Cond::BelowEq => Cond::Above,
            Cond::Above => Cond::BelowEq,
            Cond::Less => Cond::GreaterEq,
            Cond::GreaterEq => Cond::Less,
        }
    }
}

/// The two-operand integer operations sharing the classic ALU encodings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Arith {
    Add,
    Or,
    And,
    Sub,
    Xor,
    Cmp,
}

impl Arith {
    /// The `/digit` of the immediate forms (`81 /d`, `83 /d`).
    fn digit(self) -> u8 {
        match self {
            Arith::Add => 0,
            Arith::Or => 1,
            Arith::And => 4,
            Arith::Sub => 5,
            Arith::Xor => 6,
            Arith::Cmp => 7,
        }
    }

    /// The `reg, r/m` form's opcode (`03`, `0B`, …): the digit's base opcode plus 3.
    fn reg_rm(self) -> u8 {
        self.digit() * 8 + 3
    }
}

/// Shifts, by their `/digit` in `C1`/`D3`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shift {
    Left = 4,
    RightLogical = 5,
    RightArith = 7,
}

/// A label: a code position, bound once, that jumps may name before it is bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Label(usize);

/// Machine code under construction.
#[derive(Debug, Default)]
pub(crate) struct Asm {
    code: Vec<u8>,
    labels: Vec<Option<usize>>,
    /// Positions of 32-bit displacements to patch, and the label each names.
    fixups: Vec<(usize, Label)>,
}

impl Asm {
    pub fn new() -> Asm {
        Asm::default()
    }

    /// A new, unbound label.
    pub fn label(&mut self) -> Label {
        self.labels.push(None);
        Label(self.labels.len() - 1)
    }

    /// Binds `label` to the current position.
    pub fn bind(&mut self, label: Label) {
        if let Some(slot) = self.labels.get_mut(label.0) {
            *slot = Some(self.code.len());
        }
    }

    /// The code with every jump patched; `None` if a jump names a label never bound or
    /// one out of reach.
    pub fn finish(mut self) -> Option<Vec<u8>> {
        for &(at, label) in &self.fixups {
            let target = (*self.labels.get(label.0)?)?;
            let rel = i32::try_from(target as i64 - (at as i64 + 4)).ok()?;
            self.code
                .get_mut(at..at + 4)?
                .copy_from_slice(&rel.to_le_bytes());
        }
        Some(self.code)
    }

    fn byte(&mut self, b: u8) {
        self.code.push(b);
    }

    fn imm32(&mut self, v: i32) {
        self.code.extend_from_slice(&v.to_le_bytes());
    }

    /// The REX prefix for operand width `wide`, ModRM `reg` and `rm`, if one is needed.
    fn rex(&mut self, wide: bool, reg: u8, rm: Rm) {
        let b = match rm {
            Rm::Reg(r) => r,
            Rm::Mem { base, .. } => base,
        };
        let rex = 0x40 | (u8::from(wide) << 3) | ((reg >> 3) & 1) << 2 | ((b >> 3) & 1);
        if rex != 0x40 {
            self.byte(rex);
        }
    }

    fn modrm(&mut self, reg: u8, rm: Rm) {
        let reg = (reg & 7) << 3;
        match rm {
            Rm::Reg(r) => self.byte(0xc0 | reg | (r & 7)),
            Rm::Mem { base, disp } => {
                let short = i8::try_from(disp).ok();
                let mode = if short.is_some() { 0x40 } else { 0x80 };
                self.byte(mode | reg | (base & 7));
                if base & 7 == 4 {
                    // An rsp/r12 base needs a SIB byte (no index).
                    self.byte(0x24);
                }
                match short {
                    Some(d) => self.byte(d as u8),
                    None => self.imm32(disp),
                }
            }
        }
    }

    /// `[REX] opcode ModRM` with `reg` in the ModRM reg field.
    fn op(&mut self, opcode: &[u8], wide: bool, reg: u8, rm: Rm) {
        self.rex(wide, reg, rm);
        self.code.extend_from_slice(opcode);
        self.modrm(reg, rm);
    }

    /// `mov reg, r/m`.
    pub fn load(&mut self, wide: bool, reg: u8, rm: Rm) {
        if rm != Rm::Reg(reg) {
            self.op(&[0x8b], wide, reg, rm);
        }
    }

    /// `mov r/m, reg`.
    pub fn store(&mut self, wide: bool, rm: Rm, reg: u8) {
        if rm != Rm::Reg(reg) {
            self.op(&[0x89], wide, reg, rm);
        }
    }

    /// `mov reg, imm` (64-bit: the immediate sign-extended; 32-bit: zero-extended).
    pub fn mov_imm(&mut self, wide: bool, reg: u8, imm: i32) {
        if wide {
            self.op(&[0xc7], true, 0, Rm::Reg(reg));
        } else {
            self.rex(false, 0, Rm::Reg(reg));
            self.byte(0xb8 + (reg & 7));
        }
        self.imm32(imm);
    }

    /// `mov qword r/m, imm` (sign-extended).
    pub fn store_imm(&mut self, rm: Rm, imm: i32) {
        self.op(&[0xc7], true, 0, rm);
        self.imm32(imm);
    }

    /// `xor reg32, reg32`: zero (all 64 bits).
    pub fn zero(&mut self, reg: u8) {
        self.op(&[0x33], false, reg, Rm::Reg(reg));
    }

    /// `op reg, r/m`.
    pub fn arith(&mut self, op: Arith, wide: bool, reg: u8, rm: Rm) {
        self.op(&[op.reg_rm()], wide, reg, rm);
    }

    /// `op r/m, imm` (the immediate sign-extended to the operand width).
    pub fn arith_imm(&mut self, op: Arith, wide: bool, rm: Rm, imm: i32) {
        match i8::try_from(imm) {
            Ok(short) => {
                self.op(&[0x83], wide, op.digit(), rm);
                self.byte(short as u8);
            }
            Err(_) => {
                self.op(&[0x81], wide, op.digit(), rm);
                self.imm32(imm);
            }
        }
    }

    /// `add r/m, reg`.
    pub fn add_to(&mut self, wide: bool, rm: Rm, reg: u8) {
        self.op(&[0x01], wide, reg, rm);
    }

    /// `imul reg, r/m` (the low half of the product).
    pub fn imul(&mut self, wide: bool, reg: u8, rm: Rm) {
        self.op(&[0x0f, 0xaf], wide, reg, rm);
    }

    /// `mul r/m` (unsigned) or `imul r/m` (signed), one operand: `rdx:rax = rax * r/m`.
    pub fn mul_wide(&mut self, signed: bool, wide: bool, rm: Rm) {
        self.op(&[0xf7], wide, if signed { 5 } else { 4 }, rm);
    }

    /// `div r/m` (unsigned) or `idiv r/m` (signed): `rdx:rax / r/m`, quotient in `rax`,
    /// remainder in `rdx`. Faults on a zero divisor or a signed quotient that overflows:
    /// the caller rules both out first.
    pub fn div_wide(&mut self, signed: bool, wide: bool, rm: Rm) {
        self.op(&[0xf7], wide, if signed { 7 } else { 6 }, rm);
    }

    /// `neg r/m`.
    pub fn neg(&mut self, wide: bool, rm: Rm) {
        self.op(&[0xf7], wide, 3, rm);
    }

    /// `cqo` (64-bit) or `cdq` (32-bit): `rdx` (`edx`) = the sign of `rax` (`eax`).
    pub fn sign_extend_into_rdx(&mut self, wide: bool) {
        if wide {
            self.byte(0x48);
        }
        self.byte(0x99);
    }

    /// `shift r/m, imm8`.
    pub fn shift_imm(&mut self, shift: Shift, wide: bool, rm: Rm, amount: u8) {
        self.op(&[0xc1], wide, shift as u8, rm);
        self.byte(amount);
    }

    /// `shift r/m, cl` (the count masked to the operand width, as RISC-V masks it).
    pub fn shift_cl(&mut self, shift: Shift, wide: bool, rm: Rm) {
        self.op(&[0xd3], wide, shift as u8, rm);
    }

    /// `movsxd reg, r/m32`: sign-extends a 32-bit result to 64 bits.
    pub fn movsxd(&mut self, reg: u8, rm: Rm) {
        self.op(&[0x63], true, reg, rm);
    }

    /// `setcc reg8` then `movzx reg32, reg8`: 1 if `cond` holds, else 0. `reg` must be
    /// `rax`, `rcx`, `rdx` or `rbx`: without a REX prefix (never emitted here for byte
    /// registers), 4 to 7 would name `ah`..`bh`.
    pub fn set_bool(&mut self, cond: Cond, reg: u8) {
        self.op(&[0x0f, 0x90 | cond as u8], false, 0, Rm::Reg(reg));
        self.op(&[0x0f, 0xb6], false, reg, Rm::Reg(reg));
    }

    /// `cmovcc reg, r/m`.
    pub fn cmov(&mut self, cond: Cond, wide: bool, reg: u8, rm: Rm) {
        self.op(&[0x0f, 0x40 | cond as u8], wide, reg, rm);
    }

    /// `test reg, reg`.
    pub fn test(&mut self, wide: bool, reg: u8) {
        self.op(&[0x85], wide, reg, Rm::Reg(reg));
    }

    /// `jcc label` (32-bit displacement).
    pub fn jump_if(&mut self, cond: Cond, label: Label) {
        self.byte(0x0f);
        self.byte(0x80 | cond as u8);
        self.fixups.push((self.code.len(), label));
        self.imm32(0);
    }

    /// `jmp label` (32-bit displacement).
    pub fn jump(&mut self, label: Label) {
        self.byte(0xe9);
        self.fixups.push((self.code.len(), label));
        self.imm32(0);
    }

    pub fn push(&mut self, reg: u8) {
        if reg >= 8 {
            self.byte(0x41);
        }
        self.byte(0x50 + (reg & 7));
    }

    pub fn pop(&mut self, reg: u8) {
        if reg >= 8 {
            self.byte(0x41);
        }
        self.byte(0x58 + (reg & 7));
    }

    /// `movzx reg32, byte/word r/m` (`size` 1 or 2), or with `signed` `movsx reg, byte/word
    /// r/m` (to all 64 bits if `wide`): a narrow load extended as a RISC-V load extends it.
    pub fn load_extend(&mut self, signed: bool, wide: bool, size: u8, reg: u8, rm: Rm) {
        let opcode = match (signed, size) {
            (false, 1) => 0xb6,
            (false, _) => 0xb7,
            (true, 1) => 0xbe,
            (true, _) => 0xbf,
        };
        self.op(&[0x0f, opcode], signed && wide, reg, rm);
    }

    /// `mov r/m, reg` of `size` bytes (1, 2, 4 or 8). For one byte `reg` must be `rax`,
    /// `rcx`, `rdx` or `rbx` (a REX prefix, emitted for a high base, would otherwise turn
    /// 4 to 7 from `ah`..`bh` into `spl`..`dil`; below 4 it changes nothing).
    pub fn store_sized(&mut self, size: u8, rm: Rm, reg: u8) {
        match size {
            1 => self.op(&[0x88], false, reg, rm),
            2 => {
                self.byte(0x66);
                self.op(&[0x89], false, reg, rm);
            }
            4 => self.op(&[0x89], false, reg, rm),
            _ => self.op(&[0x89], true, reg, rm),
        }
    }

    /// `imul reg, r/m, imm8`.
    pub fn imul_imm(&mut self, wide: bool, reg: u8, rm: Rm, imm: i8) {
        self.op(&[0x6b], wide, reg, rm);
        self.byte(imm as u8);
    }

    /// `test r/m32, imm32`.
    pub fn test_imm(&mut self, rm: Rm, imm: i32) {
        self.op(&[0xf7], false, 0, rm);
        self.imm32(imm);
    }

    /// `bt qword r/m, reg`: the carry flag gets bit `reg` of the bit string at `r/m` (a
    /// memory operand reaches past its first word).
    pub fn bit_test(&mut self, rm: Rm, reg: u8) {
        self.op(&[0x0f, 0xa3], true, reg, rm);
    }

    /// `add qword [base + index * 8 + disp], 1`: bumps a counter chosen at run time from
    /// an array. `index` must not be `rsp` (that encoding means no index).
    pub fn count_indexed(&mut self, base: u8, index: u8, disp: i32) {
        debug_assert_ne!(index, reg::RSP_ENCODING);
        self.byte(0x48 | ((index >> 3) & 1) << 1 | ((base >> 3) & 1));
        // add r/m64, imm8 (83 /0); ModRM: disp32 form with a SIB byte; SIB: scale 8.
        self.byte(0x83);
        self.byte(0x84);
        self.byte(0xc0 | (index & 7) << 3 | (base & 7));
        self.imm32(disp);
        self.byte(1);
    }

    /// `call reg`.
    pub fn call(&mut self, reg: u8) {
        self.op(&[0xff], false, 2, Rm::Reg(reg));
    }

    pub fn ret(&mut self) {
        self.byte(0xc3);
    }
}

#[cfg(test)]
mod tests {
    use super::reg::*;
    use super::*;

    fn bytes(f: impl FnOnce(&mut Asm)) -> Vec<u8> {
        let mut asm = Asm::new();
        f(&mut asm);
        asm.finish().unwrap_or_default()
    }

    /// Encodings checked against the SDM tables (and GNU as output).
    #[test]
    fn encodings_match_the_manual() {
        // mov rax, [rdi+0x10]
        assert_eq!(
            bytes(|a| a.load(
                true,
                RAX,
                Rm::Mem {
                    base: RDI,
                    disp: 16
                }
            )),
            [0x48, 0x8b, 0x47, 0x10]
        );
        // mov [rdi+0x100], r12d
        assert_eq!(
            bytes(|a| a.store(
                false,
                Rm::Mem {
                    base: RDI,
                    disp: 256
                },
                R12
            )),
            [0x44, 0x89, 0xa7, 0x00, 0x01, 0x00, 0x00]
        );
        // add rax, r13
        assert_eq!(
            bytes(|a| a.arith(Arith::Add, true, RAX, Rm::Reg(R13))),
            [0x49, 0x03, 0xc5]
        );
        // cmp rax, -1
        assert_eq!(
            bytes(|a| a.arith_imm(Arith::Cmp, true, Rm::Reg(RAX), -1)),
            [0x48, 0x83, 0xf8, 0xff]
        );
        // and eax, 0x7ff
        assert_eq!(
            bytes(|a| a.arith_imm(Arith::And, false, Rm::Reg(RAX), 0x7ff)),
            [0x81, 0xe0, 0xff, 0x07, 0x00, 0x00]
        );
        // imul rax, rbx
        assert_eq!(
            bytes(|a| a.imul(true, RAX, Rm::Reg(RBX))),
            [0x48, 0x0f, 0xaf, 0xc3]
        );
        // sar rax, cl ; shl eax, 13
        assert_eq!(
            bytes(|a| a.shift_cl(Shift::RightArith, true, Rm::Reg(RAX))),
            [0x48, 0xd3, 0xf8]
        );
        assert_eq!(
            bytes(|a| a.shift_imm(Shift::Left, false, Rm::Reg(RAX), 13)),
            [0xc1, 0xe0, 0x0d]
        );
        // movsxd rax, eax
        assert_eq!(bytes(|a| a.movsxd(RAX, Rm::Reg(RAX))), [0x48, 0x63, 0xc0]);
        // setl cl ; movzx ecx, cl
        assert_eq!(
            bytes(|a| a.set_bool(Cond::Less, RCX)),
            [0x0f, 0x9c, 0xc1, 0x0f, 0xb6, 0xc9]
        );
        // cmove rax, [rsi+0x18]
        assert_eq!(
            bytes(|a| a.cmov(
                Cond::Equal,
                true,
                RAX,
                Rm::Mem {
                    base: RSI,
                    disp: 24
                }
            )),
            [0x48, 0x0f, 0x44, 0x46, 0x18]
        );
        // mov qword [rsi+8], 0
        assert_eq!(
            bytes(|a| a.store_imm(Rm::Mem { base: RSI, disp: 8 }, 0)),
            [0x48, 0xc7, 0x46, 0x08, 0, 0, 0, 0]
        );
        // mov r9d, 5 ; mov rax, -2
        assert_eq!(bytes(|a| a.mov_imm(false, R9, 5)), [0x41, 0xb9, 5, 0, 0, 0]);
        assert_eq!(
            bytes(|a| a.mov_imm(true, RAX, -2)),
            [0x48, 0xc7, 0xc0, 0xfe, 0xff, 0xff, 0xff]
        );
        // imul qword [rdi+8] ; mul r9d
        assert_eq!(
            bytes(|a| a.mul_wide(true, true, Rm::Mem { base: RDI, disp: 8 })),
            [0x48, 0xf7, 0x6f, 0x08]
        );
        assert_eq!(
            bytes(|a| a.mul_wide(false, false, Rm::Reg(R9))),
            [0x41, 0xf7, 0xe1]
        );
        // idiv rcx ; div ecx ; neg rax ; cqo ; cdq
        assert_eq!(
            bytes(|a| a.div_wide(true, true, Rm::Reg(RCX))),
            [0x48, 0xf7, 0xf9]
        );
        assert_eq!(
            bytes(|a| a.div_wide(false, false, Rm::Reg(RCX))),
            [0xf7, 0xf1]
        );
        assert_eq!(bytes(|a| a.neg(true, Rm::Reg(RAX))), [0x48, 0xf7, 0xd8]);
        assert_eq!(bytes(|a| a.sign_extend_into_rdx(true)), [0x48, 0x99]);
        assert_eq!(bytes(|a| a.sign_extend_into_rdx(false)), [0x99]);
        // movzx eax, byte [rax] ; movsx rax, word [rax] ; movsx eax, byte [rax]
        // movzx r11d, byte [r11+16]
        let at_rax = Rm::Mem { base: RAX, disp: 0 };
        assert_eq!(
            bytes(|a| a.load_extend(false, true, 1, RAX, at_rax)),
            [0x0f, 0xb6, 0x40, 0x00]
        );
        assert_eq!(
            bytes(|a| a.load_extend(true, true, 2, RAX, at_rax)),
            [0x48, 0x0f, 0xbf, 0x40, 0x00]
        );
        assert_eq!(
            bytes(|a| a.load_extend(true, false, 1, RAX, at_rax)),
            [0x0f, 0xbe, 0x40, 0x00]
        );
        assert_eq!(
            bytes(|a| a.load_extend(
                false,
                false,
                1,
                R11,
                Rm::Mem {
                    base: R11,
                    disp: 16
                }
            )),
            [0x45, 0x0f, 0xb6, 0x5b, 0x10]
        );
        // mov [rax], cl ; mov [rax], cx ; mov [rax], ecx ; mov [rax], rcx
        assert_eq!(bytes(|a| a.store_sized(1, at_rax, RCX)), [0x88, 0x48, 0x00]);
        assert_eq!(
            bytes(|a| a.store_sized(2, at_rax, RCX)),
            [0x66, 0x89, 0x48, 0x00]
        );
        assert_eq!(bytes(|a| a.store_sized(4, at_rax, RCX)), [0x89, 0x48, 0x00]);
        assert_eq!(
            bytes(|a| a.store_sized(8, at_rax, RCX)),
            [0x48, 0x89, 0x48, 0x00]
        );
        // imul r11, r11, 24 ; test eax, 3 ; bt qword [r10], rcx
        assert_eq!(
            bytes(|a| a.imul_imm(true, R11, Rm::Reg(R11), 24)),
            [0x4d, 0x6b, 0xdb, 0x18]
        );
        assert_eq!(
            bytes(|a| a.test_imm(Rm::Reg(RAX), 3)),
            [0xf7, 0xc0, 0x03, 0x00, 0x00, 0x00]
        );
        assert_eq!(
            bytes(|a| a.bit_test(Rm::Mem { base: R10, disp: 0 }, RCX)),
            [0x49, 0x0f, 0xa3, 0x4a, 0x00]
        );
        // add qword [rsi + r11*8 + 0x228], 1 ; add qword [rsi + rax*8 + 8], 1
        assert_eq!(
            bytes(|a| a.count_indexed(RSI, R11, 0x228)),
            [0x4a, 0x83, 0x84, 0xde, 0x28, 0x02, 0x00, 0x00, 0x01]
        );
        assert_eq!(
            bytes(|a| a.count_indexed(RSI, RAX, 8)),
            [0x48, 0x83, 0x84, 0xc6, 0x08, 0x00, 0x00, 0x00, 0x01]
        );
        // call rax ; call r11
        assert_eq!(bytes(|a| a.call(RAX)), [0xff, 0xd0]);
        assert_eq!(bytes(|a| a.call(R11)), [0x41, 0xff, 0xd3]);
        // push r15 ; pop rbx ; ret
        assert_eq!(bytes(|a| a.push(R15)), [0x41, 0x57]);
        assert_eq!(bytes(|a| a.pop(RBX)), [0x5b]);
        // mov rax, [r12+8] (SIB)
        assert_eq!(
            bytes(|a| a.load(true, RAX, Rm::Mem { base: R12, disp: 8 })),
            [0x49, 0x8b, 0x44, 0x24, 0x08]
        );
        let _ = (RDX, RBP, R8, R10, R11, R14);
    }

    #[test]
    fn jumps_reach_their_labels_both_ways() {
        let code = bytes(|a| {
            let back = a.label();
            let ahead = a.label();
            a.bind(back);
            a.jump_if(Cond::NotEqual, ahead);
            a.jump(back);
            a.bind(ahead);
            a.ret();
        });
        // jne +5 (over the jmp) ; jmp -11 (to the start) ; ret
        assert_eq!(
            code,
            [0x0f, 0x85, 5, 0, 0, 0, 0xe9, 0xf5, 0xff, 0xff, 0xff, 0xc3]
        );
    }

    #[test]
    fn an_unbound_label_fails_the_assembly() {
        let mut asm = Asm::new();
        let nowhere = asm.label();
        asm.jump(nowhere);
        assert_eq!(asm.finish(), None);
    }
}
