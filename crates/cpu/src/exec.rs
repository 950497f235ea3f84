//! The interpreter: hart state, one `step` per instruction, and the run loop.

use crate::csr::status;
use crate::icache::{Decoded, ICache};
use crate::{Costs, Counters, Exit, Trap, TrapCsrs, Word};
use atlas_isa::{
    AluImmOp, AluOp, BranchOp, CostClass, CsrImmOp, CsrOp, Inst, LoadOp, Reg, ShiftImmOp, StoreOp,
    SystemOp,
};
use atlas_mmu::fastpath::FastFetch;
use atlas_mmu::{AccessCtx, AccessKind, Bus, Privilege};

/// One hart of width `X` (`u32` for RV32, `u64` for RV64).
#[derive(Clone, Debug)]
pub struct Cpu<X: Word> {
    regs: [X; 32],
    pub(crate) pc: X,
    pub(crate) privilege: Privilege,
    pub(crate) csrs: TrapCsrs,
    pub(crate) asid: u16,
    pub(crate) costs: Costs,
    pub(crate) counters: Counters,
    last_jump_from: Option<X>,
    /// Decoded instructions by physical address; `None` when switched off.
    pub(crate) icache: Option<ICache>,
    /// The fast-path entry of the page the hart last fetched from, so that straight-line
    /// fetches on it skip the lookup (each is still counted as a fast-path hit).
    pub(crate) fetch_page: Option<FetchPage>,
    /// Whether loop blocks run as native code where the host has a compiler for them
    /// ([`atlas_jit`]); only host speed differs.
    pub(crate) jit: bool,
}

/// The page a hart executes from, as the bus's fast path holds it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FetchPage {
    /// Virtual address of the page.
    pub va_page: u64,
    pub privilege: Privilege,
    pub asid: u16,
    pub entry: FastFetch,
}

/// Which CSR read-modify-write an instruction performs.
#[derive(Clone, Copy)]
enum CsrRmw {
    Write,
    Set,
    Clear,
}

impl<X: Word> Cpu<X> {
    /// A hart at `pc` in the given privilege, all registers zero.
    pub fn new(pc: u64, privilege: Privilege, costs: Costs) -> Cpu<X> {
        Cpu {
            regs: [X::default(); 32],
            pc: X::from_u64(pc),
            privilege,
            csrs: TrapCsrs::new(),
            asid: 0,
            costs,
            counters: Counters::default(),
            last_jump_from: None,
            icache: Some(ICache::new()),
            fetch_page: None,
            jit: true,
        }
    }

    /// Switches the decoded-instruction cache on (the default) or off. Results, counters and
    /// cycles are the same either way; only host speed differs.
    pub fn set_icache(&mut self, on: bool) {
        self.icache = on.then(ICache::new);
        self.fetch_page = None;
    }

    /// Switches native code for loop blocks on (the default) or off. Like
    /// the decoded-instruction cache (which it needs), it changes no result, counter or
    /// cycle; hosts other than x86-64 never compile and always interpret.
    pub fn set_jit(&mut self, on: bool) {
        self.jit = on;
    }

    /// Whether native loop code is switched on.
    pub fn jit_enabled(&self) -> bool {
        self.jit
    }

    /// Whether the decoded-instruction cache is on.
    pub fn icache_enabled(&self) -> bool {
        self.icache.is_some()
    }

    /// The program counter.
    pub fn pc(&self) -> u64 {
        self.pc.to_u64()
    }

    /// Sets the program counter (truncated to XLEN).
    pub fn set_pc(&mut self, pc: u64) {
        self.pc = X::from_u64(pc);
    }

    /// Register `r`, zero-extended to 64 bits.
    #[inline(always)]
    pub fn reg(&self, r: Reg) -> u64 {
        self.x(r).to_u64()
    }

    /// Register `r`, sign-extended to 64 bits.
    pub fn reg_signed(&self, r: Reg) -> i64 {
        self.x(r).to_i64()
    }

    /// Sets register `r` (truncated to XLEN; writes to `zero` are dropped).
    pub fn set_reg(&mut self, r: Reg, v: u64) {
        self.set_x(r, X::from_u64(v));
    }

