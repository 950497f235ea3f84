//! Memory management: one address space per process, in the MMU mode the user chose.
//!
//! The OS is software driving the MMU hardware the way a kernel would: it writes the MMU
//! CSRs through the bus ([`AddressSpace::activate`]), keeps page tables in guest physical
//! memory (paged modes), serves `brk`, `mmap`, `munmap` and `mprotect`, and resolves the
//! translation faults the CPU returns (demand paging, stack growth) or turns them into a
//! fatal reason in words. Every mode implements [`AddressSpace`]; the process holds a
//! `Box<dyn AddressSpace>` (the OS path is not per-instruction, so `dyn` costs nothing that
//! matters; the per-access path is the hardware's, generic and static).
//!
//! # Address-space layout per mode
//!
//! | mode | code + data | heap (`brk`) | mmap area | stack (grows down) |
//! |---|---|---|---|---|
//! | bare | at the image's addresses (VA = PA) | from the page after the image up to the lowest mapping | top-down below the stack's reserve | top of physical memory, `stack_size` reserved |
//! | linear (RV32) | image addresses, text R-X, data RW- | page after the image, up to the lowest mapping | top-down from `stack top − stack_size − 4 KiB` | top 0x4000_0000: the table has 2^18 entries (1 GiB of VA, a 1 MiB table) |
//! | sv32 (RV32) | as linear | as linear | as linear | top 0x4000_0000 (same layout as linear, so the two compare page for page) |
//! | sv39/sv48/sv57 (RV64) | as linear | as linear | as linear | top 0x40_0000_0000 (the top of Sv39's lower half; same for all three) |
//! | base-bounds, segmented | see `basebound.rs` / `segmented.rs` | | | |
//!
//! In paged modes nothing is allocated before it is touched: image pages are copied in and
//! anonymous pages zero-filled on the first access (a minor fault each); a fault at most
//! `stack_size` below the stack top grows the stack.

pub mod bare;
pub mod basebound;
pub mod frames;
pub mod freelist;
pub mod freelist_phys;
#[cfg(test)]
mod freelist_phys_tests;
#[cfg(test)]
mod freelist_ref;
#[cfg(test)]
mod freelist_tests;
pub mod paged;
mod paged_table;
pub mod paged_vma;
mod ranges;
pub mod segmented;

use crate::OsError;
use atlas_asm::Image;
use atlas_isa::{errno, Xlen};
use atlas_mmu::{MemFault, PhysMem, SystemBus};
use std::fmt;

/// Bytes in a page (every mode allocates and protects in pages).
pub const PAGE: u64 = 4096;

/// `mmap`/`mprotect` protection: readable (Linux `PROT_READ`).
pub const PROT_READ: u64 = 0x1;
/// Writable (Linux `PROT_WRITE`).
pub const PROT_WRITE: u64 = 0x2;
/// Executable (Linux `PROT_EXEC`).
pub const PROT_EXEC: u64 = 0x4;
/// Every protection bit the OS knows; others are `-EINVAL`.
pub const PROT_MASK: u64 = PROT_READ | PROT_WRITE | PROT_EXEC;

/// `mmap` flag: shared mapping (Linux `MAP_SHARED`): refused, the OS maps private only.
pub const MAP_SHARED: u64 = 0x01;
/// Private mapping (Linux `MAP_PRIVATE`).
pub const MAP_PRIVATE: u64 = 0x02;
/// Place exactly at `addr`, replacing what was there (Linux `MAP_FIXED`).
pub const MAP_FIXED: u64 = 0x10;
/// Not backed by a file (Linux `MAP_ANONYMOUS`).
pub const MAP_ANONYMOUS: u64 = 0x20;
/// No swap reservation (Linux `MAP_NORESERVE`): accepted, nothing is reserved anyway.
pub const MAP_NORESERVE: u64 = 0x4000;
/// A thread stack (Linux `MAP_STACK`): accepted, a hint only.
pub const MAP_STACK: u64 = 0x20000;
/// Every flag the OS accepts; others are `-EINVAL`.
pub const MAP_KNOWN: u64 =
    MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK;

