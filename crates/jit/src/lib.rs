//! Native code for the hot loops of the block interpreter, on x86-64 hosts.
//!
//! The interpreter's blocks (`atlas_cpu`'s `block` module) already retire a whole run with
//! one count; what is left of a loop's cost is the interpreter itself: a dispatch per
//! operation and every guest register read from and written to memory, so a chain of
//! dependent operations waits on store-to-load forwarding at every step. This crate
//! compiles such a loop — a block of register operations, loads and stores, branches over
//! one operation, side exits and skips, closed by a branch or a `j` back to its own entry —
//! to x86-64 code that keeps the loop's guest registers in host registers and counts what
//! the interpreter counts: each run's exit, each skip, taken branches, the last taken
//! branch, and the instruction budget, ending where the interpreter would end its run (a
//! side exit, the fall-through, or a budget too small for another run). Every
//! RV32IM/RV64IM register operation is covered, division included (with RISC-V's results
//! where x86 would fault).
//!
//! A load or store that is a translation fast-path hit (`atlas_mmu::fastpath`) is served by
//! the code itself, from the tables, hit counters, physical memory and code-watch bitmap
//! the caller lends ([`LoopMemory::direct`]), counted exactly as the bus counts a hit; so
//! is one to a page the tables do not hold when bare or base-bounds translation is in
//! force and the address lies inside the caller's unpaged window ([`LoopMemory::window`]);
//! anything else — a miss, a misaligned access, a store to a page of decoded instructions,
//! an access past memory — is handed to the caller ([`LoopMemory::load`], [`LoopMemory::store`]), which does it
//! as the interpreter would and says whether the run goes on. The caller folds the counts
//! into its own, so nothing can differ.
//!
//! Compilation is exact or absent: [`LoopCode::compile`] returns `None` for anything it does
//! not cover (and always, on other hosts), and the interpreter runs the block instead.

#[cfg(all(target_arch = "x86_64", unix))]
mod emit;
#[cfg(all(target_arch = "x86_64", unix))]
mod native;
#[cfg(all(target_arch = "x86_64", unix))]
mod x86;

pub use atlas_isa::{AluImmOp, AluOp, BranchOp, Reg, ShiftImmOp, Xlen};
use atlas_mmu::fastpath::{HitClass, Window, EMPTY_TABLE};

/// Fast-path hit classes (the second index of [`LoopState::served`], below
/// [`QUICK_MISSES`]).
pub const HIT_CLASSES: usize = HitClass::ALL.len();

/// The column of [`LoopState::served`] counting accesses the code served after
/// [`LoopMemory::quick_miss`] translated them: served like hits, but not fast-path hits.
pub const QUICK_MISSES: usize = HIT_CLASSES;

/// Columns of a row of [`LoopState::served`]: the hit classes and [`QUICK_MISSES`].
pub const SERVED_COLUMNS: usize = HIT_CLASSES + 1;
use atlas_mmu::DirectMemory;

/// Side exits and ends a compiled block may count (the interpreter's blocks have at most
/// 31 side exits and an end).
pub const MAX_EXITS: usize = 32;

/// One operation of a block to compile, as the interpreter lowered it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoopOp {
    /// `rd = rs1 op rs2`.
    Alu {
        op: AluOp,
        rd: Reg,
        rs1: Reg,
        rs2: Reg,
    },
    /// `rd = rs1 op imm` (the immediate sign-extended).
    AluImm {
        op: AluImmOp,
        rd: Reg,
        rs1: Reg,
        imm: i32,
    },
    /// `rd = rs1 shifted by shamt`.
    ShiftImm {
        op: ShiftImmOp,
        rd: Reg,
        rs1: Reg,
        shamt: u32,
    },
    /// `rd = imm`, sign-extended (`lui`, whose immediate is already shifted).
    Lui { rd: Reg, imm: i32 },
    /// `rd = entry + imm`: `auipc`, its immediate made relative to the block's entry, whose
    /// address the caller passes in [`LoopState::entry_pc`].
    Auipc { rd: Reg, imm: i32 },
    /// No effect, but an instruction (a fence, a write to `zero`).
    Nop,
    /// A conditional branch: not taken, the run goes on; taken, it does what `taken` says.
    /// `exit` is its side exit's number.
    Branch {
        op: BranchOp,
        rs1: Reg,
        rs2: Reg,
        exit: u8,
        taken: Taken,
    },
    /// A conditional branch over the next operation (register-only), run as a select:
    /// taken, the next operation's result is dropped and the branch counts as a skip of
    /// `skipped` instructions by side exit `exit`.
    BranchOver {
        op: BranchOp,
        rs1: Reg,
        rs2: Reg,
        exit: u8,
        skipped: u32,
    },
    /// `j` back to the block's entry (a `jal` to it that links nothing), its end: a run
    /// ends, retiring `len` instructions less those its skips passed over, and the next
    /// starts if the budget holds a whole block. Not a taken branch (jumps are not
    /// counted as ones); side exit number `exit`.
    JumpBack { exit: u8, len: u32 },
    /// A load of `size` bytes at `rs1 + imm` into `rd`, sign-extended if `signed`: a
    /// fast-path hit is served by the code itself, anything else by the caller
    /// ([`LoopMemory`]).
    Load {
        rd: Reg,
        rs1: Reg,
        imm: i32,
        size: u8,
        signed: bool,
    },
    /// A store of the low `size` bytes of `rs2` at `rs1 + imm`, served as a load is.
    Store {
        rs1: Reg,
        rs2: Reg,
        imm: i32,
        size: u8,
    },
    /// The block's end without a jump: the run leaves to the next instruction.
    Fall,
    /// Anything else (jumps but `j` back to the entry): compiled code stops before it.
    Other,
}

