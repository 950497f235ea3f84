//! System calls: the handler trait and the Linux subset the mini OS serves.
//!
//! Numbers and errno values come from the `isa/` tables (`atlas_isa::syscall`,
//! `atlas_isa::errno`); results follow the Linux convention (a negative errno in `a0`).

use crate::mm::{AddressSpace, MmEnv, MmapArgs};
use crate::stack::PAGE_SIZE;
use atlas_isa::{errno, syscall, Xlen};
use atlas_mmu::{AccessCtx, AccessKind, Bus, Privilege};
use std::io::{Read, Write};

/// Where the guest's standard streams go: the caller supplies them (the CLI passes the
/// process's own, tests pass buffers).
#[allow(missing_debug_implementations)]
pub struct GuestIo<'a> {
    /// File descriptor 0.
    pub stdin: &'a mut dyn Read,
    /// File descriptor 1.
    pub stdout: &'a mut dyn Write,
    /// File descriptor 2.
    pub stderr: &'a mut dyn Write,
}

/// Standard streams held in memory: input read from a byte slice, output and error
/// collected, for tests, benches and tools that look at what a guest printed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CapturedIo<'a> {
    /// What the guest reads from file descriptor 0 (consumed as it reads).
    pub stdin: &'a [u8],
    /// What it wrote to file descriptor 1.
    pub stdout: Vec<u8>,
    /// What it wrote to file descriptor 2.
    pub stderr: Vec<u8>,
}

impl<'a> CapturedIo<'a> {
    /// Streams with `stdin` as input and nothing written yet.
    pub fn new(stdin: &'a [u8]) -> CapturedIo<'a> {
        CapturedIo {
            stdin,
            ..CapturedIo::default()
        }
    }

    /// The streams as a run takes them.
    pub fn io(&mut self) -> GuestIo<'_> {
        GuestIo {
            stdin: &mut self.stdin,
            stdout: &mut self.stdout,
            stderr: &mut self.stderr,
        }
    }
}

/// One system call as the guest made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyscallArgs {
    /// The number (`a7`).
    pub nr: u64,
    /// `a0`..`a5`, zero-extended.
    pub args: [u64; 6],
}

/// What a handled system call does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Return this value in `a0` and continue after the `ecall`.
    Return(u64),
    /// The process exits with this status.
    Exit(i32),
}

/// What a handler may touch: guest memory (through the bus, so translation applies), the
/// guest's streams and its register width.
#[allow(missing_debug_implementations)]
pub struct SyscallEnv<'a, 'io, B: Bus> {
    /// The memory system.
    pub bus: &'a mut B,
    /// The guest's standard streams.
    pub io: &'a mut GuestIo<'io>,
    /// The process's register width (results are truncated to it).
    pub xlen: Xlen,
}

impl<B: Bus> SyscallEnv<'_, '_, B> {
    /// The physical range holding `len` guest bytes at `va` within one page, if mapped.
    fn chunk(&mut self, va: u64, len: u64, kind: AccessKind) -> Option<u64> {
        let ctx = AccessCtx {
            va,
            kind,
            size: 1,
            privilege: Privilege::User,
            asid: self.bus.asid(),
            pc: 0,
        };
        let pa = self.bus.translate(ctx).ok()?;
        self.bus.phys().slice(pa, len)?;
        Some(pa)
    }

    /// Calls `f` on each page-bounded piece of the guest range `[va, va+len)`; stops at
    /// the first unmapped piece or when `f` returns `false`. Returns the bytes visited.
    fn for_each_piece(
        &mut self,
        va: u64,
        len: u64,
        kind: AccessKind,
        mut f: impl FnMut(&mut Self, u64, u64) -> bool,
    ) -> u64 {
        let mut done = 0u64;
        while done < len {
            let at = va.wrapping_add(done);
            let in_page = PAGE_SIZE - (at % PAGE_SIZE);
            let n = in_page.min(len - done);
            let Some(pa) = self.chunk(at, n, kind) else {
                break;
            };
            if !f(self, pa, n) {
                break;
            }
            done += n;
        }
        done
    }
}

/// A system-call handler: serves the numbers it knows and passes on the rest.
///
/// Handlers are chained by the process: the first to return `Some` wins; a number nobody
/// serves returns `-ENOSYS` and is listed in the run report.
pub trait Syscalls {
    /// Handles `call` if it is one of this handler's numbers.
    fn handle<B: Bus>(
        &mut self,
        call: &SyscallArgs,
        env: &mut SyscallEnv<'_, '_, B>,
    ) -> Option<Outcome>;
}

