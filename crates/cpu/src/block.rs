//! Pre-lowered blocks: the decoded-instruction cache's form for the hot loop.
//!
//! A block is a straight run of instructions from an entry address up to and including its
//! first jump (`jal`, `jalr`), or up to the first instruction a block cannot hold (CSR and
//! system instructions, undecodable words) or the end of the page. Each conditional branch
//! in it is a side exit: taken, it leaves the block; not taken, the block goes on (so an
//! `if` inside a loop does not cut the loop body in two). A taken branch whose target is a
//! later instruction of the same block does not leave it: the run skips ahead, and retires
//! the instructions it passed over fewer (each side exit carries what its skip passes over);
//! a branch over just one register-only instruction runs as one predicated op, without a
//! host branch on the guest's condition ([`Cpu::branch_over`]). Each instruction is lowered to a
//! compact [`Op`] (one operation code, register numbers, one immediate already made relative
//! to the block's entry), and for each way out the block carries how many instructions a run
//! leaving there retires, their class cycles and per-class counts, so the run loop retires a
//! run with one count, summed into the counters when the loop ends.
//!
//! Blocks live in the decoded-instruction cache beside the page's decoded instructions,
//! keyed by physical page and dropped with it on any write to the page, so self-modifying
//! code stays exact. Their semantics are the interpreter's own helpers
//! ([`crate::exec::alu`] and friends), shared with [`crate::Cpu::step`].

use crate::cost::{Costs, Counters};
use crate::exec::{alu, alu_imm, branch_taken, shift_imm};
use crate::hot::{BlockEnv, Exit, Flow};
use crate::{Cpu, Word};
use atlas_isa::{decode, AluImmOp, AluOp, BranchOp, Inst, LoadOp, Reg, ShiftImmOp, StoreOp, Xlen};
use atlas_jit::{LoopCode, LoopOp, Taken};
use atlas_mmu::Bus;
use std::cell::{Cell, OnceCell};
use std::sync::Arc;

mod page;
mod tally;
#[cfg(test)]
mod tests;

pub(crate) use page::BlockPage;

/// Instructions per 4 KiB page.
pub(crate) const SLOTS: usize = 1024;

