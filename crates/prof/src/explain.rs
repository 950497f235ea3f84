//! `atlas explain`: selected translations told step by step, in the vocabulary of OSTEP's
//! homework simulators: for segments, which segment, the offset, the bound check and the
//! PA; for page tables, the VPN split into indices, each PTE's address and decoded contents,
//! the TLB sets and ways looked up, hit or miss, the victim of a fill, PWC use and the
//! cycles charged.
//!
//! [`Explainer`] is an access observer. Before a selected access it reads the TLBs (without
//! touching their state) and walks the page table read-only with the hardware's own walker
//! loop ([`walk_explained`]); after it, it reads the outcome and compares the TLB sets it
//! saw before with what they hold now to name the victim.

use atlas_mmu::pte::Pte;
use atlas_mmu::regs::{SEG_GROWS_DOWN, SEG_R, SEG_VALID, SEG_W, SEG_X};
use atlas_mmu::segment;
use atlas_mmu::tlb::{Slot, Tlb, TlbEntry};
use atlas_mmu::walker::{walk_explained, WalkObserver, WalkRequest};
use atlas_mmu::{
    AccessCtx, AccessKind, AccessObserver, Before, Format, Mode, Observation, Resolved, TlbLevel,
    Translator,
};
use std::any::Any;
use std::fmt::Write;

/// Which accesses to explain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Selection {
    /// At most this many.
    pub limit: usize,
    /// Only accesses by the instruction at this PC.
    pub pc: Option<u64>,
    /// Only accesses touching the 4 KiB page holding this VA.
    pub va: Option<u64>,
}

impl Selection {
    fn wants(&self, ctx: &AccessCtx) -> bool {
        self.pc.is_none_or(|pc| ctx.pc == pc) && self.va.is_none_or(|va| ctx.va >> 12 == va >> 12)
    }
}

/// The observer that writes explanations; `describe_pc` names an instruction (symbol,
/// source line, disassembly) for the header of each one.
pub struct Explainer {
    selection: Selection,
    describe_pc: Box<dyn Fn(u64) -> String>,
    explained: usize,
    text: String,
    pending: Option<Pending>,
}

impl std::fmt::Debug for Explainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Explainer")
            .field("selection", &self.selection)
            .field("explained", &self.explained)
            .finish()
    }
}

/// What was seen before the access: the text so far and the TLB contents.
struct Pending {
    text: String,
    l1: Option<(TlbLevel, Vec<(Slot, TlbEntry)>)>,
    l2: Option<Vec<(Slot, TlbEntry)>>,
    /// The read-only walk's steps, by level, and its result line: shown after the access
    /// if the hardware walked, with the levels a PWC hit skipped marked.
    walk: Vec<(u32, String)>,
    walk_result: String,
}

fn kind_name(kind: AccessKind) -> &'static str {
    match kind {
        AccessKind::Fetch => "fetch",
        AccessKind::Load => "load",
        AccessKind::Store => "store",
    }
}

fn tlb_name(level: TlbLevel) -> &'static str {
    match level {
        TlbLevel::L1I => "ITLB",
        TlbLevel::L1D => "DTLB",
        TlbLevel::L2 => "STLB",
    }
}

/// `V R W X U G A D` with `-` for clear bits.
pub fn pte_flags(raw: u64) -> String {
    let names = ['V', 'R', 'W', 'X', 'U', 'G', 'A', 'D'];
    names
        .iter()
        .enumerate()
        .map(|(bit, name)| if raw >> bit & 1 != 0 { *name } else { '-' })
        .map(String::from)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Collects the walker's steps as lines of text.
struct StepWriter<'a> {
    format: &'a Format,
    lines: Vec<(u32, String)>,
}