/// The MMU modes a process can run in (`--mmu`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MmuMode {
    /// No translation: VA = PA.
    Bare,
    /// One base and bound register pair over a contiguous region.
    BaseBounds,
    /// Segment registers (code, heap, mmap, stack) over free-list-allocated regions.
    Segmented,
    /// A single-level flat page table (RV32).
    Linear,
    /// RISC-V Sv32 (RV32).
    Sv32,
    /// RISC-V Sv39 (RV64).
    Sv39,
    /// RISC-V Sv48 (RV64).
    Sv48,
    /// RISC-V Sv57 (RV64).
    Sv57,
}

impl MmuMode {
    /// Every mode, in `--mmu` order.
    pub const ALL: [MmuMode; 8] = [
        MmuMode::Bare,
        MmuMode::BaseBounds,
        MmuMode::Segmented,
        MmuMode::Linear,
        MmuMode::Sv32,
        MmuMode::Sv39,
        MmuMode::Sv48,
        MmuMode::Sv57,
    ];

    /// The `--mmu` spelling.
    pub const fn name(self) -> &'static str {
        match self {
            MmuMode::Bare => "bare",
            MmuMode::BaseBounds => "base-bounds",
            MmuMode::Segmented => "segmented",
            MmuMode::Linear => "linear",
            MmuMode::Sv32 => "sv32",
            MmuMode::Sv39 => "sv39",
            MmuMode::Sv48 => "sv48",
            MmuMode::Sv57 => "sv57",
        }
    }

    /// Parses an `--mmu` value.
    pub fn parse(s: &str) -> Result<MmuMode, String> {
        MmuMode::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = MmuMode::ALL.iter().map(|m| m.name()).collect();
                format!("unknown MMU mode `{s}` (expected {})", names.join(", "))
            })
    }

    /// The default for a width: Sv39 on RV64, Sv32 on RV32.
    pub const fn default_for(xlen: Xlen) -> MmuMode {
        match xlen {
            Xlen::X32 => MmuMode::Sv32,
            Xlen::X64 => MmuMode::Sv39,
        }
    }

    /// Whether a hart of width `xlen` can run this mode (linear and Sv32 are RV32 modes,
    /// Sv39 and up RV64 modes; the others run at both widths).
    pub const fn supports(self, xlen: Xlen) -> bool {
        match self {
            MmuMode::Linear | MmuMode::Sv32 => matches!(xlen, Xlen::X32),
            MmuMode::Sv39 | MmuMode::Sv48 | MmuMode::Sv57 => matches!(xlen, Xlen::X64),
            MmuMode::Bare | MmuMode::BaseBounds | MmuMode::Segmented => true,
        }
    }

    /// Whether the mode translates with page tables.
    pub const fn is_paged(self) -> bool {
        matches!(
            self,
            MmuMode::Linear | MmuMode::Sv32 | MmuMode::Sv39 | MmuMode::Sv48 | MmuMode::Sv57
        )
    }
}

impl fmt::Display for MmuMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Placement policy of the segment free-list allocator (`--fit`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Fit {
    /// The first free chunk that fits, from the lowest address.
    #[default]
    First,
    /// The smallest free chunk that fits.
    Best,
    /// The largest free chunk.
    Worst,
    /// The first that fits, searching on from the previous placement.
    Next,
}

impl Fit {
    /// The `--fit` spelling.
    pub const fn name(self) -> &'static str {
        match self {
            Fit::First => "first",
            Fit::Best => "best",
            Fit::Worst => "worst",
            Fit::Next => "next",
        }
    }

    /// Parses a `--fit` value.
    pub fn parse(s: &str) -> Result<Fit, String> {
        [Fit::First, Fit::Best, Fit::Worst, Fit::Next]
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| format!("unknown fit policy `{s}` (expected first, best, worst, next)"))
    }
}

/// Cycles the OS is charged for its work, on top of what the hardware charges (TLB flushes
/// are charged by the hardware's `flush` latency through the bus).
///
/// | event | default | why |
/// |---|---|---|
/// | `syscall` | 100 | trap entry, dispatch and return of any system call |
/// | `fault` | 300 | trap entry, looking up the region, return, for each fault the OS handles |
/// | `pte_write` | 4 | one page-table entry written (map, unmap, protect) |
/// | `zero_page` | 512 | zero-filling a 4 KiB frame (8 bytes a cycle) |
/// | `copy_page` | 1024 | copying 4 KiB (image pages, relocations; charged per byte, rounded up) |
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OsCosts {
    /// Any system call.
    pub syscall: u64,
    /// Any fault the OS handles.
    pub fault: u64,
    /// One PTE written.
    pub pte_write: u64,
    /// Zeroing one 4 KiB frame.
    pub zero_page: u64,
    /// Copying 4 KiB.
    pub copy_page: u64,
}

