//! Segmented mode (OSTEP, "Segmentation"): four segment registers (`atsegcount` 4), so the
//! top two bits of a 32-bit VA select the segment and each spans 1 GiB:
//!
//! | # | name | VAs | grows | flags | holds |
//! |---|---|---|---|---|---|
//! | 0 | code | `0x0000_0000..` | up | R-X (RWX if the image has writable data) | the image at its own addresses |
//! | 1 | heap | `0x4000_0000..` | up | RW- | the `brk` heap: the break starts at `0x4000_0000` |
//! | 2 | mmap | `0x8000_0000..` | up | RW- | anonymous mappings, placed lowest-first |
//! | 3 | stack | `..0x1_0000_0000` | down | RW- | the stack, top at 4 GiB (OSTEP's negative offset) |
//!
//! Each segment is one contiguous chunk of physical memory from the free-list allocator
//! (`--fit`); its bound is the chunk's size, so the bytes of a segment that exist are
//! exactly the ones backed. Offsets start at the segment's first VA, so the code segment
//! also backs the bytes below the image (64 KiB for GNU ld's 0x10000): the hardware has no
//! way to start a segment at a non-zero offset. The image's text and data share segment 0 (four registers leave
//! no room for a separate data segment), so a store to text is caught only when the image
//! has no writable section.
//!
//! Growth: `brk` grows the heap segment to the page after the new break; `mmap` grows the
//! mmap segment to cover the new mapping; a fault at most the stack limit below the stack
//! top grows the stack segment (to the faulting page, and at least to twice its size, so
//! deep recursion relocates O(log n) times). Each growth is served in place, else by
//! relocation, else by compaction, else refused (see [`super::freelist_phys`]): `brk`
//! returns the old break, `mmap` `-ENOMEM`, a stack fault ends the run out of memory.
//! Shrinking (`brk` down, `munmap` of the highest mappings) frees the segment's tail.
//! Segments cannot have holes: a page unmapped below the highest mapping stays backed (and
//! is zeroed when mapped again), and `mprotect` is accepted but not enforced, as the
//! hardware protects whole segments only.

use super::freelist::FreeStats;
use super::freelist_phys::{Direction, Growth, PhysRegions};
use super::{ranges, MAP_FIXED, PAGE, PROT_MASK};
use super::{AddressSpace, FaultOutcome, MmEnv, MmParams, MmStats, MmapArgs, MmuMode};
use crate::syscall::neg_errno;
use crate::OsError;
use atlas_asm::Image;
use atlas_isa::{csr, errno};
use atlas_mmu::regs::{ATMODE_SEGMENTED, SEG_GROWS_DOWN, SEG_R, SEG_VALID, SEG_W, SEG_X};
use atlas_mmu::segment::select;
use atlas_mmu::{Bus, FaultReason, MemFault, PhysMem, TranslateReason};
use std::collections::BTreeMap;

/// Segment registers in use.
pub const SEGMENT_COUNT: u32 = 4;
/// Bytes each segment spans in the VA space.
pub const SEGMENT_SPAN: u64 = 1 << 30;
/// Segment numbers.
pub const CODE: usize = 0;
/// The heap segment.
pub const HEAP: usize = 1;
/// The mmap segment.
pub const MMAP: usize = 2;
/// The stack segment.
pub const STACK: usize = 3;
/// Segment names, for reports and fault messages.
pub const SEGMENT_NAMES: [&str; 4] = ["code", "heap", "mmap", "stack"];
/// First VA of the heap (the initial break).
pub const HEAP_BASE: u64 = SEGMENT_SPAN;
/// First VA of the mmap area.
pub const MMAP_BASE: u64 = 2 * SEGMENT_SPAN;
/// One past the highest stack address.
pub const STACK_TOP: u64 = 4 * SEGMENT_SPAN;
/// The stack segment's size at load (it grows on faults).
pub const INITIAL_STACK: u64 = 4 * PAGE;

/// One segment: its physical chunk and how the register describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Seg {
    /// Start of its physical chunk; `None` while empty (bound 0).
    chunk: Option<u64>,
    /// Bytes backed (the bound).
    size: u64,
    /// `atsegflags` value.
    flags: u64,
    dir: Direction,
}

impl Seg {
    const fn empty(flags: u64, dir: Direction) -> Seg {
        Seg {
            chunk: None,
            size: 0,
            flags,
            dir,
        }
    }

    /// The `atsegbase` value: the chunk's start, or its end for a grows-down segment.
    fn base(&self) -> u64 {
        match (self.chunk, self.dir) {
            (None, _) => 0,
            (Some(c), Direction::Up) => c,
            (Some(c), Direction::Down) => c + self.size,
        }
    }
}

