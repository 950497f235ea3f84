//! The MMU hardware: physical memory, translation modes, TLBs, page-walk caches and their
//! cycle costs. It knows nothing about processes or syscalls and never reads CPU state: every
//! translation is handed an explicit access context.

mod access;
mod bus;
mod phys;

pub use access::{AccessCtx, AccessKind, Privilege};
pub use bus::{Bus, FaultReason, MemFault, SystemBus};
pub use phys::{PhysMem, DEFAULT_PHYS_SIZE, MAX_PHYS_SIZE};
