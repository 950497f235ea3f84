//! Replacement policies for set-associative structures (TLBs and page-walk caches), tuned for
//! speed, with naive reference implementations in [`naive`] that tests check them against.
//!
//! A structure chooses an invalid way itself when one exists (the lowest-numbered); the policy
//! is asked for a victim only when every way of the set is valid.

pub mod naive;

/// Which replacement policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PolicyKind {
    /// Least recently used.
    Lru,
    /// Tree pseudo-LRU (works for any way count: subtrees without ways are skipped).
    TreePlru,
    /// First in, first out: hits do not change the order.
    Fifo,
    /// A seeded xorshift picks the victim.
    Random,
    /// Least frequently used; ties go to the lowest way.
    Lfu,
}

impl PolicyKind {
    /// Every policy.
    pub const ALL: [PolicyKind; 5] = [
        PolicyKind::Lru,
        PolicyKind::TreePlru,
        PolicyKind::Fifo,
        PolicyKind::Random,
        PolicyKind::Lfu,
    ];

    /// Name for configs and reports.
    pub const fn name(self) -> &'static str {
        match self {
            PolicyKind::Lru => "lru",
            PolicyKind::TreePlru => "plru",
            PolicyKind::Fifo => "fifo",
            PolicyKind::Random => "random",
            PolicyKind::Lfu => "lfu",
        }
    }

    /// The policy called `name` (as [`PolicyKind::name`] spells it).
    pub fn parse(name: &str) -> Option<PolicyKind> {
        PolicyKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// What a set-associative structure tells its policy, and asks it.
pub trait Replacement {
    /// A lookup hit `way`.
    fn touch(&mut self, set: usize, way: usize);
    /// A new entry was placed in `way`.
    fn fill(&mut self, set: usize, way: usize);
    /// The entry in `way` was flushed.
    fn invalidate(&mut self, set: usize, way: usize);
    /// The way to evict from a full set.
    fn victim(&mut self, set: usize) -> usize;
    /// [`Replacement::victim`], then [`Replacement::fill`] of that way: a fill of a full
    /// set, with one dispatch on the policy instead of two.
    #[inline(always)]
    fn replace(&mut self, set: usize) -> usize {
        let way = self.victim(set);
        self.fill(set, way);
        way
    }
    /// Whether [`Replacement::touch`] of `way` would change any state that can influence a
    /// future victim choice (false for the MRU way under LRU; always false for FIFO and
    /// random). A fast path may skip the modelled lookup exactly when this is false.
    fn hit_would_change_state(&self, set: usize, way: usize) -> bool;
}

/// The way of `set` whose entry in the per-way `table` is lowest (the first such way): the
/// victim of LRU (oldest stamp), FIFO (oldest fill) and LFU (fewest uses).
fn lowest_way<T: Ord>(table: &[T], set: usize, ways: usize) -> usize {
    table
        .get(set * ways..(set + 1) * ways)
        .and_then(|row| row.iter().enumerate().min_by_key(|&(_, v)| v))
        .map_or(0, |(way, _)| way)
}

/// A xorshift64 generator: tiny, seeded, deterministic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XorShift64(u64);

impl XorShift64 {
    /// A generator from `seed` (zero is replaced, as xorshift needs a non-zero state).
    pub const fn new(seed: u64) -> XorShift64 {
        XorShift64(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }

    /// The next number.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number below `n` (`n` > 0; returns 0 for `n` == 0).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64().checked_rem(n).unwrap_or(0)
    }
}

/// The tuned policy state of one structure, one variant per [`PolicyKind`].
///
/// An explicit tag byte (`repr(u8)`) instead of a niche in the variants' fields: every
/// lookup, fill and victim dispatches on it, and a plain byte compares in one instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Policy {
    /// See [`PolicyKind::Lru`].
    Lru(Lru),
    /// See [`PolicyKind::TreePlru`].
    TreePlru(TreePlru),
    /// See [`PolicyKind::Fifo`].
    Fifo(Fifo),
    /// See [`PolicyKind::Random`].
    Random(RandomPolicy),
    /// See [`PolicyKind::Lfu`].
    Lfu(Lfu),
}