impl Default for OsCosts {
    fn default() -> OsCosts {
        OsCosts {
            syscall: 100,
            fault: 300,
            pte_write: 4,
            zero_page: 512,
            copy_page: 1024,
        }
    }
}

/// What an address-space operation may touch: the machine (through the bus, as a kernel
/// touches hardware) and the OS cost table; it accumulates the cycles charged.
#[allow(missing_debug_implementations)]
pub struct MmEnv<'a> {
    /// The memory system: physical memory, MMU CSRs, `sfence.vma`.
    pub bus: &'a mut SystemBus,
    /// The OS cost table.
    pub costs: &'a OsCosts,
    /// The hart's width.
    pub xlen: Xlen,
    /// OS cycles charged so far through this environment.
    pub cycles: u64,
}

impl MmEnv<'_> {
    /// Charges `cycles` of OS work.
    pub fn charge(&mut self, cycles: u64) {
        self.cycles = self.cycles.saturating_add(cycles);
    }

    /// Charges copying `bytes` (at `copy_page` per 4 KiB, rounded up).
    pub fn charge_copy(&mut self, bytes: u64) {
        let cost = bytes.saturating_mul(self.costs.copy_page).div_ceil(PAGE);
        self.charge(cost);
    }

    /// Charges zeroing `bytes` (at `zero_page` per 4 KiB, rounded up).
    pub fn charge_zero(&mut self, bytes: u64) {
        let cost = bytes.saturating_mul(self.costs.zero_page).div_ceil(PAGE);
        self.charge(cost);
    }
}

/// A validated `mmap` request, as the OS sees it after the width's calling convention (on
/// RV32 the guest passes the offset in pages, as `mmap2`; it is in bytes here).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MmapArgs {
    /// The hint, or the exact address with `MAP_FIXED`.
    pub addr: u64,
    /// Length in bytes (not yet rounded).
    pub len: u64,
    /// `PROT_*` bits.
    pub prot: u64,
    /// `MAP_*` bits.
    pub flags: u64,
    /// The file descriptor (ignored for anonymous mappings).
    pub fd: u64,
    /// Offset in bytes.
    pub offset: u64,
}

impl MmapArgs {
    /// The checks every mode makes the same way: unknown flag or protection bits, not
    /// exactly one of `MAP_PRIVATE`/`MAP_SHARED`, `MAP_SHARED`, a zero length, a misaligned
    /// offset, or a misaligned `MAP_FIXED` address are `-EINVAL`; a file mapping is `-EBADF`
    /// (the OS has no files to map). Returns the length rounded up to pages.
    pub fn validate(&self) -> Result<u64, u64> {
        let einval = Err(errno::EINVAL);
        if self.flags & !MAP_KNOWN != 0 || self.prot & !PROT_MASK != 0 {
            return einval;
        }
        let sharing = self.flags & (MAP_SHARED | MAP_PRIVATE);
        if sharing != MAP_PRIVATE || self.len == 0 || !self.offset.is_multiple_of(PAGE) {
            return einval;
        }
        if self.flags & MAP_FIXED != 0 && !self.addr.is_multiple_of(PAGE) {
            return einval;
        }
        if self.flags & MAP_ANONYMOUS == 0 {
            return Err(errno::EBADF);
        }
        self.len.checked_next_multiple_of(PAGE).ok_or(errno::ENOMEM)
    }
}

/// How the OS answered a translation fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultOutcome {
    /// The OS mapped what was missing (or grew a segment): retry the instruction.
    Resolved,
    /// The process is killed; the mode-specific reason in words, e.g. "no mapping for
    /// 0x40000 (after munmap)" or "store to a read-only page".
    Fatal(String),
    /// No physical memory is left for what the access needs: the process is killed, as
    /// Linux's out-of-memory killer would. The words say what could not be allocated.
    OutOfMemory(String),
}

