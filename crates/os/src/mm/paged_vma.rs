//! Virtual memory areas: the OS's record of which page-aligned ranges of an address space
//! are mapped, with what protection and backing. The page tables say what the hardware
//! sees now; the areas say what the process is allowed to touch, so a fault inside an area
//! is served (demand paging) and one outside it is fatal.

use super::PAGE;
use std::collections::BTreeMap;

/// Most areas one address space may have (Linux's default `vm.max_map_count`): a call that
/// would need more fails with `ENOMEM`, so a guest cannot grow the OS's records without
/// bound.
pub const MAX_MAP_COUNT: usize = 65_530;

/// What backs an area's pages on first touch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backing {
    /// The program image: pages are copied from its segments (bytes beyond them are zero).
    Image,
    /// The heap (`brk`): zero-filled.
    Heap,
    /// An anonymous `mmap`: zero-filled.
    Anonymous,
    /// The stack: zero-filled, grows down on a fault below it.
    Stack,
}

impl Backing {
    /// Name for messages.
    pub const fn name(self) -> &'static str {
        match self {
            Backing::Image => "image",
            Backing::Heap => "heap",
            Backing::Anonymous => "mmap",
            Backing::Stack => "stack",
        }
    }
}

/// One area: `[start, end)`, page aligned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vma {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
    /// `PROT_*` bits.
    pub prot: u64,
    /// What backs it.
    pub backing: Backing,
}

/// The areas of one address space, non-overlapping, keyed by start.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Vmas {
    areas: BTreeMap<u64, Vma>,
}

impl Vmas {
    /// No areas.
    pub fn new() -> Vmas {
        Vmas::default()
    }

    /// The area holding `va`.
    pub fn find(&self, va: u64) -> Option<&Vma> {
        self.areas
            .range(..=va)
            .next_back()
            .map(|(_, v)| v)
            .filter(|v| va < v.end)
    }

    /// Number of areas.
    pub fn len(&self) -> usize {
        self.areas.len()
    }

    /// Whether there are no areas.
    pub fn is_empty(&self) -> bool {
        self.areas.is_empty()
    }

    /// Every area, lowest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Vma> {
        self.areas.values()
    }

    /// Whether no area overlaps `[start, end)`.
    pub fn is_free(&self, start: u64, end: u64) -> bool {
        self.overlapping(start, end).next().is_none()
    }

    /// The areas overlapping `[start, end)`.
    pub fn overlapping(&self, start: u64, end: u64) -> impl Iterator<Item = &Vma> {
        let first = self
            .areas
            .range(..start)
            .next_back()
            .filter(|(_, v)| v.end > start)
            .map(|(&k, _)| k)
            .unwrap_or(start);
        self.areas
            .range(first..end)
            .map(|(_, v)| v)
            .filter(move |v| v.end > start && v.start < end)
    }

    /// Adds `vma`; the caller has made its range free (see [`Vmas::remove`]). Adjacent
    /// areas with the same protection and backing merge.
    pub fn insert(&mut self, vma: Vma) {
        let mut vma = vma;
        if let Some(prev) = self.areas.range(..vma.start).next_back().map(|(_, v)| *v) {
            if prev.end == vma.start && prev.prot == vma.prot && prev.backing == vma.backing {
                self.areas.remove(&prev.start);
                vma.start = prev.start;
            }
        }
        if let Some(next) = self.areas.get(&vma.end).copied() {
            if next.prot == vma.prot && next.backing == vma.backing {
                self.areas.remove(&next.start);
                vma.end = next.end;
            }
        }
        self.areas.insert(vma.start, vma);
    }

    /// Removes `[start, end)` from every area (splitting those that straddle it) and
    /// returns the removed pieces.
    pub fn remove(&mut self, start: u64, end: u64) -> Vec<Vma> {
        let hit: Vec<Vma> = self.overlapping(start, end).copied().collect();
        let mut removed = Vec::with_capacity(hit.len());
        for v in hit {
            self.areas.remove(&v.start);
            if v.start < start {
                self.areas.insert(v.start, Vma { end: start, ..v });
            }
            if v.end > end {
                self.areas.insert(end, Vma { start: end, ..v });
            }
            removed.push(Vma {
                start: v.start.max(start),
                end: v.end.min(end),
                ..v
            });
        }
        removed
    }

    /// Whether `[start, end)` is entirely covered by areas.
    pub fn covers(&self, start: u64, end: u64) -> bool {
        let mut at = start;
        for v in self.overlapping(start, end) {
            if v.start > at {
                return false;
            }
            at = v.end;
        }
        at >= end
    }

    /// Sets the protection of `[start, end)` (which the caller checked is covered),
    /// returning the pieces with their old protection.
    pub fn protect(&mut self, start: u64, end: u64, prot: u64) -> Vec<Vma> {
        let pieces = self.remove(start, end);
        for p in &pieces {
            self.insert(Vma { prot, ..*p });
        }
        pieces
    }

    /// The highest `len`-byte free range inside `[low, high)`, as Linux places mappings
    /// top-down below the mmap base.
    pub fn free_top_down(&self, len: u64, low: u64, high: u64) -> Option<u64> {
        let mut top = high;
        for v in self.areas.range(..high).rev().map(|(_, v)| v) {
            if v.end <= low {
                break;
            }
            if v.end < top && top - v.end >= len {
                return Some(top - len).filter(|&s| s >= low);
            }
            top = top.min(v.start);
        }
        top.checked_sub(len).filter(|&s| s >= low)
    }
}

/// Page-aligned `[start, start + len)` or `None` if it wraps.
pub fn page_range(start: u64, len: u64) -> Option<(u64, u64)> {
    let end = start.checked_add(len)?.checked_next_multiple_of(PAGE)?;
    Some((start - start % PAGE, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vma(start: u64, end: u64, prot: u64) -> Vma {
        Vma {
            start,
            end,
            prot,
            backing: Backing::Anonymous,
        }
    }

    #[test]
    fn insert_merges_remove_splits_and_top_down_finds_the_highest_gap() {
        let mut v = Vmas::new();
        v.insert(vma(0x1000, 0x3000, 3));
        v.insert(vma(0x3000, 0x5000, 3));
        assert_eq!(v.iter().count(), 1);
        assert_eq!(v.find(0x4fff), Some(&vma(0x1000, 0x5000, 3)));
        assert_eq!(v.find(0x5000), None);
        let removed = v.remove(0x2000, 0x3000);
        assert_eq!(removed, vec![vma(0x2000, 0x3000, 3)]);
        let all: Vec<Vma> = v.iter().copied().collect();
        assert_eq!(all, vec![vma(0x1000, 0x2000, 3), vma(0x3000, 0x5000, 3)]);
        assert!(!v.covers(0x1000, 0x4000));
        assert!(v.covers(0x3000, 0x5000));
        assert_eq!(v.free_top_down(0x1000, 0, 0x5000), Some(0x2000));
        assert_eq!(v.free_top_down(0x1000, 0, 0x8000), Some(0x7000));
        assert_eq!(v.free_top_down(0x2000, 0x1000, 0x5000), None);
        let old = v.protect(0x3000, 0x4000, 1);
        assert_eq!(old, vec![vma(0x3000, 0x4000, 3)]);
        assert_eq!(v.find(0x3000).map(|a| a.prot), Some(1));
        assert_eq!(v.find(0x4000).map(|a| a.prot), Some(3));
        assert_eq!(page_range(0x1234, 0x10), Some((0x1000, 0x2000)));
        assert_eq!(page_range(u64::MAX - 4, 0x10), None);
    }
}