impl Policy {
    /// State for `sets` × `ways` under `kind`; `seed` drives the random policy.
    pub fn new(kind: PolicyKind, sets: usize, ways: usize, seed: u64) -> Policy {
        match kind {
            PolicyKind::Lru => Policy::Lru(Lru::new(sets, ways)),
            PolicyKind::TreePlru => Policy::TreePlru(TreePlru::new(sets, ways)),
            PolicyKind::Fifo => Policy::Fifo(Fifo::new(sets, ways)),
            PolicyKind::Random => Policy::Random(RandomPolicy::new(ways, seed)),
            PolicyKind::Lfu => Policy::Lfu(Lfu::new(sets, ways)),
        }
    }
}

/// Forwards a call to the policy of whichever kind, statically (no `dyn`).
macro_rules! dispatch {
    ($policy:expr, $p:ident => $call:expr) => {
        match $policy {
            Policy::Lru($p) => $call,
            Policy::TreePlru($p) => $call,
            Policy::Fifo($p) => $call,
            Policy::Random($p) => $call,
            Policy::Lfu($p) => $call,
        }
    };
}

impl Policy {
    /// Whether a hit on the way a fill has just placed leaves the state as it is: true for
    /// every policy but LFU, whose hits count. (The filled way is the most recently used
    /// under LRU and tree-PLRU; FIFO and random hits change nothing.) Lets a fast path
    /// stand on a freshly filled entry without asking [`Replacement::hit_would_change_state`].
    #[inline(always)]
    pub fn hit_after_fill_is_free(&self) -> bool {
        !matches!(self, Policy::Lfu(_))
    }
}

impl Replacement for Policy {
    #[inline(always)]
    fn touch(&mut self, set: usize, way: usize) {
        match self {
            Policy::Lru(p) => p.touch(set, way),
            Policy::TreePlru(p) => p.touch(set, way),
            Policy::Lfu(p) => p.touch(set, way),
            Policy::Fifo(_) | Policy::Random(_) => {}
        }
    }
    #[inline(always)]
    fn fill(&mut self, set: usize, way: usize) {
        dispatch!(self, p => p.fill(set, way))
    }
    fn invalidate(&mut self, set: usize, way: usize) {
        dispatch!(self, p => p.invalidate(set, way))
    }
    #[inline(always)]
    fn victim(&mut self, set: usize) -> usize {
        dispatch!(self, p => p.victim(set))
    }
    #[inline(always)]
    fn replace(&mut self, set: usize) -> usize {
        dispatch!(self, p => p.replace(set))
    }
    #[inline(always)]
    fn hit_would_change_state(&self, set: usize, way: usize) -> bool {
        dispatch!(self, p => p.hit_would_change_state(set, way))
    }
}

/// Sentinel for "no MRU way" in [`Lru`].
const NO_WAY: u32 = u32::MAX;

/// LRU with a use stamp per way and the MRU way per set, so a hit on the MRU way changes
/// nothing at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lru {
    ways: usize,
    stamps: Vec<u64>,
    mru: Vec<u32>,
    clock: u64,
}

impl Lru {
    /// State for `sets` × `ways`.
    pub fn new(sets: usize, ways: usize) -> Lru {
        Lru {
            ways,
            stamps: vec![0; sets * ways],
            mru: vec![NO_WAY; sets],
            clock: 0,
        }
    }

    fn make_mru(&mut self, set: usize, way: usize) {
        self.clock += 1;
        if let Some(s) = self.stamps.get_mut(set * self.ways + way) {
            *s = self.clock;
        }
        if let Some(m) = self.mru.get_mut(set) {
            *m = way as u32;
        }
    }
}

