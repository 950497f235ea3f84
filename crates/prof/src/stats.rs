//! The run statistics: one [`RunStats`] value built from the core's and the MMU's counters,
//! rendered as the run report (aligned text on stderr) and as `--stats-json`.
//!
//! # JSON keys (`schema_version` [`SCHEMA_VERSION`])
//!
//! Every count is an integer; rates are derived from them and given for convenience. Only
//! the `host` object varies between identical runs.
//!
//! | key | meaning |
//! |---|---|
//! | `schema_version` | layout version of this document (bumped when a key is renamed, removed or changes meaning) |
//! | `program` | the guest program as given on the command line |
//! | `xlen` | 32 or 64 |
//! | `machine.name` | preset name (`teaching`, `modern`), `+custom` when options changed it |
//! | `machine.itlb`, `.dtlb`, `.stlb` | `{sets, ways, entries, policy}`, or `null` when absent |
//! | `machine.pwc` | four entries (levels 1 to 4), each a geometry or `null` |
//! | `instructions` | instructions retired |
//! | `cycles.total` | all modelled cycles = `cycles.translation` + `cycles.other` |
//! | `cycles.translation` | cycles charged by the translation hardware (sum of `translation.cycles.*`) |
//! | `cycles.other` | every other cycle (instruction base costs, branch penalties, OS costs) |
//! | `cpi` | `cycles.total / instructions` (0 when no instruction ran) |
//! | `translation_share` | `cycles.translation / cycles.total` (0 to 1) |
//! | `translation.cycles.l1_lookup` | cycles of L1 TLB lookups (every paged access pays one) |
//! | `translation.cycles.l2_lookup` | cycles of L2 lookups (after L1 misses) |
//! | `translation.cycles.pwc_lookup` | cycles of page-walk-cache lookups (one per walk) |
//! | `translation.cycles.pte_reads` | cycles of PTE reads by the walker |
//! | `translation.cycles.ad_writes` | cycles of A/D write-backs |
//! | `translation.cycles.base_bounds`, `.segment` | cycles of base-bounds and segment checks |
//! | `translation.cycles.flush` | cycles of `sfence.vma` |
//! | `translation.requests.{fetch,load,store}` | translations requested per access kind (a page-crossing access counts twice) |
//! | `translation.l1_lookups`, `.l2_lookups` | lookups in the L1 TLBs (every paged access), in the L2 (after L1 misses) |
//! | `translation.l1_hits`, `.l2_hits` | accesses resolved in an L1 TLB, in the L2 |
//! | `translation.walks.count` | page-table walks |
//! | `translation.walks.cycles` | cycles of walks: PWC lookups + PTE reads + A/D write-backs |
//! | `translation.walks.pte_reads` | PTEs read by all walks |
//! | `translation.walks.by_depth` | six counts: walks that read 0, 1, … 5 PTEs |
//! | `translation.walks.pte_reads_by_level` | five counts: PTEs read at level 0 (leaf level of 4 KiB pages), 1, … 4 |
//! | `translation.walks.pwc_lookups`, `.pwc_hits` | four counts each (levels 1 to 4) |
//! | `translation.ad_writes` | PTEs written back to set A or D |
//! | `translation.faults` | translations that faulted |
//! | `translation.flushes.{all,asid,va,va_asid}` | `sfence.vma` by operand kind |
//! | `tlbs.{itlb,dtlb,stlb}` | `null` when absent; else one object per access kind `fetch`, `load`, `store` and their `total` |
//! | `tlbs.*.*.accesses`, `.hits`, `.misses`, `.evictions` | lookups, hits, misses (hits + misses = accesses), valid entries replaced |
//! | `tlbs.*.*.hit_rate` | hits / accesses (0 when no access) |
//! | `tlbs.*.*.mpki` | misses per thousand instructions |
//! | `os.syscalls` | system calls served |
//! | `os.cycles` | cycles charged for OS work (syscalls, fault handling, page-table writes, copies); part of `cycles.other` |
//! | `os.faults`, `os.minor_faults` | translation faults the OS handled; of those, the ones it resolved (demand paging, stack growth) |
//! | `os.page_table_bytes`, `os.frames_in_use` | page-table memory and frames allocated, `null` when the OS does not report them |
//! | `host.seconds`, `host.mips` | host wall time of the run and guest instructions per host microsecond |

