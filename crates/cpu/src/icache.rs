//! The decoded-instruction cache: decoded instructions per 4 KiB physical page, so the hot
//! loop decodes each instruction word once instead of on every execution.
//!
//! It is keyed by *physical* address: the fetch is still translated for every instruction
//! (so ITLB counts and cycles are exact), and only the decode is skipped. A page's decoded
//! instructions are dropped as soon as anything writes that page — the bus reports the
//! writes through its [`CodeWatch`] — so self-modifying code behaves the same with the cache
//! on or off, with or without `fence.i`. Slots are filled lazily, one instruction at a time,
//! so data that shares a page with code is never decoded.

use crate::block::{BlockPage, SLOTS};
use atlas_isa::{decode, CostClass, Inst, Xlen};
use atlas_mmu::CodeWatch;

/// An instruction as the interpreter needs it: decoded, with its word (for trap values) and
/// its cost class (so retiring needs no lookup).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Decoded {
    /// The instruction.
    pub inst: Inst,
    /// Its encoding.
    pub word: u32,
    /// Its cost class.
    pub class: CostClass,
}

impl Decoded {
    /// Decodes `word` for a hart of width `xlen`; `None` if it is not a valid instruction.
    #[inline]
    pub fn new(word: u32, xlen: Xlen) -> Option<Decoded> {
        let inst = decode(word, xlen).ok()?;
        Some(Decoded {
            inst,
            word,
            class: inst.opcode().cost_class(),
        })
    }
}

/// The decoded instructions of one page (a slot is `None` until first executed).
type Slots = [Option<Decoded>; SLOTS];

/// The slot of the instruction at address `addr` (physical or virtual: the page offset).
#[inline(always)]
pub(crate) fn slot_of(addr: u64) -> usize {
    (addr >> 2) as usize % SLOTS
}

/// The decoded instructions of one physical page, one by one for `step` and as blocks for
/// the hot loop (each made when first needed).
#[derive(Clone)]
struct Page {
    ppn: u64,
    slots: Box<Slots>,
    blocks: Option<Box<BlockPage>>,
}

/// The cache. Pages are kept in a pool and found through a table indexed by physical page
/// number; the page of the previous lookup is remembered, as straight-line code stays on it.
#[derive(Clone)]
pub(crate) struct ICache {
    /// Physical page number → index into `pages` plus one (zero: not cached).
    map: Vec<u32>,
    pages: Vec<Page>,
    /// Indices of pages in `pages` that hold nothing.
    free: Vec<u32>,
    /// The page of the last lookup: its number and index (`u64::MAX` when none).
    last_ppn: u64,
    last_index: usize,
    /// Scratch for draining the write notes.
    written: Vec<u64>,
    /// Bit `ppn % 64` of word `ppn / 64`: page `ppn` was dropped because something wrote
    /// it, so its loops are not compiled (see [`BlockPage::set_compiles`]).
    rewritten: Vec<u64>,
}

impl std::fmt::Debug for ICache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ICache")
            .field("pages", &(self.pages.len() - self.free.len()))
            .finish()
    }
}

impl ICache {
    /// An empty cache.
    pub fn new() -> ICache {
        ICache {
            map: Vec::new(),
            pages: Vec::new(),
            free: Vec::new(),
            last_ppn: u64::MAX,
            last_index: 0,
            written: Vec::new(),
            rewritten: Vec::new(),
        }
    }

    /// Remembers that page `ppn` was rewritten.
    fn note_rewritten(&mut self, ppn: u64) {
        let Ok(word) = usize::try_from(ppn / 64) else {
            return;
        };
        if word >= self.rewritten.len() {
            self.rewritten.resize(word + 1, 0);
        }
        if let Some(bits) = self.rewritten.get_mut(word) {
            *bits |= 1 << (ppn % 64);
        }
    }

    /// Whether page `ppn` was ever dropped for a write to it.
    fn was_rewritten(&self, ppn: u64) -> bool {
        usize::try_from(ppn / 64)
            .ok()
            .and_then(|word| self.rewritten.get(word))
            .is_some_and(|bits| bits >> (ppn % 64) & 1 != 0)
    }

    /// Drops the pages `watch` reports written since the last call.
    #[inline(always)]
    pub fn sync(&mut self, watch: &mut CodeWatch) {
        if watch.has_writes() {
            self.drop_written(watch);
        }
    }