impl Replacement for Lru {
    #[inline]
    fn touch(&mut self, set: usize, way: usize) {
        if self.mru.get(set) != Some(&(way as u32)) {
            self.make_mru(set, way);
        }
    }
    fn fill(&mut self, set: usize, way: usize) {
        self.make_mru(set, way);
    }
    fn invalidate(&mut self, set: usize, way: usize) {
        if let Some(s) = self.stamps.get_mut(set * self.ways + way) {
            *s = 0;
        }
        // The most recent of the remaining valid ways becomes the MRU: touching it would not
        // change the order.
        if self.mru.get(set) == Some(&(way as u32)) {
            let row = self
                .stamps
                .get(set * self.ways..(set + 1) * self.ways)
                .unwrap_or(&[]);
            let newest = row
                .iter()
                .enumerate()
                .filter(|(_, stamp)| **stamp > 0)
                .max_by_key(|(_, stamp)| **stamp)
                .map_or(NO_WAY, |(w, _)| w as u32);
            if let Some(m) = self.mru.get_mut(set) {
                *m = newest;
            }
        }
    }
    fn victim(&mut self, set: usize) -> usize {
        lowest_way(&self.stamps, set, self.ways)
    }
    fn hit_would_change_state(&self, set: usize, way: usize) -> bool {
        self.mru.get(set) != Some(&(way as u32))
    }
}

/// Tree pseudo-LRU over the next power of two of the way count; each node bit says which half
/// holds the victim (1: the upper half). Nodes whose upper half has no ways carry no state.
///
/// A set's node bits are packed in words, and each way's path is precomputed as a mask of the
/// nodes it passes and the values a hit writes there, so a hit is one masked write per word
/// (one word up to 64 ways) and "would a hit change state" one masked compare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreePlru {
    ways: usize,
    leaves: usize,
    /// Words of node bits per set.
    words: usize,
    /// Node bits, `words` per set (node n is bit n % 64 of word n / 64).
    bits: Vec<u64>,
    /// Per way, `words` masks of the stateful nodes on its path.
    path_mask: Vec<u64>,
    /// Per way, `words` words holding the bits a hit on it writes on its path.
    path_value: Vec<u64>,
    /// For trees of up to [`TABLED_LEAVES`] leaves, the victim of every value of a set's
    /// node bits, so a fill reads its victim instead of descending the tree (empty for
    /// larger trees).
    victims: Vec<u8>,
}

/// Largest tree whose victims are tabled: 16 leaves, 15 node bits, a 32 KiB table.
const TABLED_LEAVES: usize = 16;

impl TreePlru {
    /// State for `sets` × `ways`.
    pub fn new(sets: usize, ways: usize) -> TreePlru {
        let leaves = ways.max(1).next_power_of_two();
        let words = (leaves - 1).div_ceil(64).max(1);
        let mut path_mask = vec![0; ways * words];
        let mut path_value = vec![0; ways * words];
        for way in 0..ways {
            Self::walk_path(ways, leaves, way, |node, want| {
                let (word, bit) = (way * words + node / 64, 1u64 << (node % 64));
                if let (Some(m), Some(v)) = (path_mask.get_mut(word), path_value.get_mut(word)) {
                    *m |= bit;
                    if want {
                        *v |= bit;
                    }
                }
            });
        }
        let mut plru = TreePlru {
            ways,
            leaves,
            words,
            bits: vec![0; sets * words],
            path_mask,
            path_value,
            victims: Vec::new(),
        };
        if leaves <= TABLED_LEAVES {
            plru.victims = (0..1u64 << (leaves - 1))
                .map(|bits| plru.descend(bits) as u8)
                .collect();
        }
        plru
    }

    /// The victim of a one-word tree whose node bits are `bits`: from the root, go to the
    /// half each node's bit names. Nodes without state (their upper half holds no way) are
    /// never written, so they read 0 and send the descent to the lower half; the descent
    /// is branch-free (node n's children are 2n + 1 and 2n + 2).
    #[inline(always)]
    fn descend(&self, bits: u64) -> usize {
        let mut node = 0usize;
        for _ in 0..self.leaves.trailing_zeros() {
            node = 2 * node + 1 + (bits >> (node & 63) & 1) as usize;
        }
        node + 1 - self.leaves
    }

