//! Page-table format descriptors: everything the one walker loop needs to know about a format
//! (as Spike's `vm_info`), and the decoding of `satp`.

use atlas_isa::Xlen;

/// Log2 of the base page size (4 KiB) in every format.
pub const PAGE_SHIFT: u32 = 12;

/// The page-table formats Atlas models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FormatKind {
    /// Single-level linear table (OSTEP's teaching format), selected by `atmode` = 3.
    Linear,
    /// RISC-V Sv32 (RV32): 2 levels, 4 KiB pages and 4 MiB megapages.
    Sv32,
    /// RISC-V Sv39 (RV64): 3 levels, 4 KiB, 2 MiB and 1 GiB pages.
    Sv39,
    /// RISC-V Sv48 (RV64): 4 levels, up to 512 GiB pages.
    Sv48,
    /// RISC-V Sv57 (RV64): 5 levels, up to 256 TiB pages.
    Sv57,
}

impl FormatKind {
    /// All formats, in report order.
    pub const ALL: [FormatKind; 5] = [
        FormatKind::Linear,
        FormatKind::Sv32,
        FormatKind::Sv39,
        FormatKind::Sv48,
        FormatKind::Sv57,
    ];

    /// Lower-case name for reports and JSON keys.
    pub const fn name(self) -> &'static str {
        match self {
            FormatKind::Linear => "linear",
            FormatKind::Sv32 => "sv32",
            FormatKind::Sv39 => "sv39",
            FormatKind::Sv48 => "sv48",
            FormatKind::Sv57 => "sv57",
        }
    }

    /// Position in [`FormatKind::ALL`], for counter arrays.
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// How the bits of a VA above the translated ones must look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VaRule {
    /// Bits above `va_bits` must be zero (Sv32, linear: the VA is an unsigned 32-bit number).
    ZeroExtended,
    /// Bits above `va_bits` must equal bit `va_bits - 1` (Sv39/48/57 canonical addresses).
    SignExtended,
}

/// A page-table format, as data: the walker reads nothing else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Format {
    /// Which format this is (for counters and messages).
    pub kind: FormatKind,
    /// Number of levels (the spec's LEVELS).
    pub levels: u32,
    /// VPN bits per level (10 for Sv32, 9 for Sv39+, 20 for the linear table).
    pub index_bits: u32,
    /// Bytes per PTE (the spec's PTESIZE).
    pub pte_size: u32,
    /// Width of the PTE's PPN field.
    pub ppn_bits: u32,
    /// Translated VA bits.
    pub va_bits: u32,
    /// Rule for the VA bits above `va_bits`.
    pub va_rule: VaRule,
    /// PTE bits reserved for future use (N, PBMT, reserved): a PTE with any set faults.
    pub reserved_mask: u64,
}

/// Bits 63:54 of an Sv39/48/57 PTE: Svnapot's N, Svpbmt's PBMT and reserved bits, none of
/// which Atlas implements, so they must be zero.
const RV64_PTE_RESERVED: u64 = 0x3ff << 54;

impl Format {
    /// RISC-V Sv32.
    pub const SV32: Format = Format {
        kind: FormatKind::Sv32,
        levels: 2,
        index_bits: 10,
        pte_size: 4,
        ppn_bits: 22,
        va_bits: 32,
        va_rule: VaRule::ZeroExtended,
        reserved_mask: 0,
    };
    /// RISC-V Sv39.
    pub const SV39: Format = Format {
        kind: FormatKind::Sv39,
        levels: 3,
        index_bits: 9,
        pte_size: 8,
        ppn_bits: 44,
        va_bits: 39,
        va_rule: VaRule::SignExtended,
        reserved_mask: RV64_PTE_RESERVED,
    };
    /// RISC-V Sv48.
    pub const SV48: Format = Format {
        kind: FormatKind::Sv48,
        levels: 4,
        va_bits: 48,
        ..Format::SV39
    };
    /// RISC-V Sv57.
    pub const SV57: Format = Format {
        kind: FormatKind::Sv57,
        levels: 5,
        va_bits: 57,
        ..Format::SV39
    };
    /// The linear teaching table on RV32: one level of 2^20 four-byte Sv32-layout PTEs over a
    /// 32-bit VA space, bounded by `atlinlen`.
    pub const LINEAR32: Format = Format {
        kind: FormatKind::Linear,
        levels: 1,
        index_bits: 20,
        pte_size: 4,
        ppn_bits: 22,
        va_bits: 32,
        va_rule: VaRule::ZeroExtended,
        reserved_mask: 0,
    };
    /// The linear teaching table on RV64: as [`Format::LINEAR32`] but with eight-byte
    /// Sv39-layout PTEs, so it can map all of physical memory.
    pub const LINEAR64: Format = Format {
        pte_size: 8,
        ppn_bits: 44,
        reserved_mask: RV64_PTE_RESERVED,
        ..Format::LINEAR32
    };

