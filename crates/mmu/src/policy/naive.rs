//! Naive reference implementations of every replacement policy: written for obviousness, not
//! speed (recency lists, an explicit tree, queues, an ordered map), so tests can check the
//! tuned policies against them hit for hit.

use super::{PolicyKind, Replacement};
use std::collections::{BTreeSet, VecDeque};

/// A naive policy of any kind.
#[derive(Debug)]
pub enum NaivePolicy {
    /// Recency list per set, most recent first.
    Lru(Vec<Vec<usize>>),
    /// An explicit tree per set.
    TreePlru(Vec<PlruNode>),
    /// Fill-order queue per set.
    Fifo(Vec<VecDeque<usize>>),
    /// The generator state and way count.
    Random {
        /// Generator state.
        state: u64,
        /// Ways per set.
        ways: usize,
    },
    /// Per set, the valid ways ordered by (count, way).
    Lfu(Vec<BTreeSet<(u32, usize)>>),
}

/// A node of the explicit pseudo-LRU tree.
#[derive(Debug)]
pub enum PlruNode {
    /// One way.
    Leaf(usize),
    /// A node whose two halves both hold ways; `victim_upper` says where the victim is.
    Inner {
        /// The victim is in `upper`.
        victim_upper: bool,
        /// First way of `upper`.
        split: usize,
        /// Ways below `split`.
        lower: Box<PlruNode>,
        /// Ways from `split` on.
        upper: Box<PlruNode>,
    },
}

impl PlruNode {
    /// The tree over ways `lo..lo+size` (size a power of two), keeping only existing ways.
    fn build(lo: usize, size: usize, ways: usize) -> PlruNode {
        if size == 1 {
            return PlruNode::Leaf(lo);
        }
        let half = size / 2;
        if lo + half >= ways {
            return PlruNode::build(lo, half, ways);
        }
        PlruNode::Inner {
            victim_upper: false,
            split: lo + half,
            lower: Box::new(PlruNode::build(lo, half, ways)),
            upper: Box::new(PlruNode::build(lo + half, half, ways)),
        }
    }

    fn touch(&mut self, way: usize) {
        if let PlruNode::Inner {
            victim_upper,
            split,
            lower,
            upper,
        } = self
        {
            let in_upper = way >= *split;
            *victim_upper = !in_upper;
            if in_upper {
                upper.touch(way)
            } else {
                lower.touch(way)
            }
        }
    }

    fn victim(&self) -> usize {
        match self {
            PlruNode::Leaf(way) => *way,
            PlruNode::Inner {
                victim_upper: true,
                upper,
                ..
            } => upper.victim(),
            PlruNode::Inner { lower, .. } => lower.victim(),
        }
    }

    fn would_change(&self, way: usize) -> bool {
        match self {
            PlruNode::Leaf(_) => false,
            PlruNode::Inner {
                victim_upper,
                split,
                lower,
                upper,
            } => {
                let in_upper = way >= *split;
                *victim_upper == in_upper
                    || if in_upper {
                        upper.would_change(way)
                    } else {
                        lower.would_change(way)
                    }
            }
        }
    }
}

fn naive_xorshift(state: &mut u64) -> u64 {
    // The same recurrence as the tuned generator, spelled out.
    let a = *state ^ (*state << 13);
    let b = a ^ (a >> 7);
    let c = b ^ (b << 17);
    *state = c;
    c
}

impl NaivePolicy {
    /// A naive policy for `sets` × `ways`.
    pub fn new(kind: PolicyKind, sets: usize, ways: usize, seed: u64) -> NaivePolicy {
        match kind {
            PolicyKind::Lru => NaivePolicy::Lru(vec![Vec::new(); sets]),
            PolicyKind::TreePlru => {
                let size = ways.max(1).next_power_of_two();
                NaivePolicy::TreePlru((0..sets).map(|_| PlruNode::build(0, size, ways)).collect())
            }
            PolicyKind::Fifo => NaivePolicy::Fifo(vec![VecDeque::new(); sets]),
            PolicyKind::Random => NaivePolicy::Random {
                state: if seed == 0 {
                    0x9e37_79b9_7f4a_7c15
                } else {
                    seed
                },
                ways,
            },
            PolicyKind::Lfu => NaivePolicy::Lfu(vec![BTreeSet::new(); sets]),
        }
    }
}

