//! A process: one hart and its address space, loaded from an image, run until it exits,
//! faults or spends its instruction budget, with its system calls served and its
//! translation faults resolved on the host.

use crate::mm::{self, AddressSpace, FaultOutcome, MmEnv, MmParams, MmuMode, OsCosts, PAGE};
use crate::syscall::{self, GuestIo, LinuxBasics, Outcome, SyscallArgs, SyscallEnv, Syscalls};
use crate::{stack, ExitReason, OsConfig, OsError, RunReport};
use atlas_asm::Image;
use atlas_cpu::{Cpu, Exit, Trap, Word};
use atlas_isa::{errno, syscall as nr, Reg};
use atlas_mmu::{AccessCtx, AccessKind, Bus, MemFault, PhysMem, Privilege, SystemBus};
use std::collections::BTreeMap;

/// Bytes of a `write` buffer the OS pages in before copying (a longer write is partial, as
/// Linux may return).
const WRITE_PREFAULT: u64 = 1 << 20;
/// Bytes of a `read` buffer the OS pages in (one host read returns at most 64 KiB).
const READ_PREFAULT: u64 = 1 << 16;

/// A loaded program of width `X`, ready to run.
#[derive(Debug)]
pub struct Process<X: Word> {
    cpu: Cpu<X>,
    bus: SystemBus,
    space: Box<dyn AddressSpace>,
    costs: OsCosts,
    linux: LinuxBasics,
    syscalls: u64,
    unknown: BTreeMap<u64, u64>,
    os_cycles: u64,
    faults: u64,
    os_reason: Option<String>,
    /// The last fault resolved: (instructions retired then, pc, va); the same fault again
    /// without progress means the OS's mapping did not help, which must end the run
    /// rather than loop.
    last_resolved: Option<(u64, u64, u64)>,
}