    #[cold]
    fn drop_written(&mut self, watch: &mut CodeWatch) {
        let mut written = std::mem::take(&mut self.written);
        if watch.drain(&mut written) {
            self.clear();
        } else {
            for &ppn in &written {
                self.note_rewritten(ppn);
                self.drop_page(ppn);
            }
        }
        written.clear();
        self.written = written;
    }

    /// Drops every page.
    pub fn clear(&mut self) {
        for index in 0..self.pages.len() {
            let ppn = self.pages.get(index).map_or(u64::MAX, |p| p.ppn);
            if ppn != u64::MAX {
                self.drop_page(ppn);
            }
        }
    }

    fn drop_page(&mut self, ppn: u64) {
        let Some(entry) = usize::try_from(ppn).ok().and_then(|i| self.map.get_mut(i)) else {
            return;
        };
        let Some(index) = entry.checked_sub(1) else {
            return;
        };
        *entry = 0;
        if let Some(page) = self.pages.get_mut(index as usize) {
            page.ppn = u64::MAX;
            page.slots.fill(None);
            if let Some(blocks) = page.blocks.as_mut() {
                blocks.clear();
            }
        }
        self.free.push(index);
        if self.last_ppn == ppn {
            self.last_ppn = u64::MAX;
        }
    }

    /// The decoded instruction at physical address `pa` (4-byte aligned, in memory), if
    /// cached.
    #[inline(always)]
    pub fn get(&mut self, pa: u64) -> Option<Decoded> {
        let ppn = pa >> 12;
        if ppn != self.last_ppn {
            self.find_page(ppn)?;
        }
        let slot = (pa >> 2) as usize % SLOTS;
        self.pages.get(self.last_index)?.slots[slot]
    }

    /// The blocks of the physical page holding `pa`, for the hot loop; the page is cached
    /// (and `watch` told to report writes to it) if it is not yet.
    #[inline]
    pub fn blocks(&mut self, pa: u64, watch: &mut CodeWatch) -> Option<&mut BlockPage> {
        let ppn = pa >> 12;
        if ppn != self.last_ppn && self.find_page(ppn).is_none() {
            self.add_page(ppn, watch)?;
        }
        let compiles = !self.was_rewritten(ppn);
        let page = self.pages.get_mut(self.last_index)?;
        let blocks = page
            .blocks
            .get_or_insert_with(|| Box::new(BlockPage::new()));
        blocks.set_compiles(compiles);
        Some(blocks)
    }

    /// Makes `ppn` the remembered page if it is cached.
    #[inline(never)]
    fn find_page(&mut self, ppn: u64) -> Option<()> {
        let index = usize::try_from(ppn)
            .ok()
            .and_then(|i| self.map.get(i))
            .copied()?
            .checked_sub(1)?;
        self.last_ppn = ppn;
        self.last_index = index as usize;
        Some(())
    }

    /// Caches `decoded` for physical address `pa`, asking `watch` to report writes to its
    /// page.
    #[cold]
    pub fn insert(&mut self, pa: u64, decoded: Decoded, watch: &mut CodeWatch) {
        let ppn = pa >> 12;
        if self.find_page(ppn).is_none() && self.add_page(ppn, watch).is_none() {
            return;
        }
        let slot = (pa >> 2) as usize % SLOTS;
        if let Some(page) = self.pages.get_mut(self.last_index) {
            page.slots[slot] = Some(decoded);
        }
    }

    /// Caches the (absent) page `ppn` with nothing decoded, makes it the remembered page
    /// and asks `watch` to report writes to it.
    #[cold]
    fn add_page(&mut self, ppn: u64, watch: &mut CodeWatch) -> Option<()> {
        let map_index = usize::try_from(ppn).ok()?;
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                let index = u32::try_from(self.pages.len()).ok()?;
                self.pages.push(Page {
                    ppn: u64::MAX,
                    slots: Box::new([None; SLOTS]),
                    blocks: None,
                });
                index
            }
        };
        if map_index >= self.map.len() {
            self.map.resize(map_index + 1, 0);
        }
        if let Some(entry) = self.map.get_mut(map_index) {
            *entry = index + 1;
        }
        if let Some(page) = self.pages.get_mut(index as usize) {
            page.ppn = ppn;
        }
        watch.watch(ppn);
        self.last_ppn = ppn;
        self.last_index = index as usize;
        Some(())
    }
}
