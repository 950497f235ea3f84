//! Loads and stores: the fast-path hit, or an access inside the unpaged window, served by
//! the code itself; anything else handed to the caller's access function.

use super::{state, Emitter, CALL_SAVED};
use crate::state_offset as off;
use crate::x86::reg::*;
use crate::x86::{Arith, Cond, Label, Rm, Shift};
use crate::{Reg, QUICK_MISSES, SERVED_COLUMNS};
use atlas_mmu::fastpath::{FastEntry, ENTRIES as FAST_ENTRIES};

/// A load or store, as the emitter needs it.
#[derive(Clone, Copy, Debug)]
pub(super) enum Access {
    Load { rd: Reg, size: u8, signed: bool },
    Store { rs2: Reg, size: u8 },
}

impl Emitter {
    /// The load or store `i` at `rs1 + imm`: served here when its page is a fast-path hit
    /// ([`Emitter::table_lookup`]) or inside the unpaged window
    /// ([`Emitter::window_lookup`], out of the hit's line), else by a call of the access
    /// function.
    pub(super) fn memory(&mut self, i: usize, rs1: Reg, imm: i32, access: Access) {
        let (window, translated, quick, slow, done) = (
            self.asm.label(),
            self.asm.label(),
            self.asm.label(),
            self.asm.label(),
            self.asm.label(),
        );
        // The address (zero-extended at RV32: a 32-bit move or add clears the upper half).
        self.load(RAX, rs1);
        if imm != 0 {
            self.asm.arith_imm(Arith::Add, self.wide, Rm::Reg(RAX), imm);
        }
        self.table_lookup(access, window, slow);
        self.asm.bind(translated);
        self.serve(access, slow);
        self.asm.jump(done);
        self.asm.bind(window);
        self.window_lookup(access_size(access), quick);
        self.asm.jump(translated);
        self.asm.bind(quick);
        self.quick_miss(i, access, translated, slow);
        self.asm.bind(slow);
        self.call_access(i, access);
        self.asm.bind(done);
    }

    /// The aligned access at the address in `rax`, its page neither held nor in the window,
    /// through the quick-miss function ([`crate::LoopMemory::quick_miss`]): if it returns a
    /// physical address, on to `translated` with it in `rcx` and [`QUICK_MISSES`] as the
    /// class in `r11` (served there as a hit is, counted apart); else to `slow`. `rax` is
    /// kept on the stack across the call, twice so that the stack stays 16-byte aligned,
    /// and the caller-saved registers as for [`Emitter::call_access`].
    fn quick_miss(&mut self, i: usize, access: Access, translated: Label, slow: Label) {
        let Ok(index) = i32::try_from(i) else {
            self.asm.jump(slow);
            return;
        };
        self.asm.push(RAX);
        self.asm.push(RAX);
        for r in CALL_SAVED {
            self.asm.push(r);
        }
        // (env, state, op, address, size): state is already in rsi.
        self.asm.mov_imm(false, R8, i32::from(access_size(access)));
        self.asm.load(true, RCX, Rm::Reg(RAX));
        self.asm.mov_imm(false, RDX, index);
        self.asm.load(true, RDI, state(off::ACCESS_ENV));
        let slot = crate::quick_miss_slot(access_kind(access) == 1);
        self.asm.load(true, RAX, state(off::ACCESS_FNS + 8 * slot));
        self.asm.call(RAX);
        self.asm.load(true, RCX, Rm::Reg(RAX));
        for r in CALL_SAVED.iter().rev() {
            self.asm.pop(*r);
        }
        self.asm.pop(RAX);
        self.asm.pop(RAX);
        self.asm.arith_imm(
            Arith::Cmp,
            true,
            Rm::Reg(RCX),
            crate::native::NO_QUICK_MISS as i32,
        );
        self.asm.jump_if(Cond::Equal, slow);
        self.asm.mov_imm(false, R11, QUICK_MISSES as i32);
        self.asm.jump(translated);
    }