impl WalkObserver for StepWriter<'_> {
    fn pte(&mut self, level: u32, table: u64, index: u64, pte_addr: u64, raw: u64) {
        let pte = Pte(raw);
        let ppn = pte.ppn(self.format.ppn_bits);
        let what = if !pte.valid() {
            "not valid".to_string()
        } else if pte.is_leaf() {
            format!(
                "leaf: {} page at {:#x}",
                page_size_name(self.format.page_shift(level)),
                ppn << 12
            )
        } else {
            format!("pointer to the table at {:#x}", ppn << 12)
        };
        self.lines.push((level, format!(
            "    level {level}: PTE at {table:#x} + {index:#x}*{} = {pte_addr:#x}: {raw:#0width$x}  {}  PPN {ppn:#x}  -> {what}",
            self.format.pte_size,
            pte_flags(raw),
            width = self.format.pte_size as usize * 2 + 2
        )));
    }

    fn ad_write(&mut self, pte_addr: u64, new: u64) {
        self.lines.push((
            0,
            format!(
                "    A/D: the leaf is written back to {pte_addr:#x} as {new:#0width$x}  {}",
                pte_flags(new),
                width = self.format.pte_size as usize * 2 + 2
            ),
        ));
    }
}

/// Segment flags as `V R W X` and `grows-down`, `-` for clear bits.
fn segment_flags(flags: u64) -> String {
    let bit = |mask: u64, name: &'static str| if flags & mask != 0 { name } else { "-" };
    let mut s = [
        bit(SEG_VALID, "V"),
        bit(SEG_R, "R"),
        bit(SEG_W, "W"),
        bit(SEG_X, "X"),
    ]
    .join(" ");
    if flags & SEG_GROWS_DOWN != 0 {
        s.push_str(" grows-down");
    }
    s
}

/// The bound check and the PA, OSTEP's way (a grows-down segment takes the negative
/// offset).
fn segment_check(va: u64, count: u32, offset: u64, base: u64, bound: u64, flags: u64) -> String {
    if flags & SEG_VALID == 0 {
        return "  the segment is not valid: fault\n".to_string();
    }
    if va >> segment::SEGMENT_VA_BITS != 0 {
        return "  the VA is beyond the 32-bit segmented space: fault\n".to_string();
    }
    if flags & SEG_GROWS_DOWN != 0 {
        let span = 1u64 << (segment::SEGMENT_VA_BITS - count.max(2).trailing_zeros());
        let negative = span - offset;
        if negative > bound {
            return format!(
                "  grows down: negative offset {offset:#x} - {span:#x} = -{negative:#x}; size {negative:#x} > bound {bound:#x}: fault\n"
            );
        }
        return format!(
            "  grows down: negative offset {offset:#x} - {span:#x} = -{negative:#x}; size {negative:#x} <= bound {bound:#x}: PA = base {base:#x} - {negative:#x} = {:#x}\n",
            base.wrapping_sub(negative)
        );
    }
    if offset >= bound {
        return format!("  offset {offset:#x} >= bound {bound:#x}: fault\n");
    }
    format!(
        "  offset {offset:#x} < bound {bound:#x}: PA = base {base:#x} + offset = {:#x}\n",
        base.wrapping_add(offset)
    )
}

fn page_size_name(shift: u32) -> String {
    match shift {
        0..=19 => format!("{} KiB", 1u64 << shift.saturating_sub(10)),
        20..=29 => format!("{} MiB", 1u64 << (shift - 20)),
        30..=39 => format!("{} GiB", 1u64 << (shift - 30)),
        _ => format!("{} GiB", 1u64 << (shift.min(63) - 30)),
    }
}

fn entry_text(e: &TlbEntry) -> String {
    format!(
        "VPN {:#x} ({}, ASID {}{}) -> PA {:#x}",
        e.vtag << e.page_shift >> 12,
        page_size_name(u32::from(e.page_shift)),
        e.asid,
        if e.global { ", global" } else { "" },
        e.page_base
    )
}

/// One TLB lookup as the hardware will do it, without changing the TLB; true on a hit.
fn lookup_text(name: &str, tlb: &Tlb, ctx: &AccessCtx, out: &mut String) -> bool {
    let set = tlb.set_of(ctx.va, 12);
    let _ = write!(
        out,
        "  {name}: {} x {}; 4 KiB pages index set {set}",
        plural(tlb.sets(), "set"),
        plural(tlb.ways(), "way")
    );
    match tlb.find(ctx.va, ctx.asid) {
        Some((slot, e)) if ctx.kind == AccessKind::Store && !e.dirty => {
            let _ = writeln!(
                out,
                ": set {} way {} holds the page clean (D=0), so a store misses and walks to set D",
                slot.set, slot.way
            );
            false
        }
        Some((slot, e)) => {
            let _ = writeln!(
                out,
                ": hit in set {} way {}: {}",
                slot.set,
                slot.way,
                entry_text(&e)
            );
            true
        }
        None => {
            let _ = writeln!(out, ": miss");
            false
        }
    }
}

