//! Paged modes (linear, Sv32, Sv39, Sv48, Sv57): demand paging over page tables kept in
//! guest physical memory.
//!
//! Nothing is mapped until it is touched: the first access to an image page copies it from
//! the image, the first access to a heap, `mmap` or stack page zero-fills a frame; each is a
//! minor fault. A fault below the stack, within `stack_size` of its top, grows the stack.
//! `munmap` and `brk` shrinking free the frames and the page-table frames that become
//! empty, and flush exactly the unmapped pages (`sfence.vma` by address and ASID);
//! `mprotect` rewrites the PTEs of resident pages and flushes them. PTEs are written with
//! A set (and D on writable pages), as a kernel that maps on a fault does.

use super::frames::FrameAllocator;
use super::paged_table::{NoFrame, PageTable};
use super::paged_vma::{page_range, Backing, Vma, Vmas, MAX_MAP_COUNT};
use super::{AddressSpace, FaultOutcome, MmEnv, MmParams, MmStats, MmapArgs, MmuMode};
use super::{MAP_FIXED, PAGE, PROT_EXEC, PROT_MASK, PROT_READ, PROT_WRITE};
use crate::mm::bare::image_end;
use crate::syscall::neg_errno;
use crate::OsError;
use atlas_asm::Image;
use atlas_isa::{csr, errno, Xlen};
use atlas_mmu::format::{Format, FormatKind, Satp};
use atlas_mmu::pte::{PTE_A, PTE_D, PTE_R, PTE_U, PTE_V, PTE_W, PTE_X};
use atlas_mmu::regs::{ATMODE_LINEAR, ATMODE_SATP};
use atlas_mmu::{AccessKind, Bus, MemFault, PhysMem};
use std::collections::BTreeMap;

/// Top of the stack on RV32 (linear and Sv32 alike): 1 GiB, so the flat table is 1 MiB.
pub const STACK_TOP_32: u64 = 0x4000_0000;
/// Top of the stack on RV64: the top of Sv39's lower half (the same for Sv48 and Sv57).
pub const STACK_TOP_64: u64 = 0x40_0000_0000;
/// The ASID the OS gives its (single) process in `satp` modes.
pub const PROCESS_ASID: u16 = 1;
/// Unmapped ranges remembered for "(after munmap)" messages.
const UNMAPPED_MEMORY: usize = 256;

/// A piece of the image, kept to fill pages on first touch.
#[derive(Clone, Debug)]
struct ImagePiece {
    vaddr: u64,
    data: Vec<u8>,
}

/// A paged address space.
#[derive(Debug)]
pub struct PagedSpace {
    mode: MmuMode,
    format: &'static Format,
    xlen: Xlen,
    asid: u16,
    table: PageTable,
    frames: FrameAllocator,
    vmas: Vmas,
    image: Vec<ImagePiece>,
    /// Resident pages: virtual page number → frame.
    resident: BTreeMap<u64, u64>,
    /// Ranges unmapped by `munmap`, for fault messages.
    unmapped: Vmas,
    brk_start: u64,
    brk: u64,
    stack_top: u64,
    stack_floor: u64,
    mmap_top: u64,
    total_frames: u64,
    minor_faults: u64,
    peak_frames: u64,
    stack_growths: u64,
    flushes: u64,
}

fn prot_of(perms: atlas_asm::Perms) -> u64 {
    let bit = |b: bool, p: u64| if b { p } else { 0 };
    bit(perms.read, PROT_READ) | bit(perms.write, PROT_WRITE) | bit(perms.exec, PROT_EXEC)
}

/// The leaf flags for a protection (write implies read: W without R is reserved).
fn pte_flags(prot: u64) -> u64 {
    let mut f = PTE_V | PTE_U | PTE_A;
    if prot & (PROT_READ | PROT_WRITE) != 0 {
        f |= PTE_R;
    }
    if prot & PROT_WRITE != 0 {
        f |= PTE_W | PTE_D;
    }
    if prot & PROT_EXEC != 0 {
        f |= PTE_X;
    }
    f
}

/// Whether `prot` allows an access of `kind`.
fn allows(prot: u64, kind: AccessKind) -> bool {
    match kind {
        AccessKind::Fetch => prot & PROT_EXEC != 0,
        AccessKind::Load => prot & (PROT_READ | PROT_WRITE) != 0,
        AccessKind::Store => prot & PROT_WRITE != 0,
    }
}