    /// The fast-path lookup of the access at the address in `rax`, as the bus's `load_fast`
    /// / `store_fast` make it: aligned (else to `slow`), and the tag of its page in the load
    /// or store table (`(va >> 12) % ENTRIES`) is `(va >> 12) | key_high` (else to
    /// `window`). On a hit, leaves the physical address in `rcx` and the entry's hit class
    /// in `r11`; `rax` is unchanged either way.
    fn table_lookup(&mut self, access: Access, window: Label, slow: Label) {
        let kind = access_kind(access);
        let size = access_size(access);
        if size > 1 {
            self.asm.test_imm(Rm::Reg(RAX), i32::from(size) - 1);
            self.asm.jump_if(Cond::NotEqual, slow);
        }
        // rcx = page number; r11 = its entry.
        self.asm.load(true, RCX, Rm::Reg(RAX));
        self.asm
            .shift_imm(Shift::RightLogical, true, Rm::Reg(RCX), 12);
        self.asm.load(false, R11, Rm::Reg(RCX));
        self.asm
            .arith_imm(Arith::And, false, Rm::Reg(R11), FAST_ENTRIES as i32 - 1);
        self.asm
            .imul_imm(true, R11, Rm::Reg(R11), FastEntry::SIZE as i8);
        self.asm
            .arith(Arith::Add, true, R11, state(off::TABLES + 8 * kind));
        self.asm.arith(Arith::Or, true, RCX, state(off::KEY_HIGH));
        self.asm
            .arith(Arith::Cmp, true, RCX, field(R11, FastEntry::TAG_OFFSET));
        self.asm.jump_if(Cond::NotEqual, window);
        // rcx = physical address; r11 = the entry's class.
        self.asm.load(false, RCX, Rm::Reg(RAX));
        self.asm.arith_imm(Arith::And, false, Rm::Reg(RCX), 0xfff);
        self.asm
            .arith(Arith::Add, true, RCX, field(R11, FastEntry::PA_BASE_OFFSET));
        self.asm
            .load_extend(false, false, 1, R11, field(R11, FastEntry::CLASS_OFFSET));
    }

    /// The aligned access of `size` bytes at the address in `rax`, its page not held, as
    /// the unpaged window translates it: `va + size <= end` and `pa = base + va`, neither
    /// wrapping (else to `slow`, `rax` unchanged). Leaves `pa` in `rcx` and the window's
    /// hit class in `r11`. The window is empty (`end` 0) unless bare or base-bounds
    /// translation is in force: its first test sends a paged miss on at the cost of a
    /// compare and a branch.
    fn window_lookup(&mut self, size: u8, slow: Label) {
        self.asm
            .arith(Arith::Cmp, true, RAX, state(off::WINDOW_END));
        self.asm.jump_if(Cond::AboveEq, slow);
        self.asm.load(true, R10, Rm::Reg(RAX));
        self.asm
            .arith_imm(Arith::Add, true, Rm::Reg(R10), i32::from(size));
        self.asm.jump_if(Cond::Below, slow);
        self.asm
            .arith(Arith::Cmp, true, R10, state(off::WINDOW_END));
        self.asm.jump_if(Cond::Above, slow);
        self.asm.load(true, RCX, Rm::Reg(RAX));
        self.asm
            .arith(Arith::Add, true, RCX, state(off::WINDOW_BASE));
        self.asm.jump_if(Cond::Below, slow);
        self.asm
            .load_extend(false, false, 1, R11, state(off::WINDOW_CLASS));
    }

