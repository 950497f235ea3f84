//! The physical frame allocator of the paged modes: 4 KiB frames of guest physical memory,
//! always handing out the lowest free frame, so placements are deterministic and easy to
//! state in tests.
//!
//! [`FrameAllocator`] keeps a bump pointer over never-used frames and an ordered set of
//! freed ones below it: allocation and freeing cost O(log n) and memory proportional to the
//! frames freed, not to physical memory. [`NaiveFrames`] is the slow reference (a bitmap
//! scanned from the bottom); tests check the two agree on random sequences.

use std::collections::BTreeSet;

/// A physical frame number (physical address / 4096).
pub type Frame = u64;

/// Lowest-free-first frame allocator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameAllocator {
    /// The lowest frame managed.
    first: Frame,
    /// Frames at or above this were never handed out.
    bump: Frame,
    /// One past the last frame.
    limit: Frame,
    /// Freed frames below `bump`.
    freed: BTreeSet<Frame>,
    /// Frames handed out and not freed.
    in_use: u64,
}

impl FrameAllocator {
    /// Frames `[first, limit)` are free.
    pub fn new(first: Frame, limit: Frame) -> FrameAllocator {
        FrameAllocator {
            first: first.min(limit),
            bump: first.min(limit),
            limit,
            freed: BTreeSet::new(),
            in_use: 0,
        }
    }

    /// The lowest free frame, or `None` when physical memory is exhausted.
    pub fn alloc(&mut self) -> Option<Frame> {
        let frame = match self.freed.pop_first() {
            Some(f) => f,
            None if self.bump < self.limit => {
                self.bump += 1;
                self.bump - 1
            }
            None => return None,
        };
        self.in_use += 1;
        Some(frame)
    }

    /// Gives `frame` back. Freeing a frame that is not allocated is ignored (and reported
    /// as `false`), so a bookkeeping slip cannot corrupt the free set.
    pub fn free(&mut self, frame: Frame) -> bool {
        if frame < self.first || frame >= self.bump || !self.freed.insert(frame) {
            return false;
        }
        self.in_use -= 1;
        // Keep the free set small: frames just below the bump pointer return to it.
        while self.bump > self.first && self.freed.remove(&(self.bump - 1)) {
            self.bump -= 1;
        }
        true
    }

    /// Frames allocated now.
    pub fn in_use(&self) -> u64 {
        self.in_use
    }

    /// Frames still free.
    pub fn free_frames(&self) -> u64 {
        (self.limit - self.bump) + self.freed.len() as u64
    }
}

/// The reference allocator: one flag per frame, scanned from the bottom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NaiveFrames {
    used: Vec<bool>,
    first: Frame,
}

impl NaiveFrames {
    /// Frames `[first, limit)` are free.
    pub fn new(first: Frame, limit: Frame) -> NaiveFrames {
        NaiveFrames {
            used: vec![false; limit.saturating_sub(first) as usize],
            first,
        }
    }

    /// The lowest free frame.
    pub fn alloc(&mut self) -> Option<Frame> {
        let i = self.used.iter().position(|u| !u)?;
        self.used[i] = true;
        Some(self.first + i as u64)
    }

    /// Gives `frame` back; `false` if it was not allocated.
    pub fn free(&mut self, frame: Frame) -> bool {
        let Some(slot) = frame
            .checked_sub(self.first)
            .and_then(|i| self.used.get_mut(i as usize))
        else {
            return false;
        };
        let was = *slot;
        *slot = false;
        was
    }

    /// Frames allocated now.
    pub fn in_use(&self) -> u64 {
        self.used.iter().filter(|u| **u).count() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lowest_free_first_and_exhaustion() {
        let mut a = FrameAllocator::new(2, 6);
        assert_eq!(
            [a.alloc(), a.alloc(), a.alloc()],
            [Some(2), Some(3), Some(4)]
        );
        assert!(a.free(3));
        assert!(!a.free(3));
        assert!(!a.free(9));
        assert!(!a.free(0));
        assert_eq!(a.alloc(), Some(3));
        assert_eq!(a.alloc(), Some(5));
        assert_eq!(a.alloc(), None);
        assert_eq!((a.in_use(), a.free_frames()), (4, 0));
        assert!(a.free(5));
        assert!(a.free(4));
        assert_eq!((a.in_use(), a.free_frames()), (2, 2));
    }

    proptest! {
        #[test]
        fn fast_and_naive_allocators_agree(ops in proptest::collection::vec((any::<bool>(), 0u64..80), 1..400)) {
            let mut fast = FrameAllocator::new(8, 72);
            let mut naive = NaiveFrames::new(8, 72);
            for (alloc, frame) in ops {
                if alloc {
                    prop_assert_eq!(fast.alloc(), naive.alloc());
                } else {
                    prop_assert_eq!(fast.free(frame), naive.free(frame));
                }
                prop_assert_eq!(fast.in_use(), naive.in_use());
                prop_assert_eq!(fast.free_frames(), 64 - naive.in_use());
            }
        }
    }
}
