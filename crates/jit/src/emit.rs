//! The loop compiler: [`LoopOp`]s to x86-64 machine code.
//!
//! The code is one function `(regs: rdi, state: rsi) -> rax`. The guest registers the block
//! uses most live in host registers for the whole call (loaded on entry, stored back on
//! every way out); the rest stay in `regs`, used in place. `rax` and `rcx` are scratch, and
//! `r10` and `r11` too in a block with loads or stores. Each operation becomes a few host
//! instructions computing its result in its destination's host register where x86's
//! two-operand forms allow, else into `rax` and then to its destination. A branch
//! compares and jumps; its taken side counts what the interpreter counts (in `state`) and
//! jumps on, or leaves through a stub that stores the registers back and returns the
//! operation's index. A load or store looks its page up in the fast path's table and, on a
//! hit, reads or writes guest memory itself; otherwise it calls the caller's access function
//! with the guest registers still in host registers (saving the caller-saved ones).

mod alu;
mod memory;

use crate::state_offset as off;
use crate::x86::reg::*;
use crate::x86::{Arith, Asm, Cond, Label, Rm};
use crate::{AluImmOp, AluOp, BranchOp, LoopOp, Reg, ShiftImmOp, Taken, Xlen, MAX_EXITS};
use atlas_mmu::fastpath::FastEntry;
use memory::Access;

/// Host registers that hold guest registers, in the order they are handed out.
const POOL: [u8; 11] = [RBX, RBP, R12, R13, R14, R15, RDX, R8, R9, R10, R11];

/// The callee-saved registers among them, pushed on entry and popped on every way out.
const SAVED: [u8; 6] = [RBX, RBP, R12, R13, R14, R15];

/// What a call of the access function may change that the code needs after it: the
/// caller-saved registers of the pool and the two arguments. (`r10` and `r11` are scratch
/// in blocks with memory operations, but pushed all the same: seven pushes on top of
/// `SAVED` and the return address keep the stack 16-byte aligned at the call.)
const CALL_SAVED: [u8; 7] = [RDI, RSI, RDX, R8, R9, R10, R11];
const _: () = assert!((1 + SAVED.len() + CALL_SAVED.len()).is_multiple_of(2));
const _: () = assert!(FastEntry::SIZE <= i8::MAX as usize);

/// Where a guest register lives while the loop runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Loc {
    /// `zero`: reads as 0, never written.
    Zero,
    Host(u8),
    /// In `regs`, at this byte offset.
    Mem(i32),
}

/// A `LoopState` field.
fn state(offset: usize) -> Rm {
    Rm::Mem {
        base: RSI,
        disp: offset as i32,
    }
}

/// The x86 condition under which `op` is taken after `cmp rs1, rs2`.
fn condition(op: BranchOp) -> Cond {
    match op {
        BranchOp::Beq => Cond::Equal,
        BranchOp::Bne => Cond::NotEqual,
        BranchOp::Blt => Cond::Less,
        BranchOp::Bge => Cond::GreaterEq,
        BranchOp::Bltu => Cond::Below,
        BranchOp::Bgeu => Cond::AboveEq,
    }
}

/// Whether `op` is an RV64 word operation (on the low 32 bits, the result sign-extended).
fn word_op(op: AluOp) -> bool {
    matches!(
        op,
        AluOp::Addw
            | AluOp::Subw
            | AluOp::Sllw
            | AluOp::Srlw
            | AluOp::Sraw
            | AluOp::Mulw
            | AluOp::Divw
            | AluOp::Divuw
            | AluOp::Remw
            | AluOp::Remuw
    )
}

/// Whether `op` computes a register from registers and its immediate alone, in a form this
/// compiler covers for `xlen`.
fn register_only(op: &LoopOp, xlen: Xlen) -> bool {
    let rv64 = xlen == Xlen::X64;
    let bits = if rv64 { 64 } else { 32 };
    match *op {
        // Every ALU operation; the word forms only at RV64.
        LoopOp::Alu { op, .. } => !word_op(op) || rv64,
        LoopOp::AluImm { op, .. } => op != AluImmOp::Addiw || rv64,
        LoopOp::ShiftImm { op, shamt, .. } => match op {
            ShiftImmOp::Slli | ShiftImmOp::Srli | ShiftImmOp::Srai => shamt < bits,
            ShiftImmOp::Slliw | ShiftImmOp::Srliw | ShiftImmOp::Sraiw => rv64 && shamt < 32,
        },
        LoopOp::Lui { .. } | LoopOp::Auipc { .. } => true,
        _ => false,
    }
}

