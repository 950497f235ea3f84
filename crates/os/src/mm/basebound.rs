//! Base-bounds mode (OSTEP, "Address Translation"): the whole address space is one
//! contiguous region of physical memory, allocated with the free list (`--fit`); the OS
//! writes its start to `atbase` and its size to `atbound`, and the hardware adds the base to
//! every VA below the bound and faults on the rest.
//!
//! # Layout
//!
//! ```text
//! 0                 the region starts at VA 0 (the bytes below the image are backed, unused)
//! image             text and data at the image's addresses (all RWX: one region, one set
//!                   of rights)
//! stack             from the page after the image up to `stack_top`: a fixed reserve of
//!                   `min(stack limit, physical memory / 4)` bytes, growing down
//! heap              from `stack_top` up (`brk`)
//! mmap area         `MMAP_GAP` above the break at the first mapping, mappings lowest-first
//! bound             the region's size
//! ```
//!
//! At load, the address space is `[0, stack_top)`: the image with the stack at its top, as
//! OSTEP draws it. Why the heap and mappings are *above* the stack: the region can grow only
//! at its end (VA 0 is its start, and PA = base + VA), and moving the stack to a new top
//! would change the address of every stack variable and saved frame the program holds. So
//! what grows (heap, mappings) sits at the end, and the stack keeps the addresses it was
//! given; its reserve is fully backed from the start, since base-bounds hardware cannot
//! leave a hole unbacked. As in OSTEP's picture, nothing inside the region is protected:
//! a stack deeper than its reserve silently overwrites the image.
//!
//! # Growth
//!
//! When `brk` or `mmap` needs addresses beyond the bound, the OS moves the process to a
//! larger region, as Unix V6's `expand()` did: it allocates a region of twice the size (or
//! exactly what is needed, if twice does not fit), copies the process's bytes (charged with
//! the `copy_page` cost per 4 KiB), frees the old region and writes the new base and bound.
//! The old and new regions must fit in memory together. When no free chunk can take the
//! copy, the OS makes do the way the segmented mode does: it grows the region in place if
//! the memory right after it is free, else compacts memory (the region is set aside, the
//! free space gathered, the region put back at the bottom) if the free bytes together
//! suffice; else `brk` returns the old break and `mmap` `-ENOMEM`. The region never
//! shrinks: `brk` down and `munmap` only give the addresses back.

use super::freelist_phys::{Direction, PhysRegions};
use super::segmented::region_stats;
use super::{ranges, MAP_FIXED, PAGE, PROT_MASK};
use super::{AddressSpace, FaultOutcome, MmEnv, MmParams, MmStats, MmapArgs, MmuMode};
use crate::syscall::neg_errno;
use crate::OsError;
use atlas_asm::Image;
use atlas_isa::{csr, errno, Xlen};
use atlas_mmu::regs::ATMODE_BASE_BOUNDS;
use atlas_mmu::{Bus, FaultReason, MemFault, PhysMem, TranslateReason};
use std::collections::BTreeMap;

/// Distance between the break and the first mapping, left for the heap to grow into.
pub const MMAP_GAP: u64 = 16 << 20;

/// A base-bounds address space.
#[derive(Debug)]
pub struct BaseBoundsSpace {
    regions: PhysRegions,
    /// Physical start of the region (`atbase`).
    base: u64,
    /// Its size (`atbound`).
    bound: u64,
    stack_top: u64,
    brk_start: u64,
    brk: u64,
    /// Mappings: start VA → end VA.
    maps: BTreeMap<u64, u64>,
    /// One past the highest VA the width can hold.
    va_limit: u64,
}

/// `size` rounded up to pages, if that does not overflow.
fn page_up(size: u64) -> Option<u64> {
    size.checked_next_multiple_of(PAGE)
}