/// What a taken [`LoopOp::Branch`] does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Taken {
    /// Leaves the block: the compiled loop returns, for the interpreter to take the branch.
    Leave,
    /// Goes on at operation `to`, later in the block, passing over `skipped` instructions.
    Skip { to: usize, skipped: u32 },
    /// Back to the block's entry: a run ends, retiring `len` instructions less those its
    /// skips passed over, and the next starts if the budget holds a whole block.
    Loop { len: u32 },
}

/// What the caller's access function reports for a load or store (returned in two
/// registers, so `#[repr(C)]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Access {
    /// The loaded value, extended to the register width (ignored for a store).
    pub value: u64,
    /// [`Access::GO_ON`], [`Access::STOP_AFTER`] or [`Access::TRAP`].
    pub status: u64,
}

impl Access {
    /// Done; the run goes on.
    pub const GO_ON: u64 = 0;
    /// Done (a load's value is written); the run stops after this operation.
    pub const STOP_AFTER: u64 = 1;
    /// Not done: the operation traps (the caller keeps the trap).
    pub const TRAP: u64 = 2;

    /// Done, with the loaded `value`; go on.
    pub fn go_on(value: u64) -> Access {
        Access {
            value,
            status: Access::GO_ON,
        }
    }

    /// Done, with the loaded `value`; stop after it.
    pub fn stop_after(value: u64) -> Access {
        Access {
            value,
            status: Access::STOP_AFTER,
        }
    }

    /// Trapped, not done.
    pub fn trap() -> Access {
        Access {
            value: 0,
            status: Access::TRAP,
        }
    }
}

/// Where a call of compiled code stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// At operation `n`, as [`LoopCode::run`] describes.
    At(usize),
    /// After the load or store `n`, done, whose access asked to stop.
    After(usize),
    /// At the load or store `n`, which trapped.
    Trapped(usize),
}

/// The flags compiled code adds to an operation index it returns.
pub(crate) mod stop_flag {
    pub const AFTER: u32 = 1 << 16;
    pub const TRAPPED: u32 = 2 << 16;
}

impl Stopped {
    /// Decodes what compiled code returned.
    #[cfg_attr(not(all(target_arch = "x86_64", unix)), allow(dead_code))]
    fn decode(raw: u64) -> Stopped {
        let n = (raw & 0xffff) as usize;
        match (raw as u32) & !0xffff {
            stop_flag::AFTER => Stopped::After(n),
            stop_flag::TRAPPED => Stopped::Trapped(n),
            _ => Stopped::At(n),
        }
    }
}