use crate::table::{decimal, per_thousand, percent, thousands, Align, Table};
use atlas_mmu::{FlushKind, Geometry, MmuConfig, MmuStats, TlbCounters};
use serde::Serialize;

/// The JSON layout version [`RunStats`] serializes as.
pub const SCHEMA_VERSION: u32 = 1;

/// What the caller knows about the run besides the MMU's counters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunFacts {
    /// The program as given.
    pub program: String,
    /// 32 or 64.
    pub xlen: u32,
    /// Instructions retired.
    pub instructions: u64,
    /// All modelled cycles.
    pub cycles_total: u64,
    /// Cycles charged by the translation hardware.
    pub cycles_translation: u64,
    /// System calls.
    pub syscalls: u64,
    /// Cycles charged for OS work (syscalls, fault handling, page-table writes, copies);
    /// part of the other (non-translation) cycles.
    pub os_cycles: u64,
    /// Translation faults the OS handled.
    pub os_faults: u64,
    /// Faults resolved by the OS (demand paging, stack growth).
    pub minor_faults: u64,
    /// Page-table memory in bytes, if the OS reports it.
    pub page_table_bytes: Option<u64>,
    /// Frames in use, if the OS reports it.
    pub frames_in_use: Option<u64>,
    /// Host wall time in seconds.
    pub host_seconds: f64,
}

/// A TLB or page-walk-cache shape, for the JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Shape {
    /// Sets.
    pub sets: u32,
    /// Ways per set.
    pub ways: u32,
    /// Sets × ways.
    pub entries: u64,
    /// Replacement policy name.
    pub policy: String,
}

fn shape(g: Option<Geometry>) -> Option<Shape> {
    g.map(|g| Shape {
        sets: g.sets,
        ways: g.ways,
        entries: g.entries(),
        policy: g.policy.name().to_string(),
    })
}

/// The machine configuration, for the JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Machine {
    /// Preset name.
    pub name: String,
    /// L1 instruction TLB.
    pub itlb: Option<Shape>,
    /// L1 data TLB.
    pub dtlb: Option<Shape>,
    /// L2 TLB.
    pub stlb: Option<Shape>,
    /// Page-walk caches, levels 1 to 4.
    pub pwc: Vec<Option<Shape>>,
}

/// Cycle totals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cycles {
    /// All cycles.
    pub total: u64,
    /// Translation cycles.
    pub translation: u64,
    /// Everything else.
    pub other: u64,
}

/// Translation cycles by component.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Components {
    /// L1 lookups.
    pub l1_lookup: u64,
    /// L2 lookups.
    pub l2_lookup: u64,
    /// PWC lookups.
    pub pwc_lookup: u64,
    /// PTE reads.
    pub pte_reads: u64,
    /// A/D write-backs.
    pub ad_writes: u64,
    /// Base-bounds checks.
    pub base_bounds: u64,
    /// Segment checks.
    pub segment: u64,
    /// Flushes.
    pub flush: u64,
}

/// Per-kind counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PerKind {
    /// Fetches.
    pub fetch: u64,
    /// Loads.
    pub load: u64,
    /// Stores.
    pub store: u64,
}

/// Walk figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Walks {
    /// Walks.
    pub count: u64,
    /// PWC lookups + PTE reads + A/D write-back cycles.
    pub cycles: u64,
    /// PTEs read.
    pub pte_reads: u64,
    /// Walks by number of PTEs read (0 to 5).
    pub by_depth: [u64; 6],
    /// PTEs read per level 0 to 4.
    pub pte_reads_by_level: [u64; 5],
    /// PWC lookups per level 1 to 4.
    pub pwc_lookups: Vec<u64>,
    /// PWC hits per level 1 to 4.
    pub pwc_hits: Vec<u64>,
}

/// Flush counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Flushes {
    /// Flush everything.
    pub all: u64,
    /// One ASID.
    pub asid: u64,
    /// One address.
    pub va: u64,
    /// One address in one ASID.
    pub va_asid: u64,
}

/// The translation section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Translation {
    /// Cycles by component.
    pub cycles: Components,
    /// Translations requested per kind.
    pub requests: PerKind,
    /// L1 lookups (both L1 TLBs).
    pub l1_lookups: u64,
    /// L2 lookups.
    pub l2_lookups: u64,
    /// L1 hits (both L1 TLBs).
    pub l1_hits: u64,
    /// L2 hits.
    pub l2_hits: u64,
    /// Walks.
    pub walks: Walks,
    /// A/D write-backs.
    pub ad_writes: u64,
    /// Faulting translations.
    pub faults: u64,
    /// Flushes.
    pub flushes: Flushes,
}

