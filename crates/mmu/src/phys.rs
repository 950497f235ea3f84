//! Guest physical memory: a flat, bounds-checked byte array.
//!
//! The array is allocated zeroed (`calloc`), so the host commits a page only when the guest
//! first writes it: an untouched gigabyte of guest memory costs no host memory. On Linux
//! the host is asked to back it with 2 MiB pages where it can ([`advise_huge_pages`]).

/// Guest physical memory of a fixed size, little-endian.
#[derive(Clone)]
pub struct PhysMem {
    bytes: Vec<u8>,
}

impl std::fmt::Debug for PhysMem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhysMem")
            .field("size", &self.bytes.len())
            .finish()
    }
}

/// Default physical memory size: 256 MiB.
pub const DEFAULT_PHYS_SIZE: u64 = 256 << 20;

/// Largest physical memory Atlas models: 16 GiB (reserved lazily, so only touched pages cost).
pub const MAX_PHYS_SIZE: u64 = 16 << 30;

impl PhysMem {
    /// Memory of `size` bytes, all zero. Sizes above [`MAX_PHYS_SIZE`] are refused.
    pub fn new(size: u64) -> Result<PhysMem, String> {
        if size > MAX_PHYS_SIZE {
            return Err(format!(
                "physical memory size {size:#x} is above the maximum {MAX_PHYS_SIZE:#x} (16 GiB)"
            ));
        }
        let len = usize::try_from(size)
            .map_err(|_| format!("physical memory size {size:#x} does not fit this host"))?;
        // `vec![0; n]` allocates with calloc: the host maps zero pages lazily.
        let mut bytes = vec![0u8; len];
        // Whether the host took the advice changes nothing but speed.
        let _ = advise_huge_pages(&mut bytes);
        Ok(PhysMem { bytes })
    }

    /// A hint to bring the byte at `pa` into the host's data cache (nothing beyond
    /// memory). It reads nothing the guest or the model can see.
    #[inline(always)]
    pub fn prefetch(&self, pa: u64) {
        if let Some(byte) = usize::try_from(pa).ok().and_then(|i| self.bytes.get(i)) {
            prefetch_line(byte);
        }
    }

    /// Size in bytes.
    #[inline]
    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// All of memory, mutable: for code that reads and writes guest memory itself
    /// (compiled loops, which check their stores against the code watch first).
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.bytes
    }

    /// The `len` bytes at `pa`, if all of them exist.
    #[inline]
    pub fn slice(&self, pa: u64, len: u64) -> Option<&[u8]> {
        let start = usize::try_from(pa).ok()?;
        let end = start.checked_add(usize::try_from(len).ok()?)?;
        self.bytes.get(start..end)
    }

    /// The `len` bytes at `pa`, mutable, if all of them exist.
    #[inline]
    pub fn slice_mut(&mut self, pa: u64, len: u64) -> Option<&mut [u8]> {
        let start = usize::try_from(pa).ok()?;
        let end = start.checked_add(usize::try_from(len).ok()?)?;
        self.bytes.get_mut(start..end)
    }

    /// Reads `size` (1, 2, 4 or 8) bytes at `pa`, zero-extended; `None` beyond memory.
    /// Each size is read as a fixed-size array, so the read is one host load, not a call
    /// to `memcpy` (the walker reads every PTE through here).
    #[inline]
    pub fn read(&self, pa: u64, size: u64) -> Option<u64> {
        match size {
            8 => self.fixed::<8>(pa).map(u64::from_le_bytes),
            4 => self
                .fixed::<4>(pa)
                .map(|b| u64::from(u32::from_le_bytes(b))),
            2 => self
                .fixed::<2>(pa)
                .map(|b| u64::from(u16::from_le_bytes(b))),
            1 => self.fixed::<1>(pa).map(|b| u64::from(b[0])),
            _ => {
                let s = self.slice(pa, size.min(8))?;
                let mut buf = [0u8; 8];
                buf[..s.len()].copy_from_slice(s);
                Some(u64::from_le_bytes(buf))
            }
        }
    }

    /// The `N` bytes at `pa`, if all of them exist.
    #[inline(always)]
    fn fixed<const N: usize>(&self, pa: u64) -> Option<[u8; N]> {
        self.slice(pa, N as u64)?.try_into().ok()
    }

    /// Writes the low `size` (1, 2, 4 or 8) bytes of `value` at `pa`; `None` beyond memory.
    #[inline]
    pub fn write(&mut self, pa: u64, size: u64, value: u64) -> Option<()> {
        let bytes = value.to_le_bytes();
        match size {
            8 => self.put(pa, bytes),
            4 => self.put(pa, [bytes[0], bytes[1], bytes[2], bytes[3]]),
            2 => self.put(pa, [bytes[0], bytes[1]]),
            1 => self.put(pa, [bytes[0]]),
            _ => {
                let s = self.slice_mut(pa, size.min(8))?;
                let n = s.len();
                s.copy_from_slice(&bytes[..n]);
                Some(())
            }
        }
    }

    /// Stores the `N` bytes `value` at `pa`, if all of them exist.
    #[inline(always)]
    fn put<const N: usize>(&mut self, pa: u64, value: [u8; N]) -> Option<()> {
        let s: &mut [u8; N] = self.slice_mut(pa, N as u64)?.try_into().ok()?;
        *s = value;
        Some(())
    }

    /// Fills `[pa, pa+len)` with zeros; `None` if any of it is beyond memory.
    pub fn zero(&mut self, pa: u64, len: u64) -> Option<()> {
        self.slice_mut(pa, len)?.fill(0);
        Some(())
    }
}

