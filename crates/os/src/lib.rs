//! The mini OS: builds a process's address space in the chosen MMU mode (see [`mm`]),
//! builds a Linux-style initial stack, runs the hart, serves its system calls on the host
//! and resolves its translation faults (demand paging, stack growth).
//!
//! Guest events come back from the CPU as values; this crate decides what they mean
//! (a syscall, the end of the process, a fatal fault) and reports the run.

pub mod mm;
mod process;
pub mod stack;
pub mod syscall;

pub use mm::{Fit, MmStats, MmuMode, OsCosts};
pub use process::Process;
pub use syscall::{CapturedIo, GuestIo, LinuxBasics, Outcome, SyscallArgs, SyscallEnv, Syscalls};

use atlas_asm::Image;
use atlas_cpu::{Costs, Counters, Trap};
use atlas_isa::Xlen;
use atlas_mmu::{AccessObserver, MmuConfig, MmuStats, DEFAULT_PHYS_SIZE};
use std::collections::BTreeMap;

/// Default instruction limit: ten billion, minutes of guest time, so a runaway guest
/// always stops.
pub const DEFAULT_MAX_INSNS: u64 = 10_000_000_000;

/// Default stack limit: the stack may grow this far below its top (Linux's default
/// `RLIMIT_STACK`); the heap and mappings stay below it.
pub const DEFAULT_STACK_SIZE: u64 = 8 << 20;

/// How to run a process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OsConfig {
    /// Physical memory size in bytes.
    pub phys_mem: u64,
    /// Instructions after which the run stops with [`ExitReason::InstructionLimit`].
    pub max_insns: u64,
    /// The core's cycle costs.
    pub costs: Costs,
    /// Bytes the stack may grow to below its top.
    pub stack_size: u64,
    /// The MMU mode; `None` is the width's default ([`MmuMode::default_for`]: Sv39 on
    /// RV64, Sv32 on RV32).
    pub mmu_mode: Option<MmuMode>,
    /// Cycles charged for the OS's work.
    pub os_costs: OsCosts,
    /// Placement policy of the segment allocator (segmented and base-bounds modes).
    pub fit: Fit,
    /// `argv`, including `argv[0]`.
    pub args: Vec<String>,
    /// The environment (`NAME=value` strings); empty by default, for determinism.
    pub env: Vec<String>,
    /// The translation hardware (TLBs, page-walk caches, latencies).
    pub mmu: MmuConfig,
    /// Serve translations that a modelled L1 hit would not change from the host-side fast
    /// path. Host speed only: every count and cycle is the same either way.
    pub fast_path: bool,
    /// Run loop blocks as native host code where the host has a compiler for them
    /// (x86-64). Host speed only, as `fast_path`.
    pub jit: bool,
}

impl Default for OsConfig {
    fn default() -> OsConfig {
        OsConfig {
            phys_mem: DEFAULT_PHYS_SIZE,
            max_insns: DEFAULT_MAX_INSNS,
            costs: Costs::default(),
            stack_size: DEFAULT_STACK_SIZE,
            mmu_mode: None,
            os_costs: OsCosts::default(),
            fit: Fit::First,
            args: vec!["prog".to_string()],
            env: Vec::new(),
            mmu: MmuConfig::default(),
            fast_path: true,
            jit: true,
        }
    }
}

/// A host-side failure to start the program (not a guest event).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OsError {
    /// Physical memory could not be allocated.
    #[error("physical memory: {0}")]
    Memory(String),
    /// The machine configuration is invalid.
    #[error("machine configuration: {0}")]
    Machine(String),
    /// A segment does not fit in physical memory (bare mode loads at VA = PA).
    #[error(
        "segment {name} at {vaddr:#x} (size {size:#x}) does not fit in physical memory of \
         {phys:#x} bytes (in bare mode, addresses are physical; try --phys-mem)"
    )]
    SegmentOutsideMemory {
        /// Segment name.
        name: String,
        /// Its load address.
        vaddr: u64,
        /// Its size in memory.
        size: u64,
        /// Physical memory size.
        phys: u64,
    },
    /// The image reaches into the stack area.
    #[error("the program image ends at {end:#x}, inside the stack area starting at {stack:#x}")]
    ImageOverlapsStack {
        /// One past the image.
        end: u64,
        /// Lowest stack address.
        stack: u64,
    },
    /// Arguments and environment do not fit on the stack.
    #[error("the arguments and environment do not fit on the stack")]
    StackTooSmall,
    /// The mode does not exist at this width.
    #[error(
        "--mmu {mode} is not available on RV{bits} (linear and sv32 are RV32 modes; sv39, \
         sv48 and sv57 RV64 modes)"
    )]
    ModeWidth {
        /// The mode asked for.
        mode: MmuMode,
        /// The width.
        bits: u32,
    },
    /// The program cannot even be started in this much physical memory.
    #[error("out of physical memory while loading: {0} (try a larger --phys-mem)")]
    OutOfMemory(String),
    /// The image cannot be placed in this mode's address space.
    #[error("the image does not fit the {mode} address space: {reason}")]
    Layout {
        /// The mode.
        mode: MmuMode,
        /// Why, in words.
        reason: String,
    },
}