/// A negative errno as the guest sees it in `a0`.
pub const fn neg_errno(e: u64) -> u64 {
    e.wrapping_neg()
}

/// The Linux calls that need no address space: `read` (fd 0), `write` (fd 1, 2), `exit`
/// and `exit_group`. The memory calls go to the address space ([`memory_call`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinuxBasics;

impl LinuxBasics {
    fn write<B: Bus>(
        &mut self,
        fd: u64,
        va: u64,
        len: u64,
        env: &mut SyscallEnv<'_, '_, B>,
    ) -> u64 {
        if fd != 1 && fd != 2 {
            return neg_errno(errno::EBADF);
        }
        if fd == 2 {
            // The caller may buffer stdout: keep the two streams in the guest's order.
            let _ = env.io.stdout.flush();
        }
        let mut failed = false;
        let done = env.for_each_piece(va, len, AccessKind::Load, |env, pa, n| {
            let Some(bytes) = env.bus.phys().slice(pa, n) else {
                return false;
            };
            let out: &mut dyn Write = if fd == 1 {
                env.io.stdout
            } else {
                env.io.stderr
            };
            failed = out.write_all(bytes).is_err();
            !failed
        });
        if done == 0 && len != 0 {
            return neg_errno(if failed { errno::EBADF } else { errno::EFAULT });
        }
        done
    }

    fn read<B: Bus>(&mut self, fd: u64, va: u64, len: u64, env: &mut SyscallEnv<'_, '_, B>) -> u64 {
        if fd != 0 {
            return neg_errno(errno::EBADF);
        }
        // A prompt the guest wrote without a newline must show before the read blocks.
        let _ = env.io.stdout.flush();
        // One host read, as Linux returns what a terminal or pipe has ready.
        let mut buf = vec![0u8; len.min(1 << 16) as usize];
        let n = match env.io.stdin.read(&mut buf) {
            Ok(n) => n as u64,
            Err(_) => return neg_errno(errno::EBADF),
        };
        let mut copied = 0u64;
        let done = env.for_each_piece(va, n, AccessKind::Store, |env, pa, len| {
            let src = buf.get(copied as usize..(copied + len) as usize);
            match (src, env.bus.phys_mut().slice_mut(pa, len)) {
                (Some(src), Some(dst)) => {
                    dst.copy_from_slice(src);
                    copied += len;
                    true
                }
                _ => false,
            }
        });
        if done < n {
            return neg_errno(errno::EFAULT);
        }
        done
    }
}

impl Syscalls for LinuxBasics {
    fn handle<B: Bus>(
        &mut self,
        call: &SyscallArgs,
        env: &mut SyscallEnv<'_, '_, B>,
    ) -> Option<Outcome> {
        let [a0, a1, a2, ..] = call.args;
        let ret = match call.nr {
            syscall::WRITE => self.write(a0, a1, a2, env),
            syscall::READ => self.read(a0, a1, a2, env),
            syscall::EXIT | syscall::EXIT_GROUP => return Some(Outcome::Exit(a0 as i32)),
            _ => return None,
        };
        Some(Outcome::Return(ret))
    }
}

/// Serves the memory calls (`brk`, `mmap`, `munmap`, `mprotect`) on the process's address
/// space; `None` for any other number. On RV32 `mmap`'s offset is in pages (`mmap2`).
pub fn memory_call(
    space: &mut dyn AddressSpace,
    env: &mut MmEnv<'_>,
    call: &SyscallArgs,
) -> Option<u64> {
    let [a0, a1, a2, a3, a4, a5] = call.args;
    let ret = match call.nr {
        syscall::BRK => space.brk(env, a0),
        syscall::MMAP => {
            let offset = match env.xlen {
                Xlen::X32 => a5.checked_mul(PAGE_SIZE),
                Xlen::X64 => Some(a5),
            };
            match offset {
                Some(offset) => space.mmap(
                    env,
                    &MmapArgs {
                        addr: a0,
                        len: a1,
                        prot: a2,
                        flags: a3,
                        fd: a4,
                        offset,
                    },
                ),
                None => neg_errno(errno::EINVAL),
            }
        }
        syscall::MUNMAP => space.munmap(env, a0, a1),
        syscall::MPROTECT => space.mprotect(env, a0, a1, a2),
        _ => return None,
    };
    Some(ret)
}

/// The name of syscall `nr`, if the tables know it.
pub fn name(nr: u64) -> Option<&'static str> {
    syscall::NAMES
        .iter()
        .find(|(n, _)| *n == nr)
        .map(|(_, name)| *name)
}