/// Asks the host to back the 2 MiB-aligned part of `data` with 2 MiB pages, which it does
/// as the guest first writes each 2 MiB (Linux with transparent huge pages set to
/// `madvise` or `always`; elsewhere, or if refused, pages stay 4 KiB and nothing else
/// changes). Returns whether the host took the advice. A guest sweeping tens of MiB
/// otherwise misses the host's TLB on nearly every page: measured on pagewalk (sv39,
/// `modern`), in one binary with the host's setting switched between runs, best of three
/// alternating runs: 8.98 -> 8.68 s (8.52 -> 8.34 s with the sweep prefetch of
/// `translate/ahead.rs`); peak RSS 70.9 -> 71.8 MiB. Public for the `miss_floor` bench,
/// which measures the same aid on its own loop.
pub fn advise_huge_pages<T>(data: &mut [T]) -> bool {
    const HUGE: usize = 2 << 20;
    let start = data.as_mut_ptr().cast::<u8>();
    let size = std::mem::size_of_val(data);
    let skip = start.align_offset(HUGE);
    let len = size.saturating_sub(skip) / HUGE * HUGE;
    len > 0 && advise(start.wrapping_add(skip), len)
}

/// `madvise(MADV_HUGEPAGE)` of the `len` bytes at `start`, which lie inside a slice the
/// caller borrows mutably.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn advise(start: *mut u8, len: usize) -> bool {
    // SAFETY: the range is inside the slice `advise_huge_pages` borrows mutably (its
    // 2 MiB-aligned part), and MADV_HUGEPAGE only changes how the kernel backs it, never
    // its contents.
    unsafe { libc::madvise(start.cast(), len, libc::MADV_HUGEPAGE) == 0 }
}

#[cfg(not(target_os = "linux"))]
fn advise(_start: *mut u8, _len: usize) -> bool {
    false
}

/// The host's prefetch of the cache line holding `item`: a hint, which reads nothing the
/// guest or the model can see (see [`PhysMem::prefetch`]; public for the `miss_floor`
/// bench).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(unsafe_code)]
pub fn prefetch_line<T>(item: &T) {
    // SAFETY: a prefetch is a hint that reads nothing architecturally and cannot fault, and
    // the pointer is to a live value anyway. SSE is part of the x86-64 baseline. Measured
    // reason: see `translate/ahead.rs`.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
            std::ptr::from_ref(item).cast(),
        );
    }
}

/// The host's prefetch of the cache line holding `item` (none on this host).
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub fn prefetch_line<T>(_item: &T) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_little_endian_and_checks_bounds() {
        let mut m = PhysMem::new(4096).expect("small memory");
        assert_eq!(m.write(8, 8, 0x1122_3344_5566_7788), Some(()));
        assert_eq!(m.read(8, 1), Some(0x88));
        assert_eq!(m.read(8, 2), Some(0x7788));
        assert_eq!(m.read(12, 4), Some(0x1122_3344));
        assert_eq!(m.read(4092, 4), Some(0));
        assert_eq!(m.read(4093, 4), None);
        assert_eq!(m.write(4096, 1, 0), None);
        assert_eq!(m.read(u64::MAX, 8), None);
    }

    #[test]
    fn a_huge_untouched_memory_is_cheap() {
        let m = PhysMem::new(1 << 30).expect("1 GiB reserve");
        assert_eq!(m.read((1 << 30) - 8, 8), Some(0));
    }
}
