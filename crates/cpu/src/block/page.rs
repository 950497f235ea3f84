//! The blocks of one physical page: built on first use from the page's words, found by the
//! slot of their entry instruction, and counting their runs until the run loop retires them.

use super::tally::{BlockCost, ClassTally, ExitCost};
use super::*;

/// The blocks of one physical page, found by the slot of their entry instruction.
pub(crate) struct BlockPage {
    /// Slot of the entry instruction → index into `blocks` plus one (0: none built).
    entries: Box<[u32; SLOTS]>,
    blocks: Vec<Block>,
    /// The cost of each block in `blocks`.
    costs: Vec<BlockCost>,
    /// The blocks and exits whose `runs` are not zero.
    ran: Cell<Vec<(u32, u8)>>,
    /// Whether the page's loops may be compiled to native code (see
    /// [`BlockPage::set_compiles`]).
    compiles: bool,
}

impl Clone for BlockPage {
    fn clone(&self) -> BlockPage {
        let ran = self.ran.take();
        self.ran.set(ran.clone());
        BlockPage {
            entries: self.entries.clone(),
            blocks: self.blocks.clone(),
            costs: self.costs.clone(),
            ran: Cell::new(ran),
            compiles: self.compiles,
        }
    }
}

impl std::fmt::Debug for BlockPage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockPage")
            .field("blocks", &self.blocks.len())
            .finish()
    }
}

impl BlockPage {
    /// A page with no blocks.
    pub fn new() -> BlockPage {
        BlockPage {
            entries: Box::new([0; SLOTS]),
            blocks: Vec::new(),
            costs: Vec::new(),
            ran: Cell::new(Vec::new()),
            compiles: true,
        }
    }

    /// Whether the page's loops may run as native code.
    #[inline(always)]
    pub fn compiles(&self) -> bool {
        self.compiles
    }

    /// Lets the page's loops be compiled, or not: the icache refuses pages it has seen
    /// rewritten, where a loop that stores into its own code would otherwise be compiled
    /// afresh on every pass (its blocks are dropped and rebuilt after each such store).
    pub fn set_compiles(&mut self, on: bool) {
        self.compiles = on;
    }

    /// Drops every block. Runs not retired are lost: the run loop retires them before it
    /// lets go of the page.
    pub fn clear(&mut self) {
        self.entries.fill(0);
        self.blocks.clear();
        self.costs.clear();
        self.ran.get_mut().clear();
    }

    /// The index of the block entered at `slot`, if built.
    #[inline(always)]
    pub fn find(&self, slot: usize) -> Option<usize> {
        let number = *self.entries.get(slot)?;
        number.checked_sub(1).map(|i| i as usize)
    }

    /// The block at `index` (from [`BlockPage::find`] or [`BlockPage::build`]).
    #[inline(always)]
    pub fn get(&self, index: usize) -> Option<&Block> {
        self.blocks.get(index)
    }

    /// Notes a run of the block at `index` that left by its exit `k` (`exit`), retired
    /// later by [`BlockPage::retire_runs`].
    #[inline(always)]
    pub fn ran(&self, exit: &BlockExit, index: usize, k: u8) {
        self.ran_n(exit, index, k, 1);
    }

    /// Notes `n` runs (0 or more) of the block at `index` that left by its exit `k`
    /// (`exit`), as [`BlockPage::ran`] notes one.
    #[inline(always)]
    pub fn ran_n(&self, exit: &BlockExit, index: usize, k: u8, n: u64) {
        let runs = exit.runs.get();
        if runs == 0 && exit.skips.get() == 0 {
            self.first_run(index, k);
        }
        exit.runs.set(runs + n);
    }

    /// Notes `n` skips (0 or more) by the branch of side exit `k` (`exit`) of the block at
    /// `index`, as [`BlockPage::skipped`] notes one.
    #[inline(always)]
    pub fn skipped_n(&self, exit: &BlockExit, index: usize, k: u8, n: u64) {
        let skips = exit.skips.get();
        if skips == 0 && exit.runs.get() == 0 {
            self.first_run(index, k);
        }
        exit.skips.set(skips + n);
    }

    /// Notes a skip by the branch of side exit `k` (`exit`) of the block at `index`: the
    /// run it is part of retires `exit.skipped` instructions fewer, taken back out by
    /// [`BlockPage::retire_runs`].
    #[inline(always)]
    pub fn skipped(&self, exit: &BlockExit, index: usize, k: u8) {
        self.skipped_n(exit, index, k, 1);
    }

    #[cold]
    fn first_run(&self, index: usize, k: u8) {
        let mut ran = self.ran.take();
        ran.push((index as u32, k));
        self.ran.set(ran);
    }

    /// Retires the runs noted since the last call: their instructions, class cycles and
    /// per-class counts.
    pub fn retire_runs(&mut self, counters: &mut Counters) {
        for &(index, k) in self.ran.get_mut().iter() {
            let index = index as usize;
            let (Some(block), Some(cost)) = (self.blocks.get(index), self.costs.get(index)) else {
                continue;
            };
            let k = usize::from(k);
            let (Some(exit), Some(exit_cost)) = (block.exits.get(k), cost.exits.get(k)) else {
                continue;
            };
            let (runs, skips) = (exit.runs.take(), exit.skips.take());
            let c = &mut *counters;
            c.instret = c
                .instret
                .wrapping_add(u64::from(exit.len).wrapping_mul(runs))
                .wrapping_sub(u64::from(exit.skipped).wrapping_mul(skips));
            c.cycles = c
                .cycles
                .wrapping_add(exit_cost.cycles.wrapping_mul(runs))
                .wrapping_sub(exit_cost.skipped_cycles.wrapping_mul(skips));
            exit_cost.classes.apply(&mut c.per_class, runs);
            exit_cost.skipped_classes.remove(&mut c.per_class, skips);
        }
        self.ran.get_mut().clear();
    }