/// `1 set`, `16 sets`.
fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn snapshot(tlb: &Tlb) -> Vec<(Slot, TlbEntry)> {
    tlb.entries().map(|(slot, e)| (slot, *e)).collect()
}

/// How a fill of `tlb` (now holding the entry for `ctx`) changed it against `before`.
fn fill_text(name: &str, tlb: &Tlb, before: &[(Slot, TlbEntry)], ctx: &AccessCtx) -> String {
    let Some((slot, _)) = tlb.find(ctx.va, ctx.asid) else {
        return String::new();
    };
    let previous = before.iter().find(|(s, _)| *s == slot).map(|(_, e)| e);
    let was = match previous {
        None => "an empty way".to_string(),
        Some(e) if e.matches(ctx.va, ctx.asid) => "the stale entry of the same page".to_string(),
        Some(e) => format!("victim {}", entry_text(e)),
    };
    format!(
        "  fill {name}: set {} way {} (replacing {was})\n",
        slot.set, slot.way
    )
}

impl Explainer {
    /// An explainer for `selection`.
    pub fn new(selection: Selection, describe_pc: Box<dyn Fn(u64) -> String>) -> Explainer {
        Explainer {
            selection,
            describe_pc,
            explained: 0,
            text: String::new(),
            pending: None,
        }
    }

    /// The explanations written so far.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// How many accesses were explained.
    pub fn explained(&self) -> usize {
        self.explained
    }

    fn explain_before(&self, b: &Before<'_>) -> Pending {
        let ctx = b.ctx;
        let mut s = format!(
            "#{} {} of {} bytes at VA {:#x} by pc {:#x}{} ({:?} mode, ASID {})\n",
            self.explained + 1,
            kind_name(ctx.kind),
            ctx.size,
            ctx.va,
            ctx.pc,
            match (self.describe_pc)(ctx.pc) {
                d if d.is_empty() => d,
                d => format!(" {d}"),
            },
            ctx.privilege,
            ctx.asid
        );
        let mut pending = Pending {
            text: String::new(),
            l1: None,
            l2: None,
            walk: Vec::new(),
            walk_result: String::new(),
        };
        match b.regs.mode(ctx.privilege) {
            Mode::Bare => s.push_str("  bare: no translation, PA = VA\n"),
            Mode::BaseBounds { base, bound } => {
                let ok = if ctx.va < bound { "<" } else { ">=" };
                let _ = writeln!(
                    s,
                    "  base-bounds: VA {:#x} {ok} bound {bound:#x}{}",
                    ctx.va,
                    if ctx.va < bound {
                        format!(
                            ": PA = base {base:#x} + VA = {:#x}",
                            base.wrapping_add(ctx.va)
                        )
                    } else {
                        ": out of bounds, fault".to_string()
                    }
                );
            }
            Mode::Segmented { count } => {
                let (seg, offset) = segment::select(ctx.va, count);
                let i = usize::from(seg);
                let base = b.regs.atsegbase.get(i).copied().unwrap_or(0);
                let bound = b.regs.atsegbound.get(i).copied().unwrap_or(0);
                let flags = b.regs.atsegflags.get(i).copied().unwrap_or(0);
                let _ = writeln!(
                    s,
                    "  segmented ({count} segments): the top {} bits of VA {:#x} select segment {seg}; offset {offset:#x}",
                    count.max(2).trailing_zeros(),
                    ctx.va
                );
                let _ = writeln!(
                    s,
                    "  segment {seg}: base {base:#x}, bound {bound:#x}, flags {}",
                    segment_flags(flags)
                );
                s.push_str(&segment_check(ctx.va, count, offset, base, bound, flags));
            }
            Mode::Paged {
                format,
                root,
                linear_len,
            } => {
                let indices: Vec<String> = (0..format.levels)
                    .rev()
                    .map(|l| format!("VPN[{l}]={:#x}", format.vpn(ctx.va, l)))
                    .collect();
                let _ = writeln!(
                    s,
                    "  {}: {} offset={:#x}; root table at {root:#x}",
                    format.kind.name(),
                    indices.join(" "),
                    ctx.va & 0xfff
                );
                if let Some(t) = b.translator {
                    self.explain_paged(t, b, format, root, linear_len, &mut s, &mut pending);
                }
            }
        }
        pending.text = s;
        pending
    }

