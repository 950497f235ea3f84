//! The CSR-visible state of the MMU: `satp`, the SUM and MXR bits of `sstatus`, and Atlas's
//! `at*` registers (numbers and layouts in `isa/csrs` and `isa/README.md`). The translator
//! reads only this struct and the access context, never CPU state.

use crate::access::Privilege;
use crate::format::{Format, FormatKind, Satp};
use atlas_isa::{csr, Xlen};

/// Segment flag: reads allowed.
pub const SEG_R: u64 = 1 << 0;
/// Segment flag: writes allowed.
pub const SEG_W: u64 = 1 << 1;
/// Segment flag: fetches allowed.
pub const SEG_X: u64 = 1 << 2;
/// Segment flag: the segment grows down (OSTEP's negative-offset rule).
pub const SEG_GROWS_DOWN: u64 = 1 << 3;
/// Segment flag: the register holds a segment.
pub const SEG_VALID: u64 = 1 << 4;
/// The implemented bits of `atsegflagsN`.
pub const SEG_FLAGS_MASK: u64 = 0x1f;

/// `atmode` value: translation selected by `satp` (bare or Sv*).
pub const ATMODE_SATP: u64 = 0;
/// `atmode` value: base-bounds.
pub const ATMODE_BASE_BOUNDS: u64 = 1;
/// `atmode` value: segmented.
pub const ATMODE_SEGMENTED: u64 = 2;
/// `atmode` value: linear page table.
pub const ATMODE_LINEAR: u64 = 3;

/// The MMU control registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MmuRegs {
    /// Width of the hart (decides the `satp` layout and the linear PTE size).
    pub xlen: Xlen,
    /// `satp`.
    pub satp: u64,
    /// `sstatus.SUM`: S-mode may load and store to U pages.
    pub sum: bool,
    /// `sstatus.MXR`: loads from executable pages succeed.
    pub mxr: bool,
    /// `atmode`: 0 satp, 1 base-bounds, 2 segmented, 3 linear.
    pub atmode: u64,
    /// `atbase`.
    pub atbase: u64,
    /// `atbound`.
    pub atbound: u64,
    /// `atsegcount`: 2, 4 or 8.
    pub atsegcount: u64,
    /// `atlinbase`: physical address of the linear table.
    pub atlinbase: u64,
    /// `atlinlen`: entries in the linear table.
    pub atlinlen: u64,
    /// `atsegbase0..7`.
    pub atsegbase: [u64; 8],
    /// `atsegbound0..7`.
    pub atsegbound: [u64; 8],
    /// `atsegflags0..7`.
    pub atsegflags: [u64; 8],
}

/// The translation that applies to one access, decided from the registers and privilege.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// PA = VA (M-mode, or `satp` Bare).
    Bare,
    /// Base-bounds.
    BaseBounds {
        /// `atbase`.
        base: u64,
        /// `atbound`.
        bound: u64,
    },
    /// Segmented, with this many segments.
    Segmented {
        /// 2, 4 or 8.
        count: u32,
    },
    /// A page-table format.
    Paged {
        /// The format.
        format: &'static Format,
        /// Physical address of the root table.
        root: u64,
        /// For the linear format, the number of entries (`atlinlen`).
        linear_len: Option<u64>,
    },
}

impl MmuRegs {
    /// Reset state: everything zero (bare translation, two segments).
    pub const fn new(xlen: Xlen) -> MmuRegs {
        MmuRegs {
            xlen,
            satp: 0,
            sum: false,
            mxr: false,
            atmode: ATMODE_SATP,
            atbase: 0,
            atbound: 0,
            atsegcount: 2,
            atlinbase: 0,
            atlinlen: 0,
            atsegbase: [0; 8],
            atsegbound: [0; 8],
            atsegflags: [0; 8],
        }
    }

    /// Whether `number` is one of the registers this struct holds (`satp` and the `at*`
    /// block; SUM and MXR live in `sstatus`, which the CPU owns and copies here).
    pub fn owns_csr(number: u16) -> bool {
        number == csr::SATP || (csr::ATMODE..=csr::ATSEGFLAGS7).contains(&number)
    }

    fn slot(&self, number: u16) -> Option<&u64> {
        let i = usize::from(number.wrapping_sub(csr::ATSEGBASE0) & 7);
        match number {
            csr::SATP => Some(&self.satp),
            csr::ATMODE => Some(&self.atmode),
            csr::ATBASE => Some(&self.atbase),
            csr::ATBOUND => Some(&self.atbound),
            csr::ATSEGCOUNT => Some(&self.atsegcount),
            csr::ATLINBASE => Some(&self.atlinbase),
            csr::ATLINLEN => Some(&self.atlinlen),
            n if (csr::ATSEGBASE0..=csr::ATSEGBASE7).contains(&n) => self.atsegbase.get(i),
            n if (csr::ATSEGBOUND0..=csr::ATSEGBOUND7).contains(&n) => self.atsegbound.get(i),
            n if (csr::ATSEGFLAGS0..=csr::ATSEGFLAGS7).contains(&n) => self.atsegflags.get(i),
            _ => None,
        }
    }

    /// Reads an MMU register; `None` if `number` is not one.
    pub fn read_csr(&self, number: u16) -> Option<u64> {
        self.slot(number).copied()
    }