    /// The address of the last jump or taken branch, so a fault at a wild target can say
    /// where control came from.
    pub fn last_jump_from(&self) -> Option<u64> {
        self.last_jump_from.map(Word::to_u64)
    }

    /// Notes a jump or taken branch from `pc` (see [`Cpu::last_jump_from`]).
    #[inline(always)]
    pub(crate) fn set_last_jump_from(&mut self, pc: X) {
        self.last_jump_from = Some(pc);
    }

    /// [`Cpu::set_last_jump_from`] if `taken`, by a select rather than a branch (the
    /// branch-over-one op's condition is data-dependent).
    #[inline(always)]
    pub(crate) fn set_last_jump_from_if(&mut self, taken: bool, pc: X) {
        self.last_jump_from = std::hint::select_unpredictable(taken, Some(pc), self.last_jump_from);
    }

    /// The current privilege.
    pub fn privilege(&self) -> Privilege {
        self.privilege
    }

    /// The trap and status registers.
    pub fn csrs(&self) -> &TrapCsrs {
        &self.csrs
    }

    /// The core's counters (core cycles exclude the memory system's own).
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// The cost model in use.
    pub fn costs(&self) -> &Costs {
        &self.costs
    }

    /// Total modelled cycles: the core's plus the memory system's. `rdcycle` reads this.
    pub fn cycles<B: Bus>(&self, bus: &B) -> u64 {
        self.counters.cycles.wrapping_add(bus.cycles())
    }

    /// Charges `cycles` extra (OS work such as syscalls and relocation), counted as core
    /// cycles so the guest's `rdcycle` sees them.
    pub fn charge(&mut self, cycles: u64) {
        self.counters.cycles = self.counters.cycles.wrapping_add(cycles);
    }

    /// Re-reads the ASID from `satp` after software outside the hart (the host-side mini
    /// OS) wrote the MMU registers through the bus, as a `csrw satp` would have updated it.
    pub fn sync_asid<B: Bus>(&mut self, bus: &B) {
        self.asid = bus.asid();
    }

    #[inline(always)]
    pub(crate) fn x(&self, r: Reg) -> X {
        self.regs[usize::from(r.num() & 31)]
    }

    /// The register file, for native loop code ([`atlas_jit::LoopCode::run_with`], which
    /// never writes `zero`), beside what its loads and stores count into.
    pub(crate) fn native_parts(&mut self) -> (&mut [X; 32], &mut Counters, &Costs) {
        (&mut self.regs, &mut self.counters, &self.costs)
    }

    #[inline(always)]
    pub(crate) fn set_x(&mut self, r: Reg, v: X) {
        if r != Reg::Zero {
            self.regs[usize::from(r.num() & 31)] = v;
        }
    }

    /// Sets register `r` of a lowered operation, which is never `zero` (the lowering makes
    /// a write to `zero` a no-op), so the test `set_x` makes is not needed.
    #[inline(always)]
    pub(crate) fn set_x_lowered(&mut self, r: Reg, v: X) {
        self.regs[usize::from(r.num() & 31)] = v;
    }

    #[inline(always)]
    fn ctx(&self, va: X, kind: AccessKind, size: u8) -> AccessCtx {
        let privilege = match kind {
            AccessKind::Fetch => self.privilege,
            AccessKind::Load | AccessKind::Store => self.data_privilege(),
        };
        AccessCtx {
            va: va.to_u64(),
            kind,
            size,
            privilege,
            asid: self.asid,
            pc: self.pc.to_u64(),
        }
    }

    /// The privilege loads and stores are checked with: M-mode with `mstatus.MPRV` set
    /// accesses data with the privilege in `mstatus.MPP`.
    #[inline(always)]
    pub(crate) fn data_privilege(&self) -> Privilege {
        if self.privilege == Privilege::Machine && self.csrs.mstatus & status::MPRV != 0 {
            privilege_from_bits((self.csrs.mstatus & status::MPP) >> status::MPP_SHIFT)
        } else {
            self.privilege
        }
    }