/// Defines [`OpCode`], the lowering from [`Inst`] and the block executors from lists of
/// operation names per instruction kind (an operation code is named as its operation).
macro_rules! block_ops {
    (
        alu: $($alu:ident),* ;
        alu_imm: $($imm:ident),* ;
        shift_imm: $($sh:ident),* ;
        branch: $($br:ident),* ;
        load: $($ld:ident),* ;
        store: $($st:ident),* ;
        over: $($ov:ident = $ob:ident),* $(;)?
    ) => {
        /// The operation of a lowered instruction.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u8)]
        pub(crate) enum OpCode {
            $($alu,)*
            $($imm,)*
            $($sh,)*
            $($br,)*
            $($ld,)*
            $($st,)*
            $(
                #[doc = concat!("A `", stringify!($ob), "` over one register-only op (the ",
                    "next): see [`Cpu::branch_over`].")]
                $ov,
            )*
            Lui,
            Auipc,
            Jal,
            Jalr,
            /// No effect: fences, and register writes to `zero`.
            Nop,
            /// Not an instruction: ends a block that does not end in a branch or jump; its
            /// immediate is the offset of the next instruction from the entry.
            Fall,
        }

        /// `inst` as the `index`-th op of a block (its address is the entry's plus
        /// `4 * index`), and what it is to the block; `None` if a block cannot hold it.
        fn lower(inst: &Inst, index: usize) -> Option<(Op, Role)> {
            let z = Reg::Zero;
            // pc-relative immediates are made relative to the block's entry.
            let from_entry = |v: i32| {
                i32::try_from(index * 4).ok().and_then(|d| v.checked_add(d))
            };
            let (code, rd, rs1, rs2, imm) = match *inst {
                Inst::Alu { op, rd, rs1, rs2 } => {
                    let code = match op { $(AluOp::$alu => OpCode::$alu,)* };
                    (code, rd, rs1, rs2, 0)
                }
                Inst::AluImm { op, rd, rs1, imm } => {
                    let code = match op { $(AluImmOp::$imm => OpCode::$imm,)* };
                    (code, rd, rs1, z, imm)
                }
                Inst::ShiftImm { op, rd, rs1, shamt } => {
                    let code = match op { $(ShiftImmOp::$sh => OpCode::$sh,)* };
                    (code, rd, rs1, z, i32::from(shamt))
                }
                Inst::Branch { op, rs1, rs2, offset } => {
                    let code = match op { $(BranchOp::$br => OpCode::$br,)* };
                    (code, z, rs1, rs2, from_entry(offset)?)
                }
                Inst::Load { op, rd, rs1, offset } => {
                    let code = match op { $(LoadOp::$ld => OpCode::$ld,)* };
                    (code, rd, rs1, z, offset)
                }
                Inst::Store { op, rs1, rs2, offset } => {
                    let code = match op { $(StoreOp::$st => OpCode::$st,)* };
                    (code, z, rs1, rs2, offset)
                }
                Inst::Lui { rd, imm } => (OpCode::Lui, rd, z, z, imm),
                Inst::Auipc { rd, imm } => (OpCode::Auipc, rd, z, z, from_entry(imm)?),
                Inst::Jal { rd, offset } => (OpCode::Jal, rd, z, z, from_entry(offset)?),
                Inst::Jalr { rd, rs1, offset } => (OpCode::Jalr, rd, rs1, z, offset),
                Inst::Fence { .. } | Inst::FenceI => (OpCode::Nop, z, z, z, 0),
                Inst::Csr { .. }
                | Inst::CsrImm { .. }
                | Inst::System { .. }
                | Inst::SfenceVma { .. } => return None,
            };
            let role = lower_role(code);
            let writes_zero = rd == z
                && matches!(
                    code,
                    $(OpCode::$alu |)* $(OpCode::$imm |)* $(OpCode::$sh |)*
                    OpCode::Lui | OpCode::Auipc
                );
            let code = if writes_zero { OpCode::Nop } else { code };
            Some((Op { code, rd, rs1, rs2, imm }, role))
        }

        /// `ops[i]` of a block with `exits` as the loop compiler takes it
        /// ([`atlas_jit::LoopOp`]); `Other` for an op it never compiles (jumps, but `j`
        /// back to the entry); `None` if `i` is out of range.
        fn loop_op(ops: &[Op], i: usize, exits: &[BlockExit]) -> Option<LoopOp> {
            let &Op { code, rd, rs1, rs2, imm } = ops.get(i)?;
            let exit = rd.num();
            let skipped = || exits.get(usize::from(exit)).map(|e| e.skipped);
            Some(match code {
                $(OpCode::$alu => LoopOp::Alu { op: AluOp::$alu, rd, rs1, rs2 },)*
                $(OpCode::$imm => LoopOp::AluImm { op: AluImmOp::$imm, rd, rs1, imm },)*
                $(OpCode::$sh => {
                    match u32::try_from(imm) {
                        Ok(shamt) => LoopOp::ShiftImm { op: ShiftImmOp::$sh, rd, rs1, shamt },
                        Err(_) => LoopOp::Other,
                    }
                })*
                OpCode::Lui => LoopOp::Lui { rd, imm },
                OpCode::Nop => LoopOp::Nop,
                OpCode::Fall => LoopOp::Fall,
                $(OpCode::$ov => {
                    let skipped = skipped()?;
                    LoopOp::BranchOver { op: BranchOp::$ob, rs1, rs2, exit, skipped }
                })*
                // Taken, as `exec_op` takes it: a skip, a loop, or a way out.
                $(OpCode::$br => {
                    let taken = match skip_target(ops, i, imm) {
                        Some(to) => Taken::Skip { to, skipped: skipped()? },
                        None if imm == 0 => {
                            Taken::Loop { len: exits.get(usize::from(exit))?.len }
                        }
                        None => Taken::Leave,
                    };
                    LoopOp::Branch { op: BranchOp::$br, rs1, rs2, exit, taken }
                })*
                OpCode::Auipc => LoopOp::Auipc { rd, imm },
                // `j` back to the entry; its exit number rides in `rs2`.
                OpCode::Jal if rd == Reg::Zero && imm == 0 => {
                    let exit = rs2.num();
                    LoopOp::JumpBack { exit, len: exits.get(usize::from(exit))?.len }
                }
                $(OpCode::$ld => {
                    let (size, signed) = access_of(OpCode::$ld);
                    LoopOp::Load { rd, rs1, imm, size, signed }
                })*
                $(OpCode::$st => {
                    LoopOp::Store { rs1, rs2, imm, size: access_of(OpCode::$st).0 }
                })*
                OpCode::Jal | OpCode::Jalr => LoopOp::Other,
            })
        }

        /// The branch-over-one op of the branch `code`, if it is a conditional branch.
        fn over(code: OpCode) -> Option<OpCode> {
            match code {
                $(OpCode::$ob => Some(OpCode::$ov),)*
                _ => None,
            }
        }

        /// Whether an op of `code` only writes its `rd` from registers, the pc and its
        /// immediate (no trap, no memory, no control flow), so that its result can be
        /// computed and then kept or dropped.
        fn register_only(code: OpCode) -> bool {
            matches!(
                code,
                $(OpCode::$alu |)* $(OpCode::$imm |)* $(OpCode::$sh |)* OpCode::Lui | OpCode::Auipc
            )
        }

        impl<X: Word> Cpu<X> {
            /// The result of the register-only op `op` of a block entered at `pc`
            /// ([`register_only`] ops; any other reads as the current `rd`).
            #[inline(always)]
            fn register_only_value(&self, op: &Op, pc: X) -> X {
                let imm = || X::from_i64(i64::from(op.imm));
                match op.code {
                    $(OpCode::$alu => alu(AluOp::$alu, self.x(op.rs1), self.x(op.rs2)),)*
                    $(OpCode::$imm => alu_imm(AluImmOp::$imm, self.x(op.rs1), imm()),)*
                    $(OpCode::$sh => shift_imm(ShiftImmOp::$sh, self.x(op.rs1), op.imm as u32),)*
                    OpCode::Lui => imm(),
                    OpCode::Auipc => pc.add(imm()),
                    _ => self.x(op.rd),
                }
            }
        }

        /// What an op of `code` is to its block.
        fn lower_role(code: OpCode) -> Role {
            match code {
                $(OpCode::$br)|* | $(OpCode::$ov)|* => Role::Exit,
                OpCode::Jal | OpCode::Jalr => Role::End,
                _ => Role::Body,
            }
        }

        /// The size of the data access of the load or store `code` and whether a load
        /// sign-extends (none for other operations).
        #[inline(always)]
        pub(crate) const fn access_of(code: OpCode) -> (u8, bool) {
            match code {
                $(OpCode::$ld => {
                    let op = LoadOp::$ld;
                    let size = match op {
                        LoadOp::Lb | LoadOp::Lbu => 1,
                        LoadOp::Lh | LoadOp::Lhu => 2,
                        LoadOp::Lw | LoadOp::Lwu => 4,
                        LoadOp::Ld => 8,
                    };
                    (size, matches!(op, LoadOp::Lb | LoadOp::Lh | LoadOp::Lw))
                })*
                $(OpCode::$st => {
                    let size = match StoreOp::$st {
                        StoreOp::Sb => 1,
                        StoreOp::Sh => 2,
                        StoreOp::Sw => 4,
                        StoreOp::Sd => 8,
                    };
                    (size, false)
                })*
                _ => (0, false),
            }
        }

        impl<X: Word> Cpu<X> {
            /// Executes `op`, the `i`-th op of the block `ops` entered at `pc`, exactly
            /// as `execute` executes its instruction, except that data-access cycles go to
            /// `flow` and taken branches are counted in `taken`. `Some` if the block ends
            /// here: at its end, at a trap, or after a data access that leaves the run's
            /// assumptions unproven (see [`Cpu::after_data_access`]).
            #[allow(clippy::too_many_arguments)]
            #[inline(always)]
            pub(crate) fn exec_op<B: Bus>(
                &mut self,
                bus: &mut B,
                ops: &[Op],
                op: &Op,
                rest: &mut std::slice::Iter<'_, Op>,
                run: &BlockRun<'_>,
                pc: X,
                env: &BlockEnv,
                flow: &mut Flow,
                taken: &mut u64,
            ) -> Option<Exit> {
                let imm = || X::from_i64(i64::from(op.imm));
                let i = || index_in(ops, op);
                let at = || pc.add(X::from_u64(4 * i() as u64));
                let r = match op.code {
                    $(OpCode::$alu => alu(AluOp::$alu, self.x(op.rs1), self.x(op.rs2)),)*
                    $(OpCode::$imm => alu_imm(AluImmOp::$imm, self.x(op.rs1), imm()),)*
                    $(OpCode::$sh => {
                        shift_imm(ShiftImmOp::$sh, self.x(op.rs1), op.imm as u32)
                    })*
                    OpCode::Lui => imm(),
                    OpCode::Auipc => pc.add(imm()),
                    OpCode::Nop => return None,
                    // One copy per size, so the bus's access of that size is a plain copy.
                    $(OpCode::$ld => {
                        const ACCESS: (u8, bool) = access_of(OpCode::$ld);
                        let i = i();
                        return self
                            .block_load::<B, { ACCESS.0 }, { ACCESS.1 }>(bus, ops, i, pc, env, flow);
                    })*
                    $(OpCode::$st => {
                        const ACCESS: (u8, bool) = access_of(OpCode::$st);
                        let i = i();
                        return self.block_store::<B, { ACCESS.0 }>(bus, ops, i, pc, env, flow);
                    })*
                    OpCode::Fall => {
                        flow.exit = op.rd.num();
                        return Some(Exit::Next(pc.add(imm()).to_u64()));
                    }
                    $(OpCode::$ov => {
                        let taken_now = branch_taken(BranchOp::$ob, self.x(op.rs1), self.x(op.rs2));
                        let Some(body) = rest.next() else {
                            return Some(Exit::Stop(i() + 1));
                        };
                        let k = op.rd.num();
                        self.branch_over(taken_now, k, body, pc, at(), run, flow, taken);
                        return None;
                    })*
                    // A branch not taken goes on in the block; taken, it leaves by its exit,
                    // whose number the lowering put in `rd`.
                    $(OpCode::$br => {
                        if !branch_taken(BranchOp::$br, self.x(op.rs1), self.x(op.rs2)) {
                            return None;
                        }
                        let (target, exit) = (pc.add(imm()), op.rd.num());
                        // A target later in this block: go on from there (a skip).
                        if let Some(to) = skip_target(ops, i(), op.imm) {
                            self.set_last_jump_from(at());
                            *taken += 1;
                            return Some(Exit::Skip { to, exit });
                        }
                        // The block's own entry (a loop): its next run may start right here.
                        if op.imm == 0 {
                            self.set_last_jump_from(at());
                            *taken += 1;
                            flow.exit = exit;
                            return Some(Exit::Again);
                        }
                        let exit = self.block_jump(target, at(), None, exit, i(), flow);
                        if let Exit::Next(..) = exit {
                            *taken += 1;
                        }
                        return Some(exit);
                    })*
                    OpCode::Jal => {
                        let (target, link) = (pc.add(imm()), Some(op.rd));
                        let exit = op.rs2.num();
                        return Some(self.block_jump(target, at(), link, exit, i(), flow));
                    }
                    OpCode::Jalr => {
                        let target = self.x(op.rs1).add(imm()).and(X::from_i64(!1));
                        let (link, exit) = (Some(op.rd), op.rs2.num());
                        return Some(self.block_jump(target, at(), link, exit, i(), flow));
                    }
                };
                self.set_x_lowered(op.rd, r);
                None
            }
        }
    };
}

