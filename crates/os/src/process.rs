//! A process: one hart and its memory, loaded from an image, run until it exits, faults or
//! spends its instruction budget, with its system calls served on the host.

use crate::syscall::{self, GuestIo, LinuxBasics, Outcome, SyscallArgs, SyscallEnv, Syscalls};
use crate::{stack, ExitReason, OsConfig, OsError, RunReport};
use atlas_asm::Image;
use atlas_cpu::{Cpu, Exit, Trap, Word};
use atlas_isa::{errno, Reg, Xlen};
use atlas_mmu::{Bus, PhysMem, Privilege, SystemBus};
use std::collections::BTreeMap;

/// A loaded program of width `X`, ready to run (bare mode: VA = PA).
#[derive(Debug)]
pub struct Process<X: Word> {
    cpu: Cpu<X>,
    bus: SystemBus,
    linux: LinuxBasics,
    syscalls: u64,
    unknown: BTreeMap<u64, u64>,
}

/// Copies the segments into physical memory (bare mode: PA = VA).
fn load_segments(mem: &mut PhysMem, image: &Image) -> Result<(), OsError> {
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

impl<X: Word> Process<X> {
    /// Loads `image` into a fresh memory of `config.phys_mem` bytes, builds the initial
    /// stack at the top of memory (arguments, environment, auxiliary vector) and points
    /// the hart at the entry in U-mode. The heap starts on the page after the image and may
    /// grow up to the stack's reserved area.
    pub fn load(image: &Image, config: &OsConfig) -> Result<Process<X>, OsError> {
        let mut phys = PhysMem::new(config.phys_mem).map_err(OsError::Memory)?;
        load_segments(&mut phys, image)?;
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
        let mut cpu = Cpu::<X>::new(image.entry, Privilege::User, config.costs);
        cpu.set_reg(Reg::Sp, sp);
        Ok(Process {
            cpu,
            bus: SystemBus::with_mmu(phys, X::XLEN, config.mmu.clone())
                .map_err(OsError::Machine)?,
            linux: LinuxBasics::new(brk_start, stack_bottom),
            syscalls: 0,
            unknown: BTreeMap::new(),
        })
    }

    /// The hart.
    pub fn cpu(&self) -> &Cpu<X> {
        &self.cpu
    }

    /// The hart, mutable (to set registers before a run, for instance).
    pub fn cpu_mut(&mut self) -> &mut Cpu<X> {
        &mut self.cpu
    }

    /// The memory system.
    pub fn bus(&self) -> &SystemBus {
        &self.bus
    }

    /// The memory system, mutable (to install an access observer, for instance).
    pub fn bus_mut(&mut self) -> &mut SystemBus {
        &mut self.bus
    }

    /// Runs until the process exits, faults, or has retired `max_insns` instructions in
    /// total. The process can be resumed after [`ExitReason::InstructionLimit`] with a
    /// larger budget.
    pub fn run(&mut self, io: &mut GuestIo<'_>, max_insns: u64) -> ExitReason {
        let exit = loop {
            let remaining = max_insns.saturating_sub(self.cpu.counters().instret);
            if remaining == 0 {
                break ExitReason::InstructionLimit;
            }
            match self.cpu.run(&mut self.bus, remaining) {
                Exit::InstructionLimit => break ExitReason::InstructionLimit,
                Exit::Trap(Trap::Ecall { .. }) => {
                    if let Some(code) = self.syscall(io) {
                        break ExitReason::Exited(code);
                    }
                }
                Exit::Trap(trap) => {
                    let pc = self.cpu.pc();
                    break ExitReason::Fault {
                        trap,
                        pc,
                        word: self.bus.phys().read(pc, 4).map(|w| w as u32),
                        jumped_from: self.cpu.last_jump_from(),
                    };
                }
            }
        };
        let _ = (io.stdout.flush(), io.stderr.flush());
        exit
    }

    /// Serves the system call the hart stopped at; `Some(status)` if the process exits.
    fn syscall(&mut self, io: &mut GuestIo<'_>) -> Option<i32> {
        self.syscalls += 1;
        let cpu = &mut self.cpu;
        let call = SyscallArgs {
            nr: cpu.reg(Reg::A7),
            args: [Reg::A0, Reg::A1, Reg::A2, Reg::A3, Reg::A4, Reg::A5].map(|r| cpu.reg(r)),
        };
        let mut env = SyscallEnv {
            bus: &mut self.bus,
            io,
            xlen: X::XLEN,
        };
        let unknown = &mut self.unknown;
        let outcome = self.linux.handle(&call, &mut env).unwrap_or_else(|| {
            *unknown.entry(call.nr).or_insert(0) += 1;
            Outcome::Return(syscall::neg_errno(errno::ENOSYS))
        });
        match outcome {
            Outcome::Return(v) => {
                cpu.set_reg(Reg::A0, v);
                cpu.set_pc(cpu.pc().wrapping_add(4));
                None
            }
            Outcome::Exit(code) => Some(code),
        }
    }

    /// What happened so far, with `exit` as the ending.
    pub fn report(&self, exit: ExitReason) -> RunReport {
        RunReport {
            exit,
            xlen: X::XLEN,
            counters: *self.cpu.counters(),
            memory_cycles: self.bus.cycles(),
            cycles: self.cpu.cycles(&self.bus),
            syscalls: self.syscalls,
            unknown_syscalls: self.unknown.clone(),
            brk: self.linux.brk,
            mmu: self
                .bus
                .translator()
                .map(|t| t.stats())
                .unwrap_or_default(),
        }
    }

    /// Runs to the end (see [`Process::run`]) and reports.
    pub fn run_to_end(mut self, io: &mut GuestIo<'_>, max_insns: u64) -> RunReport {
        let exit = self.run(io, max_insns);
        self.report(exit)
    }
}