    /// Runs at most `max_insns` instructions; returns why it stopped.
    pub fn run<B: Bus>(&mut self, bus: &mut B, max_insns: u64) -> Exit {
        // The remembered fetch page belongs to the bus of the previous run.
        self.fetch_page = None;
        let mut left = max_insns;
        // Blocks run while the budget holds them; the last few instructions are stepped.
        let mut blocks = true;
        while left != 0 {
            if blocks {
                match self.run_blocks(bus, &mut left) {
                    Ok(fits) => blocks = fits,
                    Err(trap) => return Exit::Trap(trap),
                }
                if left == 0 {
                    break;
                }
            }
            left -= 1;
            if let Err(trap) = self.step(bus) {
                return Exit::Trap(trap);
            }
        }
        Exit::InstructionLimit
    }

    /// Executes one instruction. On a trap the hart's `pc` is the trapping instruction.
    #[inline(always)]
    pub fn step<B: Bus>(&mut self, bus: &mut B) -> Result<(), Trap> {
        let d = self.fetch_decoded(bus)?;
        self.execute_and_retire(bus, d)
    }

    /// Executes the fetched instruction `d` and retires it (an `ecall` or `ebreak` retires
    /// too; any other trap does not).
    #[inline(always)]
    fn execute_and_retire<B: Bus>(&mut self, bus: &mut B, d: Decoded) -> Result<(), Trap> {
        match self.execute(bus, d.inst, d.word) {
            Ok(()) => {
                self.retire(d.class);
                Ok(())
            }
            Err(trap @ (Trap::Ecall { .. } | Trap::Breakpoint)) => {
                self.retire(d.class);
                Err(trap)
            }
            Err(trap) => Err(trap),
        }
    }

    /// Fetches and decodes the instruction at `pc`: through the decoded-instruction cache
    /// when it is on and the bus tracks code writes, else by reading and decoding the word.
    /// Either way the fetch is translated and charged exactly once.
    #[inline(always)]
    fn fetch_decoded<B: Bus>(&mut self, bus: &mut B) -> Result<Decoded, Trap> {
        let pc = self.pc.to_u64();
        // Same page, 4-byte aligned (bits 2..11 masked off), same privilege and ASID: the
        // fetch the remembered entry serves, if the bus still holds it.
        let remembered = match &self.fetch_page {
            Some(page)
                if pc & !0xffc == page.va_page
                    && self.privilege == page.privilege
                    && self.asid == page.asid
                    && bus.fetch_again(&page.entry) =>
            {
                Some(page.entry.pa_base.wrapping_add(pc & 0xfff))
            }
            _ => None,
        };
        if let Some(pa) = remembered {
            return self.decode_at(bus, pa);
        }
        let ctx = self.ctx(self.pc, AccessKind::Fetch, 4);
        if self.icache.is_some() {
            // A misaligned pc may cross a page: that fetch takes the plain path.
            if ctx.va & 3 == 0 && bus.code_watch().is_some() {
                let pa = bus.fetch_pa(ctx).map_err(Trap::Memory)?;
                self.fetch_page = bus.fast_fetch_entry(&ctx).map(|entry| FetchPage {
                    va_page: ctx.va & !0xfff,
                    privilege: ctx.privilege,
                    asid: ctx.asid,
                    entry,
                });
                return self.decode_at(bus, pa);
            }
        }
        let word = bus.fetch(ctx).map_err(Trap::Memory)?;
        Decoded::new(word, X::XLEN).ok_or(Trap::IllegalInstruction { word })
    }

    /// The instruction at physical address `pa` (its fetch already translated and
    /// charged), from the decoded-instruction cache once the bus's code-write notes are
    /// applied.
    #[inline(always)]
    fn decode_at<B: Bus>(&mut self, bus: &mut B, pa: u64) -> Result<Decoded, Trap> {
        if let (Some(icache), Some(watch)) = (self.icache.as_mut(), bus.code_watch()) {
            icache.sync(watch);
            if let Some(d) = icache.get(pa) {
                return Ok(d);
            }
        }
        self.decode_and_cache(bus, pa)
    }