/// The op a taken branch at op `i` with entry-relative target `imm` skips to when the
/// target is a later instruction of the same block (not its closing `Fall`); `None` when
/// the branch leaves the block.
#[inline(always)]
pub(crate) fn skip_target(ops: &[Op], i: usize, imm: i32) -> Option<usize> {
    let offset = u32::try_from(imm).ok().filter(|o| o & 3 == 0)?;
    let to = (offset / 4) as usize;
    (to > i && ops.get(to).is_some_and(|op| op.code != OpCode::Fall)).then_some(to)
}

/// The index of `op` in `ops`, which holds it (computed from the addresses, so the op loop
/// needs no counter).
#[inline(always)]
fn index_in(ops: &[Op], op: &Op) -> usize {
    let offset = (op as *const Op as usize).wrapping_sub(ops.as_ptr() as usize);
    offset / std::mem::size_of::<Op>()
}

/// A lowered instruction (operands a form does not have are `zero` or 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Op {
    /// The operation.
    pub code: OpCode,
    /// Destination; never `zero` for a register-writing ALU operation (those are `Nop`).
    /// A conditional branch and `Fall`, which have none, hold their exit number here.
    pub rd: Reg,
    pub rs1: Reg,
    /// A jump, which has none, holds its exit number here.
    pub rs2: Reg,
    /// The immediate, offset or shift amount; pc-relative ones relative to the entry.
    pub imm: i32,
}

