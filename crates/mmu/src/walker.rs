//! The page-table walker: one loop, driven by a [`Format`] descriptor, serving the linear
//! format and Sv32/39/48/57 alike. Comments name the steps of the privileged spec's "Virtual
//! Address Translation Process" (section 4.3.2 / 12.3.2 in recent versions).

use crate::access::{AccessCtx, AccessKind, Privilege};
use crate::fault::{Denied, TranslateReason};
use crate::format::{Format, PAGE_SHIFT};
use crate::phys::PhysMem;
use crate::pte::{Perms, Pte, PTE_A, PTE_D, PTE_R, PTE_U, PTE_V, PTE_W, PTE_X};
use crate::regs::MmuRegs;

/// What the walker needs to know about the access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalkRequest {
    /// Virtual address.
    pub va: u64,
    /// Fetch, load or store.
    pub kind: AccessKind,
    /// Privilege of the access.
    pub privilege: Privilege,
    /// ASID (for the page-walk caches).
    pub asid: u16,
    /// `sstatus.SUM`.
    pub sum: bool,
    /// `sstatus.MXR`.
    pub mxr: bool,
    /// Set A/D in hardware (else fault when they need setting).
    pub hardware_ad: bool,
}

impl WalkRequest {
    /// The walk of the access `ctx` under the status bits of `regs` (SUM, MXR), on hardware
    /// that sets A/D itself when `hardware_ad`.
    pub fn of(ctx: &AccessCtx, regs: &MmuRegs, hardware_ad: bool) -> WalkRequest {
        WalkRequest {
            va: ctx.va,
            kind: ctx.kind,
            privilege: ctx.privilege,
            asid: ctx.asid,
            sum: regs.sum,
            mxr: regs.mxr,
            hardware_ad,
        }
    }
}

/// A successful walk: the leaf and the translation it gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leaf {
    /// The translated physical address.
    pub pa: u64,
    /// Physical address of the first byte of the page.
    pub page_base: u64,
    /// Level of the leaf (0 for a 4 KiB page).
    pub level: u32,
    /// Log2 of the page size.
    pub page_shift: u32,
    /// The leaf's permissions.
    pub perms: Perms,
    /// The leaf or one of its ancestors is global.
    pub global: bool,
    /// D as now in memory (after any hardware update).
    pub dirty: bool,
    /// Physical address of the leaf PTE.
    pub pte_addr: u64,
}

/// The result of a walk with what it cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalkOutcome {
    /// The leaf, or why the walk failed.
    pub result: Result<Leaf, TranslateReason>,
    /// PTEs read from memory.
    pub pte_reads: u32,
    /// The level whose cached pointer let the walk start lower, if a page-walk cache hit.
    pub pwc_hit_level: Option<u32>,
    /// Whether the leaf was written back to set A or D.
    pub ad_written: bool,
}

/// A cache of pointer (non-leaf) PTEs the walker may consult and fill: the page-walk caches.
pub trait WalkCache {
    /// The deepest cached pointer for `va`: `(level, next table address, global)` where
    /// `level` is the level of the cached pointer PTE (the walk resumes at `level - 1`).
    fn lookup(&mut self, format: &Format, va: u64, asid: u16) -> Option<(u32, u64, bool)>;
    /// The walker read a pointer PTE at `level` leading to `next_table`.
    fn record(
        &mut self,
        format: &Format,
        va: u64,
        asid: u16,
        level: u32,
        next_table: u64,
        global: bool,
    );
}

/// No page-walk cache: every walk starts at the root.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoWalkCache;

impl WalkCache for NoWalkCache {
    #[inline]
    fn lookup(&mut self, _: &Format, _: u64, _: u16) -> Option<(u32, u64, bool)> {
        None
    }
    #[inline]
    fn record(&mut self, _: &Format, _: u64, _: u16, _: u32, _: u64, _: bool) {}
}

/// What the walker reports as it goes, for step-by-step explanations (`atlas explain`).
/// The default methods do nothing, so the hardware's walk, which uses [`NoWalkObserver`],
/// compiles to the same code as without an observer.
pub trait WalkObserver {
    /// The walk starts at `level` in the table at `table` (a PWC hit starts lower).
    #[inline]
    fn start(&mut self, _level: u32, _table: u64) {}
    /// Step 2 read the PTE `raw` for `level` at `pte_addr` (index `index` into `table`).
    #[inline]
    fn pte(&mut self, _level: u32, _table: u64, _index: u64, _pte_addr: u64, _raw: u64) {}
    /// Step 7 writes the leaf back at `pte_addr` with A/D set: `new` is the written value.
    #[inline]
    fn ad_write(&mut self, _pte_addr: u64, _new: u64) {}
}

