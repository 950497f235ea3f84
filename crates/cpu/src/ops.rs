//! The M extension's corner cases as pure functions: division by zero, the signed
//! overflow `MIN / -1`, the high halves of products, and the `*w` operations' sign
//! extension. The interpreter calls these; the tests below check them against wide
//! reference arithmetic on every pair of edge values.
//!
//! RISC-V division never traps: `x / 0` is all ones (−1 signed), `x % 0` is `x`,
//! `MIN / -1` is `MIN` and `MIN % -1` is 0.

macro_rules! width_ops {
    ($u:ty, $i:ty, $wide_u:ty, $wide_i:ty,
     $div:ident, $divu:ident, $rem:ident, $remu:ident,
     $mulh:ident, $mulhsu:ident, $mulhu:ident) => {
        /// Signed division, RISC-V rules (÷0 gives −1, MIN ÷ −1 gives MIN).
        pub const fn $div(a: $u, b: $u) -> $u {
            let (a, b) = (a as $i, b as $i);
            if b == 0 {
                <$u>::MAX
            } else {
                a.wrapping_div(b) as $u
            }
        }

        /// Unsigned division, RISC-V rules (÷0 gives all ones).
        pub const fn $divu(a: $u, b: $u) -> $u {
            if b == 0 {
                <$u>::MAX
            } else {
                a / b
            }
        }

        /// Signed remainder, RISC-V rules (x % 0 gives x, MIN % −1 gives 0).
        pub const fn $rem(a: $u, b: $u) -> $u {
            let (a, b) = (a as $i, b as $i);
            if b == 0 {
                a as $u
            } else {
                a.wrapping_rem(b) as $u
            }
        }

        /// Unsigned remainder, RISC-V rules (x % 0 gives x).
        pub const fn $remu(a: $u, b: $u) -> $u {
            if b == 0 {
                a
            } else {
                a % b
            }
        }

        /// High half of the signed × signed product.
        pub const fn $mulh(a: $u, b: $u) -> $u {
            let p = (a as $i as $wide_i).wrapping_mul(b as $i as $wide_i);
            (p >> <$u>::BITS) as $u
        }

        /// High half of the signed `a` × unsigned `b` product.
        pub const fn $mulhsu(a: $u, b: $u) -> $u {
            let p = (a as $i as $wide_i).wrapping_mul(b as $wide_u as $wide_i);
            (p >> <$u>::BITS) as $u
        }

        /// High half of the unsigned × unsigned product.
        pub const fn $mulhu(a: $u, b: $u) -> $u {
            let p = (a as $wide_u).wrapping_mul(b as $wide_u);
            (p >> <$u>::BITS) as $u
        }
    };
}

width_ops!(u32, i32, u64, i64, div32, divu32, rem32, remu32, mulh32, mulhsu32, mulhu32);
width_ops!(u64, i64, u128, i128, div64, divu64, rem64, remu64, mulh64, mulhsu64, mulhu64);

/// Sign-extends the low 32 bits to 64: the result rule of every RV64 `*w` operation.
pub const fn sext32(v: u64) -> u64 {
    v as u32 as i32 as i64 as u64
}

/// `mulw`: low 32 bits of the product, sign-extended.
pub const fn mulw(a: u64, b: u64) -> u64 {
    sext32((a as u32).wrapping_mul(b as u32) as u64)
}

/// `divw`: signed 32-bit division of the low halves, sign-extended.
pub const fn divw(a: u64, b: u64) -> u64 {
    sext32(div32(a as u32, b as u32) as u64)
}

/// `divuw`: unsigned 32-bit division of the low halves, sign-extended.
pub const fn divuw(a: u64, b: u64) -> u64 {
    sext32(divu32(a as u32, b as u32) as u64)
}

/// `remw`: signed 32-bit remainder of the low halves, sign-extended.
pub const fn remw(a: u64, b: u64) -> u64 {
    sext32(rem32(a as u32, b as u32) as u64)
}

/// `remuw`: unsigned 32-bit remainder of the low halves, sign-extended.
pub const fn remuw(a: u64, b: u64) -> u64 {
    sext32(remu32(a as u32, b as u32) as u64)
}

