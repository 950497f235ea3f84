//! The memory interface the CPU uses: every fetch, load and store goes through a [`Bus`],
//! which owns physical memory, translates the access under its current mode and returns the
//! value or a typed [`MemFault`]. The CPU never decides translation itself.
//!
//! The CPU is generic over `B: Bus` (no `dyn`), so a bus whose translation is the identity
//! compiles down to a bounds check and a copy. [`SystemBus`] is the bus Atlas runs guests on;
//! today it implements bare mode (PA = VA); the translated modes plug into its
//! [`SystemBus::translate`] later without changing the CPU.

use crate::{AccessCtx, AccessKind, PhysMem};
use atlas_isa::csr;
use std::fmt;

/// Why an access failed, kept typed until the trap boundary maps it to a cause.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultReason {
    /// The (translated) physical address range has no memory behind it.
    BeyondPhysicalMemory {
        /// First physical address of the access.
        pa: u64,
        /// Size of physical memory, for the message.
        phys_size: u64,
    },
}

impl FaultReason {
    /// Whether the trap boundary reports this as a page fault (causes 12/13/15) rather than
    /// an access fault (causes 1/5/7).
    pub const fn is_page_fault(&self) -> bool {
        match self {
            FaultReason::BeyondPhysicalMemory { .. } => false,
        }
    }
}

impl fmt::Display for FaultReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FaultReason::BeyondPhysicalMemory { pa, phys_size } => write!(
                f,
                "physical address {pa:#x} is beyond physical memory (size {phys_size:#x})"
            ),
        }
    }
}

/// A failed access: what was accessed, where, and why it failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemFault {
    /// Virtual address of the access (the trap value, `xtval`).
    pub va: u64,
    /// Fetch, load or store.
    pub kind: AccessKind,
    /// Size of the access in bytes.
    pub size: u8,
    /// Why it failed.
    pub reason: FaultReason,
}

impl fmt::Display for MemFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-byte {} at {:#x}: {}",
            self.size,
            self.kind.name(),
            self.va,
            self.reason
        )
    }
}

/// The memory system as the CPU sees it.
///
/// Implementations own physical memory and the translation hardware; they take an explicit
/// [`AccessCtx`] for every access and never read CPU state. Misaligned accesses are legal at
/// this interface (the CPU counts and charges them); a bus that translates must split an
/// access that crosses a page.
pub trait Bus {
    /// Fetches the 32-bit instruction word at `ctx.va` (`ctx.kind` is `Fetch`, size 4).
    fn fetch(&mut self, ctx: AccessCtx) -> Result<u32, MemFault>;

    /// Loads `ctx.size` bytes at `ctx.va`, zero-extended.
    fn load(&mut self, ctx: AccessCtx) -> Result<u64, MemFault>;

    /// Stores the low `ctx.size` bytes of `value` at `ctx.va`.
    fn store(&mut self, ctx: AccessCtx, value: u64) -> Result<(), MemFault>;

    /// Translates `ctx` to the physical address of its first byte, with the same checks and
    /// costs as a real access (used by the OS to copy syscall buffers).
    fn translate(&mut self, ctx: AccessCtx) -> Result<u64, MemFault>;

    /// Cycles the memory system has charged so far (translation and its latencies), added
    /// to the CPU's own count for `rdcycle` and the report.
    fn cycles(&self) -> u64;

    /// Reads an MMU control register (`satp`, the `at*` registers); `None` if `csr` is not
    /// one the bus owns.
    fn read_csr(&self, csr: u16) -> Option<u64>;

    /// Writes an MMU control register; `None` if `csr` is not one the bus owns.
    fn write_csr(&mut self, csr: u16, value: u64) -> Option<()>;

    /// The address-space identifier currently selected (from `satp`), for access contexts.
    fn asid(&self) -> u16;

    /// `sfence.vma`: drops cached translations for `va` (or all) and `asid` (or all).
    fn sfence_vma(&mut self, va: Option<u64>, asid: Option<u16>);

    /// Physical memory, for loaders and the OS.
    fn phys(&self) -> &PhysMem;

    /// Physical memory, mutable, for loaders and the OS.
    fn phys_mut(&mut self) -> &mut PhysMem;
}

/// The MMU control registers the bus owns (`satp` and the Atlas `at*` registers).
fn is_mmu_csr(number: u16) -> bool {
    number == csr::SATP || (csr::ATMODE..=csr::ATSEGFLAGS7).contains(&number)
}

/// Number of MMU control registers stored: `satp` plus the `0x5c0..=0x5e7` block.
const MMU_CSR_SLOTS: usize = 1 + (csr::ATSEGFLAGS7 - csr::ATMODE) as usize + 1;

/// Index of an MMU control register in [`SystemBus`]'s register file.
fn mmu_csr_slot(number: u16) -> usize {
    if number == csr::SATP {
        0
    } else {
        1 + number.wrapping_sub(csr::ATMODE) as usize
    }
}

/// The bus Atlas runs guests on: physical memory plus the MMU registers.
///
/// Translation is bare (PA = VA) for now: the control registers are stored and read back
/// but select no translation yet. An access beyond physical memory is an access fault.
#[derive(Clone, Debug)]
pub struct SystemBus {
    phys: PhysMem,
    csrs: [u64; MMU_CSR_SLOTS],
    cycles: u64,
}

impl SystemBus {
    /// A bus over `phys`, in bare mode.
    pub fn new(phys: PhysMem) -> SystemBus {
        SystemBus {
            phys,
            csrs: [0; MMU_CSR_SLOTS],
            cycles: 0,
        }
    }

