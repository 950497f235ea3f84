//! Why a translation failed, as a typed value. It becomes an architectural trap cause only at
//! the trap boundary ([`TranslateReason::cause`]), and it says in words what went wrong.

use crate::access::AccessKind;
use atlas_isa::Cause;
use std::fmt;

/// Which permission check of the spec's step 5 refused the access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Denied {
    /// U-mode touched a page without the U bit.
    SupervisorPage,
    /// S-mode loaded or stored to a U page while `sstatus.SUM` is clear.
    UserPageWithoutSum,
    /// S-mode fetched from a U page (never allowed).
    SupervisorFetchFromUserPage,
    /// Fetch from a page without X.
    NotExecutable,
    /// Load from a page without R (and without X+MXR).
    NotReadable,
    /// Store to a page without W.
    NotWritable,
}

impl Denied {
    /// Words for messages.
    pub const fn describe(self) -> &'static str {
        match self {
            Denied::SupervisorPage => "user access to a supervisor page",
            Denied::UserPageWithoutSum => "supervisor access to a user page with SUM clear",
            Denied::SupervisorFetchFromUserPage => "supervisor fetch from a user page",
            Denied::NotExecutable => "page not executable",
            Denied::NotReadable => "page not readable",
            Denied::NotWritable => "page not writable",
        }
    }
}

/// The typed reason of a failed translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TranslateReason {
    /// The VA's upper bits are not a sign- (Sv39+) or zero- (Sv32, linear) extension.
    NonCanonical {
        /// The offending address.
        va: u64,
    },
    /// Step 2: the PTE's address is beyond physical memory (an access fault).
    PteBeyondMemory {
        /// Level being read.
        level: u32,
        /// Physical address of the PTE.
        pte_addr: u64,
    },
    /// Step 3: V clear.
    NotValid {
        /// Level of the PTE.
        level: u32,
    },
    /// Step 3: W set without R (a reserved encoding).
    WriteWithoutRead {
        /// Level of the PTE.
        level: u32,
    },
    /// Step 3: reserved bits set (N, PBMT, bits 60:54; or A/D/U on a pointer PTE).
    ReservedBits {
        /// Level of the PTE.
        level: u32,
    },
    /// Step 4: a pointer PTE at level 0, so no leaf exists.
    NoLeaf,
    /// Step 5: the leaf refuses the access.
    Permission {
        /// Level of the leaf.
        level: u32,
        /// Which check failed.
        denied: Denied,
    },
    /// Step 6: a superpage leaf whose PPN is not aligned to its size.
    MisalignedSuperpage {
        /// Level of the leaf.
        level: u32,
    },
    /// Step 7 with hardware A/D updates off: A clear, or D clear on a store.
    AccessedDirtyClear {
        /// Level of the leaf.
        level: u32,
    },
    /// Linear format: the VPN is beyond `atlinlen` entries.
    BeyondLinearTable {
        /// The VPN.
        vpn: u64,
        /// Entries in the table.
        len: u64,
    },
    /// Base-bounds: the VA is at or above the bound register.
    OutOfBounds {
        /// The VA (the offset from base).
        va: u64,
        /// The bound register.
        bound: u64,
    },
    /// Base-bounds: base + VA overflows the physical address space.
    BaseOverflow {
        /// The VA.
        va: u64,
        /// The base register.
        base: u64,
    },
    /// Segmented: the VA is beyond the 32-bit segmented address space.
    BeyondSegmentSpace {
        /// The VA.
        va: u64,
    },
    /// Segmented: the selected segment register is not valid.
    SegmentInvalid {
        /// Segment number.
        segment: u8,
    },
    /// Segmented: the offset is outside the segment's bound.
    SegmentOutOfBounds {
        /// Segment number.
        segment: u8,
        /// Offset within the segment (for a grows-down segment, the size of the negative
        /// offset, as OSTEP computes it).
        offset: u64,
        /// Segment size.
        bound: u64,
        /// Whether the segment grows down.
        grows_down: bool,
    },
    /// Segmented: the segment's R/W/X flags refuse the access.
    SegmentProtection {
        /// Segment number.
        segment: u8,
        /// The refused access.
        kind: AccessKind,
    },
}

impl TranslateReason {
    /// Every reason's short name, in [`TranslateReason::index`] order (for counters and JSON).
    pub const NAMES: [&'static str; 16] = [
        "non_canonical",
        "pte_beyond_memory",
        "not_valid",
        "write_without_read",
        "reserved_bits",
        "no_leaf",
        "permission",
        "misaligned_superpage",
        "accessed_dirty_clear",
        "beyond_linear_table",
        "out_of_bounds",
        "base_overflow",
        "beyond_segment_space",
        "segment_invalid",
        "segment_out_of_bounds",
        "segment_protection",
    ];

