//! Host prefetch for page sweeps: a hint, never a modelled access.
//!
//! A loop that touches one word in each of many pages (pagewalk's) misses both TLBs on
//! every page, and the host's own data cache misses with it: the guest's page is one the
//! host has not touched for a whole sweep. The modelled miss is a few hundred host
//! instructions, enough to fill the host core's reorder window, so the host cannot start
//! the next page's memory read before this one is done: each touch waits for host memory.
//!
//! [`SweepAhead`] notices a sweep in the quick miss (the miss that a level-1 page-walk-cache
//! hit sends straight to a leaf table) as two consecutive misses on neighbouring pages, and
//! then asks the host to fetch the data of the page [`PREFETCH_PAGES`] further on, at the
//! same offset: it reads the leaf PTE of that page from the same leaf table and, if it is a
//! valid leaf, prefetches the byte it maps. Nothing modelled changes: the PTE is read as the
//! host, not as the walker (no PTE read is counted or charged, no page-walk cache or TLB
//! is looked up), and a prefetch changes no memory. So every count is the same whether the
//! hint is given or not, and `tests/all/fastpath.rs` (which runs pagewalk with the fast
//! path, and so the quick miss, on and off) holds that.
//!
//! Measured on pagewalk (sv39, `modern`), in one binary with the distance read from the
//! environment, best of three alternating runs: 8.98 -> 8.52 s with 4 KiB host pages,
//! 8.68 -> 8.34 s with 2 MiB ones; 4, 8 and 16 pages ahead measured alike. The `miss_floor`
//! bench shows the effect on a bare miss loop (41 -> 22 ns a touch).

use crate::format::Format;
use crate::phys::PhysMem;
use crate::pte::{Pte, PTE_R, PTE_V, PTE_X};

/// How many pages ahead of a sweep the host fetches: far enough that the fetch is done when
/// the sweep gets there (8 of pagewalk's touches take about 400 ns), near enough that the
/// line is still in the host's cache.
pub const PREFETCH_PAGES: u64 = 8;

/// The last quick miss's virtual page, to tell a sweep (see the [module](self)).
#[derive(Clone, Debug, Default)]
pub(super) struct SweepAhead {
    last_page: u64,
}

impl SweepAhead {
    /// Notes the quick miss of `va`, whose leaf PTE is at `pte_addr`, and prefetches ahead
    /// of it if it continues a sweep by one page up or down. Returns the address it
    /// prefetched, if any.
    #[inline(always)]
    pub(super) fn note(
        &mut self,
        mem: &PhysMem,
        format: &Format,
        pte_addr: u64,
        va: u64,
    ) -> Option<u64> {
        let page = va >> 12;
        let step = page.wrapping_sub(self.last_page);
        self.last_page = page;
        let pages = match step {
            1 => PREFETCH_PAGES as i64,
            u64::MAX => -(PREFETCH_PAGES as i64),
            _ => return None,
        };
        let pa = ahead_pa(mem, format, pte_addr, va, pages)?;
        mem.prefetch(pa);
        Some(pa)
    }
}

/// The physical address that the 4 KiB page `pages` pages from `va`'s maps `va`'s offset
/// to, if its leaf PTE is in the same level-0 table as `va`'s (at `pte_addr`) and is valid
/// and a leaf. Every level-0 table the quick miss reaches (through a level-1 pointer) is
/// one aligned 4 KiB page, so "the same table" is "the same 4 KiB page of PTEs". Reads memory as the host; checks nothing else (a hint needs no
/// permission). Out of line: only a sweep's misses come here, and with it inlined into
/// every access function the interpreter's op loop landed where it ran intmix `--no-jit`
/// in 2.55 s instead of 1.75 s (same host instruction count; see `.cargo/config.toml`).
#[inline(never)]
pub(crate) fn ahead_pa(
    mem: &PhysMem,
    format: &Format,
    pte_addr: u64,
    va: u64,
    pages: i64,
) -> Option<u64> {
    let ahead = pte_addr.wrapping_add_signed(pages * i64::from(format.pte_size));
    if (ahead ^ pte_addr) >> 12 != 0 {
        return None;
    }
    let raw = match format.pte_size {
        8 => mem.read(ahead, 8),
        size => mem.read(ahead, u64::from(size)),
    }?;
    if raw & PTE_V == 0 || raw & (PTE_R | PTE_X) == 0 {
        return None;
    }
    Some((Pte(raw).ppn(format.ppn_bits) << 12) | (va & 0xfff))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pte::{PTE_A, PTE_W};

    const TABLE: u64 = 0x1000;

    /// A level-0 Sv39 table at [`TABLE`] whose PTE `i` maps to frame `0x100 + i` for every
    /// `i` in `valid`.
    fn table(valid: std::ops::Range<u64>) -> PhysMem {
        let mut mem = PhysMem::new(1 << 20).unwrap();
        for i in valid {
            let pte = Pte::new(0x100 + i, PTE_V | PTE_R | PTE_W | PTE_A);
            mem.write(TABLE + 8 * i, 8, pte.0).unwrap();
        }
        mem
    }

    /// Where the PTE of `va` is in the table at [`TABLE`].
    fn pte_of(va: u64) -> u64 {
        TABLE + 8 * ((va >> 12) & 511)
    }

    #[test]
    fn ahead_of_a_sweep_is_the_page_its_pte_maps_at_the_same_offset() {
        let sv39 = &Format::SV39;
        let mem = table(0..512);
        let va = 0x4000_0000 + 10 * 4096 + 0x2c0;
        assert_eq!(ahead_pa(&mem, sv39, pte_of(va), va, 8), Some(0x11_22c0));
        assert_eq!(ahead_pa(&mem, sv39, pte_of(va), va, -8), Some(0x10_22c0));
    }

    #[test]
    fn nothing_ahead_past_the_table_or_at_an_invalid_pte() {
        let sv39 = &Format::SV39;
        let mem = table(0..500);
        let last = 0x4000_0000 + 510 * 4096;
        let first = 0x4000_0000;
        assert_eq!(
            ahead_pa(&mem, sv39, pte_of(last), last, 8),
            None,
            "past the table's end"
        );
        assert_eq!(
            ahead_pa(&mem, sv39, pte_of(first), first, -8),
            None,
            "before its start"
        );
        let before = last - 8 * 4096;
        assert_eq!(
            ahead_pa(&mem, sv39, pte_of(before), before, 8),
            None,
            "invalid PTE"
        );
        assert_eq!(
            ahead_pa(&mem, sv39, 1 << 20, 0, 8),
            None,
            "table beyond memory"
        );
    }

    #[test]
    fn a_sweep_is_two_misses_on_neighbouring_pages() {
        let sv39 = &Format::SV39;
        let mem = table(0..512);
        let mut ahead = SweepAhead::default();
        let page = |i: u64| 0x4000_0000 + i * 4096 + 0x40;
        let prefetched: Vec<_> = [20, 21, 20, 40, 7, 6]
            .map(|i| ahead.note(&mem, sv39, pte_of(page(i)), page(i)))
            .into();
        let frame = |i: u64| (0x100 + i) * 4096 + 0x40;
        let expected = [None, Some(frame(29)), Some(frame(12)), None, None, None];
        assert_eq!(prefetched, expected);
    }
}
