//! Register width as a type: one interpreter, compiled once for `u32` (RV32) and once for
//! `u64` (RV64), so neither width pays for a run-time width test in the hot loop.

use crate::ops;
use atlas_isa::Xlen;

/// An XLEN-bit register value. Everything the interpreter does to a register whose result
/// depends on the width is a method here.
pub trait Word:
    Copy + Eq + Default + std::fmt::Debug + Send + Sync + 'static + atlas_jit::GuestWord
{
    /// The width this type models.
    const XLEN: Xlen;
    /// Mask applied to register shift amounts (31 or 63).
    const SHAMT_MASK: u32;

    /// Truncates a 64-bit value to the register width.
    fn from_u64(v: u64) -> Self;
    /// A sign-extended 64-bit value (an immediate) truncated to the register width.
    #[inline(always)]
    fn from_i64(v: i64) -> Self {
        Self::from_u64(v as u64)
    }
    /// Zero-extends to 64 bits (addresses, syscall arguments).
    fn to_u64(self) -> u64;
    /// Sign-extends to 64 bits.
    fn to_i64(self) -> i64;

    /// Wrapping addition.
    fn add(self, b: Self) -> Self;
    /// Wrapping subtraction.
    fn sub(self, b: Self) -> Self;
    /// Bitwise and.
    fn and(self, b: Self) -> Self;
    /// Bitwise or.
    fn or(self, b: Self) -> Self;
    /// Bitwise exclusive or.
    fn xor(self, b: Self) -> Self;
    /// Left shift by `shamt & SHAMT_MASK`.
    fn sll(self, shamt: u32) -> Self;
    /// Logical right shift by `shamt & SHAMT_MASK`.
    fn srl(self, shamt: u32) -> Self;
    /// Arithmetic right shift by `shamt & SHAMT_MASK`.
    fn sra(self, shamt: u32) -> Self;
    /// Signed less-than.
    fn lt(self, b: Self) -> bool;
    /// Unsigned less-than.
    fn ltu(self, b: Self) -> bool;
    /// Low half of the product.
    fn mul(self, b: Self) -> Self;
    /// High half of the signed product.
    fn mulh(self, b: Self) -> Self;
    /// High half of signed × unsigned.
    fn mulhsu(self, b: Self) -> Self;
    /// High half of the unsigned product.
    fn mulhu(self, b: Self) -> Self;
    /// Signed division (RISC-V rules).
    fn div(self, b: Self) -> Self;
    /// Unsigned division.
    fn divu(self, b: Self) -> Self;
    /// Signed remainder.
    fn rem(self, b: Self) -> Self;
    /// Unsigned remainder.
    fn remu(self, b: Self) -> Self;

    /// The low 32 bits as a shift amount source.
    #[inline(always)]
    fn shamt(self) -> u32 {
        self.to_u64() as u32 & Self::SHAMT_MASK
    }

    /// 1 if `cond`, else 0.
    #[inline(always)]
    fn from_bool(cond: bool) -> Self {
        Self::from_u64(u64::from(cond))
    }
}

macro_rules! impl_word {
    ($u:ty, $i:ty, $xlen:expr, $div:ident, $divu:ident, $rem:ident, $remu:ident,
     $mulh:ident, $mulhsu:ident, $mulhu:ident) => {
        impl Word for $u {
            const XLEN: Xlen = $xlen;
            const SHAMT_MASK: u32 = <$u>::BITS - 1;

            #[inline(always)]
            fn from_u64(v: u64) -> Self {
                v as $u
            }
            #[inline(always)]
            fn to_u64(self) -> u64 {
                self as u64
            }
            #[inline(always)]
            fn to_i64(self) -> i64 {
                self as $i as i64
            }
            #[inline(always)]
            fn add(self, b: Self) -> Self {
                self.wrapping_add(b)
            }
            #[inline(always)]
            fn sub(self, b: Self) -> Self {
                self.wrapping_sub(b)
            }
            #[inline(always)]
            fn and(self, b: Self) -> Self {
                self & b
            }
            #[inline(always)]
            fn or(self, b: Self) -> Self {
                self | b
            }
            #[inline(always)]
            fn xor(self, b: Self) -> Self {
                self ^ b
            }
            #[inline(always)]
            fn sll(self, shamt: u32) -> Self {
                self << (shamt & Self::SHAMT_MASK)
            }
            #[inline(always)]
            fn srl(self, shamt: u32) -> Self {
                self >> (shamt & Self::SHAMT_MASK)
            }
            #[inline(always)]
            fn sra(self, shamt: u32) -> Self {
                ((self as $i) >> (shamt & Self::SHAMT_MASK)) as $u
            }
            #[inline(always)]
            fn lt(self, b: Self) -> bool {
                (self as $i) < (b as $i)
            }
            #[inline(always)]
            fn ltu(self, b: Self) -> bool {
                self < b
            }
            #[inline(always)]
            fn mul(self, b: Self) -> Self {
                self.wrapping_mul(b)
            }
            #[inline(always)]
            fn mulh(self, b: Self) -> Self {
                ops::$mulh(self, b)
            }
            #[inline(always)]
            fn mulhsu(self, b: Self) -> Self {
                ops::$mulhsu(self, b)
            }
            #[inline(always)]
            fn mulhu(self, b: Self) -> Self {
                ops::$mulhu(self, b)
            }
            #[inline(always)]
            fn div(self, b: Self) -> Self {
                ops::$div(self, b)
            }
            #[inline(always)]
            fn divu(self, b: Self) -> Self {
                ops::$divu(self, b)
            }
            #[inline(always)]
            fn rem(self, b: Self) -> Self {
                ops::$rem(self, b)
            }
            #[inline(always)]
            fn remu(self, b: Self) -> Self {
                ops::$remu(self, b)
            }
        }
    };
}

impl_word!(
    u32,
    i32,
    Xlen::X32,
    div32,
    divu32,
    rem32,
    remu32,
    mulh32,
    mulhsu32,
    mulhu32
);
impl_word!(
    u64,
    i64,
    Xlen::X64,
    div64,
    divu64,
    rem64,
    remu64,
    mulh64,
    mulhsu64,
    mulhu64
);
