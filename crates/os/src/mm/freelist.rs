//! The free-list allocator the OS carves physical memory with in the base-bounds and
//! segmented modes (OSTEP, "Free-Space Management").
//!
//! The allocator manages one physical range `[start, start + size)` in units of a granule
//! (a power of two: 4096 for the OS, 1 for `malloc.py`-style exercises). Requests are rounded
//! up to the granule. The free list is kept sorted by address; a request is served by the
//! chunk the [`Fit`] policy picks and *split*: the allocation takes the chunk's low end and
//! the remainder stays free. Freeing *coalesces* the chunk with free neighbours (unless
//! coalescing is turned off, as in `malloc.py`'s default, to show why it matters).
//!
//! Besides `alloc` and `free`, the OS needs growth in place (a heap growing up into the free
//! chunk after it; a stack growing down into the free chunk before it), shrinking and
//! compaction (every allocation slid down to the bottom of the range, leaving one free chunk
//! at the top). [`FreeStats`] gives the figures the run report prints, including external
//! fragmentation.
//!
//! The policies ([`Fit`], `--fit`): *first* takes the lowest-addressed chunk that fits;
//! *best* the smallest that fits; *worst* the largest; ties go to the lowest address.
//! *Next* is first fit starting from the chunk that holds or follows the end of the previous
//! allocation (the "rover"), wrapping around.
//!
//! `freelist_ref::BitmapAllocator` (test builds) is a slow reference (one flag per granule)
//! with the same policies; tests check the two against each other on random sequences.

pub use crate::mm::Fit;
use std::collections::BTreeMap;

/// A range of physical memory: `size` bytes at `addr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Chunk {
    /// First byte.
    pub addr: u64,
    /// Length in bytes.
    pub size: u64,
}

impl Chunk {
    /// One past the last byte.
    pub const fn end(&self) -> u64 {
        self.addr + self.size
    }
}

/// One allocation moved by [`FreeList::compact`]: the caller copies `size` bytes from `from`
/// to `to` (`to < from`; done in the order given, overlapping copies are safe as memmove).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Move {
    /// Old address.
    pub from: u64,
    /// New address.
    pub to: u64,
    /// Bytes.
    pub size: u64,
}

/// Free-space figures for the report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FreeStats {
    /// Number of free chunks.
    pub free_chunks: u64,
    /// Size of the largest free chunk: the largest request that can succeed.
    pub largest_free: u64,
    /// Free bytes in total.
    pub total_free: u64,
    /// Bytes allocated.
    pub in_use: u64,
    /// Number of allocations.
    pub allocations: u64,
}

impl FreeStats {
    /// External fragmentation: `1 − largest_free / total_free`, the share of free memory
    /// that a single request cannot use because it lies outside the largest chunk. 0 when
    /// all free memory is one chunk (or none is free); close to 1 when free memory is
    /// splintered into many small chunks.
    pub fn external_fragmentation(&self) -> f64 {
        if self.total_free == 0 {
            0.0
        } else {
            1.0 - self.largest_free as f64 / self.total_free as f64
        }
    }
}

/// A free-list allocator over one physical range (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FreeList {
    range: Chunk,
    granule: u64,
    fit: Fit,
    coalesce: bool,
    /// Free chunks, sorted by address, never empty-sized.
    free: Vec<Chunk>,
    /// Allocations: address → size.
    used: BTreeMap<u64, u64>,
    /// Next fit: where the last allocation ended; the next search starts at the chunk
    /// holding or following this address.
    rover: u64,
}

impl FreeList {
    /// An allocator over `[start, start + size)` handing out multiples of `granule` with the
    /// `fit` policy, coalescing on free. `start` and `size` are rounded inwards to the
    /// granule. Fails if `granule` is not a power of two or the range overflows.
    pub fn new(start: u64, size: u64, granule: u64, fit: Fit) -> Result<FreeList, String> {
        if !granule.is_power_of_two() {
            return Err(format!("granule {granule:#x} is not a power of two"));
        }
        let end = start
            .checked_add(size)
            .ok_or_else(|| format!("range {start:#x} + {size:#x} overflows"))?;
        let first = start
            .checked_next_multiple_of(granule)
            .ok_or_else(|| format!("range start {start:#x} overflows when aligned"))?;
        let last = end & !(granule - 1);
        let range = Chunk {
            addr: first,
            size: last.saturating_sub(first),
        };
        let free = if range.size > 0 { vec![range] } else { vec![] };
        Ok(FreeList {
            range,
            granule,
            fit,
            coalesce: true,
            free,
            used: BTreeMap::new(),
            rover: first,
        })
    }