/// One TLB's counts for one access kind (or their total).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TlbLine {
    /// Lookups.
    pub accesses: u64,
    /// Hits.
    pub hits: u64,
    /// Misses.
    pub misses: u64,
    /// Valid entries replaced.
    pub evictions: u64,
    /// Hits / accesses.
    pub hit_rate: f64,
    /// Misses per thousand instructions.
    pub mpki: f64,
}

/// One TLB's counts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TlbStats {
    /// Fetches.
    pub fetch: TlbLine,
    /// Loads.
    pub load: TlbLine,
    /// Stores.
    pub store: TlbLine,
    /// All kinds.
    pub total: TlbLine,
}

/// Every TLB.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Tlbs {
    /// L1 instruction TLB.
    pub itlb: Option<TlbStats>,
    /// L1 data TLB.
    pub dtlb: Option<TlbStats>,
    /// L2 TLB.
    pub stlb: Option<TlbStats>,
}

/// OS figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Os {
    /// System calls.
    pub syscalls: u64,
    /// Cycles of OS work.
    pub cycles: u64,
    /// Faults the OS handled.
    pub faults: u64,
    /// Faults resolved (minor faults).
    pub minor_faults: u64,
    /// Page-table bytes.
    pub page_table_bytes: Option<u64>,
    /// Frames in use.
    pub frames_in_use: Option<u64>,
}

/// Host figures (not deterministic).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Host {
    /// Wall time.
    pub seconds: f64,
    /// Guest instructions per host microsecond.
    pub mips: f64,
}

/// Every statistic of a run, in JSON key order (see the module documentation).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunStats {
    /// The program.
    pub program: String,
    /// Register width.
    pub xlen: u32,
    /// The machine.
    pub machine: Machine,
    /// Instructions retired.
    pub instructions: u64,
    /// Cycle totals.
    pub cycles: Cycles,
    /// Cycles per instruction.
    pub cpi: f64,
    /// Translation cycles / all cycles.
    pub translation_share: f64,
    /// The translation hardware.
    pub translation: Translation,
    /// The TLBs.
    pub tlbs: Tlbs,
    /// The OS.
    pub os: Os,
    /// The host.
    pub host: Host,
}

fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

fn tlb_line(c: &TlbCounters, k: Option<usize>, instructions: u64) -> TlbLine {
    let pick = |f: &[u64; 3]| match k {
        Some(k) => f.get(k).copied().unwrap_or(0),
        None => TlbCounters::total(f),
    };
    let (accesses, hits, misses) = (pick(&c.accesses), pick(&c.hits), pick(&c.misses));
    TlbLine {
        accesses,
        hits,
        misses,
        evictions: pick(&c.evictions),
        hit_rate: ratio(hits, accesses),
        mpki: ratio(misses.saturating_mul(1000), instructions),
    }
}

fn tlb_stats(present: bool, c: &TlbCounters, instructions: u64) -> Option<TlbStats> {
    present.then(|| TlbStats {
        fetch: tlb_line(c, Some(0), instructions),
        load: tlb_line(c, Some(1), instructions),
        store: tlb_line(c, Some(2), instructions),
        total: tlb_line(c, None, instructions),
    })
}