    /// Translates `va` for an access of `size` bytes, checking that physical memory holds all
    /// of it. Bare mode: PA = VA.
    #[inline(always)]
    fn translate_range(&self, ctx: &AccessCtx) -> Result<u64, MemFault> {
        let pa = ctx.va;
        let in_memory = pa
            .checked_add(u64::from(ctx.size))
            .is_some_and(|end| end <= self.phys.size());
        if in_memory {
            Ok(pa)
        } else {
            Err(self.beyond_memory(ctx, pa))
        }
    }

    #[cold]
    fn beyond_memory(&self, ctx: &AccessCtx, pa: u64) -> MemFault {
        MemFault {
            va: ctx.va,
            kind: ctx.kind,
            size: ctx.size,
            reason: FaultReason::BeyondPhysicalMemory {
                pa,
                phys_size: self.phys.size(),
            },
        }
    }
}

impl Bus for SystemBus {
    #[inline(always)]
    fn fetch(&mut self, ctx: AccessCtx) -> Result<u32, MemFault> {
        self.load(ctx).map(|w| w as u32)
    }

    #[inline(always)]
    fn load(&mut self, ctx: AccessCtx) -> Result<u64, MemFault> {
        let pa = self.translate_range(&ctx)?;
        self.phys
            .read(pa, u64::from(ctx.size))
            .ok_or_else(|| self.beyond_memory(&ctx, pa))
    }

    #[inline(always)]
    fn store(&mut self, ctx: AccessCtx, value: u64) -> Result<(), MemFault> {
        let pa = self.translate_range(&ctx)?;
        match self.phys.write(pa, u64::from(ctx.size), value) {
            Some(()) => Ok(()),
            None => Err(self.beyond_memory(&ctx, pa)),
        }
    }

    fn translate(&mut self, ctx: AccessCtx) -> Result<u64, MemFault> {
        self.translate_range(&ctx)
    }

    fn cycles(&self) -> u64 {
        self.cycles
    }

    fn read_csr(&self, number: u16) -> Option<u64> {
        if is_mmu_csr(number) {
            self.csrs.get(mmu_csr_slot(number)).copied()
        } else {
            None
        }
    }

    fn write_csr(&mut self, number: u16, value: u64) -> Option<()> {
        if !is_mmu_csr(number) {
            return None;
        }
        *self.csrs.get_mut(mmu_csr_slot(number))? = value;
        Some(())
    }

    fn asid(&self) -> u16 {
        0
    }

    fn sfence_vma(&mut self, _va: Option<u64>, _asid: Option<u16>) {}

    fn phys(&self) -> &PhysMem {
        &self.phys
    }

    fn phys_mut(&mut self) -> &mut PhysMem {
        &mut self.phys
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Privilege;

    fn ctx(va: u64, kind: AccessKind, size: u8) -> AccessCtx {
        AccessCtx {
            va,
            kind,
            size,
            privilege: Privilege::User,
            asid: 0,
            pc: 0,
        }
    }

    #[test]
    fn bare_mode_is_identity_and_faults_beyond_memory() {
        let mut bus = SystemBus::new(PhysMem::new(0x2000).expect("8 KiB"));
        assert_eq!(
            bus.store(ctx(0x100, AccessKind::Store, 4), 0xdead_beef),
            Ok(())
        );
        assert_eq!(bus.load(ctx(0x100, AccessKind::Load, 2)), Ok(0xbeef));
        assert_eq!(bus.load(ctx(0x101, AccessKind::Load, 4)), Ok(0x00de_adbe));
        assert_eq!(bus.fetch(ctx(0x100, AccessKind::Fetch, 4)), Ok(0xdead_beef));
        assert_eq!(bus.translate(ctx(0x1ff8, AccessKind::Load, 8)), Ok(0x1ff8));
        let fault = bus.store(ctx(0x1ffe, AccessKind::Store, 4), 1);
        assert_eq!(
            fault,
            Err(MemFault {
                va: 0x1ffe,
                kind: AccessKind::Store,
                size: 4,
                reason: FaultReason::BeyondPhysicalMemory {
                    pa: 0x1ffe,
                    phys_size: 0x2000
                },
            })
        );
        assert_eq!(
            fault.map_err(|f| f.to_string()),
            Err(
                "4-byte store at 0x1ffe: physical address 0x1ffe is beyond physical memory \
                 (size 0x2000)"
                    .to_string()
            )
        );
        assert_eq!(
            bus.load(ctx(u64::MAX, AccessKind::Load, 1))
                .map_err(|f| f.va),
            Err(u64::MAX)
        );
    }

    #[test]
    fn mmu_registers_are_stored_and_others_refused() {
        let mut bus = SystemBus::new(PhysMem::new(0x1000).expect("4 KiB"));
        assert_eq!(bus.write_csr(csr::SATP, 0x8000_0000_0000_1234), Some(()));
        assert_eq!(bus.write_csr(csr::ATSEGFLAGS7, 0x1f), Some(()));
        assert_eq!(bus.read_csr(csr::SATP), Some(0x8000_0000_0000_1234));
        assert_eq!(bus.read_csr(csr::ATSEGFLAGS7), Some(0x1f));
        assert_eq!(bus.read_csr(csr::ATMODE), Some(0));
        assert_eq!(bus.write_csr(csr::MSTATUS, 1), None);
        assert_eq!(bus.read_csr(csr::CYCLE), None);
    }
}