    /// An instruction-cache miss: reads the word at `pa` (already translated and charged),
    /// decodes it and caches it.
    #[cold]
    fn decode_and_cache<B: Bus>(&mut self, bus: &mut B, pa: u64) -> Result<Decoded, Trap> {
        let word = bus.phys().read(pa, 4).map_or(0, |w| w as u32);
        let d = Decoded::new(word, X::XLEN).ok_or(Trap::IllegalInstruction { word })?;
        if let (Some(icache), Some(watch)) = (self.icache.as_mut(), bus.code_watch()) {
            icache.insert(pa, d, watch);
        }
        Ok(d)
    }

    #[inline(always)]
    fn retire(&mut self, class: CostClass) {
        let c = &mut self.counters;
        c.instret = c.instret.wrapping_add(1);
        c.per_class[class as usize] = c.per_class[class as usize].wrapping_add(1);
        c.cycles = c.cycles.wrapping_add(self.costs.of(class));
    }

    /// Takes `trap` as the hardware does: to S-mode if delegated (and not from M), else to
    /// M-mode, saving `pc`, cause and value and jumping to the trap vector. The mini OS
    /// handles user traps on the host instead; this is for guest kernels.
    pub fn enter_trap(&mut self, trap: &Trap) {
        let code = trap.cause().code();
        let delegated = self.csrs.medeleg.checked_shr(code as u32).unwrap_or(0) & 1 != 0;
        let from = self.privilege;
        let pc = self.pc.to_u64();
        let c = &mut self.csrs;
        if delegated && from != Privilege::Machine {
            c.sepc = pc;
            c.scause = code;
            c.stval = trap.tval();
            let sie = c.mstatus & status::SIE != 0;
            c.mstatus &= !(status::SPP | status::SPIE | status::SIE);
            if from == Privilege::Supervisor {
                c.mstatus |= status::SPP;
            }
            if sie {
                c.mstatus |= status::SPIE;
            }
            self.privilege = Privilege::Supervisor;
            self.pc = X::from_u64(c.stvec);
        } else {
            c.mepc = pc;
            c.mcause = code;
            c.mtval = trap.tval();
            let mie = c.mstatus & status::MIE != 0;
            c.mstatus &= !(status::MPP | status::MPIE | status::MIE);
            c.mstatus |= privilege_bits(from) << status::MPP_SHIFT;
            if mie {
                c.mstatus |= status::MPIE;
            }
            self.privilege = Privilege::Machine;
            self.pc = X::from_u64(c.mtvec);
        }
    }

    #[inline(always)]
    fn jump(&mut self, target: X, rd: Reg, link: X) -> Result<(), Trap> {
        if target.to_u64() & 3 != 0 {
            return Err(Trap::MisalignedFetch {
                target: target.to_u64(),
            });
        }
        self.set_x(rd, link);
        self.last_jump_from = Some(self.pc);
        self.pc = target;
        Ok(())
    }

    /// A taken conditional branch to `target`: the jump plus its event and cycles.
    #[inline(always)]
    fn take_branch(&mut self, target: X, next: X) -> Result<(), Trap> {
        self.jump(target, Reg::Zero, next)?;
        let c = &mut self.counters;
        c.taken_branches = c.taken_branches.wrapping_add(1);
        c.cycles = c.cycles.wrapping_add(self.costs.branch_taken);
        Ok(())
    }

    #[inline(always)]
    fn data_access_cost(&mut self, addr: X, size: u8) {
        let c = &mut self.counters;
        c.cycles = c.cycles.wrapping_add(self.costs.memory_latency);
        if addr.to_u64() & u64::from(size - 1) != 0 {
            c.misaligned = c.misaligned.wrapping_add(1);
            c.cycles = c.cycles.wrapping_add(self.costs.misaligned);
        }
    }