/// Why the process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitReason {
    /// `exit` or `exit_group` with this status.
    Exited(i32),
    /// The instruction limit was reached.
    InstructionLimit,
    /// A trap the OS treats as fatal (the process is killed).
    Fault {
        /// The trap.
        trap: Trap,
        /// PC of the trapping instruction.
        pc: u64,
        /// The instruction word at `pc`, if it could be read.
        word: Option<u32>,
        /// The address of the last jump or taken branch, if any: where control came from.
        jumped_from: Option<u64>,
    },
    /// Physical memory ran out while serving a fault: the process is killed, as Linux's
    /// out-of-memory killer would ([`RunReport::os_reason`] says what was needed).
    OutOfMemory {
        /// PC of the faulting instruction.
        pc: u64,
        /// The address whose page could not be allocated.
        va: u64,
    },
}

/// What happened during a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunReport {
    /// How the process ended.
    pub exit: ExitReason,
    /// Register width.
    pub xlen: Xlen,
    /// The core's counters.
    pub counters: Counters,
    /// Cycles charged by the memory system (translation).
    pub memory_cycles: u64,
    /// Total modelled cycles (core + memory system).
    pub cycles: u64,
    /// System calls made.
    pub syscalls: u64,
    /// Unserved syscall numbers (answered `-ENOSYS`) with how often each was made.
    pub unknown_syscalls: BTreeMap<u64, u64>,
    /// The final program break.
    pub brk: u64,
    /// The translation hardware's counters and cycle breakdown.
    pub mmu: MmuStats,
    /// The MMU mode the process ran in.
    pub mode: MmuMode,
    /// For a fault the OS could not serve or an out-of-memory end: the mode-specific
    /// reason in words ("no mapping for 0x40000 (after munmap)", "store to a read-only
    /// page").
    pub os_reason: Option<String>,
    /// Cycles charged for OS work (syscalls, faults, page-table writes, zeroing, copying);
    /// included in `counters.cycles`.
    pub os_cycles: u64,
    /// Translation faults the OS handled (resolved or fatal).
    pub faults: u64,
    /// Memory-management statistics.
    pub mm: MmStats,
}

/// Loads `image` and runs it to the end under `config`, with the guest's streams on `io`.
pub fn run_image(
    image: &Image,
    config: &OsConfig,
    io: &mut GuestIo<'_>,
) -> Result<RunReport, OsError> {
    match image.xlen {
        Xlen::X32 => Ok(Process::<u32>::load(image, config)?.run_to_end(io, config.max_insns)),
        Xlen::X64 => Ok(Process::<u64>::load(image, config)?.run_to_end(io, config.max_insns)),
    }
}

/// [`run_image`] with `observer` told of every translation and flush (for profilers and
/// tracers); hands the observer back with the report.
pub fn run_image_observed(
    image: &Image,
    config: &OsConfig,
    io: &mut GuestIo<'_>,
    observer: Box<dyn AccessObserver>,
) -> Result<(RunReport, Option<Box<dyn AccessObserver>>), OsError> {
    fn run<X: atlas_cpu::Word>(
        image: &Image,
        config: &OsConfig,
        io: &mut GuestIo<'_>,
        observer: Box<dyn AccessObserver>,
    ) -> Result<(RunReport, Option<Box<dyn AccessObserver>>), OsError> {
        let mut process = Process::<X>::load(image, config)?;
        process.bus_mut().set_observer(Some(observer));
        let exit = process.run(io, config.max_insns);
        let observer = process.bus_mut().take_observer();
        Ok((process.report(exit), observer))
    }
    match image.xlen {
        Xlen::X32 => run::<u32>(image, config, io, observer),
        Xlen::X64 => run::<u64>(image, config, io, observer),
    }
}

#[cfg(test)]
mod tests;