/// The observer that observes nothing: the hardware's walks.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoWalkObserver;

impl WalkObserver for NoWalkObserver {}

/// The memory a walk reads PTEs from and writes A/D back to.
trait PteMemory {
    fn read_pte(&mut self, addr: u64, size: u64) -> Option<u64>;
    fn write_pte(&mut self, addr: u64, size: u64, value: u64) -> Option<()>;
}

impl PteMemory for PhysMem {
    #[inline(always)]
    fn read_pte(&mut self, addr: u64, size: u64) -> Option<u64> {
        self.read(addr, size)
    }
    #[inline(always)]
    fn write_pte(&mut self, addr: u64, size: u64, value: u64) -> Option<()> {
        self.write(addr, size, value)
    }
}

/// Physical memory seen by a walk that must not change it (an explanation walks before the
/// hardware does): an A/D write-back is checked and reported but not performed.
struct ReadOnly<'a>(&'a PhysMem);

impl PteMemory for ReadOnly<'_> {
    fn read_pte(&mut self, addr: u64, size: u64) -> Option<u64> {
        self.0.read(addr, size)
    }
    fn write_pte(&mut self, addr: u64, size: u64, _value: u64) -> Option<()> {
        self.0.read(addr, size).map(|_| ())
    }
}

/// Step 5's permission check for a leaf with `perms`, shared by the walker and TLB hits.
#[inline]
pub fn check_permission(
    perms: Perms,
    kind: AccessKind,
    privilege: Privilege,
    sum: bool,
    mxr: bool,
) -> Option<Denied> {
    let by_privilege = match privilege {
        Privilege::User if !perms.user() => Some(Denied::SupervisorPage),
        Privilege::Supervisor | Privilege::Machine if perms.user() => match kind {
            AccessKind::Fetch => Some(Denied::SupervisorFetchFromUserPage),
            _ if !sum => Some(Denied::UserPageWithoutSum),
            _ => None,
        },
        _ => None,
    };
    by_privilege.or(match kind {
        AccessKind::Fetch if !perms.execute() => Some(Denied::NotExecutable),
        AccessKind::Load if !(perms.read() || (mxr && perms.execute())) => {
            Some(Denied::NotReadable)
        }
        AccessKind::Store if !perms.write() => Some(Denied::NotWritable),
        _ => None,
    })
}

/// Whether the leaf bits `raw` let `req` through at once, read straight from the PTE: the
/// walk's usual case, decided without building [`Perms`]. A refusal is left to
/// [`check_permission`], which gives its reason (and has the last word).
#[inline(always)]
fn grants(raw: u64, req: &WalkRequest) -> bool {
    let has = |bit: u64| raw & bit != 0;
    let by_kind = match req.kind {
        AccessKind::Fetch => has(PTE_X),
        AccessKind::Load => has(PTE_R) | (req.mxr & has(PTE_X)),
        AccessKind::Store => has(PTE_W),
    };
    let by_privilege = match req.privilege {
        Privilege::User => has(PTE_U),
        Privilege::Supervisor | Privilege::Machine => {
            !has(PTE_U) | (req.sum & (req.kind != AccessKind::Fetch))
        }
    };
    by_kind & by_privilege
}

/// Walks the table rooted at physical address `root` for `req`. `linear_len` bounds the
/// linear format's single level. The walker checks canonicality itself, so it can serve the
/// reference translator alone.
pub fn walk<C: WalkCache>(
    mem: &mut PhysMem,
    format: &Format,
    root: u64,
    linear_len: Option<u64>,
    req: &WalkRequest,
    cache: &mut C,
) -> WalkOutcome {
    let mut outcome = WalkOutcome {
        result: Err(TranslateReason::NoLeaf),
        pte_reads: 0,
        pwc_hit_level: None,
        ad_written: false,
    };
    outcome.result = walk_steps(
        mem,
        format,
        root,
        linear_len,
        req,
        cache,
        &mut NoWalkObserver,
        &mut outcome,
    );
    outcome
}

