//! The hot loop: runs pre-lowered blocks ([`crate::block`]) from the page the hart last
//! fetched from, while the bus still holds that page's fast-path fetch entry.
//!
//! Everything a block does is counted exactly as [`Cpu::step`] would count it, one
//! instruction at a time: `instret`, the per-class counts and the class cycles are retired
//! per run of a block from the precomputed sums of the exit it left by (one count per run,
//! summed into the counters when the loop ends); fetches are counted through the bus's
//! [`Bus::fetch_again`] (the first after anything touched the bus) and
//! [`Bus::fetch_again_n`] (the rest, which cannot find the entry changed); taken branches,
//! data accesses and their cycles as they happen. `pc`, the taken branches and the cycles
//! stay in locals till the loop ends. A run that stops inside a block (a trap, the end of
//! what a data access proved) retires the instructions before that point one by one, less
//! those its skips passed over. A run that leaves to the block's own entry (a loop) runs the
//! block again without looking it up: a taken branch to the entry ends the run inside the op
//! loop, which starts the next run at once when the budget holds it and the fetch entry is
//! known held ([`Exit::Again`]; intmix 1.82 s -> 1.67 s, 17 fewer host instructions per
//! pass). Skips and loops keep a loop with an `if` inside in one block: its data-dependent
//! branch then no longer switches blocks (intmix 2.60–2.66 s -> 2.18–2.33 s, at the same
//! host instruction count).
//!
//! Loads and stores call the bus directly. After one, the block goes on only if what it
//! relies on still holds: no write to a page holding decoded instructions was noted (the
//! rest of the block may be stale) and the fetch entry is still held (checked by counting
//! the next fetch through it). Otherwise the loop ends after that instruction and the run
//! loop carries on with `step`.

use crate::block::{BlockPage, BlockRun, Op, OpCode};
use crate::cost::{Costs, Counters};
use crate::exec::FetchPage;
use crate::icache::slot_of;
use crate::native::NativeEnd;
use crate::{Cpu, Trap, Word};
use atlas_isa::Reg;
use atlas_mmu::fastpath::FastFetch;
use atlas_mmu::{AccessCtx, AccessKind, Bus, MemFault, Privilege};

/// What the data accesses of a run of blocks share.
pub(crate) struct BlockEnv {
    /// The privilege data accesses are checked with.
    pub privilege: Privilege,
    pub asid: u16,
    /// The fast-path entry serving the page's fetches.
    pub fetch: FastFetch,
}

/// The loop's running sums that data accesses update.
pub(crate) struct Flow {
    /// Core cycles of data accesses not yet in the counters.
    pub cycles: u64,
    /// Fetches already counted through `fetch_again`.
    pub counted: u64,
    /// Whether the fetch entry is known to be held (no bus call since it was last checked).
    pub held: bool,
    /// The trap of an [`Exit::Trap`].
    pub trap: Option<Trap>,
    /// The exit number of an [`Exit::Next`] (see [`crate::block::Block::exit`]).
    pub exit: u8,
    /// Instructions the current run of a block skipped (taken branches to later
    /// instructions of the block), which it does not retire.
    pub skipped: u64,
}

/// How a block's run ends. Not generic over the hart's width: the `pc` of [`Exit::Next`]
/// is held as a `u64` so both widths share one layout (with `Next(u32)`, the RV32 op loop
/// spent about 3 more host instructions per op handling the result).
#[derive(Clone, Copy)]
pub(crate) enum Exit {
    /// By the exit numbered [`Flow::exit`], leaving to this `pc`.
    Next(u64),
    /// After its first `n` instructions, all retired.
    Stop(usize),
    /// At instruction `n` (fetched, not retired), which trapped with [`Flow::trap`].
    Trap(usize),
    /// By the exit numbered [`Flow::exit`], a taken branch to the block's own entry (a
    /// loop): the op loop starts the next run itself when it may
    /// ([`Cpu::run_blocks`]), else it ends the run as [`Exit::Next`] to the entry.
    Again,
    /// Not an end: the branch of side exit `exit` was taken to op `to`, later in the same
    /// block, where the run goes on.
    Skip {
        /// The op the run goes on from.
        to: usize,
        /// The branch's side exit, which holds what the skip passes over.
        exit: u8,
    },
}