/// A segmented address space.
#[derive(Debug)]
pub struct SegmentedSpace {
    regions: PhysRegions,
    segs: [Seg; 4],
    brk: u64,
    /// Mappings in the mmap segment: start VA → end VA.
    maps: BTreeMap<u64, u64>,
    stack_limit: u64,
    stack_growths: u64,
}

/// `size` rounded up to pages (saturating).
fn page_up(size: u64) -> u64 {
    size.checked_next_multiple_of(PAGE).unwrap_or(!(PAGE - 1))
}

/// A segmentation fault in words, naming the segment.
pub fn describe(reason: &TranslateReason) -> String {
    let name = |s: u8| {
        SEGMENT_NAMES
            .get(usize::from(s))
            .copied()
            .unwrap_or("unused")
    };
    match *reason {
        TranslateReason::SegmentOutOfBounds {
            segment,
            offset,
            bound,
            grows_down,
        } => format!(
            "segmentation violation: {}{offset:#x} beyond bound {bound:#x} of segment \
             {segment} ({})",
            if grows_down {
                "negative offset -"
            } else {
                "offset "
            },
            name(segment)
        ),
        TranslateReason::SegmentProtection { segment, kind } => format!(
            "segmentation violation: {} not permitted in segment {segment} ({})",
            kind.name(),
            name(segment)
        ),
        TranslateReason::SegmentInvalid { segment } => {
            format!(
                "segmentation violation: segment {segment} ({}) is not valid",
                name(segment)
            )
        }
        other => other.to_string(),
    }
}

impl SegmentedSpace {
    /// Loads `image` into a code segment, allocates the initial stack segment, and leaves
    /// the heap and mmap segments empty.
    pub fn new(env: &mut MmEnv<'_>, image: &Image, params: &MmParams) -> Result<Self, OsError> {
        let layout = |reason: String| OsError::Layout {
            mode: MmuMode::Segmented,
            reason,
        };
        let end = super::bare::image_end(image);
        if end > SEGMENT_SPAN {
            return Err(layout(format!(
                "the image ends at {end:#x}, beyond the code segment's {SEGMENT_SPAN:#x} bytes"
            )));
        }
        let regions = PhysRegions::new(env.bus.phys().size(), params.fit).map_err(layout)?;
        let writable = image.segments.iter().any(|s| s.perms.write);
        let code_flags = SEG_VALID | SEG_R | SEG_X | if writable { SEG_W } else { 0 };
        let rw = SEG_VALID | SEG_R | SEG_W;
        let mut space = SegmentedSpace {
            regions,
            segs: [
                Seg::empty(code_flags, Direction::Up),
                Seg::empty(rw, Direction::Up),
                Seg::empty(rw, Direction::Up),
                Seg::empty(rw | SEG_GROWS_DOWN, Direction::Down),
            ],
            brk: HEAP_BASE,
            maps: BTreeMap::new(),
            stack_limit: params.stack_size.min(SEGMENT_SPAN),
            stack_growths: 0,
        };
        let oom = |what: &str| OsError::OutOfMemory(format!("no free chunk for the {what}"));
        if end > 0 && !space.resize(env, CODE, page_up(end)) {
            return Err(oom("code segment"));
        }
        let code = space.segs[CODE].chunk.unwrap_or(0);
        for seg in &image.segments {
            let dst = env
                .bus
                .phys_mut()
                .slice_mut(code + seg.vaddr, seg.data.len() as u64)
                .ok_or_else(|| oom("image"))?;
            dst.copy_from_slice(&seg.data);
        }
        if !space.resize(env, STACK, INITIAL_STACK.min(space.stack_limit)) {
            return Err(oom("stack segment"));
        }
        Ok(space)
    }

    /// Resizes segment `i` to `size` bytes (rounded up to pages): grows it (in place,
    /// relocated or after compaction), shrinks it or empties it. `false` if memory cannot
    /// hold it; nothing changes then. Reprograms the registers when anything moved.
    fn resize(&mut self, env: &mut MmEnv<'_>, i: usize, size: u64) -> bool {
        let Some(seg) = self.segs.get(i).copied() else {
            return false;
        };
        let size = page_up(size);
        if size == seg.size {
            return true;
        }
        let growth = match seg.chunk {
            Some(c) if size == 0 => {
                self.regions.free(c);
                None
            }
            // A grows-down segment (the stack) never gives memory back.
            Some(_) if size < seg.size && seg.dir == Direction::Down => return true,
            Some(c) if size < seg.size => {
                self.regions.shrink(c, size);
                Some(Growth::InPlace { addr: c })
            }
            Some(c) => match self.regions.grow(env, c, size, seg.dir) {
                Some(g) => Some(g),
                None => return false,
            },
            None if size == 0 => None,
            None => match self.regions.alloc_region(env, size) {
                Some(g) => Some(g),
                None => return false,
            },
        };
        if let Some(Growth::Compacted { moves, .. }) = &growth {
            for m in moves {
                for (k, other) in self.segs.iter_mut().enumerate() {
                    if k != i && other.chunk == Some(m.from) {
                        other.chunk = Some(m.to);
                    }
                }
            }
        }
        if let Some(s) = self.segs.get_mut(i) {
            s.chunk = growth.as_ref().map(Growth::addr);
            s.size = size;
        }
        self.activate(env);
        true
    }

