//! Integer registers, named by ABI as GNU objdump prints them.

/// An integer register `x0`..`x31`, named by its ABI role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
#[allow(missing_docs)]
pub enum Reg {
    Zero,
    Ra,
    Sp,
    Gp,
    Tp,
    T0,
    T1,
    T2,
    S0,
    S1,
    A0,
    A1,
    A2,
    A3,
    A4,
    A5,
    A6,
    A7,
    S2,
    S3,
    S4,
    S5,
    S6,
    S7,
    S8,
    S9,
    S10,
    S11,
    T3,
    T4,
    T5,
    T6,
}

const ABI_NAMES: [&str; 32] = [
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4",
    "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4",
    "t5", "t6",
];

impl Reg {
    /// All registers, indexed by number.
    pub const ALL: [Reg; 32] = [
        Reg::Zero,
        Reg::Ra,
        Reg::Sp,
        Reg::Gp,
        Reg::Tp,
        Reg::T0,
        Reg::T1,
        Reg::T2,
        Reg::S0,
        Reg::S1,
        Reg::A0,
        Reg::A1,
        Reg::A2,
        Reg::A3,
        Reg::A4,
        Reg::A5,
        Reg::A6,
        Reg::A7,
        Reg::S2,
        Reg::S3,
        Reg::S4,
        Reg::S5,
        Reg::S6,
        Reg::S7,
        Reg::S8,
        Reg::S9,
        Reg::S10,
        Reg::S11,
        Reg::T3,
        Reg::T4,
        Reg::T5,
        Reg::T6,
    ];

    /// The register with number `n & 31`.
    #[inline(always)]
    pub const fn from_bits(n: u32) -> Reg {
        Reg::ALL[(n & 31) as usize]
    }

    /// The register number 0..=31.
    #[inline(always)]
    pub const fn num(self) -> u8 {
        self as u8
    }

    /// The ABI name (`a0`, `sp`, `s0` …) that objdump prints.
    pub const fn abi_name(self) -> &'static str {
        ABI_NAMES[self as usize]
    }

    /// Parses `x0`..`x31`, an ABI name, or `fp` (an alias of `s0`).
    pub fn parse(name: &str) -> Option<Reg> {
        if name == "fp" {
            return Some(Reg::S0);
        }
        if let Some(i) = ABI_NAMES.iter().position(|n| *n == name) {
            return Some(Reg::ALL[i]);
        }
        let n: usize = name.strip_prefix('x')?.parse().ok()?;
        if name.len() > 2 && name.as_bytes()[1] == b'0' {
            return None;
        }
        Reg::ALL.get(n).copied()
    }
}

impl std::fmt::Display for Reg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.abi_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for r in Reg::ALL {
            assert_eq!(Reg::parse(r.abi_name()), Some(r));
            assert_eq!(Reg::parse(&format!("x{}", r.num())), Some(r));
        }
        assert_eq!(Reg::parse("fp"), Some(Reg::S0));
        assert_eq!(Reg::parse("x32"), None);
        assert_eq!(Reg::parse("x01"), None);
        assert_eq!(Reg::parse("a8"), None);
    }
}