impl<X: Word> Process<X> {
    /// Builds the address space of `image` in the configured MMU mode (default: the
    /// width's, see [`MmuMode::default_for`]), builds the initial stack below its top
    /// (arguments, environment, auxiliary vector) and points the hart at the entry in
    /// U-mode with the MMU registers programmed.
    pub fn load(image: &Image, config: &OsConfig) -> Result<Process<X>, OsError> {
        let mode = config.mmu_mode.unwrap_or(MmuMode::default_for(X::XLEN));
        let phys = PhysMem::new(config.phys_mem).map_err(OsError::Memory)?;
        let mut bus =
            SystemBus::with_mmu(phys, X::XLEN, config.mmu.clone()).map_err(OsError::Machine)?;
        bus.set_fast_path(config.fast_path);
        let params = MmParams {
            xlen: X::XLEN,
            stack_size: config.stack_size,
            fit: config.fit,
        };
        let mut env = MmEnv {
            bus: &mut bus,
            costs: &config.os_costs,
            xlen: X::XLEN,
            cycles: 0,
        };
        let mut space = mm::create(mode, &mut env, image, &params)?;
        let top = space.stack_top();
        let mut failure = None;
        let sp = stack::build_with(
            |va, bytes| match space.write_user(&mut env, va, bytes) {
                Ok(()) => Some(()),
                Err(e) => {
                    failure = Some(e);
                    None
                }
            },
            X::XLEN,
            top,
            &config.args,
            &config.env,
        );
        let sp = match (sp, failure) {
            (Ok(sp), _) => sp,
            (Err(_), Some(reason)) if reason.starts_with("out of physical memory") => {
                return Err(OsError::OutOfMemory(reason))
            }
            (Err(e), _) => return Err(e),
        };
        let mut cpu = Cpu::<X>::new(image.entry, Privilege::User, config.costs);
        cpu.set_jit(config.jit);
        cpu.set_reg(Reg::Sp, sp);
        cpu.sync_asid(&bus);
        Ok(Process {
            cpu,
            bus,
            space,
            costs: config.os_costs,
            linux: LinuxBasics,
            syscalls: 0,
            unknown: BTreeMap::new(),
            os_cycles: 0,
            faults: 0,
            os_reason: None,
            last_resolved: None,
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

    /// The address space.
    pub fn space(&self) -> &dyn AddressSpace {
        self.space.as_ref()
    }

    /// Runs `f` on the address space with an environment over the bus, and charges the
    /// OS cycles it spent to the hart.
    fn with_space<R>(&mut self, f: impl FnOnce(&mut dyn AddressSpace, &mut MmEnv<'_>) -> R) -> R {
        let mut env = MmEnv {
            bus: &mut self.bus,
            costs: &self.costs,
            xlen: X::XLEN,
            cycles: 0,
        };
        let r = f(self.space.as_mut(), &mut env);
        let cycles = env.cycles;
        self.charge(cycles);
        // The OS may have re-programmed `satp` (a new ASID after a relocation, say).
        self.cpu.sync_asid(&self.bus);
        r
    }

    fn charge(&mut self, cycles: u64) {
        self.os_cycles = self.os_cycles.saturating_add(cycles);
        self.cpu.charge(cycles);
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
                Exit::Trap(Trap::Memory(fault)) => {
                    if let Some(exit) = self.memory_fault(&fault) {
                        break exit;
                    }
                }
                Exit::Trap(trap) => break self.fatal(trap),
            }
        };
        let _ = (io.stdout.flush(), io.stderr.flush());
        exit
    }

    /// The ending for a trap the OS does not serve.
    fn fatal(&self, trap: Trap) -> ExitReason {
        let pc = self.cpu.pc();
        let phys = self.bus.phys();
        ExitReason::Fault {
            trap,
            pc,
            word: self
                .space
                .peek(phys, pc)
                .and_then(|pa| phys.read(pa, 4))
                .map(|w| w as u32),
            jumped_from: self.cpu.last_jump_from(),
        }
    }

    /// Lets the address space serve a memory fault; `Some(ending)` if the process dies.
    fn memory_fault(&mut self, fault: &MemFault) -> Option<ExitReason> {
        self.faults += 1;
        let fault_cost = self.costs.fault;
        self.charge(fault_cost);
        let pc = self.cpu.pc();
        let progress = (self.cpu.counters().instret, pc, fault.va);
        let outcome = if self.last_resolved == Some(progress) {
            FaultOutcome::Fatal(format!(
                "the OS mapped {:#x} but the access faulted again ({})",
                fault.va, fault.reason
            ))
        } else {
            self.with_space(|space, env| space.fault(env, fault))
        };
        match outcome {
            FaultOutcome::Resolved => {
                self.last_resolved = Some(progress);
                None
            }
            FaultOutcome::Fatal(reason) => {
                self.os_reason = Some(reason);
                Some(self.fatal(Trap::Memory(*fault)))
            }
            FaultOutcome::OutOfMemory(reason) => {
                self.os_reason = Some(reason);
                Some(ExitReason::OutOfMemory { pc, va: fault.va })
            }
        }
    }

    /// Pages in the user buffer `[va, va + len)` before a copy, as a kernel's
    /// `copy_to_user`/`copy_from_user` would fault pages in; stops at the first page the
    /// OS cannot provide (the copy then reports `EFAULT` or a partial count).
    fn prefault(&mut self, va: u64, len: u64, kind: AccessKind) {
        let end = va.saturating_add(len);
        let mut page = va - va % PAGE;
        while page < end {
            let at = page.max(va);
            let ctx = AccessCtx {
                va: at,
                kind,
                size: 1,
                privilege: Privilege::User,
                asid: self.bus.asid(),
                pc: self.cpu.pc(),
            };
            if let Err(fault) = self.bus.translate(ctx) {
                let outcome = self.with_space(|space, env| space.fault(env, &fault));
                if outcome != FaultOutcome::Resolved {
                    return;
                }
            }
            page = match page.checked_add(PAGE) {
                Some(p) => p,
                None => return,
            };
        }
    }

    /// Serves the system call the hart stopped at; `Some(status)` if the process exits.
    fn syscall(&mut self, io: &mut GuestIo<'_>) -> Option<i32> {
        self.syscalls += 1;
        let cost = self.costs.syscall;
        self.charge(cost);
        let cpu = &self.cpu;
        let call = SyscallArgs {
            nr: cpu.reg(Reg::A7),
            args: [Reg::A0, Reg::A1, Reg::A2, Reg::A3, Reg::A4, Reg::A5].map(|r| cpu.reg(r)),
        };
        let [a0, a1, a2, ..] = call.args;
        match call.nr {
            nr::WRITE if a0 == 1 || a0 == 2 => {
                self.prefault(a1, a2.min(WRITE_PREFAULT), AccessKind::Load)
            }
            nr::READ if a0 == 0 => self.prefault(a1, a2.min(READ_PREFAULT), AccessKind::Store),
            _ => {}
        }
        let memory = self.with_space(|space, env| syscall::memory_call(space, env, &call));
        let outcome = match memory {
            Some(v) => Outcome::Return(v),
            None => {
                let mut env = SyscallEnv {
                    bus: &mut self.bus,
                    io,
                    xlen: X::XLEN,
                };
                let unknown = &mut self.unknown;
                self.linux.handle(&call, &mut env).unwrap_or_else(|| {
                    *unknown.entry(call.nr).or_insert(0) += 1;
                    Outcome::Return(syscall::neg_errno(errno::ENOSYS))
                })
            }
        };
        match outcome {
            Outcome::Return(v) => {
                let cpu = &mut self.cpu;
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
            brk: self.space.program_break(),
            mmu: self.bus.translator().map(|t| t.stats()).unwrap_or_default(),
            mode: self.space.mode(),
            os_reason: self.os_reason.clone(),
            os_cycles: self.os_cycles,
            faults: self.faults,
            mm: self.space.stats(),
        }
    }

    /// Runs to the end (see [`Process::run`]) and reports.
    pub fn run_to_end(mut self, io: &mut GuestIo<'_>, max_insns: u64) -> RunReport {
        let exit = self.run(io, max_insns);
        self.report(exit)
    }
}