/// Words for an access refused by a mapping's protection.
fn denied_words(kind: AccessKind, va: u64) -> String {
    match kind {
        AccessKind::Store => format!("store to a read-only page at {va:#x}"),
        AccessKind::Load => format!("load from a page without read permission at {va:#x}"),
        AccessKind::Fetch => format!("fetch from a non-executable page at {va:#x}"),
    }
}

impl PagedSpace {
    /// Prepares `image` for demand loading in `mode` and allocates the page table (the
    /// whole flat table in linear mode) and the first stack page.
    pub fn new(
        mode: MmuMode,
        env: &mut MmEnv<'_>,
        image: &Image,
        params: &MmParams,
    ) -> Result<PagedSpace, OsError> {
        let (kind, stack_top) = match mode {
            MmuMode::Linear => (FormatKind::Linear, STACK_TOP_32),
            MmuMode::Sv32 => (FormatKind::Sv32, STACK_TOP_32),
            MmuMode::Sv39 => (FormatKind::Sv39, STACK_TOP_64),
            MmuMode::Sv48 => (FormatKind::Sv48, STACK_TOP_64),
            MmuMode::Sv57 => (FormatKind::Sv57, STACK_TOP_64),
            MmuMode::Bare | MmuMode::BaseBounds | MmuMode::Segmented => {
                return Err(OsError::Layout {
                    mode,
                    reason: "not a paged mode".to_string(),
                })
            }
        };
        let format = Format::of(kind, params.xlen);
        let layout = |reason: String| OsError::Layout { mode, reason };
        let stack_floor = stack_top
            .checked_sub(params.stack_size.next_multiple_of(PAGE))
            .filter(|&f| f >= PAGE)
            .ok_or_else(|| layout(format!("a stack of {:#x} bytes", params.stack_size)))?;
        let mmap_top = stack_floor - PAGE;
        let end = image_end(image);
        if end > mmap_top {
            return Err(layout(format!(
                "the image ends at {end:#x}, above the mmap area's top {mmap_top:#x}"
            )));
        }
        let phys = env.bus.phys_mut();
        let total_frames = phys.size() / PAGE;
        let mut frames = FrameAllocator::new(0, total_frames);
        let oom = |what: &str| OsError::OutOfMemory(what.to_string());
        let table = match mode {
            MmuMode::Linear => PageTable::new_linear(format, stack_top / PAGE, &mut frames, phys)
                .map_err(|NoFrame| oom("the linear page table"))?,
            _ => PageTable::new_tree(format, &mut frames, phys)
                .map_err(|NoFrame| oom("the page-table root"))?,
        };
        let mut vmas = Vmas::new();
        for seg in &image.segments {
            let size = seg.mem_size.max(seg.data.len() as u64);
            let Some((start, stop)) = page_range(seg.vaddr, size).filter(|_| size > 0) else {
                continue;
            };
            let prot = prot_of(seg.perms);
            // A page shared by two segments gets the union of their permissions.
            let shared = vmas.remove(start, stop);
            let mut at = start;
            for piece in &shared {
                if piece.start > at {
                    vmas.insert(Vma {
                        start: at,
                        end: piece.start,
                        prot,
                        backing: Backing::Image,
                    });
                }
                at = piece.end;
            }
            if at < stop {
                vmas.insert(Vma {
                    start: at,
                    end: stop,
                    prot,
                    backing: Backing::Image,
                });
            }
            for piece in shared {
                vmas.insert(Vma {
                    prot: piece.prot | prot,
                    ..piece
                });
            }
        }
        vmas.insert(Vma {
            start: stack_top - PAGE,
            end: stack_top,
            prot: PROT_READ | PROT_WRITE,
            backing: Backing::Stack,
        });
        let brk_start = end.next_multiple_of(PAGE);
        let asid = if mode == MmuMode::Linear {
            0
        } else {
            PROCESS_ASID
        };
        let space = PagedSpace {
            mode,
            format,
            xlen: params.xlen,
            asid,
            table,
            peak_frames: frames.in_use(),
            frames,
            vmas,
            image: image
                .segments
                .iter()
                .map(|s| ImagePiece {
                    vaddr: s.vaddr,
                    data: s.data.clone(),
                })
                .collect(),
            resident: BTreeMap::new(),
            unmapped: Vmas::new(),
            brk_start,
            brk: brk_start,
            stack_top,
            stack_floor,
            mmap_top,
            total_frames,
            minor_faults: 0,
            stack_growths: 0,
            flushes: 0,
        };
        Ok(space)
    }

    /// The end of the heap area (the break rounded up to a page).
    fn heap_end(&self) -> u64 {
        self.brk.next_multiple_of(PAGE)
    }