    /// Turns coalescing on free on or off (`malloc.py -C` is on; its default is off).
    pub fn with_coalescing(mut self, coalesce: bool) -> FreeList {
        self.coalesce = coalesce;
        self
    }

    /// The managed range.
    pub fn range(&self) -> Chunk {
        self.range
    }

    /// The allocation unit.
    pub fn granule(&self) -> u64 {
        self.granule
    }

    /// The policy.
    pub fn fit(&self) -> Fit {
        self.fit
    }

    /// `size` rounded up to the granule; `None` for 0 or on overflow.
    pub fn round(&self, size: u64) -> Option<u64> {
        if size == 0 {
            return None;
        }
        size.checked_next_multiple_of(self.granule)
    }

    /// The free chunks, sorted by address.
    pub fn free_chunks(&self) -> &[Chunk] {
        &self.free
    }

    /// The allocations, sorted by address.
    pub fn allocations(&self) -> impl Iterator<Item = Chunk> + '_ {
        self.used.iter().map(|(&addr, &size)| Chunk { addr, size })
    }

    /// The size of the allocation at `addr`, if there is one.
    pub fn size_of(&self, addr: u64) -> Option<u64> {
        self.used.get(&addr).copied()
    }

    /// The free-list index the policy picks for `size` bytes (already rounded).
    fn pick(&self, size: u64) -> Option<usize> {
        let fits = |c: &&Chunk| c.size >= size;
        let indexed = self.free.iter().enumerate();
        match self.fit {
            Fit::First => self.free.iter().position(|c| c.size >= size),
            // `min_by_key`/`max_by_key` keep the first/last of equals; ties go to the lowest
            // address in both cases, hence the reversed key for worst fit.
            Fit::Best => indexed
                .filter(|(_, c)| fits(c))
                .min_by_key(|(_, c)| c.size)
                .map(|(i, _)| i),
            Fit::Worst => indexed
                .filter(|(_, c)| fits(c))
                .min_by_key(|(_, c)| std::cmp::Reverse(c.size))
                .map(|(i, _)| i),
            Fit::Next => {
                let from = self.free.partition_point(|c| c.end() <= self.rover);
                let n = self.free.len();
                (0..n)
                    .map(|k| (from + k) % n)
                    .find(|&i| self.free.get(i).is_some_and(|c| c.size >= size))
            }
        }
    }

    /// Allocates `size` bytes (rounded up to the granule) with the policy; `None` if no
    /// free chunk is large enough.
    pub fn alloc(&mut self, size: u64) -> Option<u64> {
        let size = self.round(size)?;
        let i = self.pick(size)?;
        let chunk = *self.free.get(i)?;
        self.take_low(i, size);
        self.used.insert(chunk.addr, size);
        self.rover = chunk.addr + size;
        Some(chunk.addr)
    }

    /// Takes `size` bytes from the low end of free chunk `i` (splitting it).
    fn take_low(&mut self, i: usize, size: u64) {
        if let Some(c) = self.free.get_mut(i) {
            if c.size == size {
                self.free.remove(i);
            } else {
                c.addr += size;
                c.size -= size;
            }
        }
    }

    /// Takes `size` bytes from the high end of free chunk `i` (splitting it).
    fn take_high(&mut self, i: usize, size: u64) {
        if let Some(c) = self.free.get_mut(i) {
            if c.size == size {
                self.free.remove(i);
            } else {
                c.size -= size;
            }
        }
    }

    /// Returns `chunk` to the free list, merging it with adjacent free chunks when
    /// coalescing is on.
    fn release(&mut self, chunk: Chunk) {
        let i = self.free.partition_point(|c| c.addr < chunk.addr);
        self.free.insert(i, chunk);
        if !self.coalesce {
            return;
        }
        // Merge with the next chunk, then the previous one.
        if let (Some(&next), Some(cur)) = (self.free.get(i + 1), self.free.get(i)) {
            if cur.end() == next.addr {
                self.free[i].size += next.size;
                self.free.remove(i + 1);
            }
        }
        if i > 0 {
            if let (Some(&prev), Some(&cur)) = (self.free.get(i - 1), self.free.get(i)) {
                if prev.end() == cur.addr {
                    self.free[i - 1].size += cur.size;
                    self.free.remove(i);
                }
            }
        }
    }

    /// Frees the allocation at `addr`; returns its size, or `None` if nothing is allocated
    /// there.
    pub fn free(&mut self, addr: u64) -> Option<u64> {
        let size = self.used.remove(&addr)?;
        self.release(Chunk { addr, size });
        Some(size)
    }

    /// The index of the free chunk starting exactly at `addr`.
    fn free_starting_at(&self, addr: u64) -> Option<usize> {
        let i = self.free.partition_point(|c| c.addr < addr);
        self.free.get(i).filter(|c| c.addr == addr).map(|_| i)
    }

    /// The index of the free chunk ending exactly at `addr`.
    fn free_ending_at(&self, addr: u64) -> Option<usize> {
        let i = self.free.partition_point(|c| c.addr < addr);
        let i = i.checked_sub(1)?;
        self.free.get(i).filter(|c| c.end() == addr).map(|_| i)
    }

    /// Grows the allocation at `addr` in place to `new_size` (rounded up) by taking the low
    /// part of the free chunk right after it. `false` (nothing changes) if there is no
    /// allocation at `addr` or the next chunk is not free or too small. A `new_size` not
    /// above the current size succeeds without change.
    pub fn grow_up(&mut self, addr: u64, new_size: u64) -> bool {
        let (Some(old), Some(new)) = (self.size_of(addr), self.round(new_size)) else {
            return false;
        };
        if new <= old {
            return true;
        }
        let extra = new - old;
        let Some(i) = self.free_starting_at(addr + old) else {
            return false;
        };
        match self.free.get(i) {
            Some(c) if c.size >= extra => {}
            _ => return false,
        }
        self.take_low(i, extra);
        self.used.insert(addr, new);
        true
    }

    /// Grows the allocation at `addr` downwards to `new_size` (rounded up), keeping its end,
    /// by taking the high part of the free chunk right before it (a stack growing down).
    /// Returns the new address, or `None` (nothing changes) if that chunk is not free or too
    /// small. A `new_size` not above the current size returns `addr` unchanged.
    pub fn grow_down(&mut self, addr: u64, new_size: u64) -> Option<u64> {
        let old = self.size_of(addr)?;
        let new = self.round(new_size)?;
        if new <= old {
            return Some(addr);
        }
        let extra = new - old;
        let i = self.free_ending_at(addr)?;
        if self.free.get(i)?.size < extra {
            return None;
        }
        self.take_high(i, extra);
        self.used.remove(&addr);
        let new_addr = addr - extra;
        self.used.insert(new_addr, new);
        Some(new_addr)
    }

    /// Shrinks the allocation at `addr` to `new_size` (rounded up, at least one granule),
    /// freeing its tail. `false` if there is no allocation at `addr`.
    pub fn shrink(&mut self, addr: u64, new_size: u64) -> bool {
        let Some(old) = self.size_of(addr) else {
            return false;
        };
        let new = self
            .round(new_size)
            .unwrap_or(self.granule)
            .max(self.granule);
        if new >= old {
            return true;
        }
        self.used.insert(addr, new);
        self.release(Chunk {
            addr: addr + new,
            size: old - new,
        });
        true
    }

    /// Compaction: slides every allocation down, in address order, so that they are packed
    /// at the bottom of the range and all free memory is one chunk at the top. Returns the
    /// moves made (allocations already in place are not listed); the caller copies the
    /// bytes in that order.
    pub fn compact(&mut self) -> Vec<Move> {
        let mut moves = Vec::new();
        let mut packed = BTreeMap::new();
        let mut to = self.range.addr;
        for (&from, &size) in &self.used {
            if from != to {
                moves.push(Move { from, to, size });
            }
            packed.insert(to, size);
            to += size;
        }
        self.used = packed;
        let end = self.range.end();
        self.free = if to < end {
            vec![Chunk {
                addr: to,
                size: end - to,
            }]
        } else {
            vec![]
        };
        self.rover = to;
        moves
    }

    /// The figures for the report.
    pub fn stats(&self) -> FreeStats {
        FreeStats {
            free_chunks: self.free.len() as u64,
            largest_free: self.free.iter().map(|c| c.size).max().unwrap_or(0),
            total_free: self.free.iter().map(|c| c.size).sum(),
            in_use: self.used.values().sum(),
            allocations: self.used.len() as u64,
        }
    }
}