/// What a compiled loop reads and counts, shared with the caller. Laid out for the
/// generated code (`#[repr(C)]`: it addresses the fields by their offsets).
#[derive(Clone, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct LoopState {
    /// Instructions the loop may still retire. A run starts only if it holds the block's
    /// length; a finished run takes off what it retired.
    pub budget: u64,
    /// Taken branches (loops, skips, branches over an op taken; not a leaving branch).
    pub taken: u64,
    /// Instructions the run in progress skipped (see [`Taken::Skip`]).
    pub run_skipped: u64,
    /// One more than the index of the last branch counted in `taken`; 0 if none.
    pub last_taken: u64,
    /// The address the block was entered at (for `auipc`), zero-extended.
    pub entry_pc: u64,
    /// Finished runs, by the exit they left by (the loop's own branches).
    pub runs: [u64; MAX_EXITS],
    /// Skips, by the side exit whose branch skipped.
    pub skips: [u64; MAX_EXITS],
    /// Loads (`[0]`) and stores (`[1]`) the code served itself: as fast-path hits, by the
    /// hit class of the entry that served them, and after a quick miss
    /// ([`QUICK_MISSES`]). [`LoopCode::run_with`] adds the hits to the fast path's own hit
    /// counts when the code returns; the hart's counts and cycles of all of them are the
    /// caller's to add ([`LoopState::loads`], [`LoopState::stores`]).
    pub served: [[u64; SERVED_COLUMNS]; 2],
    /// The access functions' trampolines, one per [`access_slot`], and their argument,
    /// for the call in progress (set by [`LoopCode::run_with`]; 0 otherwise, when code
    /// with loads or stores never runs).
    access_fns: [usize; ACCESS_SLOTS],
    access_env: usize,
    /// What [`LoopMemory::direct`] lent, as addresses: valid from when it was lent until
    /// the next call of the access function (which lends them again), unused after.
    direct: Direct,
    /// [`LoopMemory::window`], for the call in progress.
    window: Window,
}

/// [`DirectMemory`] as compiled code reads it. With nothing lent, both tables are
/// [`EMPTY_TABLE`] and `key_high` is 0: no key (a page number, below 2^52) matches a tag
/// there (every tag has bit 63 set), so the code never reaches the other fields.
#[derive(Clone, Debug, PartialEq, Eq)]
#[repr(C)]
struct Direct {
    /// The load and store fast-path tables.
    tables: [usize; 2],
    key_high: u64,
    phys: usize,
    phys_len: u64,
    /// The code watch's bitmap and its length in bits.
    watched: usize,
    watched_bits: u64,
}

impl Direct {
    fn none() -> Direct {
        let empty = EMPTY_TABLE.as_ptr() as usize;
        Direct {
            tables: [empty; 2],
            key_high: 0,
            phys: 0,
            phys_len: 0,
            watched: 0,
            watched_bits: 0,
        }
    }

    fn of(direct: Option<DirectMemory<'_>>) -> Direct {
        let Some(d) = direct else {
            return Direct::none();
        };
        let [load, store] = d.fast.tables;
        Direct {
            tables: [load.as_ptr() as usize, store.as_ptr() as usize],
            key_high: d.fast.key_high,
            phys: d.phys.as_mut_ptr() as usize,
            phys_len: d.phys.len() as u64,
            watched: d.watched.as_ptr() as usize,
            watched_bits: (d.watched.len() as u64).saturating_mul(64),
        }
    }
}

/// Kinds of access the code hands back, each to its own function: loads of 1, 2, 4 and 8
/// bytes, zero- or sign-extended, and stores of each size; then the quick misses of a
/// load and of a store ([`quick_miss_slot`]).
pub(crate) const ACCESS_SLOTS: usize = 14;

/// The slot of the function the code asks for the quick miss of a load or a store
/// ([`LoopMemory::quick_miss`]): after the twelve access functions.
#[cfg_attr(not(all(target_arch = "x86_64", unix)), allow(dead_code))]
pub(crate) const fn quick_miss_slot(store: bool) -> usize {
    12 + store as usize
}

/// The slot of the access function for a load (`store` false; sign-extended if `signed`) or
/// a store of `size` bytes (1, 2, 4 or 8): loads `2 * log2(size) + signed`, stores
/// `8 + log2(size)`.
#[cfg_attr(not(all(target_arch = "x86_64", unix)), allow(dead_code))]
pub(crate) const fn access_slot(store: bool, size: u8, signed: bool) -> usize {
    let log = (size.trailing_zeros() & 3) as usize;
    if store {
        8 + log
    } else {
        2 * log + signed as usize
    }
}

/// What code with loads and stores needs from its caller. The code calls a function made
/// for the kind and size of each access, so that the caller need not look the operation
/// up to learn what it is.
pub trait LoopMemory {
    /// Does the load of `SIZE` bytes (sign-extended if `SIGNED`) by operation `op` at
    /// `addr` that the code did not serve itself, as the interpreter would, and says
    /// whether the run goes on, stops after it or traps there.
    fn load<const SIZE: u8, const SIGNED: bool>(&mut self, op: usize, addr: u64) -> Access;

    /// [`LoopMemory::load`] for a store of the low `SIZE` bytes of `value`.
    fn store<const SIZE: u8>(&mut self, op: usize, addr: u64, value: u64) -> Access;