impl BaseBoundsSpace {
    /// Allocates the initial region (image and stack reserve), copies the image in.
    pub fn new(env: &mut MmEnv<'_>, image: &Image, params: &MmParams) -> Result<Self, OsError> {
        let phys = env.bus.phys().size();
        let layout = |reason: String| OsError::Layout {
            mode: MmuMode::BaseBounds,
            reason,
        };
        let va_limit = match params.xlen {
            Xlen::X32 => 1 << 32,
            Xlen::X64 => u64::MAX,
        };
        let reserve = page_up(params.stack_size.min(phys / 4))
            .ok_or_else(|| layout("stack reserve overflows".into()))?;
        let stack_bottom = page_up(super::bare::image_end(image))
            .ok_or_else(|| layout("the image ends too high".into()))?;
        let stack_top = stack_bottom
            .checked_add(reserve)
            .filter(|&t| t < va_limit)
            .ok_or_else(|| layout("the stack does not fit below the VA limit".into()))?;
        let mut regions = PhysRegions::new(phys, params.fit).map_err(layout)?;
        let base = regions
            .alloc_region(env, stack_top)
            .map(|g| g.addr())
            .ok_or_else(|| {
                OsError::OutOfMemory(format!(
                    "a base-bounds region of {stack_top:#x} bytes (image and stack)"
                ))
            })?;
        for seg in &image.segments {
            let dst = env
                .bus
                .phys_mut()
                .slice_mut(base + seg.vaddr, seg.data.len() as u64)
                .ok_or_else(|| layout(format!("segment {} is outside the region", seg.name)))?;
            dst.copy_from_slice(&seg.data);
        }
        Ok(BaseBoundsSpace {
            regions,
            base,
            bound: stack_top,
            stack_top,
            brk_start: stack_top,
            brk: stack_top,
            maps: BTreeMap::new(),
            va_limit,
        })
    }

    /// Makes the region cover `[0, end)`, moving the process to a larger region if needed.
    fn cover(&mut self, env: &mut MmEnv<'_>, end: u64) -> bool {
        let Some(end) = page_up(end).filter(|&e| e <= self.va_limit) else {
            return false;
        };
        if end <= self.bound {
            return true;
        }
        let doubled = self.bound.saturating_mul(2).min(self.va_limit).max(end);
        let base = self.base;
        let moved = self
            .regions
            .relocate(env, base, doubled)
            .or_else(|| self.regions.relocate(env, base, end))
            .or_else(|| {
                let growth = self.regions.grow(env, base, end, Direction::Up)?;
                Some(growth.addr())
            });
        match moved {
            Some(base) => {
                self.base = base;
                self.bound = self.regions.size_of(base).unwrap_or(end);
                self.activate(env);
                true
            }
            None => false,
        }
    }

    /// Where mappings may start: `MMAP_GAP` above the break, or at the first mapping.
    fn mmap_floor(&self) -> u64 {
        let above_brk = page_up(self.brk)
            .and_then(|b| b.checked_add(MMAP_GAP))
            .unwrap_or(self.va_limit);
        self.maps
            .keys()
            .next()
            .map_or(above_brk, |&s| s.min(above_brk))
    }

    /// The lowest free VA range of `len` bytes at or above the mmap floor.
    fn find_free(&self, len: u64) -> Option<u64> {
        let mut at = self.mmap_floor();
        for (&s, &e) in self.maps.range(at..) {
            if s - at >= len {
                return Some(at);
            }
            at = at.max(e);
        }
        at.checked_add(len).filter(|&e| e <= self.va_limit)?;
        Some(at)
    }

    /// Whether `[start, end)` overlaps no mapping.
    fn maps_free(&self, start: u64, end: u64) -> bool {
        ranges::is_free(&self.maps, start, end)
    }

    /// Removes `[start, end)` from the mappings, splitting those that straddle it.
    fn unmap(&mut self, start: u64, end: u64) {
        ranges::remove(&mut self.maps, start, end);
    }

    /// Zeroes the region's bytes at VAs `[start, end)` (clamped to the bound).
    fn zero(&self, env: &mut MmEnv<'_>, start: u64, end: u64) {
        let end = end.min(self.bound);
        if start < end
            && env
                .bus
                .phys_mut()
                .zero(self.base + start, end - start)
                .is_some()
        {
            env.charge_zero(end - start);
        }
    }
}

impl AddressSpace for BaseBoundsSpace {
    fn mode(&self) -> MmuMode {
        MmuMode::BaseBounds
    }