/// How many of `ops` the compiler covers from the start: up to the first operation in a
/// form it does not cover (or through the closing `Fall`), cut before a branch that skips
/// past that point, branches over an operation outside it, or does not count what the
/// block builder counts (a skip passes over exactly the instructions between; a loop
/// branch's run retires every instruction up to it). `None` unless what is covered holds a
/// branch back to the entry, since only a loop pays for the call.
fn covered(ops: &[LoopOp], xlen: Xlen) -> Option<usize> {
    let mut end = ops.len();
    for (i, op) in ops.iter().enumerate() {
        let ok = match *op {
            LoopOp::Nop | LoopOp::Fall => true,
            LoopOp::Branch { exit, .. }
            | LoopOp::BranchOver { exit, .. }
            | LoopOp::JumpBack { exit, .. } => usize::from(exit) < MAX_EXITS,
            LoopOp::Other => false,
            LoopOp::Load { size, .. } | LoopOp::Store { size, .. } => {
                matches!(size, 1 | 2 | 4) || (size == 8 && xlen == Xlen::X64)
            }
            _ => register_only(op, xlen),
        };
        if !ok {
            end = i;
            break;
        }
        if matches!(op, LoopOp::Fall | LoopOp::JumpBack { .. }) {
            end = i + 1;
            break;
        }
    }
    // Cut before any branch whose skip or body reaches past the end; cutting can only
    // shorten what later branches may reach, so repeat until nothing changes.
    loop {
        let cut = ops.iter().take(end).enumerate().find_map(|(i, op)| {
            let inside = match *op {
                LoopOp::Branch {
                    taken: Taken::Skip { to, skipped },
                    ..
                } => {
                    to > i
                        && to < end
                        && ops.get(to) != Some(&LoopOp::Fall)
                        && skipped as usize == to - i - 1
                }
                LoopOp::Branch {
                    taken: Taken::Loop { len },
                    ..
                }
                | LoopOp::JumpBack { len, .. } => len as usize == i + 1,
                LoopOp::BranchOver { skipped, .. } => {
                    skipped == 1
                        && i + 1 < end
                        && ops.get(i + 1).is_some_and(|b| register_only(b, xlen))
                }
                _ => true,
            };
            (!inside).then_some(i)
        });
        match cut {
            Some(i) => end = i,
            None => break,
        }
    }
    let loops = ops.iter().take(end).any(|op| {
        matches!(
            op,
            LoopOp::Branch {
                taken: Taken::Loop { .. },
                ..
            } | LoopOp::JumpBack { .. }
        )
    });
    loops.then_some(end)
}

/// The guest registers an operation reads or writes (`zero` included).
fn regs_of(op: &LoopOp) -> [Reg; 3] {
    let z = Reg::Zero;
    match *op {
        LoopOp::Alu { rd, rs1, rs2, .. } => [rd, rs1, rs2],
        LoopOp::AluImm { rd, rs1, .. } | LoopOp::ShiftImm { rd, rs1, .. } => [rd, rs1, z],
        LoopOp::Lui { rd, .. } | LoopOp::Auipc { rd, .. } => [rd, z, z],
        LoopOp::Branch { rs1, rs2, .. } | LoopOp::BranchOver { rs1, rs2, .. } => [rs1, rs2, z],
        LoopOp::Load { rd, rs1, .. } => [rd, rs1, z],
        LoopOp::Store { rs1, rs2, .. } => [z, rs1, rs2],
        LoopOp::Nop | LoopOp::Fall | LoopOp::JumpBack { .. } | LoopOp::Other => [z, z, z],
    }
}

/// Compiles the part of `ops` the compiler covers (see [`crate::LoopCode::compile`]);
/// returns the code and how many operations it covers.
pub(crate) fn compile(ops: &[LoopOp], len: u32, xlen: Xlen) -> Option<(Vec<u8>, usize)> {
    if len == 0 {
        return None;
    }
    let end = covered(ops, xlen)?;
    let ops = ops.get(..end)?;
    let mut emitter = Emitter::new(ops, xlen);
    emitter.prologue();
    emitter.body(ops, len);
    if !matches!(ops.last(), Some(LoopOp::Fall | LoopOp::JumpBack { .. })) {
        // Past the covered operations: return where the interpreter goes on.
        let past = emitter.op_label(end);
        emitter.asm.bind(past);
        emitter.epilogue(u32::try_from(end).ok()?);
    }
    emitter.stubs();
    Some((emitter.asm.finish()?, end))
}