    /// Retires the first `n` instructions of the block at `index` once, with the class
    /// cycles of `costs`.
    #[cold]
    pub fn retire_prefix(&self, index: usize, n: usize, costs: &Costs, counters: &mut Counters) {
        let Some(cost) = self.costs.get(index) else {
            return;
        };
        let done = cost.each.get(..n).unwrap_or(&cost.each);
        for &c in done {
            counters.cycles = counters.cycles.wrapping_add(costs.of(c));
            let slot = &mut counters.per_class[c as usize];
            *slot = slot.wrapping_add(1);
        }
        counters.instret = counters.instret.wrapping_add(done.len() as u64);
    }

    /// Builds the block entered at `slot` from the page's instruction words (`word(s)` is
    /// the word at slot `s`, `None` beyond memory) for a hart of width `xlen` with `costs`,
    /// and returns its index.
    #[cold]
    pub fn build(
        &mut self,
        slot: usize,
        word: impl Fn(usize) -> Option<u32>,
        xlen: Xlen,
        costs: &Costs,
    ) -> Option<usize> {
        let mut ops = Vec::new();
        let mut each = Vec::new();
        let mut exits = Vec::new();
        let mut costs_of_exits = Vec::new();
        let (mut cycles, mut classes) = (0u64, ClassTally::EMPTY);
        let mut jumps = false;
        for (index, s) in (slot..SLOTS).enumerate() {
            let Some(inst) = word(s).and_then(|w| decode(w, xlen).ok()) else {
                break;
            };
            let Some((mut op, role)) = lower(&inst, index) else {
                break;
            };
            let class = inst.opcode().cost_class();
            cycles = cycles.wrapping_add(costs.of(class));
            classes.add(class);
            each.push(class);
            if role == Role::Exit {
                // The exit number rides in the branch's unused `rd`.
                op.rd = Reg::ALL[exits.len() % 32];
                exits.push(BlockExit::new(u32::try_from(index + 1).ok()?));
                costs_of_exits.push(ExitCost::new(cycles, classes));
            }
            ops.push(op);
            if role == Role::End {
                jumps = true;
                break;
            }
            if exits.len() == MAX_SIDE_EXITS {
                break;
            }
        }
        let len = u32::try_from(ops.len()).ok()?;
        // The end's exit number, after the side exits: in the `rs2` a jump does not use, or
        // the `rd` of `Fall`.
        let end = Reg::ALL[exits.len() % 32];
        if jumps {
            if let Some(jump) = ops.last_mut() {
                jump.rs2 = end;
            }
        } else if len != 0 {
            let z = Reg::Zero;
            let imm = i32::try_from(len * 4).ok()?;
            ops.push(Op {
                code: OpCode::Fall,
                rd: end,
                rs1: z,
                rs2: z,
                imm,
            });
        }
        exits.push(BlockExit::new(len));
        costs_of_exits.push(ExitCost::new(cycles, classes));
        // The side exits whose branch lands later in the block skip what lies between.
        for (i, op) in ops.iter().enumerate() {
            let k = usize::from(op.rd.num());
            let is_branch = matches!(lower_role(op.code), Role::Exit);
            let Some(to) = is_branch.then(|| skip_target(&ops, i, op.imm)).flatten() else {
                continue;
            };
            let (Some(exit), Some(cost), Some(between)) = (
                exits.get_mut(k),
                costs_of_exits.get_mut(k),
                each.get(i + 1..to),
            ) else {
                continue;
            };
            exit.skipped = u32::try_from(between.len()).ok()?;
            for &c in between {
                cost.skipped_cycles = cost.skipped_cycles.wrapping_add(costs.of(c));
                cost.skipped_classes.add(c);
            }
        }
        // A branch over one register-only op runs as one op, by selects (`branch_over`);
        // the op it passes over keeps its place, for a skip or a side entry landing on it.
        for i in 0..ops.len() {
            let Some(&Op { code, imm, .. }) = ops.get(i) else {
                continue;
            };
            let body_ok = ops.get(i + 1).is_some_and(|b| register_only(b.code));
            let predicated =
                over(code).filter(|_| body_ok && skip_target(&ops, i, imm) == Some(i + 2));
            if let (Some(code), Some(op)) = (predicated, ops.get_mut(i)) {
                op.code = code;
            }
        }
        let cost = BlockCost {
            exits: costs_of_exits.into_boxed_slice(),
            each: each.into_boxed_slice(),
        };
        let index = self.blocks.len();
        *self.entries.get_mut(slot)? = u32::try_from(index + 1).ok()?;
        self.blocks.push(Block {
            ops: ops.into_boxed_slice(),
            len,
            exits: exits.into_boxed_slice(),
            native: OnceCell::new(),
        });
        self.costs.push(cost);
        Some(index)
    }
}