    fn activate(&mut self, env: &mut MmEnv<'_>) {
        let _ = env.bus.write_csr(csr::ATMODE, ATMODE_BASE_BOUNDS);
        let _ = env.bus.write_csr(csr::ATBASE, self.base);
        let _ = env.bus.write_csr(csr::ATBOUND, self.bound);
    }

    fn asid(&self) -> u16 {
        0
    }

    fn stack_top(&self) -> u64 {
        self.stack_top
    }

    fn write_user(&mut self, env: &mut MmEnv<'_>, va: u64, bytes: &[u8]) -> Result<(), String> {
        let len = bytes.len() as u64;
        match va.checked_add(len) {
            Some(end) if end <= self.bound => {}
            _ => return Err(format!("{va:#x} is beyond the bound {:#x}", self.bound)),
        }
        env.bus
            .phys_mut()
            .slice_mut(self.base + va, len)
            .ok_or_else(|| format!("{va:#x} is beyond physical memory"))?
            .copy_from_slice(bytes);
        Ok(())
    }

    fn program_break(&self) -> u64 {
        self.brk
    }

    /// Memory given back is zeroed, so growing again sees zeros as on Linux.
    fn brk(&mut self, env: &mut MmEnv<'_>, want: u64) -> u64 {
        let limit = self.maps.keys().next().copied().unwrap_or(self.va_limit);
        if want < self.brk_start || want > limit || !self.cover(env, want) {
            return self.brk;
        }
        if want < self.brk {
            let from = page_up(want).unwrap_or(want);
            let to = page_up(self.brk).unwrap_or(self.brk);
            self.zero(env, from, to);
        }
        self.brk = want;
        want
    }

    fn mmap(&mut self, env: &mut MmEnv<'_>, args: &MmapArgs) -> u64 {
        let len = match args.validate() {
            Ok(len) => len,
            Err(e) => return neg_errno(e),
        };
        let brk_end = page_up(self.brk).unwrap_or(self.va_limit);
        let allowed = |start: u64| {
            start >= brk_end && start.checked_add(len).is_some_and(|e| e <= self.va_limit)
        };
        let start = if args.flags & MAP_FIXED != 0 {
            if !allowed(args.addr) {
                return neg_errno(errno::ENOMEM);
            }
            args.addr
        } else {
            let hint = args.addr - args.addr % PAGE;
            if hint != 0 && allowed(hint) && self.maps_free(hint, hint + len) {
                hint
            } else {
                match self.find_free(len) {
                    Some(s) => s,
                    None => return neg_errno(errno::ENOMEM),
                }
            }
        };
        if !self.cover(env, start + len) {
            return neg_errno(errno::ENOMEM);
        }
        self.unmap(start, start + len);
        self.zero(env, start, start + len);
        self.maps.insert(start, start + len);
        start
    }

    fn munmap(&mut self, _env: &mut MmEnv<'_>, addr: u64, len: u64) -> u64 {
        if !addr.is_multiple_of(PAGE) || len == 0 {
            return neg_errno(errno::EINVAL);
        }
        match page_up(len).and_then(|l| addr.checked_add(l)) {
            Some(end) => {
                self.unmap(addr, end);
                0
            }
            None => neg_errno(errno::EINVAL),
        }
    }

    fn mprotect(&mut self, _env: &mut MmEnv<'_>, addr: u64, len: u64, prot: u64) -> u64 {
        if !addr.is_multiple_of(PAGE) || prot & !PROT_MASK != 0 || addr.checked_add(len).is_none() {
            return neg_errno(errno::EINVAL);
        }
        0
    }

    fn fault(&mut self, _env: &mut MmEnv<'_>, fault: &MemFault) -> FaultOutcome {
        FaultOutcome::Fatal(match fault.reason {
            FaultReason::Translation(TranslateReason::OutOfBounds { va, bound }) => format!(
                "bounds violation: address {va:#x} not below bound {bound:#x} (base-bounds: the \
                 address space is 0..{bound:#x} at physical {:#x})",
                self.base
            ),
            other => format!("base-bounds mode: {other}"),
        })
    }

    fn peek(&self, _phys: &PhysMem, va: u64) -> Option<u64> {
        (va < self.bound).then(|| self.base + va)
    }

    fn stats(&self) -> MmStats {
        region_stats(&self.regions, 0)
    }
}