    /// Allocates, fills and maps the page at `page` for `vma`.
    fn populate(&mut self, env: &mut MmEnv<'_>, page: u64, vma: Vma) -> Result<u64, String> {
        let oom = |frames: &FrameAllocator, table: &PageTable| {
            format!(
                "out of physical memory: no free frame for the page at {page:#x} ({} frames \
                 in use, {} of them page tables)",
                frames.in_use(),
                table.table_frames()
            )
        };
        let Some(frame) = self.frames.alloc() else {
            return Err(oom(&self.frames, &self.table));
        };
        let pa = frame * PAGE;
        env.charge_zero(PAGE);
        let phys = env.bus.phys_mut();
        let _ = phys.zero(pa, PAGE);
        if vma.backing == Backing::Image {
            let mut copied = 0u64;
            for piece in &self.image {
                let lo = piece.vaddr.max(page);
                let hi = piece
                    .vaddr
                    .saturating_add(piece.data.len() as u64)
                    .min(page + PAGE);
                if lo >= hi {
                    continue;
                }
                let src = piece
                    .data
                    .get((lo - piece.vaddr) as usize..(hi - piece.vaddr) as usize);
                if let (Some(src), Some(dst)) = (src, phys.slice_mut(pa + (lo - page), hi - lo)) {
                    dst.copy_from_slice(src);
                    copied += hi - lo;
                }
            }
            env.charge_copy(copied);
        }
        let before = self.table.pte_writes;
        let mapped = self.table.map(
            page,
            frame,
            pte_flags(vma.prot),
            &mut self.frames,
            env.bus.phys_mut(),
        );
        env.charge((self.table.pte_writes - before) * env.costs.pte_write);
        if mapped.is_err() {
            self.frames.free(frame);
            return Err(oom(&self.frames, &self.table));
        }
        self.resident.insert(page / PAGE, frame);
        self.peak_frames = self.peak_frames.max(self.frames.in_use());
        Ok(pa)
    }

    /// The area for a fault at `page`, growing the stack if `page` is just below it.
    fn area_for(&mut self, page: u64) -> Option<Vma> {
        if let Some(v) = self.vmas.find(page) {
            return Some(*v);
        }
        // The stack is the highest area (only a MAP_FIXED mapping can sit above it).
        let stack = self
            .vmas
            .iter()
            .rev()
            .find(|v| v.backing == Backing::Stack)
            .copied()?;
        if page < self.stack_floor || page >= stack.start || !self.vmas.is_free(page, stack.start) {
            return None;
        }
        self.vmas.insert(Vma {
            start: page,
            end: stack.start,
            ..stack
        });
        self.stack_growths += 1;
        self.vmas.find(page).copied()
    }

    /// Why an access to the unmapped `va` cannot be served.
    fn no_mapping(&self, va: u64) -> String {
        let page = va - va % PAGE;
        let mut s = format!("no mapping for {va:#x}");
        if self.unmapped.find(page).is_some() {
            s.push_str(" (after munmap)");
        } else if page < self.stack_floor && page + PAGE >= self.stack_floor {
            s.push_str(" (below the stack limit)");
        }
        s
    }

    /// Serves one page of a fault.
    fn fault_page(&mut self, env: &mut MmEnv<'_>, va: u64, kind: AccessKind) -> FaultOutcome {
        let page = va - va % PAGE;
        if !self.format.is_canonical(va)
            || self.table.linear_len().is_some_and(|n| page / PAGE >= n)
        {
            return FaultOutcome::Fatal(self.no_mapping(va));
        }
        if self.table.lookup(env.bus.phys(), page).is_some() {
            let vma = self.vmas.find(page).copied();
            let allowed = vma.is_some_and(|v| allows(v.prot, kind));
            return if allowed {
                // Mapped and allowed: a stale translation; drop it and retry.
                self.flush(env, page);
                FaultOutcome::Resolved
            } else {
                FaultOutcome::Fatal(denied_words(kind, va))
            };
        }
        let Some(vma) = self.area_for(page) else {
            return FaultOutcome::Fatal(self.no_mapping(va));
        };
        if !allows(vma.prot, kind) {
            return FaultOutcome::Fatal(denied_words(kind, va));
        }
        match self.populate(env, page, vma) {
            Ok(_) => {
                self.minor_faults += 1;
                FaultOutcome::Resolved
            }
            Err(words) => FaultOutcome::OutOfMemory(words),
        }
    }

    fn flush(&mut self, env: &mut MmEnv<'_>, page: u64) {
        self.flushes += 1;
        let asid = self.asid;
        env.bus.sfence_vma(Some(page), Some(asid));
    }