    /// The descriptor of `kind` for a hart of width `xlen` (only the linear format differs by
    /// width; Sv32 on RV64 or Sv39+ on RV32 is the caller's choice to make).
    pub const fn of(kind: FormatKind, xlen: Xlen) -> &'static Format {
        match (kind, xlen) {
            (FormatKind::Linear, Xlen::X32) => &Format::LINEAR32,
            (FormatKind::Linear, Xlen::X64) => &Format::LINEAR64,
            (FormatKind::Sv32, _) => &Format::SV32,
            (FormatKind::Sv39, _) => &Format::SV39,
            (FormatKind::Sv48, _) => &Format::SV48,
            (FormatKind::Sv57, _) => &Format::SV57,
        }
    }

    /// Log2 of the size of a page mapped by a leaf at `level` (12 at level 0).
    #[inline]
    pub const fn page_shift(&self, level: u32) -> u32 {
        PAGE_SHIFT + level * self.index_bits
    }

    /// The spec's `va.vpn[level]`.
    #[inline]
    pub const fn vpn(&self, va: u64, level: u32) -> u64 {
        (va >> self.page_shift(level)) & ((1u64 << self.index_bits) - 1)
    }

    /// Whether `va` is a legal address for this format (canonical for Sv39+; below 2^32 for
    /// Sv32 and linear).
    #[inline]
    pub const fn is_canonical(&self, va: u64) -> bool {
        match self.va_rule {
            VaRule::ZeroExtended => va >> self.va_bits == 0,
            VaRule::SignExtended => {
                let high = (va as i64) >> (self.va_bits - 1);
                high == 0 || high == -1
            }
        }
    }

    /// Log2 sizes of every page size of this format, smallest first.
    pub fn page_shifts(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.levels).map(|level| self.page_shift(level))
    }
}

/// `satp` decoded: the translation mode, ASID and root page number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Satp {
    /// `None` for Bare, else the page-table format.
    pub mode: Option<FormatKind>,
    /// The ASID field.
    pub asid: u16,
    /// Root page-table PPN.
    pub ppn: u64,
}

impl Satp {
    /// Decodes `value` for a hart of width `xlen`; `None` for a MODE Atlas does not support
    /// (the CSR write should then be ignored, as `satp` is WARL).
    pub const fn decode(xlen: Xlen, value: u64) -> Option<Satp> {
        match xlen {
            Xlen::X32 => Some(Satp {
                mode: if (value >> 31) & 1 == 1 {
                    Some(FormatKind::Sv32)
                } else {
                    None
                },
                asid: ((value >> 22) & 0x1ff) as u16,
                ppn: value & ((1 << 22) - 1),
            }),
            Xlen::X64 => {
                let mode = match value >> 60 {
                    0 => None,
                    8 => Some(FormatKind::Sv39),
                    9 => Some(FormatKind::Sv48),
                    10 => Some(FormatKind::Sv57),
                    _ => return None,
                };
                Some(Satp {
                    mode,
                    asid: ((value >> 44) & 0xffff) as u16,
                    ppn: value & ((1 << 44) - 1),
                })
            }
        }
    }

    /// Encodes a `satp` value (for OS code and tests). Formats that do not exist in `satp`
    /// for this width (linear; Sv39+ on RV32; Sv32 on RV64) encode as Bare.
    pub const fn encode(&self, xlen: Xlen) -> u64 {
        match xlen {
            Xlen::X32 => {
                let mode = matches!(self.mode, Some(FormatKind::Sv32)) as u64;
                (mode << 31) | ((self.asid as u64 & 0x1ff) << 22) | (self.ppn & ((1 << 22) - 1))
            }
            Xlen::X64 => {
                let mode: u64 = match self.mode {
                    Some(FormatKind::Sv39) => 8,
                    Some(FormatKind::Sv48) => 9,
                    Some(FormatKind::Sv57) => 10,
                    _ => 0,
                };
                (mode << 60) | ((self.asid as u64) << 44) | (self.ppn & ((1 << 44) - 1))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_rules() {
        assert!(Format::SV39.is_canonical(0x3f_ffff_ffff));
        assert!(!Format::SV39.is_canonical(0x40_0000_0000));
        assert!(Format::SV39.is_canonical(0xffff_ffc0_0000_0000));
        assert!(!Format::SV48.is_canonical(0xffff_0000_0000_0000));
        assert!(Format::SV48.is_canonical(0xffff_8000_0000_0000));
        assert!(Format::SV32.is_canonical(0xffff_ffff));
        assert!(!Format::SV32.is_canonical(0x1_0000_0000));
    }

    #[test]
    fn satp_round_trips() {
        let s = Satp {
            mode: Some(FormatKind::Sv48),
            asid: 0xbeef,
            ppn: 0x12345,
        };
        assert_eq!(Satp::decode(Xlen::X64, s.encode(Xlen::X64)), Some(s));
        let s32 = Satp {
            mode: Some(FormatKind::Sv32),
            asid: 0x1ff,
            ppn: 0x3f_ffff,
        };
        assert_eq!(s32.encode(Xlen::X32), 0xffff_ffff);
        assert_eq!(Satp::decode(Xlen::X32, 0xffff_ffff), Some(s32));
        assert_eq!(Satp::decode(Xlen::X64, 1 << 60), None);
    }

    #[test]
    fn page_sizes() {
        let sizes: Vec<u32> = Format::SV57.page_shifts().collect();
        assert_eq!(sizes, vec![12, 21, 30, 39, 48]);
        assert_eq!(Format::SV32.page_shift(1), 22);
        assert_eq!(Format::SV39.vpn(0x40_2030_4000, 2), 0x100);
    }
}
