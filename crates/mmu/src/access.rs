//! The explicit context of one memory access: everything the MMU needs, so that it never
//! reads CPU state.

/// What the access is for; selects the TLB (instruction or data) and the permission checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccessKind {
    /// Instruction fetch (needs X).
    Fetch,
    /// Data load (needs R, or X with MXR).
    Load,
    /// Data store (needs W; sets D).
    Store,
}

impl AccessKind {
    /// All kinds, in report order.
    pub const ALL: [AccessKind; 3] = [AccessKind::Fetch, AccessKind::Load, AccessKind::Store];

    /// One-letter code used in traces: `I`, `L`, `S`.
    pub const fn letter(self) -> char {
        match self {
            AccessKind::Fetch => 'I',
            AccessKind::Load => 'L',
            AccessKind::Store => 'S',
        }
    }

    /// Lower-case name for reports and JSON keys.
    pub const fn name(self) -> &'static str {
        match self {
            AccessKind::Fetch => "fetch",
            AccessKind::Load => "load",
            AccessKind::Store => "store",
        }
    }
}

/// Privilege level of the access (after MPRV, if a CPU models it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Privilege {
    /// U-mode: guest programs.
    User,
    /// S-mode: the OS.
    Supervisor,
    /// M-mode: never translated.
    Machine,
}

/// One access as the CPU hands it to the MMU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessCtx {
    /// Virtual address of the first byte.
    pub va: u64,
    /// Fetch, load or store.
    pub kind: AccessKind,
    /// Size in bytes: 1, 2, 4 or 8.
    pub size: u8,
    /// Privilege of the access.
    pub privilege: Privilege,
    /// Address-space identifier of the running process.
    pub asid: u16,
    /// PC of the instruction making the access (for profiles and traces).
    pub pc: u64,
}
