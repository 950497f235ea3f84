//! The slow reference for [`FreeList`](crate::mm::freelist::FreeList): one flag per granule
//! and a map of allocations, nothing else. Free chunks are recomputed from the flags on every
//! request (maximal runs of free granules, which is what a coalescing free list holds), and
//! the same [`Fit`] rules pick among them. Tests drive both with random sequences and
//! compare every answer and every statistic.

use crate::mm::freelist::{Chunk, Fit, FreeStats, Move};
use std::collections::BTreeMap;

/// A bitmap allocator with the free list's interface and policies (always coalescing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BitmapAllocator {
    start: u64,
    granule: u64,
    fit: Fit,
    /// `true` where the granule is allocated.
    used_flags: Vec<bool>,
    /// Allocations: address → size.
    used: BTreeMap<u64, u64>,
    rover: u64,
}

impl BitmapAllocator {
    /// A reference allocator over `granules` granules of `granule` bytes at `start`
    /// (`start` a multiple of `granule`, `granule` a power of two).
    pub fn new(start: u64, granules: usize, granule: u64, fit: Fit) -> BitmapAllocator {
        BitmapAllocator {
            start,
            granule,
            fit,
            used_flags: vec![false; granules],
            used: BTreeMap::new(),
            rover: start,
        }
    }

    fn index(&self, addr: u64) -> usize {
        ((addr - self.start) / self.granule) as usize
    }

    fn addr(&self, index: usize) -> u64 {
        self.start + index as u64 * self.granule
    }

    fn set(&mut self, addr: u64, size: u64, value: bool) {
        let from = self.index(addr);
        let n = (size / self.granule) as usize;
        for flag in &mut self.used_flags[from..from + n] {
            assert_ne!(*flag, value, "reference: granule state already {value}");
            *flag = value;
        }
    }

    /// The maximal runs of free granules, by address.
    pub fn free_chunks(&self) -> Vec<Chunk> {
        let mut chunks = Vec::new();
        let mut run: Option<usize> = None;
        for (i, &used) in self.used_flags.iter().chain([&true]).enumerate() {
            match (used, run) {
                (false, None) => run = Some(i),
                (true, Some(from)) => {
                    chunks.push(Chunk {
                        addr: self.addr(from),
                        size: (i - from) as u64 * self.granule,
                    });
                    run = None;
                }
                _ => {}
            }
        }
        chunks
    }

    fn round(&self, size: u64) -> Option<u64> {
        (size != 0).then(|| size.div_ceil(self.granule) * self.granule)
    }

    /// See [`FreeList::alloc`](crate::mm::freelist::FreeList::alloc).
    pub fn alloc(&mut self, size: u64) -> Option<u64> {
        let size = self.round(size)?;
        let chunks = self.free_chunks();
        let fitting = chunks.iter().filter(|c| c.size >= size);
        let chosen = match self.fit {
            Fit::First => fitting.min_by_key(|c| c.addr),
            Fit::Best => fitting.min_by_key(|c| (c.size, c.addr)),
            Fit::Worst => fitting.min_by_key(|c| (std::cmp::Reverse(c.size), c.addr)),
            // Circular order starting with the chunk that holds or follows the rover.
            Fit::Next => fitting.min_by_key(|c| (c.end() <= self.rover, c.addr)),
        }
        .copied()?;
        self.set(chosen.addr, size, true);
        self.used.insert(chosen.addr, size);
        self.rover = chosen.addr + size;
        Some(chosen.addr)
    }

    /// See [`FreeList::free`](crate::mm::freelist::FreeList::free).
    pub fn free(&mut self, addr: u64) -> Option<u64> {
        let size = self.used.remove(&addr)?;
        self.set(addr, size, false);
        Some(size)
    }

    fn is_free(&self, addr: u64, size: u64) -> bool {
        let end = self.start + self.used_flags.len() as u64 * self.granule;
        addr >= self.start
            && addr + size <= end
            && (0..size / self.granule).all(|k| !self.used_flags[self.index(addr) + k as usize])
    }

    /// See [`FreeList::grow_up`](crate::mm::freelist::FreeList::grow_up).
    pub fn grow_up(&mut self, addr: u64, new_size: u64) -> bool {
        let (Some(old), Some(new)) = (self.used.get(&addr).copied(), self.round(new_size)) else {
            return false;
        };
        if new <= old {
            return true;
        }
        if !self.is_free(addr + old, new - old) {
            return false;
        }
        self.set(addr + old, new - old, true);
        self.used.insert(addr, new);
        true
    }

    /// See [`FreeList::grow_down`](crate::mm::freelist::FreeList::grow_down).
    pub fn grow_down(&mut self, addr: u64, new_size: u64) -> Option<u64> {
        let old = self.used.get(&addr).copied()?;
        let new = self.round(new_size)?;
        if new <= old {
            return Some(addr);
        }
        let extra = new - old;
        let from = addr.checked_sub(extra)?;
        if !self.is_free(from, extra) {
            return None;
        }
        self.set(from, extra, true);
        self.used.remove(&addr);
        self.used.insert(from, new);
        Some(from)
    }

    /// See [`FreeList::shrink`](crate::mm::freelist::FreeList::shrink).
    pub fn shrink(&mut self, addr: u64, new_size: u64) -> bool {
        let Some(old) = self.used.get(&addr).copied() else {
            return false;
        };
        let new = self.round(new_size).unwrap_or(self.granule);
        if new >= old {
            return true;
        }
        self.set(addr + new, old - new, false);
        self.used.insert(addr, new);
        true
    }

    /// See [`FreeList::compact`](crate::mm::freelist::FreeList::compact).
    pub fn compact(&mut self) -> Vec<Move> {
        let old: Vec<(u64, u64)> = self.used.iter().map(|(&a, &s)| (a, s)).collect();
        self.used.clear();
        self.used_flags.fill(false);
        let mut moves = Vec::new();
        let mut to = self.start;
        for (from, size) in old {
            if from != to {
                moves.push(Move { from, to, size });
            }
            self.set(to, size, true);
            self.used.insert(to, size);
            to += size;
        }
        self.rover = to;
        moves
    }

    /// See [`FreeList::stats`](crate::mm::freelist::FreeList::stats).
    pub fn stats(&self) -> FreeStats {
        let chunks = self.free_chunks();
        FreeStats {
            free_chunks: chunks.len() as u64,
            largest_free: chunks.iter().map(|c| c.size).max().unwrap_or(0),
            total_free: chunks.iter().map(|c| c.size).sum(),
            in_use: self.used.values().sum(),
            allocations: self.used.len() as u64,
        }
    }

    /// The allocations, by address.
    pub fn allocations(&self) -> Vec<Chunk> {
        self.used
            .iter()
            .map(|(&addr, &size)| Chunk { addr, size })
            .collect()
    }
}