struct Emitter {
    asm: Asm,
    /// 64-bit operations (RV64) or 32-bit ones (RV32).
    wide: bool,
    locs: [Loc; 32],
    /// (guest register number, host register) of the registers held in host registers.
    held: Vec<(u8, u8)>,
    /// The label of each operation, and one past the last.
    labels: Vec<Label>,
    /// The stubs made so far: what each returns (an operation index and flags), and its
    /// label.
    stubs: Vec<(u32, Label)>,
    /// Whether any branch skips within the block (a skip or a branch over one op): else a
    /// run never skips, and its end need not read or reset `run_skipped`.
    skips: bool,
}

impl Emitter {
    /// Places the block's guest registers: the most used in host registers.
    fn new(ops: &[LoopOp], xlen: Xlen) -> Emitter {
        let wide = xlen == Xlen::X64;
        let size = if wide { 8 } else { 4 };
        let mut uses = [0u32; 32];
        for op in ops {
            for r in regs_of(op) {
                uses[usize::from(r.num() & 31)] += 1;
            }
        }
        let mut order: Vec<u8> = (1..32u8).filter(|&g| uses[usize::from(g)] > 0).collect();
        // Most used first; ties by register number, so the code is the same every time.
        order.sort_by_key(|&g| (std::cmp::Reverse(uses[usize::from(g)]), g));
        let mut locs = [Loc::Zero; 32];
        for (g, loc) in locs.iter_mut().enumerate().skip(1) {
            *loc = Loc::Mem(g as i32 * size);
        }
        // Loads and stores need two more scratch registers: the last two of the pool.
        let memory = ops
            .iter()
            .any(|op| matches!(op, LoopOp::Load { .. } | LoopOp::Store { .. }));
        let pool = POOL
            .get(..POOL.len() - 2 * usize::from(memory))
            .unwrap_or(&[]);
        let held: Vec<(u8, u8)> = order.iter().copied().zip(pool.iter().copied()).collect();
        for &(g, h) in &held {
            locs[usize::from(g)] = Loc::Host(h);
        }
        let skips = ops.iter().any(|op| {
            matches!(
                op,
                LoopOp::Branch {
                    taken: Taken::Skip { .. },
                    ..
                } | LoopOp::BranchOver { .. }
            )
        });
        let mut asm = Asm::new();
        let labels = (0..=ops.len()).map(|_| asm.label()).collect();
        Emitter {
            asm,
            wide,
            locs,
            held,
            labels,
            stubs: Vec::new(),
            skips,
        }
    }

    fn loc(&self, r: Reg) -> Loc {
        self.locs[usize::from(r.num() & 31)]
    }

    fn mem(&self, disp: i32) -> Rm {
        Rm::Mem { base: RDI, disp }
    }

    /// The label of operation `i` (`ops.len()`: just past the last). Out of range, a label
    /// never bound, so that assembling fails instead of jumping anywhere.
    fn op_label(&mut self, i: usize) -> Label {
        match self.labels.get(i) {
            Some(&label) => label,
            None => self.asm.label(),
        }
    }

    /// The label of a stub returning operation `i`'s index with `flags`
    /// ([`crate::stop_flag`]).
    fn stub_with(&mut self, i: usize, flags: u32) -> Option<Label> {
        let value = u32::try_from(i).ok().filter(|&i| i <= 0xffff)? | flags;
        if let Some(&(_, label)) = self.stubs.iter().find(|(v, _)| *v == value) {
            return Some(label);
        }
        let label = self.asm.label();
        self.stubs.push((value, label));
        Some(label)
    }

    /// The label of a stub returning operation `i`'s index.
    fn stub(&mut self, i: usize) -> Option<Label> {
        self.stub_with(i, 0)
    }

    fn prologue(&mut self) {
        for r in SAVED {
            self.asm.push(r);
        }
        for &(g, h) in &self.held.clone() {
            let rm = self.mem(self.guest_offset(g));
            self.asm.load(self.wide, h, rm);
        }
    }

    fn guest_offset(&self, g: u8) -> i32 {
        i32::from(g) * if self.wide { 8 } else { 4 }
    }