/// A taken branch of side exit `exit` skipping to op `to` of the running block: counts the
/// skip and returns the ops from `to` on.
#[inline(always)]
fn skip<'a>(
    ops: &'a [Op],
    to: usize,
    run: &BlockRun<'_>,
    exit: u8,
    flow: &mut Flow,
) -> std::slice::Iter<'a, Op> {
    if let Some(e) = run.block.exit(exit) {
        run.blocks.skipped(e, run.index, exit);
        flow.skipped += u64::from(e.skipped);
    }
    ops.get(to..).unwrap_or_default().iter()
}

/// A run of `run`'s block (of `len` instructions) that left by exit [`Flow::exit`] to the
/// block's own entry: retires it and returns true if the next run may start at once, as the
/// block loop would start it (the budget holds the block, the fetch entry is known held);
/// else changes nothing and returns false, for the block loop to end the run itself.
#[inline(always)]
fn again(run: &BlockRun<'_>, len: u64, budget: &mut u64, flow: &mut Flow) -> bool {
    let k = flow.exit;
    let Some(exit) = run.block.exit(k) else {
        return false;
    };
    let retired = u64::from(exit.len) - flow.skipped;
    if !flow.held || *budget - retired < len {
        return false;
    }
    *budget -= retired;
    run.blocks.ran(exit, run.index, k);
    flow.skipped = 0;
    true
}

impl<X: Word> Cpu<X> {
    /// Runs blocks from the remembered fetch page, spending `left` (one per fetch), while
    /// each is built (or can be) and the fast-path entry is held. Whatever it declines (a
    /// new page, an instruction no block holds, a stale entry) is left, uncounted, for
    /// `step`. Returns false if it declined a block longer than what is left of `left`
    /// (then `step` should run the rest).
    #[inline(always)]
    pub(crate) fn run_blocks<B: Bus>(&mut self, bus: &mut B, left: &mut u64) -> Result<bool, Trap> {
        let Some(page) = self.fetch_page else {
            return Ok(true);
        };
        if self.privilege != page.privilege || self.asid != page.asid {
            return Ok(true);
        }
        let Some(mut icache) = self.icache.take() else {
            return Ok(true);
        };
        let blocks = match bus.code_watch() {
            Some(watch) => {
                icache.sync(watch);
                icache.blocks(page.entry.pa_base, watch)
            }
            None => None,
        };
        let result = match blocks {
            Some(blocks) => self.run_page(bus, &page, blocks, left),
            None => Ok(true),
        };
        self.icache = Some(icache);
        result
    }