    /// The victim of a one-word tree whose node bits are `bits`: from the table when the
    /// tree is small enough to have one (a set's bits only ever hold its tree's nodes, so
    /// they index it), else by [`TreePlru::descend`].
    #[inline(always)]
    fn one_word_victim(&self, bits: u64) -> usize {
        match self.victims.get(bits as usize) {
            Some(way) => usize::from(*way),
            None => self.descend(bits),
        }
    }

    /// Calls `visit(node index within the set's tree, wanted bit)` for every stateful node
    /// on `way`'s path, where the wanted bit points away from `way`.
    fn walk_path(ways: usize, leaves: usize, way: usize, mut visit: impl FnMut(usize, bool)) {
        let (mut node, mut lo, mut size) = (0, 0, leaves);
        while size > 1 {
            let half = size / 2;
            let upper = way >= lo + half;
            if lo + half < ways {
                visit(node, !upper);
            }
            if upper {
                node = 2 * node + 2;
                lo += half;
            } else {
                node = 2 * node + 1;
            }
            size = half;
        }
    }

    /// The node bits of `set`, and `way`'s path masks and values.
    #[inline]
    fn rows(&self, set: usize, way: usize) -> (&[u64], &[u64], &[u64]) {
        let w = self.words;
        (
            self.bits.get(set * w..(set + 1) * w).unwrap_or(&[]),
            self.path_mask.get(way * w..(way + 1) * w).unwrap_or(&[]),
            self.path_value.get(way * w..(way + 1) * w).unwrap_or(&[]),
        )
    }
}

impl Replacement for TreePlru {
    #[inline(always)]
    fn touch(&mut self, set: usize, way: usize) {
        let w = self.words;
        if w == 1 {
            if let (Some(b), Some(m), Some(v)) = (
                self.bits.get_mut(set),
                self.path_mask.get(way),
                self.path_value.get(way),
            ) {
                *b = (*b & !m) | v;
            }
            return;
        }
        let (Some(bits), Some(mask), Some(value)) = (
            self.bits.get_mut(set * w..(set + 1) * w),
            self.path_mask.get(way * w..(way + 1) * w),
            self.path_value.get(way * w..(way + 1) * w),
        ) else {
            return;
        };
        for ((b, m), v) in bits.iter_mut().zip(mask).zip(value) {
            *b = (*b & !m) | v;
        }
    }
    #[inline(always)]
    fn fill(&mut self, set: usize, way: usize) {
        self.touch(set, way);
    }
    fn invalidate(&mut self, _set: usize, _way: usize) {}
    /// The victim and its fill with the set's node bits read once (a one-word tree: every
    /// modelled TLB of up to 64 ways).
    #[inline(always)]
    fn replace(&mut self, set: usize) -> usize {
        if self.words == 1 {
            let Some(bits) = self.bits.get(set).copied() else {
                return 0;
            };
            let way = self.one_word_victim(bits);
            if let (Some(b), Some(m), Some(v)) = (
                self.bits.get_mut(set),
                self.path_mask.get(way),
                self.path_value.get(way),
            ) {
                *b = (bits & !m) | v;
            }
            return way;
        }
        let way = self.victim(set);
        self.fill(set, way);
        way
    }
    #[inline(always)]
    fn victim(&mut self, set: usize) -> usize {
        if self.words == 1 {
            return self.one_word_victim(self.bits.get(set).copied().unwrap_or(0));
        }
        let bits = self
            .bits
            .get(set * self.words..(set + 1) * self.words)
            .unwrap_or(&[]);
        let (mut node, mut lo, mut size) = (0, 0, self.leaves);
        while size > 1 {
            let half = size / 2;
            let bit = bits
                .get(node / 64)
                .is_some_and(|b| b >> (node % 64) & 1 == 1);
            if lo + half < self.ways && bit {
                node = 2 * node + 2;
                lo += half;
            } else {
                node = 2 * node + 1;
            }
            size = half;
        }
        lo
    }
    #[inline(always)]
    fn hit_would_change_state(&self, set: usize, way: usize) -> bool {
        if self.words == 1 {
            return match (
                self.bits.get(set),
                self.path_mask.get(way),
                self.path_value.get(way),
            ) {
                (Some(b), Some(m), Some(v)) => b & m != *v,
                _ => false,
            };
        }
        let (bits, mask, value) = self.rows(set, way);
        bits.iter()
            .zip(mask)
            .zip(value)
            .any(|((b, m), v)| b & m != *v)
    }
}