    /// Every way out: stores the held registers back, returns `value`.
    fn epilogue(&mut self, value: u32) {
        for &(g, h) in &self.held.clone() {
            let rm = self.mem(self.guest_offset(g));
            self.asm.store(self.wide, rm, h);
        }
        self.asm.mov_imm(false, RAX, value as i32);
        for r in SAVED.iter().rev() {
            self.asm.pop(*r);
        }
        self.asm.ret();
    }

    fn stubs(&mut self) {
        for (value, label) in std::mem::take(&mut self.stubs) {
            self.asm.bind(label);
            self.epilogue(value);
        }
    }

    /// `host = r`.
    fn load(&mut self, host: u8, r: Reg) {
        match self.loc(r) {
            Loc::Zero => self.asm.zero(host),
            Loc::Host(h) => self.asm.load(self.wide, host, Rm::Reg(h)),
            Loc::Mem(d) => self.asm.load(self.wide, host, self.mem(d)),
        }
    }

    /// `r` as an operand, `zero` through `rcx` (zeroed here: `rcx` must be free).
    fn operand(&mut self, r: Reg) -> Rm {
        match self.loc(r) {
            Loc::Zero => {
                self.asm.zero(RCX);
                Rm::Reg(RCX)
            }
            Loc::Host(h) => Rm::Reg(h),
            Loc::Mem(d) => self.mem(d),
        }
    }

    /// `rd = rax` (nothing for `zero`).
    fn store_rax(&mut self, rd: Reg) {
        match self.loc(rd) {
            Loc::Zero => {}
            Loc::Host(h) => self.asm.load(self.wide, h, Rm::Reg(RAX)),
            Loc::Mem(d) => self.asm.store(self.wide, self.mem(d), RAX),
        }
    }

    /// `cmp rs1, rs2`, the left side in a host register (`scratch` unless `rs1` is held);
    /// `scratch` is `rax` or `rcx` and must be free, and the other is left alone.
    fn compare(&mut self, rs1: Reg, rs2: Reg, scratch: u8) {
        let lhs = match self.loc(rs1) {
            Loc::Host(h) => h,
            _ => {
                self.load(scratch, rs1);
                scratch
            }
        };
        match self.loc(rs2) {
            Loc::Zero => self.asm.arith_imm(Arith::Cmp, self.wide, Rm::Reg(lhs), 0),
            Loc::Host(h) => self.asm.arith(Arith::Cmp, self.wide, lhs, Rm::Reg(h)),
            Loc::Mem(d) => self.asm.arith(Arith::Cmp, self.wide, lhs, self.mem(d)),
        }
    }

    /// Adds 1 to the 64-bit state counter at `offset`.
    fn count(&mut self, offset: usize) {
        self.asm.arith_imm(Arith::Add, true, state(offset), 1);
    }

