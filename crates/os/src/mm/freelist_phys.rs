//! Physical memory carved by the free list for whole regions (a base-bounds address space,
//! a segment), with the three ways a region grows that OSTEP describes, each counted and
//! charged:
//!
//! 1. **in place**, when the free chunk next to it (after it for a region growing up,
//!    before it for one growing down) is large enough: nothing is copied;
//! 2. **relocation**: a new chunk of the new size is allocated with the fit policy while
//!    the old one is still held, the region's bytes are copied over and the old chunk is
//!    freed (bytes copied = the old size);
//! 3. **compaction**, when no single chunk is large enough but the free bytes together are:
//!    the growing region's bytes are set aside, its chunk freed, every other allocation slid
//!    down to the bottom of memory in address order, and the region put back in the single
//!    free chunk left at the top (bytes copied = every byte slid plus the region's own).
//!
//! Otherwise the growth fails and nothing changes. New bytes are zeroed (charged as zeroing),
//! copies are charged with [`MmEnv::charge_copy`] (the `copy_page` cost per 4 KiB).

use super::freelist::{Fit, FreeList, FreeStats, Move};
use super::{MmEnv, PAGE};
use atlas_mmu::{Bus, PhysMem};

/// Which end of a region stays put when it grows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// The start stays, the end moves up (code, heap, mappings, a base-bounds space).
    Up,
    /// The end stays, the start moves down (a stack).
    Down,
}

/// How a growth was served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Growth {
    /// Into the neighbouring free chunk.
    InPlace {
        /// The region's new start.
        addr: u64,
    },
    /// Copied to a new chunk.
    Relocated {
        /// The region's new start.
        addr: u64,
    },
    /// After compacting memory; other allocations moved as `moves` says.
    Compacted {
        /// The region's new start.
        addr: u64,
        /// How the other allocations moved (old start → new start).
        moves: Vec<Move>,
    },
}

impl Growth {
    /// The region's new start.
    pub fn addr(&self) -> u64 {
        match self {
            Growth::InPlace { addr }
            | Growth::Relocated { addr }
            | Growth::Compacted { addr, .. } => *addr,
        }
    }
}

/// The free list over all of physical memory plus the move counters the report shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhysRegions {
    list: FreeList,
    /// Regions copied to a new chunk.
    pub relocations: u64,
    /// Compactions of physical memory.
    pub compactions: u64,
    /// Bytes copied by relocations and compactions.
    pub bytes_copied: u64,
    /// The most bytes allocated at once.
    pub peak_in_use: u64,
}

/// Copies `len` bytes inside physical memory (memmove semantics); `None` if either range
/// is outside memory.
fn copy_within(mem: &mut PhysMem, from: u64, to: u64, len: u64) -> Option<()> {
    let bytes = mem.slice(from, len)?.to_vec();
    mem.slice_mut(to, len)?.copy_from_slice(&bytes);
    Some(())
}

impl PhysRegions {
    /// All of physical memory, in pages, placed with `fit`.
    pub fn new(phys_size: u64, fit: Fit) -> Result<PhysRegions, String> {
        Ok(PhysRegions {
            list: FreeList::new(0, phys_size, PAGE, fit)?,
            relocations: 0,
            compactions: 0,
            bytes_copied: 0,
            peak_in_use: 0,
        })
    }

    /// The free list (for statistics and tests).
    pub fn list(&self) -> &FreeList {
        &self.list
    }

    /// Free-space figures.
    pub fn stats(&self) -> FreeStats {
        self.list.stats()
    }

    fn note_peak(&mut self) {
        self.peak_in_use = self.peak_in_use.max(self.list.stats().in_use);
    }

    /// Allocates a zeroed region of `size` bytes (rounded up to pages) with the policy.
    pub fn alloc(&mut self, env: &mut MmEnv<'_>, size: u64) -> Option<u64> {
        let addr = self.list.alloc(size)?;
        let len = self.list.size_of(addr)?;
        env.bus.phys_mut().zero(addr, len)?;
        env.charge_zero(len);
        self.note_peak();
        Some(addr)
    }

    /// Allocates a zeroed region of `size` bytes (rounded up to pages), compacting memory
    /// first if no single chunk is large enough but the free bytes together are.
    pub fn alloc_region(&mut self, env: &mut MmEnv<'_>, size: u64) -> Option<Growth> {
        if let Some(addr) = self.alloc(env, size) {
            return Some(Growth::InPlace { addr });
        }
        if self.list.stats().total_free < self.list.round(size)? {
            return None;
        }
        let moves = self.compact(env)?;
        let addr = self.alloc(env, size)?;
        Some(Growth::Compacted { addr, moves })
    }

