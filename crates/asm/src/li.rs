//! The `li` pseudo-instruction: the exact instruction sequences GNU `as` (binutils 2.40)
//! emits for `li rd, value` on RV32 and RV64.
//!
//! Matching GNU word for word matters because users compare `atlas asm` output with
//! `riscv64-unknown-elf-as` byte for byte (issue 3's differential test), and profiles and
//! fault reports name PCs inside these sequences.
//!
//! GNU's choice, following `load_const` in binutils' `gas/config/tc-riscv.c` and checked
//! against the installed assembler (`.ci/li-vs-gnu` and `crates/asm/tests/li_golden.txt`):
//!
//! 1. A value that fits a signed 12-bit immediate matches the `li rd, imm12` alias of
//!    `addi rd, zero, imm` before the macro is tried.
//! 2. On RV32, an expression value whose bits 63..32 are all zero or all one is first
//!    replaced by its low 32 bits sign-extended (`normalize_constant_expr`); other values
//!    are kept as the 64-bit number.
//! 3. Otherwise `load_const` splits the value into a sign-extended low 12 bits (`lower`) and
//!    the rest (`upper = value - lower`, wrapping):
//!    - on RV64, while the value is not a sign-extended 32-bit number, the upper part is
//!      shifted right by its trailing zeros and loaded recursively, then `slli rd, rd, shift`
//!      and, if `lower != 0`, `addi rd, rd, lower` follow;
//!    - a 32-bit value (or any value on RV32) becomes `lui rd, upper[31:12]` if `upper != 0`
//!      (even when those 20 bits are zero, as on RV32 for 2^32 and other values that step 2
//!      leaves wider than 32 bits), then `addiw` (RV64) / `addi` (RV32) `rd, src, lower` if `lower != 0` or no
//!      `lui` wrote a non-zero register — `src` is `rd` after a `lui`, else `zero`. So
//!      `li zero, 0x1000` ends with `addiw zero, zero, 0`, as GNU's does.
//!
//! There is no search for a shorter sequence (that is GCC's `riscv_build_integer`, not
//! GNU `as`).

use atlas_isa::{AluImmOp, Inst, Reg, ShiftImmOp, Xlen};

/// The instructions GNU `as` emits for `li rd, value` at width `xlen`.
///
/// `value` is the 64-bit value of the operand expression as GNU evaluates it. On RV32 the
/// register receives `value` modulo 2^32, but the sequence depends on the full value: GNU
/// emits `lui rd, 0x0` for `li rd, 0x100000000`, and so does this function. Never panics.
pub fn li_sequence(rd: Reg, value: i64, xlen: Xlen) -> Vec<Inst> {
    let mut out = Vec::with_capacity(8);
    if fits_simm12(value) {
        out.push(addi(AluImmOp::Addi, rd, Reg::Zero, value));
        return out;
    }
    let value = match xlen {
        // GNU's `IS_ZEXT_32BIT_NUM`: bits 63..32 all zero or all one.
        Xlen::X32 if matches!(value >> 32, 0 | -1) => i64::from(value as i32),
        _ => value,
    };
    load_const(rd, value, xlen, &mut out);
    out
}

/// GNU's `load_const`: appends the sequence that loads `value` into `rd` to `out`.
fn load_const(rd: Reg, value: i64, xlen: Xlen, out: &mut Vec<Inst>) {
    // The shift-and-add steps that reduce a 64-bit value to a 32-bit one, outermost first.
    // Each step removes at least 12 low bits, so there are at most five of them.
    let mut steps: Vec<(u32, i64)> = Vec::new();
    let mut remaining = value;
    while xlen == Xlen::X64 && !fits_i32(remaining) {
        let lower = low12(remaining);
        let upper = remaining.wrapping_sub(lower);
        // `upper` is non-zero here (else `remaining` would fit 32 bits) and its low 12 bits
        // are zero, so the shift is 12..=63.
        let shift = upper.trailing_zeros().min(63);
        steps.push((shift, lower));
        remaining = upper >> shift;
    }

    let lower = low12(remaining);
    let upper = remaining.wrapping_sub(lower);
    let mut hi_reg = Reg::Zero;
    if upper != 0 {
        // `lui` takes bits 31..12 of the upper part; on RV32 GNU truncates wider values.
        let imm = (upper as u32 & !0xfff) as i32;
        out.push(Inst::Lui { rd, imm });
        hi_reg = rd;
    }
    if lower != 0 || hi_reg == Reg::Zero {
        let op = match xlen {
            Xlen::X64 => AluImmOp::Addiw,
            Xlen::X32 => AluImmOp::Addi,
        };
        out.push(addi(op, rd, hi_reg, lower));
    }

    for &(shift, lower) in steps.iter().rev() {
        out.push(Inst::ShiftImm {
            op: ShiftImmOp::Slli,
            rd,
            rs1: rd,
            shamt: shift as u8,
        });
        if lower != 0 {
            out.push(addi(AluImmOp::Addi, rd, rd, lower));
        }
    }
}

