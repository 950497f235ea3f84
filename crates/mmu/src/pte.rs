//! Page-table entry bits, shared by every page-table format (RISC-V Sv32/39/48/57 and Atlas's
//! linear teaching format, which reuses the RISC-V PTE layout).

/// Valid.
pub const PTE_V: u64 = 1 << 0;
/// Readable.
pub const PTE_R: u64 = 1 << 1;
/// Writable.
pub const PTE_W: u64 = 1 << 2;
/// Executable.
pub const PTE_X: u64 = 1 << 3;
/// Accessible to U-mode.
pub const PTE_U: u64 = 1 << 4;
/// Global: present in every address space, so it survives ASID flushes.
pub const PTE_G: u64 = 1 << 5;
/// Accessed: set by the hardware on any access.
pub const PTE_A: u64 = 1 << 6;
/// Dirty: set by the hardware on a store.
pub const PTE_D: u64 = 1 << 7;
/// Position of the PPN field.
pub const PTE_PPN_SHIFT: u32 = 10;

/// A page-table entry as read from memory (zero-extended to 64 bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Pte(pub u64);

impl Pte {
    /// V bit.
    #[inline]
    pub const fn valid(self) -> bool {
        self.0 & PTE_V != 0
    }
    /// R bit.
    #[inline]
    pub const fn readable(self) -> bool {
        self.0 & PTE_R != 0
    }
    /// W bit.
    #[inline]
    pub const fn writable(self) -> bool {
        self.0 & PTE_W != 0
    }
    /// X bit.
    #[inline]
    pub const fn executable(self) -> bool {
        self.0 & PTE_X != 0
    }
    /// U bit.
    #[inline]
    pub const fn user(self) -> bool {
        self.0 & PTE_U != 0
    }
    /// G bit.
    #[inline]
    pub const fn global(self) -> bool {
        self.0 & PTE_G != 0
    }
    /// A bit.
    #[inline]
    pub const fn accessed(self) -> bool {
        self.0 & PTE_A != 0
    }
    /// D bit.
    #[inline]
    pub const fn dirty(self) -> bool {
        self.0 & PTE_D != 0
    }
    /// A leaf maps memory (R or X set); otherwise a valid PTE points to the next level.
    #[inline]
    pub const fn is_leaf(self) -> bool {
        self.0 & (PTE_R | PTE_X) != 0
    }
    /// The PPN field, `ppn_bits` wide.
    #[inline]
    pub const fn ppn(self, ppn_bits: u32) -> u64 {
        (self.0 >> PTE_PPN_SHIFT) & ((1u64 << ppn_bits) - 1)
    }
    /// The leaf's permissions, as a TLB entry keeps them.
    #[inline]
    pub const fn perms(self) -> Perms {
        Perms {
            read: self.readable(),
            write: self.writable(),
            execute: self.executable(),
            user: self.user(),
        }
    }
    /// Builds a PTE from a PPN and flag bits (a helper for OS code and tests).
    #[inline]
    pub const fn new(ppn: u64, flags: u64) -> Pte {
        Pte((ppn << PTE_PPN_SHIFT) | (flags & 0x3ff))
    }
}

/// The permission bits of a leaf PTE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Perms {
    /// R.
    pub read: bool,
    /// W.
    pub write: bool,
    /// X.
    pub execute: bool,
    /// U.
    pub user: bool,
}
