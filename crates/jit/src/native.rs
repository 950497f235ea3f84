//! Executable memory for compiled loops: mapped writable, filled, then made read-and-execute
//! before the first call (never writable and executable at once), and unmapped on drop.
//!
//! This module and the call into the code are the crate's only `unsafe`: the interpreter's
//! op loop, at its best, spends about 14 host instructions per guest operation and keeps
//! every guest register in memory; the compiled intmix loop runs the same instructions with
//! the same counts several times faster (README, "Speed"), which is the measured reason.
#![allow(unsafe_code)]

use crate::{Access, Direct, GuestWord, LoopMemory, LoopState, ACCESS_SLOTS};
use atlas_mmu::fastpath::Window;

/// A mapping holding one compiled loop, read-only and executable.
#[derive(Debug)]
pub(crate) struct NativeCode {
    ptr: *mut libc::c_void,
    len: usize,
}

// SAFETY: the mapping is never written after `new` made it read-and-execute, so sharing
// or sending the pointer between threads shares immutable memory only.
unsafe impl Send for NativeCode {}
// SAFETY: as for `Send`: calls only read the mapping.
unsafe impl Sync for NativeCode {}

/// The compiled loop's signature: the guest registers and the state (System V ABI on every
/// x86-64 host), returning the operation index it stopped at.
type Entry = unsafe extern "sysv64" fn(*mut u8, *mut LoopState) -> u64;

impl NativeCode {
    /// Maps `code` executable; `None` if the host refuses the mapping.
    pub fn new(code: &[u8]) -> Option<NativeCode> {
        // SAFETY: sysconf has no preconditions.
        let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).ok()?;
        let len = code.len().max(1).div_ceil(page.max(1)) * page;
        // SAFETY: an anonymous private mapping at an address of the kernel's choosing
        // touches no existing memory.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED || ptr.is_null() {
            return None;
        }
        let mapped = NativeCode { ptr, len };
        // SAFETY: the mapping is `len >= code.len()` bytes, writable, and ours alone.
        unsafe { std::ptr::copy_nonoverlapping(code.as_ptr(), ptr.cast::<u8>(), code.len()) };
        // SAFETY: changes the protection of our own mapping only.
        let protected = unsafe { libc::mprotect(ptr, len, libc::PROT_READ | libc::PROT_EXEC) };
        // On failure, `mapped` unmaps on drop.
        (protected == 0).then_some(mapped)
    }

    /// Runs the code on `regs` and `state`, its loads and stores served through `memory`;
    /// returns what the code returned (an operation index and flags).
    pub fn call<W: GuestWord, M: LoopMemory>(
        &self,
        regs: &mut [W; 32],
        state: &mut LoopState,
        memory: &mut M,
    ) -> u64 {
        state.window = memory.window();
        state.direct = Direct::of(memory.direct());
        state.access_fns = trampolines::<M>();
        state.access_env = (memory as *mut M).cast::<libc::c_void>() as usize;
        // SAFETY: the mapping holds a whole function emitted by `crate::emit` for the width
        // of `W` (checked by `LoopCode::run_with`), made executable in `new`. That function
        // follows the System V ABI (it saves and restores every callee-saved register it
        // uses, keeps the stack balanced and 16-byte aligned at its calls, and saves the
        // caller-saved registers it needs across them), reads and writes only the 32 `W`s
        // at its first argument, the `LoopState` at its second (fixed offsets inside both)
        // and the memory `state.direct` describes, and calls only the `state.access_fns`
        // with `state.access_env` (set just above to the trampolines for `M` and to
        // `memory`), each for a load or store of the kind and size of its slot (the last
        // two slots: the quick-miss functions, for an aligned load or store). It
        // returns on every path: `LoopCode::run_with` enters only with a budget holding the
        // block, and every branch back to the entry first takes off at least one
        // instruction (`emit::covered` admits a loop branch only as its run's last retired
        // instruction, and skips only of the instructions they pass over) and returns once
        // the budget no longer holds the block.
        //
        // `state.direct` was made just above from what `memory.direct()` lent, and after
        // every call of the access function the trampoline makes it again, after its last
        // use of `memory`, as `quick_miss` does after a quick miss that gave an address
        // (one that gave none changed nothing, and the code calls the access function
        // next): the addresses the code uses always come from the latest loan, taken
        // after every other use of the memory they point into. The code reads the
        // fast-path tables (`ENTRIES` entries of `FastEntry::SIZE` bytes each, at an index
        // below `ENTRIES`) and, only behind a tag that matched or an address inside
        // `state.window` (set just above from `memory.window()`, an address range and a
        // class), bumps a counter of `state.served` (index from the entry's or the
        // window's class, below 3, or `QUICK_MISSES`, 3, after a quick miss), reads or
        // writes `size` bytes of `phys` at an offset it has checked against `phys_len`,
        // and tests a bit of `watched` below `watched_bits`. With nothing lent no tag matches (`Direct::none`) and `phys_len`
        // is 0, so no window access passes that check.
        let entry: Entry = unsafe { std::mem::transmute::<*mut libc::c_void, Entry>(self.ptr) };
        // SAFETY: as above; the pointers come from exclusive references alive for the call
        // and distinct from one another, so the trampoline's `&mut M` aliases nothing the
        // code touches but through the loan it renews.
        let stopped = unsafe { entry(regs.as_mut_ptr().cast::<u8>(), state) };
        state.access_fns = [0; ACCESS_SLOTS];
        state.access_env = 0;
        state.direct = Direct::none();
        state.window = Window::NONE;
        // The hits the code served, into the fast path's counts (with nothing lent, the code
        // served none).
        if let Some(direct) = memory.direct() {
            for (hits, served) in direct.fast.hits.into_iter().zip(&state.served) {
                for (hit, n) in hits.iter_mut().zip(served) {
                    *hit += n;
                }
            }
        }
        stopped
    }
}