    #[inline(always)]
    fn execute<B: Bus>(&mut self, bus: &mut B, inst: Inst, word: u32) -> Result<(), Trap> {
        let pc = self.pc;
        let next = pc.add(X::from_u64(4));
        let imm = |v: i32| X::from_i64(i64::from(v));
        match inst {
            Inst::Lui { rd, imm: v } => self.set_x(rd, imm(v)),
            Inst::Auipc { rd, imm: v } => self.set_x(rd, pc.add(imm(v))),
            Inst::Jal { rd, offset } => return self.jump(pc.add(imm(offset)), rd, next),
            Inst::Jalr { rd, rs1, offset } => {
                let target = self.x(rs1).add(imm(offset)).and(X::from_i64(!1));
                return self.jump(target, rd, next);
            }
            Inst::Branch {
                op,
                rs1,
                rs2,
                offset,
            } => {
                if branch_taken(op, self.x(rs1), self.x(rs2)) {
                    return self.take_branch(pc.add(imm(offset)), next);
                }
            }
            Inst::Load {
                op,
                rd,
                rs1,
                offset,
            } => self.load(bus, op, rd, self.x(rs1).add(imm(offset)))?,
            Inst::Store {
                op,
                rs1,
                rs2,
                offset,
            } => self.store(bus, op, self.x(rs1).add(imm(offset)), self.x(rs2))?,
            Inst::AluImm {
                op,
                rd,
                rs1,
                imm: v,
            } => {
                let r = alu_imm(op, self.x(rs1), imm(v));
                self.set_x(rd, r);
            }
            Inst::ShiftImm { op, rd, rs1, shamt } => {
                let r = shift_imm(op, self.x(rs1), u32::from(shamt));
                self.set_x(rd, r);
            }
            Inst::Alu { op, rd, rs1, rs2 } => {
                let r = alu(op, self.x(rs1), self.x(rs2));
                self.set_x(rd, r);
            }
            Inst::Fence { .. } | Inst::FenceI => {}
            Inst::Csr { op, rd, rs1, csr } => {
                let rmw = match op {
                    CsrOp::Csrrw => CsrRmw::Write,
                    CsrOp::Csrrs => CsrRmw::Set,
                    CsrOp::Csrrc => CsrRmw::Clear,
                };
                let src = self.x(rs1).to_u64();
                self.csr_rmw(bus, rmw, rd, src, rs1 != Reg::Zero, csr, word)?;
            }
            Inst::CsrImm { op, rd, zimm, csr } => {
                let rmw = match op {
                    CsrImmOp::Csrrwi => CsrRmw::Write,
                    CsrImmOp::Csrrsi => CsrRmw::Set,
                    CsrImmOp::Csrrci => CsrRmw::Clear,
                };
                self.csr_rmw(bus, rmw, rd, u64::from(zimm), zimm != 0, csr, word)?;
            }
            Inst::System { op } => return self.system(op, word),
            Inst::SfenceVma { rs1, rs2 } => {
                if self.privilege == Privilege::User {
                    return Err(Trap::IllegalInstruction { word });
                }
                let va = (rs1 != Reg::Zero).then(|| self.x(rs1).to_u64());
                let asid = (rs2 != Reg::Zero).then(|| self.x(rs2).to_u64() as u16);
                bus.sfence_vma(va, asid);
            }
        }
        self.pc = next;
        Ok(())
    }

    /// A load of `op`'s size from `addr` into `rd`. Kept out of line so the run loop's
    /// dispatch of register-only instructions stays small.
    #[inline(never)]
    fn load<B: Bus>(&mut self, bus: &mut B, op: LoadOp, rd: Reg, addr: X) -> Result<(), Trap> {
        let size = match op {
            LoadOp::Lb | LoadOp::Lbu => 1,
            LoadOp::Lh | LoadOp::Lhu => 2,
            LoadOp::Lw | LoadOp::Lwu => 4,
            LoadOp::Ld => 8,
        };
        let raw = bus
            .load(self.ctx(addr, AccessKind::Load, size))
            .map_err(Trap::Memory)?;
        let value = match op {
            LoadOp::Lb => X::from_i64(i64::from(raw as u8 as i8)),
            LoadOp::Lh => X::from_i64(i64::from(raw as u16 as i16)),
            LoadOp::Lw => X::from_i64(i64::from(raw as u32 as i32)),
            LoadOp::Lbu | LoadOp::Lhu | LoadOp::Lwu | LoadOp::Ld => X::from_u64(raw),
        };
        self.data_access_cost(addr, size);
        self.counters.loads = self.counters.loads.wrapping_add(1);
        self.set_x(rd, value);
        Ok(())
    }

