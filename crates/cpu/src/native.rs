//! Running a block's loop as native code ([`atlas_jit`]) inside the hot loop. The code
//! serves the loads and stores that are fast-path hits itself, from what the bus lends
//! ([`Bus::direct_memory`]); it hands the others back through [`LoopMemory::load`] and [`LoopMemory::store`], which
//! does them as the op loop does.
//!
//! Whatever the code counted is folded into the same places the op loop counts into (the
//! block's exits, taken branches, the budget, the last jump), and the run ends exactly
//! where the op loop would end it, as the same [`Exit`]; a load or store does what
//! [`Cpu::block_load`] and [`Cpu::block_store`] do, in the same order.

use crate::block::{BlockRun, Op, OpCode};
use crate::cost::{Costs, Counters};
use crate::hot::{after_data_access, data_access_cost, loaded_value, BlockEnv, Exit, Flow};
use crate::{Cpu, Trap, Word};
use atlas_jit::{Access, LoopCode, LoopMemory, LoopState, Stopped};
use atlas_mmu::fastpath::Window;
use atlas_mmu::{AccessCtx, AccessKind, Bus, DirectMemory};

#[cfg(test)]
thread_local! {
    /// Loads and stores native code has served itself on this thread, for tests that must
    /// know the code's own fast path ran.
    pub(crate) static SERVED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How a call of a block's native code ends.
pub(crate) enum NativeEnd {
    /// As a run of the op loop ends.
    Exit(Exit),
    /// At op `n`, not compiled and not yet executed: the op loop goes on from there, in
    /// the same run.
    Resume(usize),
}

/// What the loads and stores of native code need: the hart's counters and costs (not its
/// registers, which the code holds), the bus, and the run's block and sums.
pub(crate) struct AccessEnv<'a, X: Word, B: Bus> {
    counters: &'a mut Counters,
    costs: &'a Costs,
    bus: &'a mut B,
    ops: &'a [Op],
    pc: X,
    env: &'a BlockEnv,
    flow: &'a mut Flow,
}

impl<X: Word> Cpu<X> {
    /// A run of `run`'s block (entered at `pc`) and the runs after it, as native code:
    /// the loop goes on while its branch back to the entry is taken and `budget` holds
    /// another run, exactly as the op loop would. Folds what the code counted into the
    /// block's exits, `taken`, `budget` and the last jump, and ends as the op loop ends
    /// at the same instruction.
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn run_native<B: Bus>(
        &mut self,
        bus: &mut B,
        code: &LoopCode,
        run: &BlockRun<'_>,
        pc: X,
        env: &BlockEnv,
        budget: &mut u64,
        flow: &mut Flow,
        taken: &mut u64,
    ) -> NativeEnd {
        let mut state = LoopState::new(*budget, pc.to_u64());
        let (regs, counters, costs) = self.native_parts();
        let mut memory = AccessEnv {
            counters,
            costs,
            bus,
            ops: &run.block.ops,
            pc,
            env,
            flow,
        };
        let stopped = code.run_with(regs, &mut state, &mut memory);
        let Some(stopped) = stopped else {
            // Compiled for the other width, or a budget short of the block: nothing ran.
            return NativeEnd::Resume(0);
        };
        // The fast-path hits the code served itself, counted as `block_load` and
        // `block_store` count theirs (aligned: never a misaligned access's cost).
        let served = state.loads() + state.stores();
        #[cfg(test)]
        SERVED.with(|n| n.set(n.get() + served));
        let c = &mut self.counters;
        c.loads = c.loads.wrapping_add(state.loads());
        c.stores = c.stores.wrapping_add(state.stores());
        flow.cycles = flow
            .cycles
            .wrapping_add(served.wrapping_mul(self.costs.memory_latency));
        *budget = state.budget;
        *taken += state.taken;
        if let Some(last) = state.last_taken.checked_sub(1) {
            self.set_last_jump_from(pc.add(X::from_u64(4 * last)));
        }
        let counts = state.runs.iter().zip(&state.skips);
        for (k, (&runs, &skips)) in counts.enumerate().take(run.block.exit_count()) {
            let (Some(exit), Ok(k)) = (run.block.exit(k as u8), u8::try_from(k)) else {
                continue;
            };
            if runs != 0 {
                run.blocks.ran_n(exit, run.index, k, runs);
            }
            if skips != 0 {
                run.blocks.skipped_n(exit, run.index, k, skips);
            }
        }
        flow.skipped = state.run_skipped;
        let stopped = match stopped {
            // As `after_data_access` and a faulting access end the op loop's run.
            Stopped::After(i) => return NativeEnd::Exit(Exit::Stop(i + 1)),
            Stopped::Trapped(i) => return NativeEnd::Exit(Exit::Trap(i)),
            Stopped::At(i) => i,
        };
        if code.resume_at() == Some(stopped) {
            return NativeEnd::Resume(stopped);
        }
        let Some(op) = run.block.ops.get(stopped) else {
            return NativeEnd::Resume(stopped);
        };
        let at = pc.add(X::from_u64(4 * stopped as u64));
        let to = pc.add(X::from_i64(i64::from(op.imm)));
        NativeEnd::Exit(match op.code {
            // The block's end: on to the next instruction.
            OpCode::Fall => {
                flow.exit = op.rd.num();
                Exit::Next(to.to_u64())
            }
            // Its `j` back to the entry with no budget left for another run: the jump ends
            // the run as `exec_op` ends it (a jump is not a taken branch).
            OpCode::Jal => self.block_jump(to, at, Some(op.rd), op.rs2.num(), stopped, flow),
            // The branch back to the entry, taken (and counted) with no budget left for
            // another run: the run ends there, as `again` ends it.
            _ if op.imm == 0 => {
                flow.exit = op.rd.num();
                Exit::Next(pc.to_u64())
            }
            // A side exit's branch, taken: leave by it, as `exec_op` does.
            _ => {
                let exit = self.block_jump(to, at, None, op.rd.num(), stopped, flow);
                if let Exit::Next(..) = exit {
                    *taken += 1;
                }
                exit
            }
        })
    }
}