/// FIFO: a fill stamp per way; hits change nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fifo {
    ways: usize,
    stamps: Vec<u64>,
    clock: u64,
}

impl Fifo {
    /// State for `sets` × `ways`.
    pub fn new(sets: usize, ways: usize) -> Fifo {
        Fifo {
            ways,
            stamps: vec![0; sets * ways],
            clock: 0,
        }
    }
}

impl Replacement for Fifo {
    fn touch(&mut self, _set: usize, _way: usize) {}
    fn fill(&mut self, set: usize, way: usize) {
        self.clock += 1;
        if let Some(s) = self.stamps.get_mut(set * self.ways + way) {
            *s = self.clock;
        }
    }
    fn invalidate(&mut self, set: usize, way: usize) {
        if let Some(s) = self.stamps.get_mut(set * self.ways + way) {
            *s = 0;
        }
    }
    fn victim(&mut self, set: usize) -> usize {
        lowest_way(&self.stamps, set, self.ways)
    }
    fn hit_would_change_state(&self, _set: usize, _way: usize) -> bool {
        false
    }
}

/// Random replacement from one seeded generator per structure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RandomPolicy {
    ways: usize,
    rng: XorShift64,
}

impl RandomPolicy {
    /// State for a structure with `ways` ways.
    pub fn new(ways: usize, seed: u64) -> RandomPolicy {
        RandomPolicy {
            ways,
            rng: XorShift64::new(seed),
        }
    }
}

impl Replacement for RandomPolicy {
    fn touch(&mut self, _set: usize, _way: usize) {}
    fn fill(&mut self, _set: usize, _way: usize) {}
    fn invalidate(&mut self, _set: usize, _way: usize) {}
    fn victim(&mut self, _set: usize) -> usize {
        self.rng.below(self.ways as u64) as usize
    }
    fn hit_would_change_state(&self, _set: usize, _way: usize) -> bool {
        false
    }
}

/// LFU: a saturating use count per way; a fill starts at 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lfu {
    ways: usize,
    counts: Vec<u32>,
}

impl Lfu {
    /// State for `sets` × `ways`.
    pub fn new(sets: usize, ways: usize) -> Lfu {
        Lfu {
            ways,
            counts: vec![0; sets * ways],
        }
    }
}

impl Replacement for Lfu {
    #[inline]
    fn touch(&mut self, set: usize, way: usize) {
        if let Some(c) = self.counts.get_mut(set * self.ways + way) {
            *c = c.saturating_add(1);
        }
    }
    fn fill(&mut self, set: usize, way: usize) {
        if let Some(c) = self.counts.get_mut(set * self.ways + way) {
            *c = 1;
        }
    }
    fn invalidate(&mut self, set: usize, way: usize) {
        if let Some(c) = self.counts.get_mut(set * self.ways + way) {
            *c = 0;
        }
    }
    fn victim(&mut self, set: usize) -> usize {
        lowest_way(&self.counts, set, self.ways)
    }
    fn hit_would_change_state(&self, set: usize, way: usize) -> bool {
        self.counts
            .get(set * self.ways + way)
            .is_some_and(|c| *c != u32::MAX)
    }
}