    /// The physical address of the aligned load (or store, if `store`) of `size` bytes by
    /// operation `op` at `addr`, whose page the lent tables do not hold, if the memory
    /// translates it as a quick miss the code may serve itself: the translation counted
    /// and charged as the interpreter's access would count it, the access and its hart
    /// counts left to the code, which counts it in [`QUICK_MISSES`]. `None`, with nothing
    /// changed, otherwise (and by default): the code then calls [`LoopMemory::load`] or
    /// [`LoopMemory::store`].
    fn quick_miss(&mut self, _op: usize, _addr: u64, _size: u8, _store: bool) -> Option<u64> {
        None
    }

    /// What the code may use to serve fast-path hits itself until the next
    /// [`LoopMemory::load`], [`LoopMemory::store`] or [`LoopMemory::quick_miss`] that
    /// returns an address; `None` to serve none.
    fn direct(&mut self) -> Option<DirectMemory<'_>>;

    /// The unpaged window ([`Window`]) through which the code may also serve accesses to
    /// pages the tables do not hold, asked once a call: nothing inside compiled code
    /// changes the privilege or an MMU register. Served accesses still need memory lent by
    /// [`LoopMemory::direct`]. None by default.
    fn window(&mut self) -> Window {
        Window::NONE
    }
}

/// The memory of code that has no loads or stores: never asked.
struct NoMemory;

impl LoopMemory for NoMemory {
    fn load<const SIZE: u8, const SIGNED: bool>(&mut self, _op: usize, _addr: u64) -> Access {
        Access::trap()
    }

    fn store<const SIZE: u8>(&mut self, _op: usize, _addr: u64, _value: u64) -> Access {
        Access::trap()
    }

    fn direct(&mut self) -> Option<DirectMemory<'_>> {
        None
    }
}

impl LoopState {
    /// A state with `budget` to spend and nothing counted, for a block entered at
    /// `entry_pc`.
    pub fn new(budget: u64, entry_pc: u64) -> LoopState {
        LoopState {
            budget,
            taken: 0,
            run_skipped: 0,
            last_taken: 0,
            entry_pc,
            runs: [0; MAX_EXITS],
            skips: [0; MAX_EXITS],
            served: [[0; SERVED_COLUMNS]; 2],
            access_fns: [0; ACCESS_SLOTS],
            access_env: 0,
            direct: Direct::none(),
            window: Window::NONE,
        }
    }

    /// Loads the code served itself.
    pub fn loads(&self) -> u64 {
        self.served[0].iter().sum()
    }

    /// Stores the code served itself.
    pub fn stores(&self) -> u64 {
        self.served[1].iter().sum()
    }
}

/// Byte offsets of [`LoopState`]'s fields, for the generated code.
#[cfg_attr(not(all(target_arch = "x86_64", unix)), allow(dead_code))]
mod state_offset {
    use super::{Direct, LoopState, Window};
    use std::mem::offset_of;
    pub const BUDGET: usize = offset_of!(LoopState, budget);
    pub const TAKEN: usize = offset_of!(LoopState, taken);
    pub const RUN_SKIPPED: usize = offset_of!(LoopState, run_skipped);
    pub const LAST_TAKEN: usize = offset_of!(LoopState, last_taken);
    pub const ENTRY_PC: usize = offset_of!(LoopState, entry_pc);
    pub const RUNS: usize = offset_of!(LoopState, runs);
    pub const SKIPS: usize = offset_of!(LoopState, skips);
    pub const SERVED: usize = offset_of!(LoopState, served);
    pub const ACCESS_FNS: usize = offset_of!(LoopState, access_fns);
    pub const ACCESS_ENV: usize = offset_of!(LoopState, access_env);
    const DIRECT: usize = offset_of!(LoopState, direct);
    pub const TABLES: usize = DIRECT + offset_of!(Direct, tables);
    pub const KEY_HIGH: usize = DIRECT + offset_of!(Direct, key_high);
    pub const PHYS: usize = DIRECT + offset_of!(Direct, phys);
    pub const PHYS_LEN: usize = DIRECT + offset_of!(Direct, phys_len);
    pub const WATCHED: usize = DIRECT + offset_of!(Direct, watched);
    pub const WATCHED_BITS: usize = DIRECT + offset_of!(Direct, watched_bits);
    const WINDOW: usize = offset_of!(LoopState, window);
    pub const WINDOW_BASE: usize = WINDOW + offset_of!(Window, base);
    pub const WINDOW_END: usize = WINDOW + offset_of!(Window, end);
    pub const WINDOW_CLASS: usize = WINDOW + offset_of!(Window, class);
}

/// A guest register word the compiled code may run on: `u32` (RV32) or `u64` (RV64).
pub trait GuestWord: Copy + sealed::Sealed {
    /// The width compiled code must have been compiled for.
    const WIDTH: Xlen;
}