    /// Writes an MMU register with WARL legalisation: on RV32 values are truncated to 32
    /// bits; a `satp` with an unsupported MODE, an `atmode` above 3 and an `atsegcount` other
    /// than 2, 4 or 8 are ignored (the register keeps its value); `atsegflags` keeps its five
    /// defined bits. `None` if `number` is not an MMU register.
    pub fn write_csr(&mut self, number: u16, value: u64) -> Option<()> {
        let value = match self.xlen {
            Xlen::X32 => value & 0xffff_ffff,
            Xlen::X64 => value,
        };
        let xlen = self.xlen;
        let legal = match number {
            csr::SATP => Satp::decode(xlen, value).is_some_and(|s| match s.mode {
                None | Some(FormatKind::Sv32) => true,
                Some(_) => xlen == Xlen::X64,
            }),
            csr::ATMODE => value <= ATMODE_LINEAR,
            csr::ATSEGCOUNT => matches!(value, 2 | 4 | 8),
            _ => true,
        };
        let value = if (csr::ATSEGFLAGS0..=csr::ATSEGFLAGS7).contains(&number) {
            value & SEG_FLAGS_MASK
        } else {
            value
        };
        self.slot(number)?;
        if legal {
            let i = usize::from(number.wrapping_sub(csr::ATSEGBASE0) & 7);
            let target = match number {
                csr::SATP => &mut self.satp,
                csr::ATMODE => &mut self.atmode,
                csr::ATBASE => &mut self.atbase,
                csr::ATBOUND => &mut self.atbound,
                csr::ATSEGCOUNT => &mut self.atsegcount,
                csr::ATLINBASE => &mut self.atlinbase,
                csr::ATLINLEN => &mut self.atlinlen,
                n if n <= csr::ATSEGBASE7 => self.atsegbase.get_mut(i)?,
                n if n <= csr::ATSEGBOUND7 => self.atsegbound.get_mut(i)?,
                _ => self.atsegflags.get_mut(i)?,
            };
            *target = value;
        }
        Some(())
    }

    /// The decoded `satp` (Bare if its MODE is unsupported).
    pub fn satp(&self) -> Satp {
        Satp::decode(self.xlen, self.satp).unwrap_or(Satp {
            mode: None,
            asid: 0,
            ppn: 0,
        })
    }

    /// Whether S- and U-mode translation is the one `satp` selects (no Atlas mode
    /// overrides it), so the mode is a function of `satp` and `xlen` alone.
    #[inline(always)]
    pub fn uses_satp(&self) -> bool {
        !matches!(
            self.atmode,
            ATMODE_BASE_BOUNDS | ATMODE_SEGMENTED | ATMODE_LINEAR
        )
    }

    /// The translation for an access at `privilege`: M-mode is never translated.
    pub fn mode(&self, privilege: Privilege) -> Mode {
        if privilege == Privilege::Machine {
            return Mode::Bare;
        }
        match self.atmode {
            ATMODE_BASE_BOUNDS => Mode::BaseBounds {
                base: self.atbase,
                bound: self.atbound,
            },
            ATMODE_SEGMENTED => Mode::Segmented {
                count: match self.atsegcount {
                    0..=2 => 2,
                    3..=4 => 4,
                    _ => 8,
                },
            },
            ATMODE_LINEAR => Mode::Paged {
                format: Format::of(FormatKind::Linear, self.xlen),
                root: self.atlinbase,
                linear_len: Some(self.atlinlen),
            },
            _ => {
                let satp = self.satp();
                match satp.mode {
                    None => Mode::Bare,
                    Some(kind) => Mode::Paged {
                        format: Format::of(kind, self.xlen),
                        root: satp.ppn << 12,
                        linear_len: None,
                    },
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csr_round_trip_and_warl() {
        let mut r = MmuRegs::new(Xlen::X64);
        assert_eq!(r.write_csr(csr::ATSEGBOUND3, 0x1000), Some(()));
        assert_eq!(r.atsegbound[3], 0x1000);
        assert_eq!(r.read_csr(csr::ATSEGBOUND3), Some(0x1000));
        assert_eq!(r.write_csr(csr::ATSEGFLAGS7, 0xff), Some(()));
        assert_eq!(r.atsegflags[7], 0x1f);
        assert_eq!(r.write_csr(csr::ATSEGCOUNT, 3), Some(()));
        assert_eq!(r.atsegcount, 2);
        assert_eq!(r.write_csr(csr::ATMODE, 9), Some(()));
        assert_eq!(r.atmode, 0);
        assert_eq!(r.write_csr(csr::SATP, 1 << 60), Some(()));
        assert_eq!(r.satp, 0);
        assert_eq!(r.write_csr(csr::SATP, (8 << 60) | 0x42), Some(()));
        assert_eq!(
            r.mode(Privilege::User),
            Mode::Paged {
                format: &Format::SV39,
                root: 0x42000,
                linear_len: None
            }
        );
        assert_eq!(r.mode(Privilege::Machine), Mode::Bare);
        assert_eq!(r.write_csr(csr::MSTATUS, 0), None);
        assert_eq!(r.read_csr(csr::SSTATUS), None);
    }

    #[test]
    fn rv32_truncates() {
        let mut r = MmuRegs::new(Xlen::X32);
        assert_eq!(r.write_csr(csr::ATBASE, 0x1_2345_6789), Some(()));
        assert_eq!(r.atbase, 0x2345_6789);
        assert_eq!(r.write_csr(csr::SATP, 0x8000_0010), Some(()));
        assert_eq!(
            r.mode(Privilege::Supervisor),
            Mode::Paged {
                format: &Format::SV32,
                root: 0x10000,
                linear_len: None
            }
        );
    }
}