impl RunStats {
    /// Builds the statistics of a run on a machine configured by `config`.
    pub fn new(facts: &RunFacts, config: &MmuConfig, mmu: &MmuStats) -> RunStats {
        let c = &mmu.cycles;
        let walks: u64 = mmu.walks.iter().flatten().sum();
        let mut by_depth = [0u64; 6];
        for row in &mmu.walks {
            for (total, n) in by_depth.iter_mut().zip(row) {
                *total += n;
            }
        }
        let insns = facts.instructions;
        RunStats {
            program: facts.program.clone(),
            xlen: facts.xlen,
            machine: Machine {
                name: config.name.clone(),
                itlb: shape(config.l1i),
                dtlb: shape(config.l1d),
                stlb: shape(config.l2),
                pwc: config.pwc.iter().map(|g| shape(*g)).collect(),
            },
            instructions: insns,
            cycles: Cycles {
                total: facts.cycles_total,
                translation: facts.cycles_translation,
                other: facts.cycles_total.saturating_sub(facts.cycles_translation),
            },
            cpi: ratio(facts.cycles_total, insns),
            translation_share: ratio(facts.cycles_translation, facts.cycles_total),
            translation: Translation {
                cycles: Components {
                    l1_lookup: c.l1,
                    l2_lookup: c.l2,
                    pwc_lookup: c.pwc,
                    pte_reads: c.pte_reads,
                    ad_writes: c.ad_writes,
                    base_bounds: c.base_bounds,
                    segment: c.segment,
                    flush: c.flush,
                },
                requests: PerKind {
                    fetch: mmu.translations[0],
                    load: mmu.translations[1],
                    store: mmu.translations[2],
                },
                l1_lookups: TlbCounters::total(&mmu.l1i.accesses)
                    + TlbCounters::total(&mmu.l1d.accesses),
                l2_lookups: TlbCounters::total(&mmu.l2.accesses),
                l1_hits: TlbCounters::total(&mmu.l1i.hits) + TlbCounters::total(&mmu.l1d.hits),
                l2_hits: TlbCounters::total(&mmu.l2.hits),
                walks: Walks {
                    count: walks,
                    cycles: c.pwc + c.pte_reads + c.ad_writes,
                    pte_reads: mmu.pte_reads,
                    by_depth,
                    pte_reads_by_level: mmu.pte_reads_by_level,
                    pwc_lookups: mmu.pwc_lookups.to_vec(),
                    pwc_hits: mmu.pwc_hits.to_vec(),
                },
                ad_writes: mmu.ad_writes,
                faults: mmu.faults.iter().sum(),
                flushes: Flushes {
                    all: mmu.flushes_of(FlushKind::All),
                    asid: mmu.flushes_of(FlushKind::Asid),
                    va: mmu.flushes_of(FlushKind::Va),
                    va_asid: mmu.flushes_of(FlushKind::VaAsid),
                },
            },
            tlbs: Tlbs {
                itlb: tlb_stats(config.l1i.is_some(), &mmu.l1i, insns),
                dtlb: tlb_stats(config.l1d.is_some(), &mmu.l1d, insns),
                stlb: tlb_stats(config.l2.is_some(), &mmu.l2, insns),
            },
            os: Os {
                syscalls: facts.syscalls,
                cycles: facts.os_cycles,
                faults: facts.os_faults,
                minor_faults: facts.minor_faults,
                page_table_bytes: facts.page_table_bytes,
                frames_in_use: facts.frames_in_use,
            },
            host: Host {
                seconds: facts.host_seconds,
                mips: if facts.host_seconds > 0.0 {
                    insns as f64 / facts.host_seconds / 1e6
                } else {
                    0.0
                },
            },
        }
    }

    /// The `--stats-json` document.
    pub fn to_json(&self) -> Result<String, crate::json::JsonError> {
        crate::json::to_json(SCHEMA_VERSION, self)
    }