    /// The break's segment size for a break at `brk`.
    fn heap_size(brk: u64) -> u64 {
        page_up(brk - HEAP_BASE)
    }

    /// The mmap segment size that covers every mapping.
    fn mmap_size(&self) -> u64 {
        self.maps
            .values()
            .next_back()
            .map_or(0, |&end| end - MMAP_BASE)
    }

    /// Whether `[start, end)` overlaps no mapping.
    fn maps_free(&self, start: u64, end: u64) -> bool {
        ranges::is_free(&self.maps, start, end)
    }

    /// Removes `[start, end)` from the mappings, splitting those that straddle it.
    fn unmap(&mut self, start: u64, end: u64) {
        ranges::remove(&mut self.maps, start, end);
    }

    /// The lowest free VA range of `len` bytes in the mmap segment's span.
    fn find_free(&self, len: u64) -> Option<u64> {
        let mut at = MMAP_BASE;
        for (&s, &e) in &self.maps {
            if s >= at && s - at >= len {
                return Some(at);
            }
            at = at.max(e);
        }
        (MMAP_BASE + SEGMENT_SPAN - at >= len).then_some(at)
    }

    /// The physical address of segment `i`'s byte at `va`, if backed.
    fn pa(&self, va: u64) -> Option<u64> {
        if va >= STACK_TOP {
            return None;
        }
        let (i, offset) = select(va, SEGMENT_COUNT);
        let seg = self.segs.get(usize::from(i))?;
        let chunk = seg.chunk?;
        match seg.dir {
            Direction::Up => (offset < seg.size).then_some(chunk + offset),
            Direction::Down => {
                let negative = SEGMENT_SPAN - offset;
                (negative <= seg.size).then_some(chunk + seg.size - negative)
            }
        }
    }

    /// Grows the stack so that it reaches `negative` bytes below its top: to the page, and
    /// at least doubling, within the limit.
    fn grow_stack(&mut self, env: &mut MmEnv<'_>, negative: u64) -> bool {
        let current = self.segs[STACK].size;
        let want = page_up(negative)
            .max(current.saturating_mul(2))
            .min(self.stack_limit);
        if want < negative {
            return false;
        }
        let grown = self.resize(env, STACK, want) || self.resize(env, STACK, page_up(negative));
        if grown {
            self.stack_growths += 1;
        }
        grown
    }

    /// Free-space figures of physical memory.
    pub fn free_stats(&self) -> FreeStats {
        self.regions.stats()
    }
}

impl AddressSpace for SegmentedSpace {
    fn mode(&self) -> MmuMode {
        MmuMode::Segmented
    }

    fn activate(&mut self, env: &mut MmEnv<'_>) {
        let _ = env.bus.write_csr(csr::ATMODE, ATMODE_SEGMENTED);
        let _ = env.bus.write_csr(csr::ATSEGCOUNT, u64::from(SEGMENT_COUNT));
        for (i, seg) in (0u16..).zip(self.segs.iter()) {
            let _ = env.bus.write_csr(csr::ATSEGBASE0 + i, seg.base());
            let _ = env.bus.write_csr(csr::ATSEGBOUND0 + i, seg.size);
            let _ = env.bus.write_csr(csr::ATSEGFLAGS0 + i, seg.flags);
        }
    }

    fn asid(&self) -> u16 {
        0
    }

    fn stack_top(&self) -> u64 {
        STACK_TOP
    }

    fn write_user(&mut self, env: &mut MmEnv<'_>, va: u64, bytes: &[u8]) -> Result<(), String> {
        let len = bytes.len() as u64;
        if va < STACK_TOP - SEGMENT_SPAN || va.saturating_add(len) > STACK_TOP {
            return Err(format!("{va:#x} is not in the stack segment"));
        }
        let negative = STACK_TOP - va;
        if negative > self.segs[STACK].size && !self.grow_stack(env, negative) {
            return Err(format!("the stack cannot grow to {negative:#x} bytes"));
        }
        let pa = self
            .pa(va)
            .ok_or_else(|| format!("{va:#x} is not backed"))?;
        env.bus
            .phys_mut()
            .slice_mut(pa, len)
            .ok_or_else(|| format!("{pa:#x} is beyond physical memory"))?
            .copy_from_slice(bytes);
        Ok(())
    }

    fn program_break(&self) -> u64 {
        self.brk
    }