    #[allow(clippy::too_many_arguments)]
    fn explain_paged(
        &self,
        t: &Translator,
        b: &Before<'_>,
        format: &'static Format,
        root: u64,
        linear_len: Option<u64>,
        s: &mut String,
        pending: &mut Pending,
    ) {
        let ctx = b.ctx;
        let l1_level = if ctx.kind == AccessKind::Fetch {
            TlbLevel::L1I
        } else {
            TlbLevel::L1D
        };
        if let Some(tlb) = t.tlb(l1_level) {
            let hit = lookup_text(tlb_name(l1_level), tlb, ctx, s);
            pending.l1 = Some((l1_level, snapshot(tlb)));
            if hit {
                return;
            }
        }
        if let Some(tlb) = t.tlb(TlbLevel::L2) {
            let hit = lookup_text("STLB", tlb, ctx, s);
            pending.l2 = Some(snapshot(tlb));
            if hit {
                return;
            }
        }
        let request = WalkRequest::of(ctx, b.regs, t.config().hardware_ad);
        let mut steps = StepWriter {
            format,
            lines: Vec::new(),
        };
        let outcome = walk_explained(b.mem, format, root, linear_len, &request, &mut steps);
        pending.walk = steps.lines;
        pending.walk_result = match outcome.result {
            Ok(leaf) => format!("    -> PA {:#x}\n", leaf.pa),
            Err(reason) => format!("    -> {reason}\n"),
        };
    }

    /// The walk's lines, the levels above a PWC hit marked as skipped.
    fn walk_text(pending: &Pending, pwc_hit_level: Option<u32>, has_pwc: bool) -> String {
        if pending.walk.is_empty() {
            return String::new();
        }
        let mut s = String::from("  page-table walk:\n");
        match pwc_hit_level {
            Some(hit) => {
                let _ = writeln!(
                    s,
                    "    PWC: hit on the level-{hit} pointer: the walk starts at level {}",
                    hit.saturating_sub(1)
                );
            }
            None if has_pwc => s.push_str("    PWC: miss: the walk starts at the root\n"),
            None => {}
        }
        for (level, line) in &pending.walk {
            s.push_str(line);
            if pwc_hit_level.is_some_and(|hit| *level >= hit) {
                s.push_str("  [not read: PWC hit]");
            }
            s.push('\n');
        }
        s.push_str(&pending.walk_result);
        s
    }