/// The same walk as [`walk`], from the root and without page-walk caches, telling
/// `observer` every step, and leaving memory unchanged (an A/D write-back is reported and
/// counted in the outcome but not performed). Run it before the hardware's walk of the
/// same access to explain that walk.
pub fn walk_explained<O: WalkObserver>(
    mem: &PhysMem,
    format: &Format,
    root: u64,
    linear_len: Option<u64>,
    req: &WalkRequest,
    observer: &mut O,
) -> WalkOutcome {
    let mut outcome = WalkOutcome {
        result: Err(TranslateReason::NoLeaf),
        pte_reads: 0,
        pwc_hit_level: None,
        ad_written: false,
    };
    outcome.result = walk_steps(
        &mut ReadOnly(mem),
        format,
        root,
        linear_len,
        req,
        &mut NoWalkCache,
        observer,
        &mut outcome,
    );
    outcome
}

#[allow(clippy::too_many_arguments)]
fn walk_steps<M: PteMemory, C: WalkCache, O: WalkObserver>(
    mem: &mut M,
    format: &Format,
    root: u64,
    linear_len: Option<u64>,
    req: &WalkRequest,
    cache: &mut C,
    observer: &mut O,
    outcome: &mut WalkOutcome,
) -> Result<Leaf, TranslateReason> {
    let va = req.va;
    // Before step 1: a VA whose upper bits are not the extension of its top translated bit
    // faults (Sv39/48/57 canonical addresses; Sv32 and linear take 32-bit VAs).
    if !format.is_canonical(va) {
        return Err(TranslateReason::NonCanonical { va });
    }
    if let Some(len) = linear_len {
        let vpn = va >> PAGE_SHIFT;
        if vpn >= len {
            return Err(TranslateReason::BeyondLinearTable { vpn, len });
        }
    }

    // Step 1: a = satp.ppn × PAGESIZE, i = LEVELS − 1; a page-walk-cache hit on a pointer at
    // level j instead starts at i = j − 1 from the table it points to.
    let (mut level, mut table, mut global) = match cache.lookup(format, va, req.asid) {
        Some((hit_level, next_table, global)) if hit_level >= 1 && hit_level < format.levels => {
            outcome.pwc_hit_level = Some(hit_level);
            (hit_level - 1, next_table, global)
        }
        _ => (format.levels - 1, root, false),
    };
    observer.start(level, table);
    let quick = QuickLeaf::of(req, format.reserved_mask);

    let (pte, pte_addr) = loop {
        // Step 2: pte = the PTE at a + va.vpn[i] × PTESIZE; reading it outside physical
        // memory is an access fault.
        let pte_addr = format
            .vpn(va, level)
            .checked_mul(u64::from(format.pte_size))
            .and_then(|offset| table.checked_add(offset))
            .ok_or(TranslateReason::PteBeyondMemory {
                level,
                pte_addr: table,
            })?;
        // One host load of the PTE's fixed size (a size only known at run time would
        // dispatch on it on every read).
        let raw = match format.pte_size {
            8 => mem.read_pte(pte_addr, 8),
            size => mem.read_pte(pte_addr, u64::from(size)),
        }
        .ok_or(TranslateReason::PteBeyondMemory { level, pte_addr })?;
        outcome.pte_reads += 1;
        observer.pte(level, table, format.vpn(va, level), pte_addr, raw);
        let pte = Pte(raw);
        // The usual leaf passes steps 3 to 7 in two mask tests (and step 6's alignment).
        if quick.takes(raw) && aligned(format, level, pte) {
            return Ok(leaf_of(
                format,
                va,
                level,
                pte,
                global | pte.global(),
                pte_addr,
            ));
        }

        // Step 3: V = 0, or W without R, or reserved bits set: page fault.
        if !pte.valid() {
            return Err(TranslateReason::NotValid { level });
        }
        if !pte.readable() && pte.writable() {
            return Err(TranslateReason::WriteWithoutRead { level });
        }
        if raw & format.reserved_mask != 0 {
            return Err(TranslateReason::ReservedBits { level });
        }
        global |= pte.global();

        // Step 4: R or X set means a leaf (go to step 5). Otherwise it points to the next
        // level: i = i − 1 (a pointer at level 0 faults) and a = pte.ppn × PAGESIZE. A, D and
        // U are reserved in pointers.
        if pte.is_leaf() {
            break (pte, pte_addr);
        }
        if raw & (PTE_A | PTE_D | PTE_U) != 0 {
            return Err(TranslateReason::ReservedBits { level });
        }
        if level == 0 {
            return Err(TranslateReason::NoLeaf);
        }
        let next_table = pte.ppn(format.ppn_bits) << PAGE_SHIFT;
        cache.record(format, va, req.asid, level, next_table, global);
        level -= 1;
        table = next_table;
    };

    // Step 5: the leaf's R/W/X/U bits must allow the access at this privilege, given SUM
    // and MXR.
    if !grants(pte.0, req) {
        if let Some(denied) =
            check_permission(pte.perms(), req.kind, req.privilege, req.sum, req.mxr)
        {
            return Err(TranslateReason::Permission { level, denied });
        }
    }

    // Step 6: a superpage's PPN must be aligned to its size.
    if !aligned(format, level, pte) {
        return Err(TranslateReason::MisalignedSuperpage { level });
    }

    // Step 7: A must be set, and D too for a store: set them in hardware and write the PTE
    // back, or fault when hardware updates are off.
    let store = req.kind == AccessKind::Store;
    let mut value = pte.0;
    if !pte.accessed() || (store && !pte.dirty()) {
        if !req.hardware_ad {
            return Err(TranslateReason::AccessedDirtyClear { level });
        }
        value |= PTE_A | if store { PTE_D } else { 0 };
        mem.write_pte(pte_addr, u64::from(format.pte_size), value)
            .ok_or(TranslateReason::PteBeyondMemory { level, pte_addr })?;
        observer.ad_write(pte_addr, value);
        outcome.ad_written = true;
    }

    Ok(leaf_of(format, va, level, Pte(value), global, pte_addr))
}

