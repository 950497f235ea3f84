//! The mini OS, first part: loads a program image into physical memory (bare mode), builds
//! a Linux-style initial stack, runs the hart, and serves its system calls on the host.
//!
//! Guest events come back from the CPU as values; this crate decides what they mean
//! (a syscall, the end of the process, a fatal fault) and reports the run.

pub mod stack;
pub mod syscall;

pub use syscall::{GuestIo, LinuxBasics, Outcome, SyscallArgs, SyscallEnv, Syscalls};

use atlas_asm::Image;
use atlas_cpu::{Costs, Counters, Cpu, Exit, Trap, Word};
use atlas_isa::{errno, Reg, Xlen};
use atlas_mmu::{Bus, PhysMem, Privilege, SystemBus, DEFAULT_PHYS_SIZE};
use std::collections::BTreeMap;

/// Default instruction limit: ten billion, minutes of guest time, so a runaway guest
/// always stops.
pub const DEFAULT_MAX_INSNS: u64 = 10_000_000_000;

/// Default stack size reserved below the top of the address space (heap stops below it).
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
    /// Bytes reserved for the stack below its top.
    pub stack_size: u64,
    /// `argv`, including `argv[0]`.
    pub args: Vec<String>,
    /// The environment (`NAME=value` strings); empty by default, for determinism.
    pub env: Vec<String>,
}

impl Default for OsConfig {
    fn default() -> OsConfig {
        OsConfig {
            phys_mem: DEFAULT_PHYS_SIZE,
            max_insns: DEFAULT_MAX_INSNS,
            costs: Costs::default(),
            stack_size: DEFAULT_STACK_SIZE,
            args: vec!["prog".to_string()],
            env: Vec::new(),
        }
    }
}

/// A host-side failure to start the program (not a guest event).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OsError {
    /// Physical memory could not be allocated.
    #[error("physical memory: {0}")]
    Memory(String),
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
}

/// Loads `image` and runs it to the end under `config`, with the guest's streams on `io`.
pub fn run_image(
    image: &Image,
    config: &OsConfig,
    io: &mut GuestIo<'_>,
) -> Result<RunReport, OsError> {
    match image.xlen {
        Xlen::X32 => run_width::<u32>(image, config, io),
        Xlen::X64 => run_width::<u64>(image, config, io),
    }
}

/// Copies the segments into physical memory (bare mode: PA = VA).
fn load(mem: &mut PhysMem, image: &Image) -> Result<(), OsError> {
    let phys = mem.size();
    for seg in &image.segments {
        let outside = || OsError::SegmentOutsideMemory {
            name: seg.name.clone(),
            vaddr: seg.vaddr,
            size: seg.mem_size,
            phys,
        };
        let size = seg.mem_size.max(seg.data.len() as u64);
        let dst = mem.slice_mut(seg.vaddr, size).ok_or_else(outside)?;
        let (init, bss) = dst.split_at_mut(seg.data.len());
        init.copy_from_slice(&seg.data);
        bss.fill(0);
    }
    Ok(())
}

fn run_width<X: Word>(
    image: &Image,
    config: &OsConfig,
    io: &mut GuestIo<'_>,
) -> Result<RunReport, OsError> {
    let mut phys = PhysMem::new(config.phys_mem).map_err(OsError::Memory)?;
    load(&mut phys, image)?;
    // The stack sits at the top of physical memory (or of the 32-bit address space).
    let top_limit = match X::XLEN {
        Xlen::X32 => 1u64 << 32,
        Xlen::X64 => u64::MAX,
    };
    let stack_top = phys.size().min(top_limit) & !15;
    let stack_bottom = stack_top.saturating_sub(config.stack_size);
    let image_end = image.end();
    if image_end > stack_bottom {
        return Err(OsError::ImageOverlapsStack {
            end: image_end,
            stack: stack_bottom,
        });
    }
    let sp = stack::build(&mut phys, X::XLEN, stack_top, &config.args, &config.env)?;
    let brk_start = image_end
        .next_multiple_of(stack::PAGE_SIZE)
        .min(stack_bottom);

    let mut bus = SystemBus::new(phys);
    let mut cpu = Cpu::<X>::new(image.entry, Privilege::User, config.costs);
    cpu.set_reg(Reg::Sp, sp);
    let mut linux = LinuxBasics::new(brk_start, stack_bottom);
    let mut syscalls = 0u64;
    let mut unknown = BTreeMap::new();

    let exit = loop {
        let remaining = config.max_insns.saturating_sub(cpu.counters().instret);
        if remaining == 0 {
            break ExitReason::InstructionLimit;
        }
        match cpu.run(&mut bus, remaining) {
            Exit::InstructionLimit => break ExitReason::InstructionLimit,
            Exit::Trap(Trap::Ecall { .. }) => {
                syscalls += 1;
                let call = SyscallArgs {
                    nr: cpu.reg(Reg::A7),
                    args: [Reg::A0, Reg::A1, Reg::A2, Reg::A3, Reg::A4, Reg::A5]
                        .map(|r| cpu.reg(r)),
                };
                let mut env = SyscallEnv {
                    bus: &mut bus,
                    io,
                    xlen: X::XLEN,
                };
                let outcome = linux.handle(&call, &mut env).unwrap_or_else(|| {
                    *unknown.entry(call.nr).or_insert(0u64) += 1;
                    Outcome::Return(syscall::neg_errno(errno::ENOSYS))
                });
                match outcome {
                    Outcome::Return(v) => {
                        cpu.set_reg(Reg::A0, v);
                        cpu.set_pc(cpu.pc().wrapping_add(4));
                    }
                    Outcome::Exit(code) => break ExitReason::Exited(code),
                }
            }
            Exit::Trap(trap) => {
                let pc = cpu.pc();
                let word = bus.phys().read(pc, 4).map(|w| w as u32);
                let jumped_from = cpu.last_jump_from();
                break ExitReason::Fault {
                    trap,
                    pc,
                    word,
                    jumped_from,
                };
            }
        }
    };
    let _ = (io.stdout.flush(), io.stderr.flush());
    Ok(RunReport {
        exit,
        xlen: X::XLEN,
        counters: *cpu.counters(),
        memory_cycles: bus.cycles(),
        cycles: cpu.cycles(&bus),
        syscalls,
        unknown_syscalls: unknown,
        brk: linux.brk,
    })
}

#[cfg(test)]
mod tests;