    /// The body of [`Cpu::run_blocks`] over the page's blocks.
    #[inline(always)]
    fn run_page<B: Bus>(
        &mut self,
        bus: &mut B,
        page: &FetchPage,
        blocks: &mut BlockPage,
        left: &mut u64,
    ) -> Result<bool, Trap> {
        let mut flow = Flow {
            cycles: 0,
            counted: 0,
            held: false,
            trap: None,
            exit: 0,
            skipped: 0,
        };
        let env = BlockEnv {
            privilege: self.data_privilege(),
            asid: self.asid,
            fetch: page.entry,
        };
        let mut pc = self.pc;
        let mut taken = 0u64;
        let mut budget = *left;
        let result = 'blocks: loop {
            let pc64 = pc.to_u64();
            if pc64 & !0xffc != page.va_page {
                break Ok(true);
            }
            let Some(index) = self.find_block(bus, blocks, page, slot_of(pc64)) else {
                break Ok(true);
            };
            let Some(block) = blocks.get(index) else {
                break Ok(true);
            };
            let len = u64::from(block.len);
            if len == 0 {
                break Ok(true);
            }
            // Runs of this block; a run that leaves to its own entry (a loop) runs it again
            // without looking it up.
            loop {
                if len > budget {
                    break 'blocks Ok(false);
                }
                if !flow.held {
                    if !bus.fetch_again(&page.entry) {
                        break 'blocks Ok(true);
                    }
                    flow.counted += 1;
                    flow.held = true;
                }
                let ops = &*block.ops;
                let run = BlockRun {
                    block,
                    blocks,
                    index,
                };
                flow.skipped = 0;
                let mut rest = ops.iter();
                let native = if self.jit && blocks.compiles() {
                    block.native(X::XLEN)
                } else {
                    None
                };
                let mut ended = None;
                if let Some(code) = native {
                    let end = self.run_native(
                        bus,
                        code,
                        &run,
                        pc,
                        &env,
                        &mut budget,
                        &mut flow,
                        &mut taken,
                    );
                    match end {
                        NativeEnd::Exit(exit) => ended = Some(exit),
                        NativeEnd::Resume(at) => rest = ops.get(at..).unwrap_or_default().iter(),
                    }
                }
                let exit = if let Some(exit) = ended {
                    exit
                } else {
                    // Two op slots per turn: each dispatch jump then has a shorter history to
                    // predict from (measured: intmix 4.26 s -> 3.75 s). They are written out
                    // twice on purpose: one `match` on the slot's result (in a macro) compiled to
                    // 300 M host instructions instead of 290 M on intmix, 2.2 s -> 2.5 s.
                    loop {
                        let Some(op) = rest.next() else {
                            break Exit::Stop(ops.len());
                        };
                        if let Some(exit) = self.exec_op(
                            bus, ops, op, &mut rest, &run, pc, &env, &mut flow, &mut taken,
                        ) {
                            match exit {
                                Exit::Skip { to, exit } => {
                                    rest = skip(ops, to, &run, exit, &mut flow);
                                    continue;
                                }
                                Exit::Again => match again(&run, len, &mut budget, &mut flow) {
                                    true => {
                                        rest = ops.iter();
                                        continue;
                                    }
                                    false => break Exit::Next(pc.to_u64()),
                                },
                                exit => break exit,
                            }
                        }
                        let Some(op) = rest.next() else {
                            break Exit::Stop(ops.len());
                        };
                        if let Some(exit) = self.exec_op(
                            bus, ops, op, &mut rest, &run, pc, &env, &mut flow, &mut taken,
                        ) {
                            match exit {
                                Exit::Skip { to, exit } => {
                                    rest = skip(ops, to, &run, exit, &mut flow);
                                    continue;
                                }
                                Exit::Again => match again(&run, len, &mut budget, &mut flow) {
                                    true => {
                                        rest = ops.iter();
                                        continue;
                                    }
                                    false => break Exit::Next(pc.to_u64()),
                                },
                                exit => break exit,
                            }
                        }
                    }
                };
                match exit {
                    Exit::Next(next) => {
                        let next = X::from_u64(next);
                        let k = flow.exit;
                        let Some(exit) = block.exit(k) else {
                            break 'blocks Ok(true);
                        };
                        // A run retires at most the block's `len`, which the budget holds.
                        budget -= u64::from(exit.len) - flow.skipped;
                        blocks.ran(exit, index, k);
                        if next != pc {
                            pc = next;
                            continue 'blocks;
                        }
                    }
                    Exit::Stop(done) | Exit::Trap(done) => {
                        let costs = *self.costs();
                        blocks.retire_prefix(index, done, &costs, &mut self.counters);
                        let trap = flow.trap.take();
                        let fetched = done as u64 + u64::from(trap.is_some()) - flow.skipped;
                        budget = budget.saturating_sub(fetched);
                        pc = pc.add(X::from_u64(4 * done as u64));
                        // A stop leaves what the blocks rely on unproven: `step` goes on.
                        break 'blocks trap.map_or(Ok(true), Err);
                    }
                    // Skips and loops go on in the op loop, which never ends with one.
                    Exit::Skip { .. } | Exit::Again => break 'blocks Ok(true),
                }
            }
        };
        self.pc = pc;
        blocks.retire_runs(&mut self.counters);
        let c = &mut self.counters;
        c.taken_branches = c.taken_branches.wrapping_add(taken);
        let branch_cycles = taken.wrapping_mul(self.costs.branch_taken);
        c.cycles = c
            .cycles
            .wrapping_add(flow.cycles)
            .wrapping_add(branch_cycles);
        let fetched = *left - budget;
        *left = budget;
        if fetched > flow.counted {
            bus.fetch_again_n(&page.entry, fetched - flow.counted);
        }
        result
    }

    /// The block entered at `slot` of the page, built if it is not yet.
    #[inline(always)]
    fn find_block<B: Bus>(
        &self,
        bus: &B,
        blocks: &mut BlockPage,
        page: &FetchPage,
        slot: usize,
    ) -> Option<usize> {
        if let Some(index) = blocks.find(slot) {
            return Some(index);
        }
        let base = page.entry.pa_base;
        let phys = bus.phys();
        let word = |s: usize| {
            let pa = base.wrapping_add(s as u64 * 4);
            phys.read(pa, 4).map(|w| w as u32)
        };
        blocks.build(slot, word, X::XLEN, self.costs())
    }

    /// The end of a block at its jump or taken branch (its `i`-th instruction, at `at`) to
    /// `target` by its exit number `exit`, linking `at + 4` into `link` for a jump, as
    /// `execute` does: a misaligned target traps, the jump unexecuted.
    #[inline(always)]
    pub(crate) fn block_jump(
        &mut self,
        target: X,
        at: X,
        link: Option<Reg>,
        exit: u8,
        i: usize,
        flow: &mut Flow,
    ) -> Exit {
        if target.to_u64() & 3 != 0 {
            flow.trap = Some(Trap::MisalignedFetch {
                target: target.to_u64(),
            });
            return Exit::Trap(i);
        }
        if let Some(rd) = link {
            self.set_x(rd, at.add(X::from_u64(4)));
        }
        self.set_last_jump_from(at);
        flow.exit = exit;
        Exit::Next(target.to_u64())
    }

    /// The load `ops[i]` of a block, of `SIZE` bytes, sign-extended if `SIGNED`: as
    /// [`Cpu::load`], then [`Cpu::after_data_access`]. This is the fast-path hit, small so
    /// that it saves few registers; anything else goes to [`Cpu::block_load_slow`].
    /// Out of line and marked cold so it is laid out away from the op loop: without the
    /// mark, intmix (no loads in its loop) took 3.1 s instead of 2.6 s from the loop's code
    /// placement alone.
    #[cold]
    #[inline(never)]
    pub(crate) fn block_load<B: Bus, const SIZE: u8, const SIGNED: bool>(
        &mut self,
        bus: &mut B,
        ops: &[Op],
        i: usize,
        pc: X,
        env: &BlockEnv,
        flow: &mut Flow,
    ) -> Option<Exit> {
        let (addr, ctx) = self.block_access(ops.get(i)?, AccessKind::Load, SIZE, pc, i, env);
        match bus.load_fast(&ctx) {
            Some(loaded) => {
                self.finish_load::<B, SIZE, SIGNED>(bus, ops, i, addr, loaded, env, flow)
            }
            None => self.block_load_slow::<B, SIZE, SIGNED>(bus, ops, i, pc, env, flow),
        }
    }

    /// [`Cpu::block_load`] when the fast path declined it: the access through the modelled
    /// translation.
    #[cold]
    #[inline(never)]
    fn block_load_slow<B: Bus, const SIZE: u8, const SIGNED: bool>(
        &mut self,
        bus: &mut B,
        ops: &[Op],
        i: usize,
        pc: X,
        env: &BlockEnv,
        flow: &mut Flow,
    ) -> Option<Exit> {
        let (addr, ctx) = self.block_access(ops.get(i)?, AccessKind::Load, SIZE, pc, i, env);
        let loaded = bus.load_modelled(ctx);
        self.finish_load::<B, SIZE, SIGNED>(bus, ops, i, addr, loaded, env, flow)
    }

    /// The rest of the block load `ops[i]` at `addr` once the bus has `loaded` it.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn finish_load<B: Bus, const SIZE: u8, const SIGNED: bool>(
        &mut self,
        bus: &mut B,
        ops: &[Op],
        i: usize,
        addr: X,
        loaded: Result<u64, MemFault>,
        env: &BlockEnv,
        flow: &mut Flow,
    ) -> Option<Exit> {
        let o = ops.get(i)?;
        let raw = match loaded {
            Ok(raw) => raw,
            Err(fault) => {
                flow.trap = Some(Trap::Memory(fault));
                return Some(Exit::Trap(i));
            }
        };
        self.set_x(o.rd, loaded_value(raw, SIZE, SIGNED));
        data_access_cost(&self.costs, &mut self.counters, addr.to_u64(), SIZE, flow);
        self.counters.loads = self.counters.loads.wrapping_add(1);
        after_data_access(bus, ops, i, env, flow)
    }

    /// The store `ops[i]` of a block, of `SIZE` bytes: as [`Cpu::store`], then
    /// [`Cpu::after_data_access`]. The fast-path hit, out of line and cold, as
    /// [`Cpu::block_load`]; anything else goes to [`Cpu::block_store_slow`].
    #[cold]
    #[inline(never)]
    pub(crate) fn block_store<B: Bus, const SIZE: u8>(
        &mut self,
        bus: &mut B,
        ops: &[Op],
        i: usize,
        pc: X,
        env: &BlockEnv,
        flow: &mut Flow,
    ) -> Option<Exit> {
        let o = ops.get(i)?;
        let (addr, ctx) = self.block_access(o, AccessKind::Store, SIZE, pc, i, env);
        match bus.store_fast(&ctx, self.x(o.rs2).to_u64()) {
            Some(stored) => self.finish_store::<B, SIZE>(bus, ops, i, addr, stored, env, flow),
            None => self.block_store_slow::<B, SIZE>(bus, ops, i, pc, env, flow),
        }
    }

    /// [`Cpu::block_store`] when the fast path declined it, as [`Cpu::block_load_slow`].
    #[cold]
    #[inline(never)]
    fn block_store_slow<B: Bus, const SIZE: u8>(
        &mut self,
        bus: &mut B,
        ops: &[Op],
        i: usize,
        pc: X,
        env: &BlockEnv,
        flow: &mut Flow,
    ) -> Option<Exit> {
        let o = ops.get(i)?;
        let (addr, ctx) = self.block_access(o, AccessKind::Store, SIZE, pc, i, env);
        let stored = bus.store_modelled(ctx, self.x(o.rs2).to_u64());
        self.finish_store::<B, SIZE>(bus, ops, i, addr, stored, env, flow)
    }

    /// The rest of the block store `ops[i]` at `addr` once the bus has `stored` it.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn finish_store<B: Bus, const SIZE: u8>(
        &mut self,
        bus: &mut B,
        ops: &[Op],
        i: usize,
        addr: X,
        stored: Result<(), MemFault>,
        env: &BlockEnv,
        flow: &mut Flow,
    ) -> Option<Exit> {
        if let Err(fault) = stored {
            flow.trap = Some(Trap::Memory(fault));
            return Some(Exit::Trap(i));
        }
        data_access_cost(&self.costs, &mut self.counters, addr.to_u64(), SIZE, flow);
        self.counters.stores = self.counters.stores.wrapping_add(1);
        after_data_access(bus, ops, i, env, flow)
    }

    /// The address and access context of the data access of `op`, op `i` of a block
    /// entered at `pc`.
    #[inline(always)]
    fn block_access(
        &self,
        op: &Op,
        kind: AccessKind,
        size: u8,
        pc: X,
        i: usize,
        env: &BlockEnv,
    ) -> (X, AccessCtx) {
        let addr = self.x(op.rs1).add(X::from_i64(i64::from(op.imm)));
        let ctx = AccessCtx {
            va: addr.to_u64(),
            kind,
            size,
            privilege: env.privilege,
            asid: env.asid,
            pc: pc.add(X::from_u64(4 * i as u64)).to_u64(),
        };
        (addr, ctx)
    }
}