    /// Position of this reason's name in [`TranslateReason::NAMES`].
    pub const fn index(&self) -> usize {
        match self {
            TranslateReason::NonCanonical { .. } => 0,
            TranslateReason::PteBeyondMemory { .. } => 1,
            TranslateReason::NotValid { .. } => 2,
            TranslateReason::WriteWithoutRead { .. } => 3,
            TranslateReason::ReservedBits { .. } => 4,
            TranslateReason::NoLeaf => 5,
            TranslateReason::Permission { .. } => 6,
            TranslateReason::MisalignedSuperpage { .. } => 7,
            TranslateReason::AccessedDirtyClear { .. } => 8,
            TranslateReason::BeyondLinearTable { .. } => 9,
            TranslateReason::OutOfBounds { .. } => 10,
            TranslateReason::BaseOverflow { .. } => 11,
            TranslateReason::BeyondSegmentSpace { .. } => 12,
            TranslateReason::SegmentInvalid { .. } => 13,
            TranslateReason::SegmentOutOfBounds { .. } => 14,
            TranslateReason::SegmentProtection { .. } => 15,
        }
    }

    /// Whether the hardware reports this as an access fault (a physical check failed: the
    /// spec's step 2, or the base-bounds and segment checks, which play PMP's role) rather
    /// than a page fault.
    pub const fn is_access_fault(&self) -> bool {
        matches!(
            self,
            TranslateReason::PteBeyondMemory { .. }
                | TranslateReason::OutOfBounds { .. }
                | TranslateReason::BaseOverflow { .. }
                | TranslateReason::BeyondSegmentSpace { .. }
                | TranslateReason::SegmentInvalid { .. }
                | TranslateReason::SegmentOutOfBounds { .. }
                | TranslateReason::SegmentProtection { .. }
        )
    }

    /// The trap cause for an access of `kind`: 12/13/15 for page faults, 1/5/7 for access
    /// faults.
    pub const fn cause(&self, kind: AccessKind) -> Cause {
        match (self.is_access_fault(), kind) {
            (false, AccessKind::Fetch) => Cause::FetchPageFault,
            (false, AccessKind::Load) => Cause::LoadPageFault,
            (false, AccessKind::Store) => Cause::StorePageFault,
            (true, AccessKind::Fetch) => Cause::FetchAccess,
            (true, AccessKind::Load) => Cause::LoadAccess,
            (true, AccessKind::Store) => Cause::StoreAccess,
        }
    }
}

impl fmt::Display for TranslateReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            TranslateReason::NonCanonical { va } => {
                write!(f, "page fault: virtual address {va:#x} is not canonical")
            }
            TranslateReason::PteBeyondMemory { level, pte_addr } => write!(
                f,
                "access fault: PTE at level {level} is at {pte_addr:#x}, beyond physical memory"
            ),
            TranslateReason::NotValid { level } => {
                write!(f, "page fault: PTE at level {level} not valid")
            }
            TranslateReason::WriteWithoutRead { level } => {
                write!(
                    f,
                    "page fault: PTE at level {level} is writable but not readable"
                )
            }
            TranslateReason::ReservedBits { level } => {
                write!(f, "page fault: PTE at level {level} has reserved bits set")
            }
            TranslateReason::NoLeaf => {
                write!(f, "page fault: PTE at level 0 points to another table")
            }
            TranslateReason::Permission { level, denied } => {
                write!(
                    f,
                    "page fault: {} (leaf PTE at level {level})",
                    denied.describe()
                )
            }
            TranslateReason::MisalignedSuperpage { level } => {
                write!(
                    f,
                    "page fault: misaligned superpage (leaf PTE at level {level})"
                )
            }
            TranslateReason::AccessedDirtyClear { level } => write!(
                f,
                "page fault: A or D bit clear in the leaf PTE at level {level} \
                 (hardware A/D updates off)"
            ),
            TranslateReason::BeyondLinearTable { vpn, len } => write!(
                f,
                "page fault: virtual page {vpn:#x} beyond the linear page table of {len:#x} entries"
            ),
            TranslateReason::OutOfBounds { va, bound } => {
                write!(
                    f,
                    "bounds violation: address {va:#x} not below bound {bound:#x}"
                )
            }
            TranslateReason::BaseOverflow { va, base } => {
                write!(
                    f,
                    "bounds violation: base {base:#x} + address {va:#x} overflows"
                )
            }
            TranslateReason::BeyondSegmentSpace { va } => write!(
                f,
                "segmentation violation: address {va:#x} beyond the 32-bit segmented address space"
            ),
            TranslateReason::SegmentInvalid { segment } => {
                write!(f, "segmentation violation: segment {segment} is not valid")
            }
            TranslateReason::SegmentOutOfBounds {
                segment,
                offset,
                bound,
                grows_down,
            } => {
                let sign = if grows_down {
                    "negative offset -"
                } else {
                    "offset "
                };
                write!(
                    f,
                    "segmentation violation: {sign}{offset:#x} beyond bound {bound:#x} \
                     of segment {segment}"
                )
            }
            TranslateReason::SegmentProtection { segment, kind } => write!(
                f,
                "segmentation violation: {} not permitted in segment {segment}",
                kind.name()
            ),
        }
    }
}

/// A failed translation: why, and the translation cycles spent finding out (a walk that
/// faults still read its PTEs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TranslateFault {
    /// Why.
    pub reason: TranslateReason,
    /// Cycles charged to translation before the fault.
    pub cycles: u64,
}

impl TranslateFault {
    /// The trap cause for an access of `kind` (see [`TranslateReason::cause`]).
    pub const fn cause(&self, kind: AccessKind) -> Cause {
        self.reason.cause(kind)
    }
}

impl fmt::Display for TranslateFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.reason.fmt(f)
    }
}

impl std::error::Error for TranslateFault {}