    /// Serves the access at virtual address `rax`, physical address `rcx`, counted as hit
    /// class `r11`: its physical bytes must lie inside memory and, for a store, its page
    /// must not be one whose instructions are decoded (the bus must report that write);
    /// else to `slow` with `rax` unchanged. Counts the hit in `served`, by kind and class.
    /// Uses `rcx`, `r10` and `r11` (kept out of the register pool when the block has
    /// memory operations).
    fn serve(&mut self, access: Access, slow: Label) {
        let kind = access_kind(access);
        let size = access_size(access);
        // The last byte must be inside memory (the end computed without wrapping: a carry
        // goes to the slow path).
        self.asm.load(true, R10, Rm::Reg(RCX));
        self.asm
            .arith_imm(Arith::Add, true, Rm::Reg(R10), i32::from(size));
        self.asm.jump_if(Cond::Below, slow);
        self.asm.arith(Arith::Cmp, true, R10, state(off::PHYS_LEN));
        self.asm.jump_if(Cond::Above, slow);
        if kind == 1 {
            // A watched page's bit: the store goes to the bus, which reports the write.
            // The bitmap's address borrows `rax`, the virtual address kept on the stack
            // meanwhile (`pop` leaves the flags alone).
            let unwatched = self.asm.label();
            self.asm.load(true, R10, Rm::Reg(RCX));
            self.asm
                .shift_imm(Shift::RightLogical, true, Rm::Reg(R10), 12);
            self.asm
                .arith(Arith::Cmp, true, R10, state(off::WATCHED_BITS));
            self.asm.jump_if(Cond::AboveEq, unwatched);
            self.asm.push(RAX);
            self.asm.load(true, RAX, state(off::WATCHED));
            self.asm.bit_test(field(RAX, 0), R10);
            self.asm.pop(RAX);
            self.asm.jump_if(Cond::Below, slow);
            self.asm.bind(unwatched);
        }
        // The hit, by its class: served[kind][class] += 1.
        let served = off::SERVED + 8 * SERVED_COLUMNS * kind;
        self.asm.count_indexed(RSI, R11, served as i32);
        self.asm.arith(Arith::Add, true, RCX, state(off::PHYS));
        let at = field(RCX, 0);
        match access {
            Access::Load { rd, size, signed } => {
                match size {
                    1 | 2 => self.asm.load_extend(signed, self.wide, size, RAX, at),
                    4 if signed && self.wide => self.asm.movsxd(RAX, at),
                    4 => self.asm.load(false, RAX, at),
                    _ => self.asm.load(true, RAX, at),
                }
                self.store_rax(rd);
            }
            Access::Store { rs2, size } => {
                self.load(RAX, rs2);
                self.asm.store_sized(size, at, RAX);
            }
        }
    }

    /// The access at the address in `rax` through the access function, with the
    /// caller-saved registers that hold guest registers (and the two arguments) saved
    /// around the call; then out through a stub if it trapped (`rd` unchanged) or asked
    /// to stop after it (`rd` written).
    fn call_access(&mut self, i: usize, access: Access) {
        let (Some(trapped), Some(after), Ok(index)) = (
            self.stub_with(i, crate::stop_flag::TRAPPED),
            self.stub_with(i, crate::stop_flag::AFTER),
            i32::try_from(i),
        ) else {
            // Out of stubs (an index past 0xffff): a jump to a label never bound, so that
            // assembling fails rather than skipping the access.
            let nowhere = self.op_label(usize::MAX);
            self.asm.jump(nowhere);
            return;
        };
        // The value to store, before any register is saved or reused.
        match access {
            Access::Store { rs2, .. } => self.load(RCX, rs2),
            Access::Load { .. } => self.asm.zero(RCX),
        }
        // Seven pushes on top of the six callee-saved ones: the stack is 16-byte aligned
        // at the call, as the ABI requires.
        for r in CALL_SAVED {
            self.asm.push(r);
        }
        // (env, state, op, address, value): state is already in rsi.
        self.asm.load(true, R8, Rm::Reg(RCX));
        self.asm.load(true, RCX, Rm::Reg(RAX));
        self.asm.mov_imm(false, RDX, index);
        self.asm.load(true, RDI, state(off::ACCESS_ENV));
        let slot = match access {
            Access::Load { size, signed, .. } => crate::access_slot(false, size, signed),
            Access::Store { size, .. } => crate::access_slot(true, size, false),
        };
        self.asm.load(true, RAX, state(off::ACCESS_FNS + 8 * slot));
        self.asm.call(RAX);
        // The status comes back in rdx, which is restored below.
        self.asm.load(true, RCX, Rm::Reg(RDX));
        for r in CALL_SAVED.iter().rev() {
            self.asm.pop(*r);
        }
        self.asm
            .arith_imm(Arith::Cmp, false, Rm::Reg(RCX), crate::Access::TRAP as i32);
        self.asm.jump_if(Cond::Equal, trapped);
        if let Access::Load { rd, .. } = access {
            self.store_rax(rd);
        }
        self.asm.test(false, RCX);
        self.asm.jump_if(Cond::NotEqual, after);
    }
}

/// The table and `served` row of an access: 0 for loads, 1 for stores.
fn access_kind(access: Access) -> usize {
    match access {
        Access::Load { .. } => 0,
        Access::Store { .. } => 1,
    }
}

/// The bytes an access reads or writes.
fn access_size(access: Access) -> u8 {
    match access {
        Access::Load { size, .. } | Access::Store { size, .. } => size,
    }
}

/// The memory operand `disp` bytes past the address in `base` (a field of a struct).
fn field(base: u8, disp: usize) -> Rm {
    Rm::Mem {
        base,
        disp: disp as i32,
    }
}