fn lfu_count(set: &BTreeSet<(u32, usize)>, way: usize) -> Option<u32> {
    set.iter().find(|(_, w)| *w == way).map(|(c, _)| *c)
}

impl Replacement for NaivePolicy {
    fn touch(&mut self, set: usize, way: usize) {
        match self {
            NaivePolicy::Lru(lists) => {
                if let Some(list) = lists.get_mut(set) {
                    list.retain(|w| *w != way);
                    list.insert(0, way);
                }
            }
            NaivePolicy::TreePlru(trees) => {
                if let Some(t) = trees.get_mut(set) {
                    t.touch(way)
                }
            }
            NaivePolicy::Fifo(_) | NaivePolicy::Random { .. } => {}
            NaivePolicy::Lfu(sets) => {
                if let Some(s) = sets.get_mut(set) {
                    if let Some(c) = lfu_count(s, way) {
                        s.remove(&(c, way));
                        s.insert((c.saturating_add(1), way));
                    }
                }
            }
        }
    }

    fn fill(&mut self, set: usize, way: usize) {
        match self {
            NaivePolicy::Lru(_) | NaivePolicy::TreePlru(_) => self.touch(set, way),
            NaivePolicy::Fifo(queues) => {
                if let Some(q) = queues.get_mut(set) {
                    q.retain(|w| *w != way);
                    q.push_back(way);
                }
            }
            NaivePolicy::Random { .. } => {}
            NaivePolicy::Lfu(sets) => {
                if let Some(s) = sets.get_mut(set) {
                    if let Some(c) = lfu_count(s, way) {
                        s.remove(&(c, way));
                    }
                    s.insert((1, way));
                }
            }
        }
    }

    fn invalidate(&mut self, set: usize, way: usize) {
        match self {
            NaivePolicy::Lru(lists) => {
                if let Some(l) = lists.get_mut(set) {
                    l.retain(|w| *w != way)
                }
            }
            NaivePolicy::Fifo(queues) => {
                if let Some(q) = queues.get_mut(set) {
                    q.retain(|w| *w != way)
                }
            }
            NaivePolicy::Lfu(sets) => {
                if let Some(s) = sets.get_mut(set) {
                    if let Some(c) = lfu_count(s, way) {
                        s.remove(&(c, way));
                    }
                }
            }
            NaivePolicy::TreePlru(_) | NaivePolicy::Random { .. } => {}
        }
    }

    fn victim(&mut self, set: usize) -> usize {
        match self {
            NaivePolicy::Lru(lists) => lists.get(set).and_then(|l| l.last().copied()).unwrap_or(0),
            NaivePolicy::TreePlru(trees) => trees.get(set).map_or(0, PlruNode::victim),
            NaivePolicy::Fifo(queues) => queues
                .get(set)
                .and_then(|q| q.front().copied())
                .unwrap_or(0),
            NaivePolicy::Random { state, ways } => {
                let r = naive_xorshift(state);
                (r % (*ways).max(1) as u64) as usize
            }
            NaivePolicy::Lfu(sets) => sets
                .get(set)
                .and_then(|s| s.first().map(|(_, w)| *w))
                .unwrap_or(0),
        }
    }

    fn hit_would_change_state(&self, set: usize, way: usize) -> bool {
        match self {
            NaivePolicy::Lru(lists) => lists.get(set).and_then(|l| l.first()) != Some(&way),
            NaivePolicy::TreePlru(trees) => trees.get(set).is_some_and(|t| t.would_change(way)),
            NaivePolicy::Fifo(_) | NaivePolicy::Random { .. } => false,
            NaivePolicy::Lfu(sets) => sets
                .get(set)
                .and_then(|s| lfu_count(s, way))
                .is_some_and(|c| c != u32::MAX),
        }
    }
}