impl<X: Word, B: Bus> LoopMemory for AccessEnv<'_, X, B> {
    /// The load `ops[i]` of native code at `addr`, as the op loop does it ([`native_load`]).
    /// Inlined into its trampoline, which is already one per kind and size (measured: 882
    /// -> 874 host instructions a pagewalk touch).
    #[inline(always)]
    fn load<const SIZE: u8, const SIGNED: bool>(&mut self, i: usize, addr: u64) -> Access {
        native_load::<X, B, SIZE, SIGNED>(self, i, addr)
    }

    /// The store `ops[i]` of native code at `addr`, as the op loop does it
    /// ([`native_store`]). Inlined as [`AccessEnv::load`] is.
    #[inline(always)]
    fn store<const SIZE: u8>(&mut self, i: usize, addr: u64, value: u64) -> Access {
        native_store::<X, B, SIZE>(self, i, addr, value)
    }

    /// The bus's quick miss ([`Bus::quick_data_miss`]). The code counts the access as
    /// served: the hart's load or store count and memory cycles, as [`native_load`] and
    /// [`native_store`] count an aligned access. What they also do, `after_data_access`,
    /// has nothing to do after a quick miss: a load or store the code may serve writes no
    /// decoded instruction, and a data miss fills no fetch entry, so the fetch entry the
    /// run stands on is still held.
    #[inline(always)]
    fn quick_miss(&mut self, op: usize, addr: u64, size: u8, store: bool) -> Option<u64> {
        let kind = if store {
            AccessKind::Store
        } else {
            AccessKind::Load
        };
        let ctx = access_ctx(self, op, addr, kind, size);
        self.bus.quick_data_miss(&ctx)
    }

    fn direct(&mut self) -> Option<DirectMemory<'_>> {
        self.bus.direct_memory(self.env.privilege, self.env.asid)
    }

    fn window(&mut self) -> Window {
        self.bus.unpaged_window(self.env.privilege)
    }
}

/// The access context of op `i`'s data access.
#[inline(always)]
fn access_ctx<X: Word, B: Bus>(
    m: &AccessEnv<'_, X, B>,
    i: usize,
    addr: u64,
    kind: AccessKind,
    size: u8,
) -> AccessCtx {
    AccessCtx {
        va: addr,
        kind,
        size,
        privilege: m.env.privilege,
        asid: m.env.asid,
        pc: m.pc.add(X::from_u64(4 * i as u64)).to_u64(),
    }
}

/// A load of `SIZE` bytes (sign-extended if `SIGNED`) by op `i` at `addr` that the code
/// did not serve itself: the modelled access, then its cost, its count and what
/// [`after_data_access`] decides, as [`Cpu::block_load`] does. A fault traps (its trap
/// kept in the flow). The fast path is not asked again: the code has just looked the load
/// up in it, and the fast path declines every load the code declines (misaligned, not
/// held; a held page always lies inside memory).
#[inline(always)]
pub(crate) fn native_load<X: Word, B: Bus, const SIZE: u8, const SIGNED: bool>(
    m: &mut AccessEnv<'_, X, B>,
    i: usize,
    addr: u64,
) -> Access {
    let ctx = access_ctx(m, i, addr, AccessKind::Load, SIZE);
    let loaded = m.bus.load_modelled(ctx);
    let value = match loaded {
        Ok(raw) => loaded_value::<X>(raw, SIZE, SIGNED).to_u64(),
        Err(fault) => {
            m.flow.trap = Some(Trap::Memory(fault));
            return Access::trap();
        }
    };
    data_access_cost(m.costs, m.counters, addr, SIZE, m.flow);
    m.counters.loads = m.counters.loads.wrapping_add(1);
    match after_data_access(m.bus, m.ops, i, m.env, m.flow) {
        Some(_) => Access::stop_after(value),
        None => Access::go_on(value),
    }
}

/// A store of the low `SIZE` bytes of `value` by op `i` at `addr`, as [`native_load`]
/// (and [`Cpu::block_store`]).
#[inline(always)]
pub(crate) fn native_store<X: Word, B: Bus, const SIZE: u8>(
    m: &mut AccessEnv<'_, X, B>,
    i: usize,
    addr: u64,
    value: u64,
) -> Access {
    let ctx = access_ctx(m, i, addr, AccessKind::Store, SIZE);
    // A store to a watched page is a fast-path hit the code left to the bus (which reports
    // the write): served as `block_store` serves it, so even the fast path's own hit
    // counts are the op loop's.
    let stored = match m.bus.store_fast(&ctx, value) {
        Some(stored) => stored,
        None => m.bus.store_modelled(ctx, value),
    };
    if let Err(fault) = stored {
        m.flow.trap = Some(Trap::Memory(fault));
        return Access::trap();
    }
    data_access_cost(m.costs, m.counters, addr, SIZE, m.flow);
    m.counters.stores = m.counters.stores.wrapping_add(1);
    match after_data_access(m.bus, m.ops, i, m.env, m.flow) {
        Some(_) => Access::stop_after(0),
        None => Access::go_on(0),
    }
}