/// The walk's last step alone, for a walk that a page-walk-cache hit at level 1 sent
/// straight to the level-0 table at `table` (`global`: the pointer's G): the leaf for
/// `req.va` when its PTE is one [`QuickLeaf`] takes, so that the step-by-step walk would
/// read that one PTE, write nothing and give the same leaf. `None` when it would do
/// anything else (the full walk then decides). Reads memory, changes nothing.
#[inline(always)]
pub(crate) fn quick_leaf(
    mem: &PhysMem,
    format: &Format,
    table: u64,
    global: bool,
    req: &WalkRequest,
) -> Option<Leaf> {
    let pte_addr = table.checked_add(format.vpn(req.va, 0) * u64::from(format.pte_size))?;
    let raw = match format.pte_size {
        8 => mem.read(pte_addr, 8),
        size => mem.read(pte_addr, u64::from(size)),
    }?;
    if !QuickLeaf::of(req, format.reserved_mask).takes(raw) {
        return None;
    }
    let pte = Pte(raw);
    Some(leaf_of(
        format,
        req.va,
        0,
        pte,
        global | pte.global(),
        pte_addr,
    ))
}

/// Step 6: whether the leaf `pte` at `level` is aligned to its page size (pte.ppn[i−1:0]
/// = 0; a 4 KiB page always is).
#[inline(always)]
fn aligned(format: &Format, level: u32, pte: Pte) -> bool {
    let low_ppn_bits = level * format.index_bits;
    pte.ppn(format.ppn_bits) & ((1u64 << low_ppn_bits) - 1) == 0
}

/// Step 8 for the aligned leaf `pte` at `level` (its A/D as the walk leaves them):
/// pa.pgoff = va.pgoff; for a superpage pa.ppn[i−1:0] = va.vpn[i−1:0]; the rest of the PPN
/// comes from the PTE.
#[inline(always)]
fn leaf_of(format: &Format, va: u64, level: u32, pte: Pte, global: bool, pte_addr: u64) -> Leaf {
    let ppn = pte.ppn(format.ppn_bits);
    let page_shift = format.page_shift(level);
    let offset_mask = (1u64 << page_shift) - 1;
    let page_base = (ppn << PAGE_SHIFT) & !offset_mask;
    Leaf {
        pa: page_base | (va & offset_mask),
        page_base,
        level,
        page_shift,
        perms: pte.perms(),
        global,
        dirty: pte.dirty(),
        pte_addr,
    }
}