    /// Slides every allocation down (copying and charging) and counts a compaction.
    fn compact(&mut self, env: &mut MmEnv<'_>) -> Option<Vec<Move>> {
        let moves = self.list.compact();
        for m in &moves {
            copy_within(env.bus.phys_mut(), m.from, m.to, m.size)?;
            self.bytes_copied += m.size;
            env.charge_copy(m.size);
        }
        self.compactions += 1;
        Some(moves)
    }

    /// Frees the region at `addr`.
    pub fn free(&mut self, addr: u64) -> Option<u64> {
        self.list.free(addr)
    }

    /// Shrinks the region at `addr` to `new_size` (at least a page), keeping its start.
    pub fn shrink(&mut self, addr: u64, new_size: u64) -> bool {
        self.list.shrink(addr, new_size)
    }

    /// The size of the region at `addr`.
    pub fn size_of(&self, addr: u64) -> Option<u64> {
        self.list.size_of(addr)
    }

    /// Grows the region at `addr` to `new_size` (rounded up to pages) in `dir`: in place,
    /// else by relocation, else by compaction (see the module documentation). Its bytes keep
    /// their distance from the fixed end; new bytes are zero. `None` if memory cannot hold
    /// it (nothing changes then).
    pub fn grow(
        &mut self,
        env: &mut MmEnv<'_>,
        addr: u64,
        new_size: u64,
        dir: Direction,
    ) -> Option<Growth> {
        let old = self.list.size_of(addr)?;
        let new = self.list.round(new_size)?;
        if new <= old {
            return Some(Growth::InPlace { addr });
        }
        let extra = new - old;
        let in_place = match dir {
            Direction::Up => self.list.grow_up(addr, new).then_some(addr),
            Direction::Down => self.list.grow_down(addr, new),
        };
        let growth = if let Some(start) = in_place {
            Growth::InPlace { addr: start }
        } else if let Some(start) = self.list.alloc(new) {
            self.place(env, addr, old, start, new, dir)?;
            self.list.free(addr);
            self.relocations += 1;
            Growth::Relocated { addr: start }
        } else if self.list.stats().total_free >= extra {
            self.compact_around(env, addr, old, new, dir)?
        } else {
            return None;
        };
        self.zero_new_part(env, growth.addr(), old, new, dir);
        self.note_peak();
        Some(growth)
    }

    /// Moves the region at `addr` to a new chunk of `new_size` bytes (rounded up to pages)
    /// without trying to grow it in place: the new chunk is allocated while the old one is
    /// held, the bytes copied, the old chunk freed (base-bounds growth, as Unix V6's
    /// `expand()`). `None` if no chunk that large is free (nothing changes then).
    pub fn relocate(&mut self, env: &mut MmEnv<'_>, addr: u64, new_size: u64) -> Option<u64> {
        let old = self.list.size_of(addr)?;
        let new = self.list.round(new_size)?.max(old);
        let start = self.list.alloc(new)?;
        self.place(env, addr, old, start, new, Direction::Up)?;
        self.list.free(addr);
        self.relocations += 1;
        self.zero_new_part(env, start, old, new, Direction::Up);
        self.note_peak();
        Some(start)
    }

    /// Copies the region's `old` bytes from `from` into the `new`-byte chunk at `to`.
    fn place(
        &mut self,
        env: &mut MmEnv<'_>,
        from: u64,
        old: u64,
        to: u64,
        new: u64,
        dir: Direction,
    ) -> Option<()> {
        let dst = match dir {
            Direction::Up => to,
            Direction::Down => to + (new - old),
        };
        copy_within(env.bus.phys_mut(), from, dst, old)?;
        self.bytes_copied += old;
        env.charge_copy(old);
        Some(())
    }

    /// Compaction: sets the region aside, slides everything else down, puts it back on top.
    fn compact_around(
        &mut self,
        env: &mut MmEnv<'_>,
        addr: u64,
        old: u64,
        new: u64,
        dir: Direction,
    ) -> Option<Growth> {
        let saved = env.bus.phys().slice(addr, old)?.to_vec();
        self.list.free(addr);
        let moves = self.compact(env)?;
        let start = self.list.alloc(new)?;
        let dst = match dir {
            Direction::Up => start,
            Direction::Down => start + (new - old),
        };
        env.bus
            .phys_mut()
            .slice_mut(dst, old)?
            .copy_from_slice(&saved);
        self.bytes_copied += old;
        env.charge_copy(old);
        Some(Growth::Compacted { addr: start, moves })
    }

    /// Zeroes the bytes a growth added.
    fn zero_new_part(
        &mut self,
        env: &mut MmEnv<'_>,
        start: u64,
        old: u64,
        new: u64,
        dir: Direction,
    ) {
        let added = new - old;
        let from = match dir {
            Direction::Up => start + old,
            Direction::Down => start,
        };
        if env.bus.phys_mut().zero(from, added).is_some() {
            env.charge_zero(added);
        }
    }
}
