//! Bare mode: no translation, VA = PA. The image is copied to its own addresses, the stack
//! sits at the top of physical memory (below 4 GiB) with `stack_size` reserved (at most half
//! the memory above the image), the heap grows up from the page after
//! the image and `mmap` hands out zeroed ranges top-down below the stack's reserve. Nothing
//! is protected (there is no hardware to do it): `mprotect` checks its arguments and
//! succeeds, and a fault is always fatal.

use super::paged_vma::{page_range, Backing, Vma, Vmas, MAX_MAP_COUNT};
use super::{AddressSpace, FaultOutcome, MmEnv, MmParams, MmStats, MmapArgs, MmuMode};
use super::{MAP_FIXED, PAGE, PROT_MASK};
use crate::syscall::neg_errno;
use crate::OsError;
use atlas_asm::Image;
use atlas_isa::{csr, errno, Xlen};
use atlas_mmu::regs::ATMODE_SATP;
use atlas_mmu::{Bus, MemFault, PhysMem};

/// A bare-mode address space.
#[derive(Debug)]
pub struct BareSpace {
    stack_top: u64,
    stack_bottom: u64,
    brk_start: u64,
    brk: u64,
    maps: Vmas,
}

/// Copies the segments into physical memory at their own addresses.
fn load_segments(mem: &mut PhysMem, image: &Image) -> Result<(), OsError> {
    let phys = mem.size();
    for seg in &image.segments {
        let outside = || OsError::SegmentOutsideMemory {
            name: seg.name.clone(),
            vaddr: seg.vaddr,
            size: seg.mem_size,
            phys,
        };
        let size = seg.mem_size.max(seg.data.len() as u64);
        let dst = mem.slice_mut(seg.vaddr, size).ok_or_else(outside)?;
        let (init, bss) = dst.split_at_mut(seg.data.len());
        init.copy_from_slice(&seg.data);
        bss.fill(0);
    }
    Ok(())
}

/// One past the highest byte of the image, checked.
pub(crate) fn image_end(image: &Image) -> u64 {
    image
        .segments
        .iter()
        .map(|s| s.vaddr.saturating_add(s.mem_size.max(s.data.len() as u64)))
        .max()
        .unwrap_or(0)
}

impl BareSpace {
    /// Loads `image` into physical memory and reserves the stack at its top.
    pub fn new(env: &mut MmEnv<'_>, image: &Image, params: &MmParams) -> Result<Self, OsError> {
        let mem = env.bus.phys_mut();
        load_segments(mem, image)?;
        let top_limit = match params.xlen {
            Xlen::X32 => 1u64 << 32,
            Xlen::X64 => u64::MAX,
        };
        let stack_top = mem.size().min(top_limit) & !15;
        let end = image_end(image);
        // A small memory cannot hold the whole stack limit: the stack then gets at most
        // half of what lies above the image, so the heap and mappings keep the rest.
        let above_image = stack_top.saturating_sub(end.next_multiple_of(PAGE));
        let stack_bottom = stack_top.saturating_sub(params.stack_size.min(above_image / 2));
        if end > stack_bottom {
            return Err(OsError::ImageOverlapsStack {
                end,
                stack: stack_bottom,
            });
        }
        let brk_start = end.next_multiple_of(PAGE).min(stack_bottom);
        Ok(BareSpace {
            stack_top,
            stack_bottom,
            brk_start,
            brk: brk_start,
            maps: Vmas::new(),
        })
    }

    /// The highest break allowed: the lowest mapping or the stack reserve.
    fn brk_limit(&self) -> u64 {
        self.maps
            .iter()
            .next()
            .map_or(self.stack_bottom, |v| v.start)
    }

    fn zero(env: &mut MmEnv<'_>, start: u64, end: u64) {
        let len = end.saturating_sub(start);
        if env.bus.phys_mut().zero(start, len).is_some() {
            env.charge_zero(len);
        }
    }
}

impl AddressSpace for BareSpace {
    fn mode(&self) -> MmuMode {
        MmuMode::Bare
    }