/// An I-type add of a 12-bit immediate; callers pass only values in `-2048..=2047`.
fn addi(op: AluImmOp, rd: Reg, rs1: Reg, imm: i64) -> Inst {
    Inst::AluImm {
        op,
        rd,
        rs1,
        imm: imm as i32,
    }
}

/// The low 12 bits of `value`, sign-extended: what an `addi` after a `lui` or `slli` adds.
fn low12(value: i64) -> i64 {
    ((value & 0xfff) ^ 0x800) - 0x800
}

/// Whether `value` fits a signed 12-bit immediate.
fn fits_simm12(value: i64) -> bool {
    (-2048..=2047).contains(&value)
}

/// Whether `value` is a sign-extended 32-bit number (GNU's `IS_SEXT_32BIT_NUM`).
fn fits_i32(value: i64) -> bool {
    i32::try_from(value).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addi_(rd: Reg, rs1: Reg, imm: i32) -> Inst {
        Inst::AluImm {
            op: AluImmOp::Addi,
            rd,
            rs1,
            imm,
        }
    }

    fn addiw(rd: Reg, rs1: Reg, imm: i32) -> Inst {
        Inst::AluImm {
            op: AluImmOp::Addiw,
            rd,
            rs1,
            imm,
        }
    }

    fn slli(rd: Reg, shamt: u8) -> Inst {
        Inst::ShiftImm {
            op: ShiftImmOp::Slli,
            rd,
            rs1: rd,
            shamt,
        }
    }

    fn lui(rd: Reg, imm: i32) -> Inst {
        Inst::Lui { rd, imm }
    }

    use Reg::{Zero, A0, T6};
    use Xlen::{X32, X64};

    #[test]
    fn small_values_are_one_addi_from_zero() {
        assert_eq!(li_sequence(A0, 5, X64), vec![addi_(A0, Zero, 5)]);
        assert_eq!(li_sequence(A0, -2048, X64), vec![addi_(A0, Zero, -2048)]);
        assert_eq!(li_sequence(A0, 2047, X32), vec![addi_(A0, Zero, 2047)]);
        assert_eq!(li_sequence(A0, 0, X32), vec![addi_(A0, Zero, 0)]);
    }

    #[test]
    fn thirty_two_bit_values_use_lui_then_addiw_on_rv64_and_addi_on_rv32() {
        assert_eq!(
            li_sequence(A0, 0x800, X64),
            vec![lui(A0, 0x1000), addiw(A0, A0, -2048)]
        );
        assert_eq!(
            li_sequence(A0, 0x800, X32),
            vec![lui(A0, 0x1000), addi_(A0, A0, -2048)]
        );
        assert_eq!(li_sequence(A0, 0x1000, X64), vec![lui(A0, 0x1000)]);
        assert_eq!(
            li_sequence(A0, 0x7fff_ffff, X64),
            vec![lui(A0, i32::MIN), addiw(A0, A0, -1)]
        );
    }

    #[test]
    fn rv64_wide_values_shift_and_add() {
        assert_eq!(
            li_sequence(A0, 0x8000_0000, X64),
            vec![addiw(A0, Zero, 1), slli(A0, 31)]
        );
        assert_eq!(
            li_sequence(A0, 0xffff_f000, X64),
            vec![lui(A0, 0x10_0000), addiw(A0, A0, -1), slli(A0, 12)]
        );
        assert_eq!(
            li_sequence(A0, i64::MAX, X64),
            vec![addiw(A0, Zero, -1), slli(A0, 63), addi_(A0, A0, -1)]
        );
        assert_eq!(
            li_sequence(A0, i64::MIN, X64),
            vec![addiw(A0, Zero, -1), slli(A0, 63)]
        );
        assert_eq!(
            li_sequence(A0, 0x1234_5678_abcd_ef01, X64),
            vec![
                lui(A0, 0x247 << 12),
                addiw(A0, A0, -1875),
                slli(A0, 13),
                addi_(A0, A0, -469),
                slli(A0, 14),
                addi_(A0, A0, -801),
                slli(A0, 12),
                addi_(A0, A0, -255),
            ]
        );
    }

    #[test]
    fn rv32_keeps_gnus_choices_for_values_beyond_32_bits() {
        assert_eq!(li_sequence(A0, 0xffff_ffff, X32), vec![addi_(A0, Zero, -1)]);
        assert_eq!(li_sequence(A0, 0x8000_0000, X32), vec![lui(A0, i32::MIN)]);
        assert_eq!(li_sequence(T6, 0x1_0000_0000, X32), vec![lui(T6, 0)]);
        assert_eq!(
            li_sequence(A0, i64::MAX, X32),
            vec![lui(A0, 0), addi_(A0, A0, -1)]
        );
    }

    #[test]
    fn zero_destination_keeps_the_trailing_add() {
        assert_eq!(
            li_sequence(Zero, 0x1000, X64),
            vec![lui(Zero, 0x1000), addiw(Zero, Zero, 0)]
        );
        assert_eq!(
            li_sequence(Zero, 0x1_0000_0000, X32),
            vec![lui(Zero, 0), addi_(Zero, Zero, 0)]
        );
    }
}