/// The usual leaf, told in two mask tests: PTE bits an access needs set and bits it needs
/// clear for steps 3 to 7 to find a valid leaf that grants the access with no A/D update.
/// Set: V, A, the permission bit (R for a load; R and W for a store, since W without R is
/// reserved; X for a fetch), U for a user access, D for a store. Clear: the format's
/// reserved bits, U for a supervisor fetch or (without SUM) load or store, and W for a
/// fetch (whose needed bits do not include R). A PTE that passes takes the walk straight to
/// steps 6 and 8; any other PTE goes through the steps one by one, which decide it (an
/// X-only page under MXR, say, is granted there).
#[derive(Clone, Copy, Debug)]
struct QuickLeaf {
    need: u64,
    forbid: u64,
}

impl QuickLeaf {
    #[inline(always)]
    fn of(req: &WalkRequest, reserved: u64) -> QuickLeaf {
        let (mut need, mut forbid) = match req.kind {
            AccessKind::Fetch => (PTE_V | PTE_A | PTE_X, reserved | PTE_W),
            AccessKind::Load => (PTE_V | PTE_A | PTE_R, reserved),
            AccessKind::Store => (PTE_V | PTE_A | PTE_D | PTE_R | PTE_W, reserved),
        };
        match req.privilege {
            Privilege::User => need |= PTE_U,
            Privilege::Supervisor | Privilege::Machine => {
                if req.kind == AccessKind::Fetch || !req.sum {
                    forbid |= PTE_U;
                }
            }
        }
        QuickLeaf { need, forbid }
    }

    #[inline(always)]
    fn takes(self, raw: u64) -> bool {
        raw & self.need == self.need && raw & self.forbid == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request of every access kind, privilege, SUM and MXR (36 in all; the VA, ASID and
    /// A/D setting do not bear on permissions).
    fn every_request() -> impl Iterator<Item = WalkRequest> {
        let privileges = [Privilege::User, Privilege::Supervisor, Privilege::Machine];
        AccessKind::ALL.into_iter().flat_map(move |kind| {
            privileges.into_iter().flat_map(move |privilege| {
                [(false, false), (false, true), (true, false), (true, true)]
                    .into_iter()
                    .map(move |(sum, mxr)| WalkRequest {
                        va: 0,
                        kind,
                        privilege,
                        asid: 0,
                        sum,
                        mxr,
                        hardware_ad: true,
                    })
            })
        })
    }

    /// The walker's quick grant agrees with [`check_permission`] on every R/W/X/U
    /// combination, access kind, privilege, SUM and MXR: it grants exactly what the full
    /// rules grant.
    #[test]
    fn the_quick_grant_agrees_with_the_permission_rules() {
        let mut granted = 0;
        for bits in 0..16u64 {
            let raw = PTE_V | bits << 1;
            for req in every_request() {
                let (kind, privilege, sum, mxr) = (req.kind, req.privilege, req.sum, req.mxr);
                let full = check_permission(Pte(raw).perms(), kind, privilege, sum, mxr);
                assert_eq!(grants(raw, &req), full.is_none(), "{raw:#x} {req:?}");
                granted += u32::from(full.is_none());
            }
        }
        assert_eq!(granted, 192);
    }

    /// Every PTE the quick leaf test takes is one steps 3 to 7 accept as a leaf that grants
    /// the access with no A/D update, over every V/R/W/X/U/G/A/D combination (and each with
    /// a reserved bit set), access kind, privilege, SUM and MXR; and it takes the 416
    /// combinations counted by hand from its masks (e.g. a user load needs V, A, R and U,
    /// leaving 2^4 of the 256 free), so it is no narrower than designed.
    #[test]
    fn the_quick_leaf_takes_only_what_the_steps_accept() {
        let format = &crate::format::Format::SV39;
        let mut taken = 0;
        for low in 0..256u64 {
            for raw in [low, low | 1 << 60] {
                let pte = Pte(raw);
                for req in every_request() {
                    if !QuickLeaf::of(&req, format.reserved_mask).takes(raw) {
                        continue;
                    }
                    taken += 1;
                    let (kind, privilege, sum, mxr) = (req.kind, req.privilege, req.sum, req.mxr);
                    let accepted = pte.valid()
                        && (pte.readable() || !pte.writable())
                        && raw & format.reserved_mask == 0
                        && pte.is_leaf()
                        && check_permission(pte.perms(), kind, privilege, sum, mxr).is_none()
                        && pte.accessed()
                        && (kind != AccessKind::Store || pte.dirty());
                    assert!(accepted, "{raw:#x} {req:?}");
                }
            }
        }
        assert_eq!(taken, 416);
    }
}