/// A loaded `raw` value of `size` bytes as a register value, sign-extended if `signed`.
#[inline(always)]
pub(crate) fn loaded_value<X: Word>(raw: u64, size: u8, signed: bool) -> X {
    match (size, signed) {
        (1, true) => X::from_i64(i64::from(raw as u8 as i8)),
        (2, true) => X::from_i64(i64::from(raw as u16 as i16)),
        (4, true) => X::from_i64(i64::from(raw as u32 as i32)),
        _ => X::from_u64(raw),
    }
}

/// The memory latency and misalignment cost of a data access at `addr` of `size` bytes,
/// as `data_access_cost` charges it: cycles into `flow`, misaligned accesses counted.
#[inline(always)]
pub(crate) fn data_access_cost(
    costs: &Costs,
    counters: &mut Counters,
    addr: u64,
    size: u8,
    flow: &mut Flow,
) {
    let mut cycles = costs.memory_latency;
    if addr & u64::from(size - 1) != 0 {
        counters.misaligned = counters.misaligned.wrapping_add(1);
        cycles = cycles.wrapping_add(costs.misaligned);
    }
    flow.cycles = flow.cycles.wrapping_add(cycles);
}

/// After the data access of `ops[i]`: stops the block if a write to a page of decoded
/// instructions was noted, else counts the next op's fetch if the block goes on (or
/// leaves that to the next block), stopping if the fetch entry is gone.
#[inline(always)]
pub(crate) fn after_data_access<B: Bus>(
    bus: &mut B,
    ops: &[Op],
    i: usize,
    env: &BlockEnv,
    flow: &mut Flow,
) -> Option<Exit> {
    if bus.code_watch().is_some_and(|w| w.has_writes()) {
        flow.held = false;
        return Some(Exit::Stop(i + 1));
    }
    if ops.get(i + 1).is_some_and(|next| next.code != OpCode::Fall) {
        if !bus.fetch_again(&env.fetch) {
            flow.held = false;
            return Some(Exit::Stop(i + 1));
        }
        flow.counted += 1;
    } else {
        flow.held = false;
    }
    None
}