block_ops! {
    alu: Add, Sub, Sll, Slt, Sltu, Xor,
        Srl, Sra, Or, And, Addw, Subw,
        Sllw, Srlw, Sraw, Mul, Mulh,
        Mulhsu, Mulhu, Div, Divu, Rem,
        Remu, Mulw, Divw, Divuw, Remw,
        Remuw;
    alu_imm: Addi, Slti, Sltiu, Xori, Ori,
        Andi, Addiw;
    shift_imm: Slli, Srli, Srai, Slliw, Srliw,
        Sraiw;
    branch: Beq, Bne, Blt, Bge, Bltu, Bgeu;
    load: Lb, Lh, Lw, Ld, Lbu, Lhu, Lwu;
    store: Sb, Sh, Sw, Sd;
    over: BeqOver = Beq, BneOver = Bne, BltOver = Blt, BgeOver = Bge, BltuOver = Bltu,
        BgeuOver = Bgeu;
}

/// The block a run executes, for ops that count into its exits.
pub(crate) struct BlockRun<'a> {
    pub block: &'a Block,
    pub blocks: &'a BlockPage,
    /// The block's index in `blocks`.
    pub index: usize,
}

impl<X: Word> Cpu<X> {
    /// A conditional branch (at `at`, exit number in `branch.rd`) over the one
    /// register-only op `body` after it, without a host branch on the guest's condition:
    /// `body`'s result is computed and kept only if the branch is not taken, and a taken
    /// branch is counted as the skip it is (taken, not retiring `body`), all by selects. A
    /// data-dependent `if` of one instruction (a conditional increment, a min or max) then
    /// costs no host misprediction: intmix's branch, taken on half the passes at random,
    /// took 2.29 s against 1.79 s for the same loop with a branch never taken. Short
    /// forward branches are fused the same way in hardware (SiFive's U7 cores).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn branch_over(
        &mut self,
        taken_now: bool,
        k: u8,
        body: &Op,
        pc: X,
        at: X,
        run: &BlockRun<'_>,
        flow: &mut Flow,
        taken: &mut u64,
    ) {
        let kept = self.x(body.rd);
        let computed = self.register_only_value(body, pc);
        self.set_x_lowered(
            body.rd,
            std::hint::select_unpredictable(taken_now, kept, computed),
        );
        let n = u64::from(taken_now);
        *taken += n;
        self.set_last_jump_from_if(taken_now, at);
        if let Some(exit) = run.block.exit(k) {
            run.blocks.skipped_n(exit, run.index, k, n);
            flow.skipped += n * u64::from(exit.skipped);
        }
    }
}