    fn explain_after(&mut self, o: &Observation<'_>, pending: Pending) {
        let mut s = pending.text.clone();
        let ctx = o.ctx;
        let has_pwc = o.translator.is_some_and(|t| t.pwc().any());
        match o.outcome {
            Ok(tr) => {
                if let Resolved::Walk { pwc_hit_level, .. } = tr.resolved {
                    s.push_str(&Self::walk_text(&pending, pwc_hit_level, has_pwc));
                }
            }
            Err(_) => s.push_str(&Self::walk_text(&pending, None, false)),
        }
        match o.outcome {
            Ok(tr) => {
                let how = match tr.resolved {
                    Resolved::Bare => "no translation".to_string(),
                    Resolved::BaseBounds => "base-bounds".to_string(),
                    Resolved::Segment { segment } => format!("segment {segment}"),
                    Resolved::L1 => "L1 TLB hit".to_string(),
                    Resolved::L2 => "STLB hit (L1 filled)".to_string(),
                    Resolved::Walk {
                        pte_reads,
                        pwc_hit_level,
                        ad_written,
                        ..
                    } => format!(
                        "walk: {pte_reads} PTE reads{}{}",
                        pwc_hit_level.map_or_else(String::new, |l| format!(
                            " (PWC hit on the level-{l} pointer)"
                        )),
                        if ad_written { ", A/D written back" } else { "" }
                    ),
                };
                if let Some(t) = o.translator {
                    let filled_l1 = matches!(tr.resolved, Resolved::L2 | Resolved::Walk { .. });
                    if let (true, Some((level, before))) = (filled_l1, &pending.l1) {
                        if let Some(tlb) = t.tlb(*level) {
                            s.push_str(&fill_text(tlb_name(*level), tlb, before, ctx));
                        }
                    }
                    if let (Resolved::Walk { .. }, Some(before)) = (tr.resolved, &pending.l2) {
                        if let Some(tlb) = t.tlb(TlbLevel::L2) {
                            s.push_str(&fill_text("STLB", tlb, before, ctx));
                        }
                    }
                }
                let _ = writeln!(
                    s,
                    "  result: {how}; PA {:#x}; {} cycles{}",
                    tr.pa,
                    tr.cycles,
                    cycle_breakdown(o, tr.resolved)
                );
            }
            Err(fault) => {
                let _ = writeln!(
                    s,
                    "  result: fault: {}; {} cycles",
                    fault.reason, fault.cycles
                );
            }
        }
        s.push('\n');
        self.text.push_str(&s);
        self.explained += 1;
    }
}

/// How the cycles of a paged translation add up, from the machine's latencies.
fn cycle_breakdown(o: &Observation<'_>, resolved: Resolved) -> String {
    let Some(t) = o.translator else {
        return String::new();
    };
    let c = t.config();
    let l = c.latencies;
    let has_l1 = match o.ctx.kind {
        AccessKind::Fetch => c.l1i.is_some(),
        _ => c.l1d.is_some(),
    };
    let mut parts = Vec::new();
    let lookups = |parts: &mut Vec<String>, l2: bool| {
        if has_l1 {
            parts.push(format!("L1 lookup {}", l.l1_lookup));
        }
        if l2 && c.l2.is_some() {
            parts.push(format!("STLB lookup {}", l.l2_lookup));
        }
    };
    match resolved {
        Resolved::L1 => lookups(&mut parts, false),
        Resolved::L2 => lookups(&mut parts, true),
        Resolved::Walk {
            pte_reads,
            ad_written,
            ..
        } => {
            lookups(&mut parts, true);
            if t.pwc().any() {
                parts.push(format!("PWC lookup {}", l.pwc_lookup));
            }
            parts.push(format!("{pte_reads} PTE reads x {}", l.pte_read));
            if ad_written {
                parts.push(format!("A/D write {}", l.ad_write));
            }
        }
        Resolved::Bare | Resolved::BaseBounds | Resolved::Segment { .. } => {}
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(" + "))
    }
}

impl AccessObserver for Explainer {
    fn before(&mut self, b: &Before<'_>) {
        if self.explained < self.selection.limit && self.selection.wants(b.ctx) {
            self.pending = Some(self.explain_before(b));
        }
    }

    fn access(&mut self, o: &Observation<'_>) {
        if let Some(pending) = self.pending.take() {
            self.explain_after(o, pending);
        }
    }

    fn flush(&mut self, va: Option<u64>, asid: Option<u16>, cycles: u64) {
        // Between explained accesses of an unfiltered selection, say what was dropped.
        let unfiltered = self.selection.pc.is_none() && self.selection.va.is_none();
        if unfiltered && self.explained > 0 && self.explained < self.selection.limit {
            let what = match (va, asid) {
                (None, None) => "every TLB and PWC entry".to_string(),
                (None, Some(a)) => format!("the non-global entries of ASID {a}"),
                (Some(v), None) => format!("the entries for VA {v:#x} in every ASID"),
                (Some(v), Some(a)) => format!("the non-global entries for VA {v:#x} in ASID {a}"),
            };
            let _ = writeln!(self.text, "sfence.vma: drops {what}; {cycles} cycles\n");
        }
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}