    /// Unmaps every resident page in `[start, end)`: frees frames and empty tables and
    /// flushes each page.
    fn evict(&mut self, env: &mut MmEnv<'_>, start: u64, end: u64) {
        let pages: Vec<(u64, u64)> = self
            .resident
            .range(start / PAGE..end.div_ceil(PAGE))
            .map(|(&v, &f)| (v, f))
            .collect();
        for (vpn, frame) in pages {
            let before = self.table.pte_writes;
            let va = vpn * PAGE;
            self.table.unmap(va, &mut self.frames, env.bus.phys_mut());
            env.charge((self.table.pte_writes - before) * env.costs.pte_write);
            self.frames.free(frame);
            self.resident.remove(&vpn);
            self.flush(env, va);
        }
    }

    /// Whether `[start, end)` is inside the user part of the address space.
    fn in_user_space(&self, start: u64, end: u64) -> bool {
        start >= PAGE && end <= self.stack_top && start < end
    }
}

impl AddressSpace for PagedSpace {
    fn mode(&self) -> MmuMode {
        self.mode
    }

    fn activate(&mut self, env: &mut MmEnv<'_>) {
        let bus = &mut *env.bus;
        match self.table.linear_len() {
            Some(len) => {
                let _ = bus.write_csr(csr::SATP, 0);
                let _ = bus.write_csr(csr::ATLINBASE, self.table.root());
                let _ = bus.write_csr(csr::ATLINLEN, len);
                let _ = bus.write_csr(csr::ATMODE, ATMODE_LINEAR);
            }
            None => {
                let satp = Satp {
                    mode: Some(self.format.kind),
                    asid: self.asid,
                    ppn: self.table.root() / PAGE,
                };
                let _ = bus.write_csr(csr::ATMODE, ATMODE_SATP);
                let _ = bus.write_csr(csr::SATP, satp.encode(self.xlen));
            }
        }
    }

    fn asid(&self) -> u16 {
        self.asid
    }

    fn stack_top(&self) -> u64 {
        self.stack_top
    }

    fn write_user(&mut self, env: &mut MmEnv<'_>, va: u64, bytes: &[u8]) -> Result<(), String> {
        let mut done = 0usize;
        while done < bytes.len() {
            let at = va
                .checked_add(done as u64)
                .ok_or_else(|| self.no_mapping(va))?;
            let page = at - at % PAGE;
            let pa = match self.resident.get(&(page / PAGE)) {
                Some(&frame) => frame * PAGE,
                None => {
                    let vma = self.area_for(page).ok_or_else(|| self.no_mapping(at))?;
                    self.populate(env, page, vma)?
                }
            };
            let n = ((PAGE - at % PAGE) as usize).min(bytes.len() - done);
            let dst = env
                .bus
                .phys_mut()
                .slice_mut(pa + at % PAGE, n as u64)
                .ok_or_else(|| self.no_mapping(at))?;
            dst.copy_from_slice(&bytes[done..done + n]);
            done += n;
        }
        Ok(())
    }

    fn program_break(&self) -> u64 {
        self.brk
    }

    fn brk(&mut self, env: &mut MmEnv<'_>, want: u64) -> u64 {
        if want < self.brk_start {
            return self.brk;
        }
        let Some(new_end) = want.checked_next_multiple_of(PAGE) else {
            return self.brk;
        };
        let old_end = self.heap_end();
        if new_end > old_end {
            if new_end > self.stack_floor || !self.vmas.is_free(old_end, new_end) {
                return self.brk;
            }
            self.vmas.insert(Vma {
                start: old_end,
                end: new_end,
                prot: PROT_READ | PROT_WRITE,
                backing: Backing::Heap,
            });
        } else if new_end < old_end {
            self.evict(env, new_end, old_end);
            self.vmas.remove(new_end, old_end);
        }
        self.brk = want;
        want
    }