    /// A store of `op`'s size of `value` at `addr` (out of line, as [`Cpu::load`]).
    #[inline(never)]
    fn store<B: Bus>(&mut self, bus: &mut B, op: StoreOp, addr: X, value: X) -> Result<(), Trap> {
        let size = match op {
            StoreOp::Sb => 1,
            StoreOp::Sh => 2,
            StoreOp::Sw => 4,
            StoreOp::Sd => 8,
        };
        let ctx = self.ctx(addr, AccessKind::Store, size);
        bus.store(ctx, value.to_u64()).map_err(Trap::Memory)?;
        self.data_access_cost(addr, size);
        self.counters.stores = self.counters.stores.wrapping_add(1);
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn csr_rmw<B: Bus>(
        &mut self,
        bus: &mut B,
        rmw: CsrRmw,
        rd: Reg,
        src: u64,
        src_nonzero: bool,
        csr: u16,
        word: u32,
    ) -> Result<(), Trap> {
        let writes = matches!(rmw, CsrRmw::Write) || src_nonzero;
        let illegal = Trap::IllegalInstruction { word };
        if !self.csr_allowed(csr, writes) {
            return Err(illegal);
        }
        let old = self.read_csr(bus, csr).ok_or(illegal)?;
        if writes {
            let new = match rmw {
                CsrRmw::Write => src,
                CsrRmw::Set => old | src,
                CsrRmw::Clear => old & !src,
            };
            self.write_csr(bus, csr, X::from_u64(new).to_u64())
                .ok_or(illegal)?;
        }
        self.set_x(rd, X::from_u64(old));
        Ok(())
    }

    #[inline(never)]
    fn system(&mut self, op: SystemOp, word: u32) -> Result<(), Trap> {
        let illegal = Err(Trap::IllegalInstruction { word });
        match op {
            SystemOp::Ecall => Err(Trap::Ecall {
                from: self.privilege,
            }),
            SystemOp::Ebreak => Err(Trap::Breakpoint),
            SystemOp::Wfi => {
                if self.privilege == Privilege::User {
                    return illegal;
                }
                self.pc = self.pc.add(X::from_u64(4));
                Ok(())
            }
            SystemOp::Mret => {
                if self.privilege != Privilege::Machine {
                    return illegal;
                }
                let c = &mut self.csrs;
                let mpp = (c.mstatus & status::MPP) >> status::MPP_SHIFT;
                let mpie = c.mstatus & status::MPIE != 0;
                c.mstatus &= !(status::MPP | status::MIE);
                c.mstatus |= status::MPIE;
                if mpie {
                    c.mstatus |= status::MIE;
                }
                if mpp != 3 {
                    c.mstatus &= !status::MPRV;
                }
                self.privilege = privilege_from_bits(mpp);
                self.pc = X::from_u64(c.mepc);
                Ok(())
            }
            SystemOp::Sret => {
                if self.privilege == Privilege::User {
                    return illegal;
                }
                let c = &mut self.csrs;
                let spp = c.mstatus & status::SPP != 0;
                let spie = c.mstatus & status::SPIE != 0;
                c.mstatus &= !(status::SPP | status::SIE | status::MPRV);
                c.mstatus |= status::SPIE;
                if spie {
                    c.mstatus |= status::SIE;
                }
                self.privilege = if spp {
                    Privilege::Supervisor
                } else {
                    Privilege::User
                };
                self.pc = X::from_u64(c.sepc);
                Ok(())
            }
        }
    }
}

/// The two-bit encoding of a privilege in `mstatus.MPP`.
fn privilege_bits(p: Privilege) -> u64 {
    match p {
        Privilege::User => 0,
        Privilege::Supervisor => 1,
        Privilege::Machine => 3,
    }
}

/// The privilege an `MPP` value names (the reserved value 2 reads as U).
fn privilege_from_bits(bits: u64) -> Privilege {
    match bits {
        1 => Privilege::Supervisor,
        3 => Privilege::Machine,
        _ => Privilege::User,
    }
}

/// Whether a conditional branch `op` on `a` and `b` is taken.
#[inline(always)]
pub(crate) fn branch_taken<X: Word>(op: BranchOp, a: X, b: X) -> bool {
    match op {
        BranchOp::Beq => a == b,
        BranchOp::Bne => a != b,
        BranchOp::Blt => a.lt(b),
        BranchOp::Bge => !a.lt(b),
        BranchOp::Bltu => a.ltu(b),
        BranchOp::Bgeu => !a.ltu(b),
    }
}

/// Register-immediate operations (`b` is the sign-extended immediate).
#[inline(always)]
pub(crate) fn alu_imm<X: Word>(op: AluImmOp, a: X, b: X) -> X {
    match op {
        AluImmOp::Addi => a.add(b),
        AluImmOp::Slti => X::from_bool(a.lt(b)),
        AluImmOp::Sltiu => X::from_bool(a.ltu(b)),
        AluImmOp::Xori => a.xor(b),
        AluImmOp::Ori => a.or(b),
        AluImmOp::Andi => a.and(b),
        AluImmOp::Addiw => X::from_u64(crate::ops::addw(a.to_u64(), b.to_u64())),
    }
}

/// Shifts by an immediate amount `s`, including the RV64 word forms.
#[inline(always)]
pub(crate) fn shift_imm<X: Word>(op: ShiftImmOp, a: X, s: u32) -> X {
    let w = |f: fn(u64, u64) -> u64| X::from_u64(f(a.to_u64(), u64::from(s)));
    match op {
        ShiftImmOp::Slli => a.sll(s),
        ShiftImmOp::Srli => a.srl(s),
        ShiftImmOp::Srai => a.sra(s),
        ShiftImmOp::Slliw => w(crate::ops::sllw),
        ShiftImmOp::Srliw => w(crate::ops::srlw),
        ShiftImmOp::Sraiw => w(crate::ops::sraw),
    }
}

/// Register-register operations, including M and the RV64 word forms.
#[inline(always)]
pub(crate) fn alu<X: Word>(op: AluOp, a: X, b: X) -> X {
    use crate::ops;
    let w = |f: fn(u64, u64) -> u64| X::from_u64(f(a.to_u64(), b.to_u64()));
    match op {
        AluOp::Add => a.add(b),
        AluOp::Sub => a.sub(b),
        AluOp::Sll => a.sll(b.shamt()),
        AluOp::Slt => X::from_bool(a.lt(b)),
        AluOp::Sltu => X::from_bool(a.ltu(b)),
        AluOp::Xor => a.xor(b),
        AluOp::Srl => a.srl(b.shamt()),
        AluOp::Sra => a.sra(b.shamt()),
        AluOp::Or => a.or(b),
        AluOp::And => a.and(b),
        AluOp::Addw => w(ops::addw),
        AluOp::Subw => w(ops::subw),
        AluOp::Sllw => w(ops::sllw),
        AluOp::Srlw => w(ops::srlw),
        AluOp::Sraw => w(ops::sraw),
        AluOp::Mul => a.mul(b),
        AluOp::Mulh => a.mulh(b),
        AluOp::Mulhsu => a.mulhsu(b),
        AluOp::Mulhu => a.mulhu(b),
        AluOp::Div => a.div(b),
        AluOp::Divu => a.divu(b),
        AluOp::Rem => a.rem(b),
        AluOp::Remu => a.remu(b),
        AluOp::Mulw => w(ops::mulw),
        AluOp::Divw => w(ops::divw),
        AluOp::Divuw => w(ops::divuw),
        AluOp::Remw => w(ops::remw),
        AluOp::Remuw => w(ops::remuw),
    }
}