    fn body(&mut self, ops: &[LoopOp], len: u32) {
        // Operations some skip lands on (a branch-over's body, so placed, stays reachable).
        let mut targeted = vec![false; ops.len()];
        for op in ops {
            if let LoopOp::Branch {
                taken: Taken::Skip { to, .. },
                ..
            } = *op
            {
                if let Some(t) = targeted.get_mut(to) {
                    *t = true;
                }
            }
        }
        let mut consumed = vec![false; ops.len()];
        for (i, op) in ops.iter().enumerate() {
            let here = self.op_label(i);
            self.asm.bind(here);
            if consumed[i] {
                continue;
            }
            match *op {
                LoopOp::Nop | LoopOp::Other => {}
                // A jump is not a taken branch, but it is the last jump.
                LoopOp::JumpBack { exit, len: retired } => {
                    self.asm.store_imm(state(off::LAST_TAKEN), i as i32 + 1);
                    self.loop_back(i, usize::from(exit), retired, len);
                }
                LoopOp::Fall => {
                    if let Some(stub) = self.stub(i) {
                        self.asm.jump(stub);
                    }
                }
                LoopOp::Branch {
                    op,
                    rs1,
                    rs2,
                    exit,
                    taken,
                } => self.branch(i, op, rs1, rs2, usize::from(exit), taken, len),
                LoopOp::Load {
                    rd,
                    rs1,
                    imm,
                    size,
                    signed,
                } => self.memory(i, rs1, imm, Access::Load { rd, size, signed }),
                LoopOp::Store {
                    rs1,
                    rs2,
                    imm,
                    size,
                } => self.memory(i, rs1, imm, Access::Store { rs2, size }),
                LoopOp::BranchOver {
                    op, rs1, rs2, exit, ..
                } => {
                    let Some(body) = ops.get(i + 1) else {
                        continue;
                    };
                    self.branch_over(i, op, rs1, rs2, usize::from(exit), body);
                    if targeted.get(i + 1) == Some(&true) {
                        // The body stays in place for the skip landing on it; the
                        // select already ran it, so the straight path jumps past.
                        let past = self.op_label(i + 2);
                        self.asm.jump(past);
                    } else {
                        consumed[i + 1] = true;
                    }
                }
                _ => {
                    if !self.in_place(op) {
                        self.value(op);
                        self.store_rax(regs_of(op)[0]);
                    }
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn branch(
        &mut self,
        i: usize,
        op: BranchOp,
        rs1: Reg,
        rs2: Reg,
        exit: usize,
        taken: Taken,
        len: u32,
    ) {
        let cond = condition(op);
        self.compare(rs1, rs2, RAX);
        if taken == Taken::Leave {
            if let Some(stub) = self.stub(i) {
                self.asm.jump_if(cond, stub);
            }
            return;
        }
        let not_taken = self.asm.label();
        self.asm.jump_if(cond.not(), not_taken);
        self.count(off::TAKEN);
        self.asm.store_imm(state(off::LAST_TAKEN), i as i32 + 1);
        match taken {
            Taken::Leave => {}
            Taken::Skip { to, skipped } => {
                self.count(off::SKIPS + 8 * exit);
                self.asm
                    .arith_imm(Arith::Add, true, state(off::RUN_SKIPPED), skipped as i32);
                let target = self.op_label(to);
                self.asm.jump(target);
            }
            Taken::Loop { len: retired } => self.loop_back(i, exit, retired, len),
        }
        self.asm.bind(not_taken);
    }

    /// The end of a run at op `i`, back to the entry by exit `exit`, retiring `retired`
    /// instructions less those skipped: the next run starts if the budget then still holds
    /// a block of `len`, else the code returns `i` with nothing of the run counted but its
    /// taken branch.
    fn loop_back(&mut self, i: usize, exit: usize, retired: u32, len: u32) {
        // budget - (retired - run_skipped) must still hold a whole block (run_skipped is
        // always 0 in a block without skips).
        self.asm.load(true, RCX, state(off::BUDGET));
        if self.skips {
            self.asm.mov_imm(true, RAX, retired as i32);
            self.asm
                .arith(Arith::Sub, true, RAX, state(off::RUN_SKIPPED));
            self.asm.arith(Arith::Sub, true, RCX, Rm::Reg(RAX));
        } else {
            self.asm
                .arith_imm(Arith::Sub, true, Rm::Reg(RCX), retired as i32);
        }
        self.asm
            .arith_imm(Arith::Cmp, true, Rm::Reg(RCX), len as i32);
        let Some(stub) = self.stub(i) else {
            return;
        };
        self.asm.jump_if(Cond::Below, stub);
        self.asm.store(true, state(off::BUDGET), RCX);
        self.count(off::RUNS + 8 * exit);
        if self.skips {
            self.asm.store_imm(state(off::RUN_SKIPPED), 0);
        }
        let entry = self.op_label(0);
        self.asm.jump(entry);
    }

    /// A branch over `body`, by selects: `body`'s result is kept only if not taken; a
    /// taken branch counts as a taken branch and a skip of one instruction.
    fn branch_over(
        &mut self,
        i: usize,
        op: BranchOp,
        rs1: Reg,
        rs2: Reg,
        exit: usize,
        body: &LoopOp,
    ) {
        let cond = condition(op);
        let rd = regs_of(body)[0];
        self.value(body);
        self.compare(rs1, rs2, RCX);
        let kept = match self.loc(rd) {
            Loc::Host(h) => Some(Rm::Reg(h)),
            Loc::Mem(d) => Some(self.mem(d)),
            Loc::Zero => None,
        };
        if let Some(kept) = kept {
            self.asm.cmov(cond, self.wide, RAX, kept);
        }
        self.store_rax(rd);
        self.asm.set_bool(cond, RCX);
        for offset in [off::TAKEN, off::SKIPS + 8 * exit, off::RUN_SKIPPED] {
            self.asm.add_to(true, state(offset), RCX);
        }
        // last_taken = taken ? i + 1 : last_taken
        self.asm.test(false, RCX);
        self.asm.mov_imm(false, RAX, i as i32 + 1);
        self.asm
            .cmov(Cond::Equal, true, RAX, state(off::LAST_TAKEN));
        self.asm.store(true, state(off::LAST_TAKEN), RAX);
    }
}
