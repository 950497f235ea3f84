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
        Perms::of_pte(self.0)
    }
    /// Builds a PTE from a PPN and flag bits (a helper for OS code and tests).
    #[inline]
    pub const fn new(ppn: u64, flags: u64) -> Pte {
        Pte((ppn << PTE_PPN_SHIFT) | (flags & 0x3ff))
    }
}

/// The permission bits of a leaf PTE: R, W, X and U, kept at their places in the PTE, so
/// taking them from a PTE is one mask and a TLB entry carries them in one byte.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Perms(u8);

impl Perms {
    /// The PTE bits a `Perms` keeps.
    const BITS: u64 = PTE_R | PTE_W | PTE_X | PTE_U;

    /// The permissions of the PTE `raw` (its other bits ignored).
    #[inline]
    pub const fn of_pte(raw: u64) -> Perms {
        // Every kept bit is below bit 8.
        Perms((raw & Perms::BITS) as u8)
    }

    /// Permissions with R, W, X and U as given.
    pub const fn new(read: bool, write: bool, execute: bool, user: bool) -> Perms {
        Perms::of_pte(
            (read as u64 * PTE_R)
                | (write as u64 * PTE_W)
                | (execute as u64 * PTE_X)
                | (user as u64 * PTE_U),
        )
    }

    /// R.
    #[inline]
    pub const fn read(self) -> bool {
        self.0 as u64 & PTE_R != 0
    }

    /// W.
    #[inline]
    pub const fn write(self) -> bool {
        self.0 as u64 & PTE_W != 0
    }

    /// X.
    #[inline]
    pub const fn execute(self) -> bool {
        self.0 as u64 & PTE_X != 0
    }

    /// U.
    #[inline]
    pub const fn user(self) -> bool {
        self.0 as u64 & PTE_U != 0
    }
}

impl std::fmt::Debug for Perms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Perms")
            .field("read", &self.read())
            .field("write", &self.write())
            .field("execute", &self.execute())
            .field("user", &self.user())
            .finish()
    }
}