/// What a lowered instruction is to its block.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Runs and goes on to the next.
    Body,
    /// A conditional branch: leaves the block by a side exit if taken, else goes on.
    Exit,
    /// A jump: ends the block.
    End,
}

/// Side exits a block may have (each conditional branch is one); the branch after the last
/// ends the block.
const MAX_SIDE_EXITS: usize = 31;

/// One way out of a block: after how many of its instructions, and how often it was taken.
#[derive(Clone, Debug)]
pub(crate) struct BlockExit {
    /// Instructions retired by a run that leaves here.
    pub len: u32,
    /// Runs that left here, not yet retired into the counters
    /// ([`BlockPage::retire_runs`]); a cell, so the run loop counts through the reference
    /// it executes the block from.
    runs: Cell<u64>,
    /// For a side exit whose branch targets a later instruction of the block: the
    /// instructions a taken branch skips (it goes on in the block instead of leaving).
    pub skipped: u32,
    /// Taken skips not yet retired: each takes the skipped instructions back out of the
    /// run it was part of.
    skips: Cell<u64>,
}

impl BlockExit {
    /// An exit retiring `len` instructions, not (yet) a skip, not run.
    fn new(len: u32) -> BlockExit {
        BlockExit {
            len,
            runs: Cell::new(0),
            skipped: 0,
            skips: Cell::new(0),
        }
    }
}