/// Memory-management statistics of a run, common to every mode (a mode leaves at zero what
/// it does not have) plus mode-specific counters in `extra`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MmStats {
    /// Faults resolved by allocating or loading a page or growing a region.
    pub minor_faults: u64,
    /// 4 KiB physical frames the process holds now (data, stack, page tables).
    pub frames_in_use: u64,
    /// The most frames held at once.
    pub peak_frames: u64,
    /// Of `frames_in_use`, the frames holding page tables.
    pub table_frames: u64,
    /// Times the stack grew on a fault below it.
    pub stack_growths: u64,
    /// `sfence.vma` operations the OS issued.
    pub flushes: u64,
    /// Mode-specific counters with their documented names (relocations, compactions,
    /// bytes copied, linear-table bytes beside Sv32's, ...), in report order.
    pub extra: Vec<(&'static str, u64)>,
}

/// One process's address space in one MMU mode.
///
/// Values returned to the guest follow the Linux convention: an address or zero, or a
/// negative errno as [`crate::syscall::neg_errno`] makes it.
pub trait AddressSpace: fmt::Debug {
    /// The mode.
    fn mode(&self) -> MmuMode;

    /// Writes the MMU CSRs (`satp`, `atmode`, `at*`) through `env.bus.write_csr` so the
    /// hardware translates for this address space. Called after loading and whenever the
    /// address space moves (relocation, compaction).
    fn activate(&mut self, env: &mut MmEnv<'_>);

    /// The ASID the address space runs under (0 in modes without one).
    fn asid(&self) -> u16;

    /// One past the highest stack address: where the initial stack is built.
    fn stack_top(&self) -> u64;

    /// Copies `bytes` to the user addresses at `va` as the kernel's `copy_to_user` does
    /// (allocating pages on demand); used to build the initial stack. `Err` says why.
    fn write_user(&mut self, env: &mut MmEnv<'_>, va: u64, bytes: &[u8]) -> Result<(), String>;

    /// The current program break.
    fn program_break(&self) -> u64;

    /// Raw Linux `brk`: moves the break to `want` if it is allowed and returns the new
    /// break, else returns the current one.
    fn brk(&mut self, env: &mut MmEnv<'_>, want: u64) -> u64;

    /// `mmap`: the address of the new mapping or a negative errno.
    fn mmap(&mut self, env: &mut MmEnv<'_>, args: &MmapArgs) -> u64;

    /// `munmap`: 0 or a negative errno.
    fn munmap(&mut self, env: &mut MmEnv<'_>, addr: u64, len: u64) -> u64;

    /// `mprotect`: 0 or a negative errno.
    fn mprotect(&mut self, env: &mut MmEnv<'_>, addr: u64, len: u64, prot: u64) -> u64;

    /// Serves a translation fault the CPU returned.
    fn fault(&mut self, env: &mut MmEnv<'_>, fault: &MemFault) -> FaultOutcome;

    /// The physical address `va` maps to now, without side effects (no TLB, no
    /// allocation): for fault reports and tests.
    fn peek(&self, phys: &PhysMem, va: u64) -> Option<u64>;

    /// Statistics so far.
    fn stats(&self) -> MmStats;
}

/// What every mode's constructor gets.
#[derive(Clone, Copy, Debug)]
pub struct MmParams {
    /// The hart's width.
    pub xlen: Xlen,
    /// Bytes the stack may grow to (Linux's `RLIMIT_STACK`).
    pub stack_size: u64,
    /// Placement policy of the free-list allocator (segmented and base-bounds modes).
    pub fit: Fit,
}

/// Builds the address space of `image` in `mode`: checks the mode fits the width, loads
/// (or prepares to demand-load) the image and programs the MMU registers.
pub fn create(
    mode: MmuMode,
    env: &mut MmEnv<'_>,
    image: &Image,
    params: &MmParams,
) -> Result<Box<dyn AddressSpace>, OsError> {
    if !mode.supports(params.xlen) {
        return Err(OsError::ModeWidth {
            mode,
            bits: params.xlen.bits(),
        });
    }
    let mut space: Box<dyn AddressSpace> = match mode {
        MmuMode::Bare => Box::new(bare::BareSpace::new(env, image, params)?),
        MmuMode::Segmented => Box::new(segmented::SegmentedSpace::new(env, image, params)?),
        MmuMode::BaseBounds => Box::new(basebound::BaseBoundsSpace::new(env, image, params)?),
        MmuMode::Linear | MmuMode::Sv32 | MmuMode::Sv39 | MmuMode::Sv48 | MmuMode::Sv57 => {
            Box::new(paged::PagedSpace::new(mode, env, image, params)?)
        }
    };
    space.activate(env);
    Ok(space)
}