    /// The run report people read: totals, translation cycles by component, one row per
    /// TLB and access kind, OS and host figures, in aligned columns.
    pub fn render(&self) -> String {
        let insns = self.instructions;
        let cy = &self.cycles;
        let t = &self.translation;
        let mut s = String::from("atlas: run report\n");
        let mut top =
            Table::new(&[("", Align::Left), ("", Align::Right), ("", Align::Left)]).indent(2);
        top.row(["machine", "", &self.machine.name]);
        top.row(["instructions", &thousands(insns), ""]);
        top.row(["cycles", &thousands(cy.total), ""]);
        top.row(["CPI", &decimal(cy.total, insns, 3), ""]);
        top.row([
            "translation cycles",
            &thousands(cy.translation),
            &format!("{} of all cycles", percent(cy.translation, cy.total)),
        ]);
        top.row(["other cycles", &thousands(cy.other), ""]);
        top.row([
            "OS cycles",
            &thousands(self.os.cycles),
            &format!(
                "{} syscalls, {} faults ({} minor)",
                thousands(self.os.syscalls),
                thousands(self.os.faults),
                thousands(self.os.minor_faults)
            ),
        ]);
        let opt = |v: Option<u64>| v.map_or("n/a".to_string(), thousands);
        top.row(["page-table bytes", &opt(self.os.page_table_bytes), ""]);
        top.row(["frames in use", &opt(self.os.frames_in_use), ""]);
        top.row([
            "host time",
            &format!("{:.3} s", self.host.seconds),
            &format!("{:.1} MIPS", self.host.mips),
        ]);
        s.push_str(&without_header(&top.render()));

        let walk_cycles = t.cycles.pwc_lookup + t.cycles.pte_reads;
        let mut comp = Table::new(&[
            ("translation", Align::Left),
            ("count", Align::Right),
            ("cycles", Align::Right),
            ("share", Align::Right),
        ])
        .indent(2);
        let translation_cycles = cy.translation;
        let mut line = |name: &str, count: String, cycles: u64| {
            comp.row([
                name.to_string(),
                count,
                thousands(cycles),
                percent(cycles, translation_cycles),
            ]);
        };
        line(
            "L1 TLB lookups",
            thousands(t.l1_lookups),
            t.cycles.l1_lookup,
        );
        line(
            "L2 TLB lookups",
            thousands(t.l2_lookups),
            t.cycles.l2_lookup,
        );
        line(
            "walks (PWC + PTE reads)",
            thousands(t.walks.count),
            walk_cycles,
        );
        line(
            "A/D write-backs",
            thousands(t.ad_writes),
            t.cycles.ad_writes,
        );
        line("base-bounds", String::new(), t.cycles.base_bounds);
        line("segments", String::new(), t.cycles.segment);
        let flushes = t.flushes.all + t.flushes.asid + t.flushes.va + t.flushes.va_asid;
        line("flushes", thousands(flushes), t.cycles.flush);
        line("faults", thousands(t.faults), 0);
        s.push('\n');
        s.push_str(&comp.render());
        let depths: Vec<String> = t
            .walks
            .by_depth
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(d, n)| format!("{} x{d}", thousands(*n)))
            .collect();
        if !depths.is_empty() {
            let by_level: Vec<String> = t
                .walks
                .pte_reads_by_level
                .iter()
                .enumerate()
                .rev()
                .filter(|(_, n)| **n > 0)
                .map(|(l, n)| format!("level {l} {}", thousands(*n)))
                .collect();
            s.push_str(&format!(
                "  walks by PTEs read: {}\n  PTE reads {}: {}\n  PWC hits: {}\n",
                depths.join(", "),
                thousands(t.walks.pte_reads),
                by_level.join(", "),
                t.walks
                    .pwc_hits
                    .iter()
                    .zip(&t.walks.pwc_lookups)
                    .enumerate()
                    .map(|(l, (h, n))| format!(
                        "level {} {}/{}",
                        l + 1,
                        thousands(*h),
                        thousands(*n)
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }

        let tlbs = self.render_tlbs();
        if !tlbs.is_empty() {
            s.push('\n');
            s.push_str(&tlbs);
        }
        s
    }

    /// The per-TLB, per-kind table of the report (empty when the machine has no TLB or
    /// nothing was looked up).
    pub fn render_tlbs(&self) -> String {
        let insns = self.instructions;
        let mut tlbs = Table::new(&[
            ("tlb", Align::Left),
            ("kind", Align::Left),
            ("accesses", Align::Right),
            ("hits", Align::Right),
            ("misses", Align::Right),
            ("hit rate", Align::Right),
            ("MPKI", Align::Right),
        ])
        .indent(2);
        for (name, stats) in [
            ("ITLB", &self.tlbs.itlb),
            ("DTLB", &self.tlbs.dtlb),
            ("STLB", &self.tlbs.stlb),
        ] {
            let Some(stats) = stats else { continue };
            for (kind, l) in [
                ("fetch", &stats.fetch),
                ("load", &stats.load),
                ("store", &stats.store),
                ("total", &stats.total),
            ] {
                if l.accesses == 0 && kind != "total" {
                    continue;
                }
                tlbs.row([
                    name,
                    kind,
                    &thousands(l.accesses),
                    &thousands(l.hits),
                    &thousands(l.misses),
                    &percent(l.hits, l.accesses),
                    &per_thousand(l.misses, insns),
                ]);
            }
        }
        if tlbs.rows() == 0 {
            return String::new();
        }
        tlbs.render()
    }
}

/// A table rendered without its (empty) header and rule lines.
fn without_header(rendered: &str) -> String {
    rendered
        .lines()
        .skip(2)
        .map(|l| format!("{}\n", l.trim_end()))
        .collect()
}

#[cfg(test)]
mod tests;