/// A block: its ops and its exits.
#[derive(Clone, Debug)]
pub(crate) struct Block {
    /// Its ops, a closing `Fall` included.
    pub ops: Box<[Op]>,
    /// Instructions; 0 if the instruction at the entry cannot start a block.
    pub len: u32,
    /// Its side exits in order (exit `k` is the `k`-th conditional branch, taken), then the
    /// end (its jump, or `Fall`), whose number its op holds too. Never empty.
    exits: Box<[BlockExit]>,
    /// The block as native code: compiled the first time it is asked for, `None` if the
    /// loop compiler does not cover it (see [`Block::native`]).
    native: OnceCell<Option<Arc<LoopCode>>>,
}

impl Block {
    /// Exit `k`.
    #[inline(always)]
    pub fn exit(&self, k: u8) -> Option<&BlockExit> {
        self.exits.get(usize::from(k))
    }

    /// The number of exits (side exits and the end).
    pub fn exit_count(&self) -> usize {
        self.exits.len()
    }

    /// Whether the block has been compiled to native code (without compiling it).
    #[cfg(test)]
    pub fn native_compiled(&self) -> bool {
        self.native.get().is_some_and(Option::is_some)
    }

    /// The block as native code for a hart of width `xlen`, if it is a loop (a branch or `j`
    /// back to its entry) of register-only ops the loop compiler covers on this host.
    #[inline]
    pub fn native(&self, xlen: Xlen) -> Option<&LoopCode> {
        self.native
            .get_or_init(|| {
                let ops = (0..self.ops.len())
                    .map(|i| loop_op(&self.ops, i, &self.exits))
                    .collect::<Option<Vec<LoopOp>>>()?;
                let code = LoopCode::compile(&ops, self.len, xlen).map(Arc::new);
                #[cfg(test)]
                COMPILED.with(|n| n.set(n.get() + u64::from(code.is_some())));
                code
            })
            .as_deref()
    }
}

#[cfg(test)]
thread_local! {
    /// Blocks compiled to native code on this thread, for tests of when compiling pays.
    pub(crate) static COMPILED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}