    fn activate(&mut self, env: &mut MmEnv<'_>) {
        let _ = env.bus.write_csr(csr::ATMODE, ATMODE_SATP);
        let _ = env.bus.write_csr(csr::SATP, 0);
    }

    fn asid(&self) -> u16 {
        0
    }

    fn stack_top(&self) -> u64 {
        self.stack_top
    }

    fn write_user(&mut self, env: &mut MmEnv<'_>, va: u64, bytes: &[u8]) -> Result<(), String> {
        let dst = env
            .bus
            .phys_mut()
            .slice_mut(va, bytes.len() as u64)
            .ok_or_else(|| format!("{va:#x} is beyond physical memory"))?;
        dst.copy_from_slice(bytes);
        Ok(())
    }

    fn program_break(&self) -> u64 {
        self.brk
    }

    /// Memory given back is zeroed, so growing again sees zeros as on Linux.
    fn brk(&mut self, env: &mut MmEnv<'_>, want: u64) -> u64 {
        if want < self.brk_start || want > self.brk_limit() {
            return self.brk;
        }
        if want < self.brk {
            let from = want.next_multiple_of(PAGE);
            let to = self.brk.next_multiple_of(PAGE);
            Self::zero(env, from, to);
        }
        self.brk = want;
        want
    }

    fn mmap(&mut self, env: &mut MmEnv<'_>, args: &MmapArgs) -> u64 {
        let len = match args.validate() {
            Ok(len) => len,
            Err(e) => return neg_errno(e),
        };
        if self.maps.len() + 2 > MAX_MAP_COUNT {
            return neg_errno(errno::ENOMEM);
        }
        let low = self.brk.next_multiple_of(PAGE);
        let high = self.stack_bottom - self.stack_bottom % PAGE;
        let fits = |start: u64| start >= low && start.checked_add(len).is_some_and(|e| e <= high);
        let start = if args.flags & MAP_FIXED != 0 {
            if !fits(args.addr) {
                return neg_errno(errno::ENOMEM);
            }
            self.maps.remove(args.addr, args.addr + len);
            args.addr
        } else {
            let hint = args.addr - args.addr % PAGE;
            if hint != 0 && fits(hint) && self.maps.is_free(hint, hint + len) {
                hint
            } else {
                match self.maps.free_top_down(len, low, high) {
                    Some(s) => s,
                    None => return neg_errno(errno::ENOMEM),
                }
            }
        };
        Self::zero(env, start, start + len);
        self.maps.insert(Vma {
            start,
            end: start + len,
            prot: args.prot,
            backing: Backing::Anonymous,
        });
        start
    }

    fn munmap(&mut self, _env: &mut MmEnv<'_>, addr: u64, len: u64) -> u64 {
        match page_range(addr, len) {
            Some(_) if self.maps.len() + 1 > MAX_MAP_COUNT => neg_errno(errno::ENOMEM),
            Some((start, end)) if addr.is_multiple_of(PAGE) && len != 0 => {
                self.maps.remove(start, end);
                0
            }
            _ => neg_errno(errno::EINVAL),
        }
    }

    fn mprotect(&mut self, _env: &mut MmEnv<'_>, addr: u64, len: u64, prot: u64) -> u64 {
        if !addr.is_multiple_of(PAGE) || prot & !PROT_MASK != 0 || page_range(addr, len).is_none() {
            return neg_errno(errno::EINVAL);
        }
        0
    }

    /// Every fault is fatal: there is nothing to map, the address is physical (the
    /// hardware's reason, beyond physical memory, is in the trap).
    fn fault(&mut self, _env: &mut MmEnv<'_>, _fault: &MemFault) -> FaultOutcome {
        FaultOutcome::Fatal("no translation in bare mode: the address is physical".to_string())
    }

    fn peek(&self, phys: &PhysMem, va: u64) -> Option<u64> {
        (va < phys.size()).then_some(va)
    }

    fn stats(&self) -> MmStats {
        MmStats::default()
    }
}