    fn brk(&mut self, env: &mut MmEnv<'_>, want: u64) -> u64 {
        if !(HEAP_BASE..=HEAP_BASE + SEGMENT_SPAN).contains(&want) {
            return self.brk;
        }
        if self.resize(env, HEAP, Self::heap_size(want)) {
            self.brk = want;
        }
        self.brk
    }

    fn mmap(&mut self, env: &mut MmEnv<'_>, args: &MmapArgs) -> u64 {
        let len = match args.validate() {
            Ok(len) => len,
            Err(e) => return neg_errno(e),
        };
        let in_area = |start: u64| {
            start >= MMAP_BASE
                && start
                    .checked_add(len)
                    .is_some_and(|e| e <= MMAP_BASE + SEGMENT_SPAN)
        };
        let start = if args.flags & MAP_FIXED != 0 {
            if !in_area(args.addr) {
                return neg_errno(errno::ENOMEM);
            }
            self.unmap(args.addr, args.addr + len);
            args.addr
        } else {
            let hint = args.addr - args.addr % PAGE;
            if in_area(hint) && self.maps_free(hint, hint + len) {
                hint
            } else {
                match self.find_free(len) {
                    Some(s) => s,
                    None => return neg_errno(errno::ENOMEM),
                }
            }
        };
        let old_size = self.segs[MMAP].size;
        let needed = (start + len - MMAP_BASE).max(self.mmap_size());
        if !self.resize(env, MMAP, needed) {
            return neg_errno(errno::ENOMEM);
        }
        // A reused range below the old end may hold old bytes; the new tail is zero already.
        let reused_end = (start + len).min(MMAP_BASE + old_size);
        if start < reused_end {
            if let Some(pa) = self.pa(start) {
                if env.bus.phys_mut().zero(pa, reused_end - start).is_some() {
                    env.charge_zero(reused_end - start);
                }
            }
        }
        self.maps.insert(start, start + len);
        start
    }

    fn munmap(&mut self, env: &mut MmEnv<'_>, addr: u64, len: u64) -> u64 {
        if !addr.is_multiple_of(PAGE) || len == 0 {
            return neg_errno(errno::EINVAL);
        }
        let Some(end) = addr.checked_add(page_up(len)) else {
            return neg_errno(errno::EINVAL);
        };
        self.unmap(addr, end);
        let size = self.mmap_size();
        self.resize(env, MMAP, size);
        0
    }

    fn mprotect(&mut self, _env: &mut MmEnv<'_>, addr: u64, len: u64, prot: u64) -> u64 {
        if !addr.is_multiple_of(PAGE) || prot & !PROT_MASK != 0 || addr.checked_add(len).is_none() {
            return neg_errno(errno::EINVAL);
        }
        0
    }

    fn fault(&mut self, env: &mut MmEnv<'_>, fault: &MemFault) -> FaultOutcome {
        let reason = match fault.reason {
            FaultReason::Translation(r) => r,
            other => return FaultOutcome::Fatal(format!("segmented mode: {other}")),
        };
        if let TranslateReason::SegmentOutOfBounds {
            segment,
            offset,
            grows_down: true,
            ..
        } = reason
        {
            if usize::from(segment) == STACK && offset <= self.stack_limit {
                if self.grow_stack(env, offset) {
                    return FaultOutcome::Resolved;
                }
                return FaultOutcome::OutOfMemory(format!(
                    "no physical memory to grow the stack segment to {:#x} bytes",
                    page_up(offset)
                ));
            }
        }
        FaultOutcome::Fatal(describe(&reason))
    }

    fn peek(&self, _phys: &PhysMem, va: u64) -> Option<u64> {
        self.pa(va)
    }

    fn stats(&self) -> MmStats {
        region_stats(&self.regions, self.stack_growths)
    }
}

/// The report figures of a mode that carves memory with [`PhysRegions`]: frames are the
/// pages allocated; `extra` holds relocations, compactions, bytes copied, free chunks,
/// the largest free chunk and external fragmentation in permille
/// (`1000 × (1 − largest / total free)`, rounded down).
pub(crate) fn region_stats(regions: &PhysRegions, stack_growths: u64) -> MmStats {
    let free = regions.stats();
    let permille = if free.total_free == 0 {
        0
    } else {
        1000 - (u128::from(free.largest_free) * 1000).div_ceil(u128::from(free.total_free)) as u64
    };
    MmStats {
        minor_faults: stack_growths,
        frames_in_use: free.in_use / PAGE,
        peak_frames: regions.peak_in_use / PAGE,
        table_frames: 0,
        stack_growths,
        flushes: 0,
        extra: vec![
            ("relocations", regions.relocations),
            ("compactions", regions.compactions),
            ("bytes_copied", regions.bytes_copied),
            ("free_chunks", free.free_chunks),
            ("largest_free_chunk", free.largest_free),
            ("external_fragmentation_permille", permille),
        ],
    }
}