    /// A hint is taken when the range is free and between the heap and the mmap area's
    /// top; otherwise the mapping goes to the highest free range below that top.
    /// `MAP_FIXED` replaces whatever the range held (anywhere in user space).
    fn mmap(&mut self, env: &mut MmEnv<'_>, args: &MmapArgs) -> u64 {
        let len = match args.validate() {
            Ok(len) => len,
            Err(e) => return neg_errno(e),
        };
        // Heuristic overcommit, as Linux's default: refuse a mapping larger than memory.
        // A new area (and the split of one it replaces) must fit the area limit.
        if len / PAGE > self.total_frames || self.vmas.len() + 2 > MAX_MAP_COUNT {
            return neg_errno(errno::ENOMEM);
        }
        let start = if args.flags & MAP_FIXED != 0 {
            let Some(end) = args.addr.checked_add(len) else {
                return neg_errno(errno::ENOMEM);
            };
            if !self.in_user_space(args.addr, end) {
                return neg_errno(errno::ENOMEM);
            }
            self.evict(env, args.addr, end);
            self.vmas.remove(args.addr, end);
            args.addr
        } else {
            let hint = args.addr - args.addr % PAGE;
            let low = self.heap_end();
            let hint_ok = hint != 0
                && hint.checked_add(len).is_some_and(|e| {
                    hint >= low && e <= self.mmap_top && self.vmas.is_free(hint, e)
                });
            if hint_ok {
                hint
            } else {
                match self.vmas.free_top_down(len, low, self.mmap_top) {
                    Some(s) => s,
                    None => return neg_errno(errno::ENOMEM),
                }
            }
        };
        self.vmas.insert(Vma {
            start,
            end: start + len,
            prot: args.prot,
            backing: Backing::Anonymous,
        });
        self.unmapped.remove(start, start + len);
        start
    }

    fn munmap(&mut self, env: &mut MmEnv<'_>, addr: u64, len: u64) -> u64 {
        let Some((start, end)) = page_range(addr, len) else {
            return neg_errno(errno::EINVAL);
        };
        if !addr.is_multiple_of(PAGE) || len == 0 || !self.in_user_space(start, end) {
            return neg_errno(errno::EINVAL);
        }
        if self.vmas.len() + 1 > MAX_MAP_COUNT {
            return neg_errno(errno::ENOMEM);
        }
        self.evict(env, start, end);
        let removed = self.vmas.remove(start, end);
        if self.unmapped.iter().count() < UNMAPPED_MEMORY {
            for piece in removed {
                self.unmapped.remove(piece.start, piece.end);
                self.unmapped.insert(Vma {
                    prot: 0,
                    backing: Backing::Anonymous,
                    ..piece
                });
            }
        }
        0
    }

    fn mprotect(&mut self, env: &mut MmEnv<'_>, addr: u64, len: u64, prot: u64) -> u64 {
        let Some((start, end)) = page_range(addr, len) else {
            return neg_errno(errno::ENOMEM);
        };
        if !addr.is_multiple_of(PAGE) || prot & !PROT_MASK != 0 {
            return neg_errno(errno::EINVAL);
        }
        if start == end {
            return 0;
        }
        if !self.vmas.covers(start, end) || self.vmas.len() + 2 > MAX_MAP_COUNT {
            return neg_errno(errno::ENOMEM);
        }
        self.vmas.protect(start, end, prot);
        let pages: Vec<u64> = self
            .resident
            .range(start / PAGE..end / PAGE)
            .map(|(&v, _)| v * PAGE)
            .collect();
        for va in pages {
            let before = self.table.pte_writes;
            self.table.protect(env.bus.phys_mut(), va, pte_flags(prot));
            env.charge((self.table.pte_writes - before) * env.costs.pte_write);
            self.flush(env, va);
        }
        0
    }

    fn fault(&mut self, env: &mut MmEnv<'_>, fault: &MemFault) -> FaultOutcome {
        let first = fault.va;
        let last = fault.va.saturating_add(u64::from(fault.size.max(1)) - 1);
        let outcome = self.fault_page(env, first, fault.kind);
        if outcome != FaultOutcome::Resolved || first / PAGE == last / PAGE {
            return outcome;
        }
        let last_page = last - last % PAGE;
        if self.resident.contains_key(&(last_page / PAGE)) {
            return outcome;
        }
        self.fault_page(env, last_page, fault.kind)
    }

    fn peek(&self, phys: &PhysMem, va: u64) -> Option<u64> {
        let pte = self.table.lookup(phys, va)?;
        Some(pte.ppn(self.format.ppn_bits) * PAGE + va % PAGE)
    }

    fn stats(&self) -> MmStats {
        let mut extra = vec![
            ("resident_pages", self.resident.len() as u64),
            ("page_table_bytes", self.table.table_frames() * PAGE),
        ];
        if let Some(len) = self.table.linear_len() {
            extra.push(("linear_table_entries", len));
            extra.push((
                "sv32_table_frames_for_same_pages",
                PageTable::sv32_frames_for(self.resident.keys().copied()),
            ));
        }
        MmStats {
            minor_faults: self.minor_faults,
            frames_in_use: self.frames.in_use(),
            peak_frames: self.peak_frames,
            table_frames: self.table.table_frames(),
            stack_growths: self.stack_growths,
            flushes: self.flushes,
            extra,
        }
    }
}