/// `addw`.
pub const fn addw(a: u64, b: u64) -> u64 {
    sext32(a.wrapping_add(b))
}

/// `subw`.
pub const fn subw(a: u64, b: u64) -> u64 {
    sext32(a.wrapping_sub(b))
}

/// `sllw`/`slliw`: shift of the low half by `b & 31`, sign-extended.
pub const fn sllw(a: u64, b: u64) -> u64 {
    sext32(((a as u32) << (b & 31)) as u64)
}

/// `srlw`/`srliw`: logical right shift of the low half by `b & 31`, sign-extended.
pub const fn srlw(a: u64, b: u64) -> u64 {
    sext32(((a as u32) >> (b & 31)) as u64)
}

/// `sraw`/`sraiw`: arithmetic right shift of the low half by `b & 31`, sign-extended.
pub const fn sraw(a: u64, b: u64) -> u64 {
    (((a as u32 as i32) >> (b & 31)) as i64) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values where the rules change: zero, ±1, the extremes and their neighbours, a few
    /// bit patterns.
    fn edges64() -> Vec<u64> {
        let mut v = vec![
            0,
            1,
            2,
            3,
            7,
            u64::MAX,
            u64::MAX - 1,
            i64::MAX as u64,
            i64::MIN as u64,
            (i64::MIN as u64) + 1,
            0x5555_5555_5555_5555,
            0xaaaa_aaaa_aaaa_aaaa,
            0x0000_0001_0000_0000,
            0xffff_ffff_0000_0000,
        ];
        for e in edges32() {
            v.push(u64::from(e));
            v.push(e as i32 as i64 as u64);
        }
        v
    }

    fn edges32() -> Vec<u32> {
        vec![
            0,
            1,
            2,
            3,
            7,
            u32::MAX,
            u32::MAX - 1,
            i32::MAX as u32,
            i32::MIN as u32,
            (i32::MIN as u32) + 1,
            0x5555_5555,
            0xaaaa_aaaa,
            0x0001_0000,
            0xffff_0000,
        ]
    }

    fn ref_div(a: i128, b: i128, bits: u32) -> i128 {
        let min = -(1i128 << (bits - 1));
        match (a, b) {
            (_, 0) => -1,
            (a, -1) if a == min => min,
            _ => a / b,
        }
    }

    fn ref_rem(a: i128, b: i128, bits: u32) -> i128 {
        let min = -(1i128 << (bits - 1));
        match (a, b) {
            (a, 0) => a,
            (a, -1) if a == min => 0,
            _ => a % b,
        }
    }

    #[test]
    fn every_pair_of_32_bit_edges_matches_wide_arithmetic() {
        for &a in &edges32() {
            for &b in &edges32() {
                let (sa, sb) = (i128::from(a as i32), i128::from(b as i32));
                let (ua, ub) = (i128::from(a), i128::from(b));
                assert_eq!(div32(a, b), ref_div(sa, sb, 32) as u32, "div {a:#x} {b:#x}");
                assert_eq!(rem32(a, b), ref_rem(sa, sb, 32) as u32, "rem {a:#x} {b:#x}");
                let du = a.checked_div(b).unwrap_or(u32::MAX);
                let ru = if b == 0 { a } else { a % b };
                assert_eq!(divu32(a, b), du);
                assert_eq!(remu32(a, b), ru);
                assert_eq!(mulh32(a, b), ((sa * sb) >> 32) as u32, "mulh {a:#x} {b:#x}");
                assert_eq!(mulhsu32(a, b), ((sa * ub) >> 32) as u32);
                assert_eq!(mulhu32(a, b), ((ua * ub) >> 32) as u32);
            }
        }
    }

    #[test]
    fn every_pair_of_64_bit_edges_matches_wide_arithmetic() {
        for &a in &edges64() {
            for &b in &edges64() {
                let (sa, sb) = (i128::from(a as i64), i128::from(b as i64));
                let ub = i128::from(b);
                assert_eq!(div64(a, b), ref_div(sa, sb, 64) as u64, "div {a:#x} {b:#x}");
                assert_eq!(rem64(a, b), ref_rem(sa, sb, 64) as u64, "rem {a:#x} {b:#x}");
                assert_eq!(divu64(a, b), a.checked_div(b).unwrap_or(u64::MAX));
                assert_eq!(remu64(a, b), if b == 0 { a } else { a % b });
                let hi_ss = (sa * sb) >> 64;
                assert_eq!(mulh64(a, b), hi_ss as u64, "mulh {a:#x} {b:#x}");
                // |signed 64| × unsigned 64 < 2^127: the product fits in i128.
                assert_eq!(
                    mulhsu64(a, b),
                    ((sa * ub) >> 64) as u64,
                    "mulhsu {a:#x} {b:#x}"
                );
                let hi_uu = (u128::from(a) * u128::from(b)) >> 64;
                assert_eq!(mulhu64(a, b), hi_uu as u64);
            }
        }
    }

    #[test]
    fn word_operations_sign_extend_their_32_bit_result() {
        for &a in &edges64() {
            for &b in &edges64() {
                let (a32, b32) = (a as u32, b as u32);
                let sx = |v: u32| v as i32 as i64 as u64;
                assert_eq!(mulw(a, b), sx(a32.wrapping_mul(b32)));
                assert_eq!(divw(a, b), sx(div32(a32, b32)));
                assert_eq!(divuw(a, b), sx(divu32(a32, b32)));
                assert_eq!(remw(a, b), sx(rem32(a32, b32)));
                assert_eq!(remuw(a, b), sx(remu32(a32, b32)));
                assert_eq!(addw(a, b), sx(a32.wrapping_add(b32)));
                assert_eq!(subw(a, b), sx(a32.wrapping_sub(b32)));
                assert_eq!(sllw(a, b), sx(a32 << (b & 31)));
                assert_eq!(srlw(a, b), sx(a32 >> (b & 31)));
                assert_eq!(sraw(a, b), sx(((a32 as i32) >> (b & 31)) as u32));
            }
        }
    }

    #[test]
    fn the_named_corner_cases() {
        assert_eq!(div32(0x8000_0000, u32::MAX), 0x8000_0000);
        assert_eq!(rem32(0x8000_0000, u32::MAX), 0);
        assert_eq!(div64(1 << 63, u64::MAX), 1 << 63);
        assert_eq!(rem64(1 << 63, u64::MAX), 0);
        assert_eq!(div32(5, 0), u32::MAX);
        assert_eq!(divu64(5, 0), u64::MAX);
        assert_eq!(rem64(5, 0), 5);
        assert_eq!(remu32(5, 0), 5);
        assert_eq!(divw(0x1_8000_0000, 0xffff_ffff), 0xffff_ffff_8000_0000);
        assert_eq!(divuw(0x1_0000_0000, 0), u64::MAX);
        assert_eq!(remuw(0xffff_ffff, 0), u64::MAX);
        assert_eq!(mulhu64(u64::MAX, u64::MAX), u64::MAX - 1);
        assert_eq!(mulhsu32(u32::MAX, u32::MAX), u32::MAX);
        assert_eq!(mulh32(0x8000_0000, 0x8000_0000), 0x4000_0000);
    }

    #[test]
    fn every_8_bit_analogue_pair_agrees_after_sign_extension() {
        // Exhaustive over all 8-bit operand pairs, sign-extended into 32-bit registers:
        // the 32-bit functions must agree with i64 arithmetic on every one of them.
        for a in 0..=255u32 {
            for b in 0..=255u32 {
                let (sa, sb) = (a as u8 as i8 as i32, b as u8 as i8 as i32);
                let (ra, rb) = (sa as u32, sb as u32);
                let q = if sb == 0 { -1 } else { sa / sb };
                let r = if sb == 0 { sa } else { sa % sb };
                assert_eq!(div32(ra, rb), q as u32);
                assert_eq!(rem32(ra, rb), r as u32);
                assert_eq!(
                    mulh32(ra, rb),
                    ((i64::from(sa) * i64::from(sb)) >> 32) as u32
                );
            }
        }
    }
}