/// The access function as compiled code calls it: (env, state, operation index, address,
/// value).
type Trampoline =
    unsafe extern "sysv64" fn(*mut libc::c_void, *mut LoopState, u64, u64, u64) -> Access;

/// The access functions for memory `M`, one per slot ([`crate::access_slot`]).
pub(crate) fn trampolines<M: LoopMemory>() -> [usize; ACCESS_SLOTS] {
    [
        trampoline::<M, 0> as Trampoline as usize,
        trampoline::<M, 1> as Trampoline as usize,
        trampoline::<M, 2> as Trampoline as usize,
        trampoline::<M, 3> as Trampoline as usize,
        trampoline::<M, 4> as Trampoline as usize,
        trampoline::<M, 5> as Trampoline as usize,
        trampoline::<M, 6> as Trampoline as usize,
        trampoline::<M, 7> as Trampoline as usize,
        trampoline::<M, 8> as Trampoline as usize,
        trampoline::<M, 9> as Trampoline as usize,
        trampoline::<M, 10> as Trampoline as usize,
        trampoline::<M, 11> as Trampoline as usize,
        quick_miss::<M, false> as QuickMiss as usize,
        quick_miss::<M, true> as QuickMiss as usize,
    ]
}

/// The quick-miss function as compiled code calls it: (env, state, operation index,
/// address, size), returning the physical address or [`NO_QUICK_MISS`].
type QuickMiss = unsafe extern "sysv64" fn(*mut libc::c_void, *mut LoopState, u64, u64, u64) -> u64;

/// What [`quick_miss`] returns when the memory declined (no physical address of a page
/// inside memory is all ones).
pub(crate) const NO_QUICK_MISS: u64 = u64::MAX;

/// Asks the `M` at `env` for the quick miss of the load (the store, if `STORE`) of
/// operation `op` at `addr`, `size` bytes ([`LoopMemory::quick_miss`]). When it gives an
/// address, lends its direct memory again into the `LoopState` at `state`, as
/// [`trampoline`] does: the quick miss has changed the tables. When it declines, nothing
/// changed and the code calls the access function next, which lends again before the code
/// uses any address. A panic aborts, as in [`trampoline`].
///
/// # Safety
/// As for [`trampoline`].
unsafe extern "sysv64" fn quick_miss<M: LoopMemory, const STORE: bool>(
    env: *mut libc::c_void,
    state: *mut LoopState,
    op: u64,
    addr: u64,
    size: u64,
) -> u64 {
    // SAFETY: as in `trampoline`: `env` is the `&mut M` `NativeCode::call` holds and
    // `state` the state it passed to the code, which only this call uses meanwhile.
    let (memory, state) = unsafe { (&mut *env.cast::<M>(), &mut *state) };
    match memory.quick_miss(op as usize, addr, size as u8, STORE) {
        Some(pa) => {
            state.direct = Direct::of(memory.direct());
            pa
        }
        None => NO_QUICK_MISS,
    }
}

/// Calls the access function of slot `SLOT` ([`crate::access_slot`]) of the `M` at `env`,
/// then lends its direct memory again into the `LoopState` at `state`. A panic inside
/// cannot unwind through the compiled code: it aborts the process (the function is
/// `extern "sysv64"`, which does not unwind).
///
/// # Safety
/// `env` must point to an `M` and `state` to a `LoopState` that nothing else uses during
/// the call.
unsafe extern "sysv64" fn trampoline<M: LoopMemory, const SLOT: usize>(
    env: *mut libc::c_void,
    state: *mut LoopState,
    op: u64,
    addr: u64,
    value: u64,
) -> Access {
    // SAFETY: `NativeCode::call` set `env` to the `&mut M` it holds and passed `state` to
    // the code, unused by it until the code returns; only that code calls this, during
    // that call, passing both on.
    let (memory, state) = unsafe { (&mut *env.cast::<M>(), &mut *state) };
    let op = op as usize;
    // `SLOT` is a constant: each trampoline is one arm.
    let result = match SLOT {
        0 => memory.load::<1, false>(op, addr),
        1 => memory.load::<1, true>(op, addr),
        2 => memory.load::<2, false>(op, addr),
        3 => memory.load::<2, true>(op, addr),
        4 => memory.load::<4, false>(op, addr),
        5 => memory.load::<4, true>(op, addr),
        6 => memory.load::<8, false>(op, addr),
        7 => memory.load::<8, true>(op, addr),
        8 => memory.store::<1>(op, addr, value),
        9 => memory.store::<2>(op, addr, value),
        10 => memory.store::<4>(op, addr, value),
        _ => memory.store::<8>(op, addr, value),
    };
    state.direct = Direct::of(memory.direct());
    result
}

impl Drop for NativeCode {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping `new` made; nothing refers to it after drop.
        unsafe {
            libc::munmap(self.ptr, self.len);
        }
    }
}
