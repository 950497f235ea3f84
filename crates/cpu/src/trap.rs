//! Guest events as values: why the interpreter stopped.

use atlas_isa::Cause;
use atlas_mmu::{AccessKind, MemFault, Privilege};
use std::fmt;

/// A synchronous exception raised by the instruction at the hart's `pc`.
///
/// `Ecall` and `Breakpoint` are raised by instructions that have retired (they are counted);
/// every other trap leaves its instruction unexecuted and uncounted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trap {
    /// `ecall`, from the given privilege.
    Ecall {
        /// Privilege the hart was in.
        from: Privilege,
    },
    /// `ebreak`.
    Breakpoint,
    /// A word that is not an instruction, or one not allowed here (a CSR the privilege may
    /// not access, `mret` in U-mode, …).
    IllegalInstruction {
        /// The instruction word.
        word: u32,
    },
    /// A jump or taken branch to an address that is not a multiple of four.
    MisalignedFetch {
        /// The jump target.
        target: u64,
    },
    /// A fetch, load or store the memory system refused (access or page fault).
    Memory(MemFault),
}

impl Trap {
    /// The architectural cause written to `xcause`.
    pub fn cause(&self) -> Cause {
        match self {
            Trap::Ecall {
                from: Privilege::User,
            } => Cause::UserEcall,
            Trap::Ecall {
                from: Privilege::Supervisor,
            } => Cause::SupervisorEcall,
            Trap::Ecall {
                from: Privilege::Machine,
            } => Cause::MachineEcall,
            Trap::Breakpoint => Cause::Breakpoint,
            Trap::IllegalInstruction { .. } => Cause::IllegalInstruction,
            Trap::MisalignedFetch { .. } => Cause::MisalignedFetch,
            Trap::Memory(fault) => match (fault.kind, fault.reason.is_page_fault()) {
                (AccessKind::Fetch, false) => Cause::FetchAccess,
                (AccessKind::Load, false) => Cause::LoadAccess,
                (AccessKind::Store, false) => Cause::StoreAccess,
                (AccessKind::Fetch, true) => Cause::FetchPageFault,
                (AccessKind::Load, true) => Cause::LoadPageFault,
                (AccessKind::Store, true) => Cause::StorePageFault,
            },
        }
    }

    /// The trap value written to `xtval`: the faulting address, the illegal word, or 0.
    pub fn tval(&self) -> u64 {
        match *self {
            Trap::Ecall { .. } | Trap::Breakpoint => 0,
            Trap::IllegalInstruction { word } => u64::from(word),
            Trap::MisalignedFetch { target } => target,
            Trap::Memory(fault) => fault.va,
        }
    }

    /// The address the trap is about, if it is about one.
    pub fn address(&self) -> Option<u64> {
        match *self {
            Trap::MisalignedFetch { target } => Some(target),
            Trap::Memory(fault) => Some(fault.va),
            _ => None,
        }
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trap::Ecall { .. } | Trap::Breakpoint => f.write_str(self.cause().description()),
            Trap::IllegalInstruction { word } => write!(f, "illegal instruction {word:#010x}"),
            Trap::MisalignedFetch { target } => {
                write!(f, "jump target {target:#x} is not a multiple of 4 (instruction address misaligned)")
            }
            Trap::Memory(fault) => write!(f, "{}: {fault}", self.cause().description()),
        }
    }
}

/// Why [`crate::Cpu::run`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// An instruction trapped; the hart's `pc` is the trapping instruction.
    Trap(Trap),
    /// The instruction budget given to `run` is spent.
    InstructionLimit,
}
