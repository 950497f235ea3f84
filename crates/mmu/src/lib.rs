//! The MMU hardware: physical memory, translation modes, TLBs, page-walk caches and their
//! cycle costs. It knows nothing about processes or syscalls and never reads CPU state: every
//! translation is handed an explicit access context.

mod access;
mod bus;
mod codewatch;
mod phys;

pub mod basebound;
pub mod config;
pub mod fastpath;
pub mod fault;
pub mod format;
pub mod observe;
pub mod policy;
pub mod pte;
pub mod pwc;
pub mod reference;
pub mod regs;
pub mod segment;
pub mod stats;
pub mod tlb;
pub mod translate;
pub mod walker;

pub use access::{AccessCtx, AccessKind, Privilege};
pub use bus::{Bus, DirectMemory, FaultReason, MemFault, SystemBus};
pub use codewatch::CodeWatch;
pub use phys::{advise_huge_pages, prefetch_line, PhysMem, DEFAULT_PHYS_SIZE, MAX_PHYS_SIZE};

pub use config::{Geometry, Latencies, MmuConfig};
pub use fault::{Denied, TranslateFault, TranslateReason};
pub use format::{Format, FormatKind, Satp};
pub use observe::{AccessObserver, Before, Observation};
pub use policy::PolicyKind;
pub use reference::ReferenceTranslator;
pub use regs::{MmuRegs, Mode};
pub use stats::{CycleBreakdown, FlushKind, MmuStats, TlbCounters};
pub use translate::{Resolved, TlbLevel, Translation, Translator};
