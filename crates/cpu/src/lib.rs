//! The hart: RV32IM / RV64IM + Zicsr + Zifencei, one interpreter generic over the register
//! width, with privilege modes, trap CSRs and the cycle model.
//!
//! Guest events (ecall, illegal instruction, faults) come back from [`Cpu::run`] as values
//! ([`Exit`], [`Trap`]) for the OS to handle; the CPU reaches memory only through an
//! [`atlas_mmu::Bus`] and never decides translation itself.

mod block;
mod cost;
mod csr;
mod exec;
mod hot;
mod icache;
mod native;
pub mod ops;
mod trap;
mod word;

pub use cost::{Costs, Counters, CLASSES, DEFAULT_MEMORY_LATENCY};
pub use csr::{status, TrapCsrs};
pub use exec::Cpu;
pub use trap::{Exit, Trap};
pub use word::Word;

#[cfg(test)]
mod jit_tests;
#[cfg(test)]
mod tests;
