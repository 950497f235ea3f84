//! Write tracking for an instruction cache: which physical pages hold instructions a cache
//! has decoded, and which of them have been written since the cache last looked.
//!
//! The CPU keeps decoded instructions per physical page (see `atlas-cpu`'s icache). A page's
//! decoded instructions are valid only until something writes that page: a guest store, a
//! part of a page-crossing store, a hardware A/D write-back into a page table, or the host
//! (loader, syscalls) writing through [`crate::Bus::phys_mut`]. The bus notes every such write
//! here; the CPU drains the notes before it uses its cache, so self-modifying code runs
//! correctly with or without `fence.i`.
//!
//! A watched page that is written is unwatched at once, so a page of data that shares no
//! page with code costs one bit test per store and nothing else, and a page is reported at
//! most once until the cache decodes from it again and re-watches it.

/// Bytes per watched page.
const PAGE_SHIFT: u32 = 12;

/// The watched pages (a bitmap over physical page numbers) and the writes to them.
#[derive(Clone, Debug, Default)]
pub struct CodeWatch {
    /// Bit `ppn` set: the cache holds instructions decoded from page `ppn`.
    watched: Vec<u64>,
    /// Pages written since the last [`CodeWatch::drain`].
    written: Vec<u64>,
    /// Something wrote memory without saying where: every page must be dropped.
    everything: bool,
}

impl CodeWatch {
    /// Starts reporting writes to physical page `ppn`.
    pub fn watch(&mut self, ppn: u64) {
        let Ok(word) = usize::try_from(ppn / 64) else {
            self.everything = true;
            return;
        };
        if word >= self.watched.len() {
            self.watched.resize(word + 1, 0);
        }
        if let Some(bits) = self.watched.get_mut(word) {
            *bits |= 1 << (ppn % 64);
        }
    }

    /// The watched-page bitmap: bit `ppn % 64` of word `ppn / 64` is set when page `ppn`
    /// is watched (pages past its end are not), for code that checks stores itself.
    pub fn watched_words(&self) -> &[u64] {
        &self.watched
    }

    /// Whether page `ppn` is watched.
    #[inline(always)]
    pub fn is_watched(&self, ppn: u64) -> bool {
        usize::try_from(ppn / 64)
            .ok()
            .and_then(|word| self.watched.get(word))
            .is_some_and(|bits| bits >> (ppn % 64) & 1 != 0)
    }

    /// Notes a write of `size` bytes at physical address `pa` (a store's, which never
    /// crosses a page: the bus splits those).
    #[inline(always)]
    pub fn note_write(&mut self, pa: u64, size: u64) {
        let first = pa >> PAGE_SHIFT;
        let last = pa.wrapping_add(size.saturating_sub(1)) >> PAGE_SHIFT;
        if self.is_watched(first) {
            self.written_page(first);
        }
        if last != first && self.is_watched(last) {
            self.written_page(last);
        }
    }

    #[cold]
    fn written_page(&mut self, ppn: u64) {
        if let Some(bits) = usize::try_from(ppn / 64)
            .ok()
            .and_then(|word| self.watched.get_mut(word))
        {
            *bits &= !(1 << (ppn % 64));
        }
        self.written.push(ppn);
    }

    /// Notes a write whose address is not known (the host writing physical memory through
    /// a mutable borrow): every cached page must be dropped.
    #[inline]
    pub fn note_unknown_write(&mut self) {
        self.everything = true;
    }

    /// Whether any write has been noted since the last [`CodeWatch::drain`].
    #[inline(always)]
    pub fn has_writes(&self) -> bool {
        self.everything || !self.written.is_empty()
    }

    /// Hands the noted writes over: the written page numbers are appended to `pages`, and
    /// the result says whether every page must be dropped. Resets the notes; after an
    /// unattributed write every page is unwatched, as the cache drops them all.
    pub fn drain(&mut self, pages: &mut Vec<u64>) -> bool {
        pages.append(&mut self.written);
        let everything = std::mem::take(&mut self.everything);
        if everything {
            self.watched.fill(0);
        }
        everything
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_to_watched_pages_are_reported_once() {
        let mut w = CodeWatch::default();
        w.watch(3);
        w.watch(200);
        w.note_write(0x2ff8, 8);
        assert!(!w.has_writes(), "page 2 is not watched");
        w.note_write(0x3004, 4);
        w.note_write(0x3008, 4);
        // A store ending on page 200 (the bus splits, but the watch checks both ends).
        w.note_write(0xc7ffe, 4);
        assert!(w.has_writes());
        let mut pages = Vec::new();
        assert!(!w.drain(&mut pages));
        assert_eq!(pages, vec![3, 200]);
        assert!(!w.has_writes());
        assert!(!w.is_watched(3));
        w.note_write(0x3000, 1);
        assert!(!w.has_writes(), "unwatched after the first write");
    }

    #[test]
    fn an_unattributed_write_drops_everything() {
        let mut w = CodeWatch::default();
        w.watch(1);
        w.note_unknown_write();
        let mut pages = Vec::new();
        assert!(w.drain(&mut pages));
        assert_eq!(pages, Vec::<u64>::new());
        assert!(!w.is_watched(1));
        assert!(!w.drain(&mut pages));
        assert!(!w.is_watched(u64::MAX));
    }
}
