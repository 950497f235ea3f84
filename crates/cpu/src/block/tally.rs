//! What a block's runs add to the counters: per exit, the class cycles and per-class
//! counts of the instructions retired (and of those a skip passes over), precomputed when
//! the block is built.

use crate::cost::CLASSES;
use atlas_isa::CostClass;

/// Retired instructions per cost class, for the classes a block has (at most all).
#[derive(Clone, Copy, Debug)]
pub(super) struct ClassTally {
    len: usize,
    class: [CostClass; CLASSES],
    count: [u64; CLASSES],
}

impl ClassTally {
    pub(super) const EMPTY: ClassTally = ClassTally {
        len: 0,
        class: [CostClass::Alu; CLASSES],
        count: [0; CLASSES],
    };

    /// Counts one more instruction of class `c`.
    pub(super) fn add(&mut self, c: CostClass) {
        let existing = self.class.iter().take(self.len).position(|&k| k == c);
        let at = existing.unwrap_or(self.len);
        if let (Some(k), Some(n)) = (self.class.get_mut(at), self.count.get_mut(at)) {
            *k = c;
            *n += 1;
            self.len = self.len.max(at + 1);
        }
    }

    /// Adds the tally, `times` over, to counts indexed by class.
    pub(super) fn apply(&self, per_class: &mut [u64; CLASSES], times: u64) {
        for (&c, &n) in self.class.iter().zip(&self.count).take(self.len) {
            let slot = &mut per_class[c as usize];
            *slot = slot.wrapping_add(n.wrapping_mul(times));
        }
    }

    /// Takes the tally, `times` over, back out of counts indexed by class.
    pub(super) fn remove(&self, per_class: &mut [u64; CLASSES], times: u64) {
        for (&c, &n) in self.class.iter().zip(&self.count).take(self.len) {
            let slot = &mut per_class[c as usize];
            *slot = slot.wrapping_sub(n.wrapping_mul(times));
        }
    }
}

/// What retiring a run that leaves by one exit adds to the counters.
#[derive(Clone, Debug)]
pub(super) struct ExitCost {
    /// The class cycles of the instructions retired.
    pub(super) cycles: u64,
    /// Those instructions per class.
    pub(super) classes: ClassTally,
    /// The class cycles of the instructions a skip by this exit's branch passes over.
    pub(super) skipped_cycles: u64,
    /// Those instructions per class.
    pub(super) skipped_classes: ClassTally,
}

impl ExitCost {
    /// The cost of leaving after instructions of `cycles` and `classes`, skipping nothing.
    pub(super) fn new(cycles: u64, classes: ClassTally) -> ExitCost {
        ExitCost {
            cycles,
            classes,
            skipped_cycles: 0,
            skipped_classes: ClassTally::EMPTY,
        }
    }
}

/// What retiring (part of) a block adds to the counters.
#[derive(Clone, Debug)]
pub(super) struct BlockCost {
    /// By exit, as [`Block::exits`].
    pub(super) exits: Box<[ExitCost]>,
    /// The class of each instruction, for retiring part of the block.
    pub(super) each: Box<[CostClass]>,
}