impl GuestWord for u32 {
    const WIDTH: Xlen = Xlen::X32;
}

impl GuestWord for u64 {
    const WIDTH: Xlen = Xlen::X64;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for u32 {}
    impl Sealed for u64 {}
}

/// A compiled loop block.
#[derive(Debug)]
pub struct LoopCode {
    xlen: Xlen,
    /// The block's length: a run starts only with that much budget.
    len: u32,
    /// The first operation not compiled, if the code stops before the block's end.
    resume_at: Option<usize>,
    /// Whether the code holds loads or stores (it then runs only with an access function).
    memory: bool,
    #[cfg(all(target_arch = "x86_64", unix))]
    code: native::NativeCode,
}

impl LoopCode {
    /// Compiles the block `ops` (its operations in order) of `len` instructions for a hart
    /// of width `xlen`, from its entry up to the first operation this compiler does not
    /// cover ([`LoopOp::Other`]: jumps) or through its closing [`LoopOp::Fall`].
    /// `None` if that part has no branch back to the entry, or the host is not x86-64.
    pub fn compile(ops: &[LoopOp], len: u32, xlen: Xlen) -> Option<LoopCode> {
        #[cfg(all(target_arch = "x86_64", unix))]
        {
            let (bytes, covered) = emit::compile(ops, len, xlen)?;
            let code = native::NativeCode::new(&bytes)?;
            let ends = matches!(
                ops.get(covered.wrapping_sub(1)),
                Some(LoopOp::Fall | LoopOp::JumpBack { .. })
            );
            let resume_at = (!ends).then_some(covered);
            let memory = ops
                .iter()
                .take(covered)
                .any(|op| matches!(op, LoopOp::Load { .. } | LoopOp::Store { .. }));
            Some(LoopCode {
                xlen,
                len,
                resume_at,
                memory,
                code,
            })
        }
        #[cfg(not(all(target_arch = "x86_64", unix)))]
        {
            let _ = (ops, len, xlen);
            None
        }
    }

    /// Whether the code holds loads or stores (and so runs only with
    /// [`LoopCode::run_with`]).
    pub fn has_memory(&self) -> bool {
        self.memory
    }

    /// The index of the first operation the code does not cover, where a run that gets
    /// there goes on in the interpreter; `None` if it covers the whole block.
    pub fn resume_at(&self) -> Option<usize> {
        self.resume_at
    }

    /// Runs the loop from its entry on the registers `regs` (entry 0 is `zero`, never
    /// written), counting into `state`: runs while the budget holds a whole block, and
    /// returns where the last run stopped: at a leaving branch (taken, not yet counted), the
    /// closing `Fall`, a loop branch whose run (taken and counted in `taken` and
    /// `last_taken`, not in `runs` or the budget) the budget could not follow with another,
    /// or [`LoopCode::resume_at`] (not executed). `None`, having run nothing, if the code
    /// was compiled for another width, the budget does not hold the block's length, or the
    /// code holds loads or stores (see [`LoopCode::run_with`]).
    pub fn run<W: GuestWord>(&self, regs: &mut [W; 32], state: &mut LoopState) -> Option<usize> {
        if self.memory {
            return None;
        }
        match self.run_with(regs, state, &mut NoMemory)? {
            Stopped::At(n) | Stopped::After(n) | Stopped::Trapped(n) => Some(n),
        }
    }

    /// [`LoopCode::run`] for code that may hold loads and stores. An aligned access whose
    /// page `memory` lends a fast-path entry for ([`LoopMemory::direct`]) is served by the
    /// code itself, counted in the fast path's hits and in [`LoopState::loads`] or
    /// [`LoopState::stores`]; any other goes to [`LoopMemory::load`] or [`LoopMemory::store`], which reports
    /// whether the run goes on, stops after it ([`Stopped::After`]) or traps there
    /// ([`Stopped::Trapped`]).
    pub fn run_with<W: GuestWord, M: LoopMemory>(
        &self,
        regs: &mut [W; 32],
        state: &mut LoopState,
        memory: &mut M,
    ) -> Option<Stopped> {
        if W::WIDTH != self.xlen || state.budget < u64::from(self.len) {
            return None;
        }
        #[cfg(all(target_arch = "x86_64", unix))]
        {
            Some(Stopped::decode(self.code.call(regs, state, memory)))
        }
        #[cfg(not(all(target_arch = "x86_64", unix)))]
        {
            let _ = (regs, state, memory);
            None
        }
    }
}

#[cfg(all(test, target_arch = "x86_64", unix))]
mod tests;
