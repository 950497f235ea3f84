//! Executable memory for compiled loops: mapped writable, filled, then made read-and-execute
//! before the first call (never writable and executable at once), and unmapped on drop.
//!
//! This module and the call into the code are the crate's only `unsafe`: the interpreter's
//! op loop, at its best, spends about 14 host instructions per guest operation and keeps
//! every guest register in memory; the compiled intmix loop runs the same instructions with
//! the same counts several times faster (README, "Speed"), which is the measured reason.
#![allow(unsafe_code)]

use crate::{GuestWord, LoopState};

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

    /// Runs the code on `regs` and `state`; returns the operation index it stopped at.
    pub fn call<W: GuestWord>(&self, regs: &mut [W; 32], state: &mut LoopState) -> usize {
        // SAFETY: the mapping holds a whole function emitted by `crate::emit` for the width
        // of `W` (checked by `LoopCode::run`), made executable in `new`. That function
        // follows the System V ABI (it saves and restores every callee-saved register it
        // uses and keeps the stack balanced), reads and writes only the 32 `W`s at its
        // first argument and the `LoopState` at its second (fixed offsets inside both),
        // calls nothing, and returns on every path: `LoopCode::run` enters only with a
        // budget holding the block, and every branch back to the entry first takes off at
        // least one instruction (`emit::covered` admits a loop branch only as its run's
        // last retired instruction, and skips only of the instructions they pass over) and
        // returns once the budget no longer holds the block.
        let entry: Entry = unsafe { std::mem::transmute::<*mut libc::c_void, Entry>(self.ptr) };
        // SAFETY: as above; both pointers come from exclusive references alive for the call.
        let stopped = unsafe { entry(regs.as_mut_ptr().cast::<u8>(), state) };
        stopped as usize
    }
}

impl Drop for NativeCode {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping `new` made; nothing refers to it after drop.
        unsafe {
            libc::munmap(self.ptr, self.len);
        }
    }
}
