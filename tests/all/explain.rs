//! `atlas explain` goldens for every MMU mode. The paged modes are driven through the MMU
//! library (page tables built here, accesses on a `SystemBus` with the explainer observing),
//! so their goldens do not depend on the OS's layout; bare, base-bounds and segmented run a
//! program through the CLI. `ATLAS_BLESS=1 cargo test --test all explain` rewrites the
//! goldens (review the diff).

use atlas_isa::{csr, Xlen};
use atlas_mmu::pte::{Pte, PTE_R, PTE_U, PTE_V, PTE_W, PTE_X};
use atlas_mmu::{
    AccessCtx, AccessKind, Bus, Format, FormatKind, MmuConfig, PhysMem, Privilege, Satp, SystemBus,
};
use atlas_prof::explain::{Explainer, Selection};
use std::path::Path;
use std::process::Command;

fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/explain")
        .join(format!("{name}.txt"));
    if std::env::var_os("ATLAS_BLESS").is_some() {
        std::fs::write(&path, actual).expect("golden written");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with ATLAS_BLESS=1)", path.display()));
    assert_eq!(actual, expected, "golden {name} differs");
}

/// Page tables for `format` in memory: tables from 0x10_0000, data frames from 0x20_0000.
struct Tables {
    format: &'static Format,
    root: u64,
    next_table: u64,
    next_frame: u64,
}

impl Tables {
    fn new(format: &'static Format) -> Tables {
        Tables {
            format,
            root: 0x10_0000,
            next_table: 0x10_1000,
            next_frame: 0x20_0000,
        }
    }

    /// Maps the 4 KiB page of `va` to the next data frame (user RWX, A and D clear).
    fn map(&mut self, mem: &mut PhysMem, va: u64) {
        let f = self.format;
        let size = u64::from(f.pte_size);
        let mut table = self.root;
        for level in (1..f.levels).rev() {
            let at = table + f.vpn(va, level) * size;
            let pte = Pte(mem.read(at, size).expect("in memory"));
            table = if pte.valid() {
                pte.ppn(f.ppn_bits) << 12
            } else {
                let next = self.next_table;
                self.next_table += 0x1000;
                mem.write(at, size, Pte::new(next >> 12, PTE_V).0)
                    .expect("in memory");
                next
            };
        }
        let leaf = Pte::new(self.next_frame >> 12, PTE_V | PTE_R | PTE_W | PTE_X | PTE_U);
        self.next_frame += 0x1000;
        mem.write(table + f.vpn(va, 0) * size, size, leaf.0)
            .expect("in memory");
    }
}

fn access(bus: &mut SystemBus, pc: u64, va: u64, kind: AccessKind) {
    let ctx = AccessCtx {
        va,
        kind,
        size: 4,
        privilege: Privilege::User,
        asid: bus.asid(),
        pc,
    };
    // Outcomes are in the explanation; a fault is one of the steps shown.
    let _ = match kind {
        AccessKind::Store => bus.store(ctx, 1),
        _ => bus.load(ctx).map(|_| ()),
    };
}

/// Five pages mapped; load page 0 twice, store to it (clean: walks again), load pages 1 to
/// 4 (page 4 evicts under the 4-entry teaching TLB), load an unmapped page (fault).
fn paged_script(kind: FormatKind, xlen: Xlen, config: MmuConfig, base: u64) -> String {
    let format = Format::of(kind, xlen);
    let mut bus =
        SystemBus::with_mmu(PhysMem::new(4 << 20).expect("4 MiB"), xlen, config).expect("valid");
    let mut tables = Tables::new(format);
    let pages: Vec<u64> = (0..5).map(|i| base + i * 0x1000).collect();
    for &va in &pages {
        tables.map(bus.phys_mut(), va);
    }
    match kind {
        FormatKind::Linear => {
            assert_eq!(bus.write_csr(csr::ATLINBASE, tables.root), Some(()));
            assert_eq!(bus.write_csr(csr::ATLINLEN, 0x100), Some(()));
            assert_eq!(bus.write_csr(csr::ATMODE, 3), Some(()));
        }
        _ => {
            let satp = Satp {
                mode: Some(kind),
                asid: 5,
                ppn: tables.root >> 12,
            };
            assert_eq!(bus.write_csr(csr::SATP, satp.encode(xlen)), Some(()));
        }
    }
    let selection = Selection {
        limit: 100,
        pc: None,
        va: None,
    };
    bus.set_observer(Some(Box::new(Explainer::new(
        selection,
        Box::new(|pc| format!("<test+{:#x}>", pc - 0x1000)),
    ))));
    access(&mut bus, 0x1000, pages[0], AccessKind::Load);
    access(&mut bus, 0x1004, pages[0] + 8, AccessKind::Load);
    access(&mut bus, 0x1008, pages[0] + 8, AccessKind::Store);
    for (i, &va) in pages.iter().enumerate().skip(1) {
        access(&mut bus, 0x100c + 4 * i as u64, va + 0x10, AccessKind::Load);
    }
    access(&mut bus, 0x1020, base + 0x20_000, AccessKind::Load);
    let explainer = bus
        .take_observer()
        .expect("installed")
        .into_any()
        .downcast::<Explainer>()
        .expect("an Explainer");
    assert_eq!(explainer.explained(), 8);
    explainer.text().to_string()
}

#[test]
fn explain_linear() {
    let text = paged_script(
        FormatKind::Linear,
        Xlen::X32,
        MmuConfig::teaching(),
        0x10000,
    );
    golden("linear", &text);
}

#[test]
fn explain_sv32() {
    let text = paged_script(
        FormatKind::Sv32,
        Xlen::X32,
        MmuConfig::teaching(),
        0x40_0000,
    );
    golden("sv32", &text);
}

#[test]
fn explain_sv39() {
    let text = paged_script(FormatKind::Sv39, Xlen::X64, MmuConfig::modern(), 0x40_0000);
    golden("sv39", &text);
}

#[test]
fn explain_sv48() {
    let text = paged_script(
        FormatKind::Sv48,
        Xlen::X64,
        MmuConfig::modern(),
        0x80_0000_0000,
    );
    golden("sv48", &text);
}

#[test]
fn explain_sv57() {
    let text = paged_script(
        FormatKind::Sv57,
        Xlen::X64,
        MmuConfig::modern(),
        0x1_0000_0000_0000,
    );
    golden("sv57", &text);
}

fn cli(mode: &str, extra: &[&str]) -> String {
    // A path relative to the repository root: the guest's argv[0] is the path, so an
    // absolute one would move the stack with the checkout's location.
    let out = Command::new(env!("CARGO_BIN_EXE_atlas"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["explain", "programs/recursion.s", "--mmu", mode])
        .args(extra)
        .output()
        .expect("atlas runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Drop the header line, which names the machine (checked by other tests).
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1)
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn explain_bare() {
    golden("bare", &cli("bare", &["--first", "3"]));
}

#[test]
fn explain_base_bounds() {
    golden("base-bounds", &cli("base-bounds", &["--first", "3"]));
}

#[test]
fn explain_segmented_stack_and_code() {
    // A store to the grows-down stack segment (negative offset), then code fetches.
    let mut text = cli("segmented", &["--va", "0xffffff7c", "--first", "1"]);
    text.push_str(&cli("segmented", &["--pc", "0x100c8", "--first", "2"]));
    golden("segmented", &text);
}

#[test]
fn explain_sv39_superpage_a_permission_fault_on_a_hit_and_a_flush() {
    use atlas_mmu::pte::{PTE_A, PTE_D};
    let mut bus = SystemBus::with_mmu(
        PhysMem::new(8 << 20).expect("8 MiB"),
        Xlen::X64,
        MmuConfig::teaching(),
    )
    .expect("valid");
    // Root 0x10_0000 -> level-1 table 0x10_1000 whose entry 1 is a read-only 2 MiB leaf
    // mapping VA 0x20_0000 to PA 0x40_0000.
    let mem = bus.phys_mut();
    mem.write(0x10_0000, 8, Pte::new(0x101, PTE_V).0)
        .expect("in memory");
    let leaf = Pte::new(0x400, PTE_V | PTE_R | PTE_U | PTE_A | PTE_D);
    mem.write(0x10_1000 + 8, 8, leaf.0).expect("in memory");
    let satp = Satp {
        mode: Some(FormatKind::Sv39),
        asid: 2,
        ppn: 0x100,
    };
    assert_eq!(bus.write_csr(csr::SATP, satp.encode(Xlen::X64)), Some(()));
    let selection = Selection {
        limit: 10,
        pc: None,
        va: None,
    };
    bus.set_observer(Some(Box::new(Explainer::new(
        selection,
        Box::new(|_| String::new()),
    ))));
    access(&mut bus, 0x2000, 0x21_2344, AccessKind::Load);
    access(&mut bus, 0x2004, 0x3f_fff0, AccessKind::Load);
    access(&mut bus, 0x2008, 0x21_0000, AccessKind::Store);
    // A flush of the address space empties the TLB: the next load walks again.
    bus.sfence_vma(None, Some(2));
    access(&mut bus, 0x200c, 0x21_2344, AccessKind::Load);
    let explainer = bus
        .take_observer()
        .expect("installed")
        .into_any()
        .downcast::<Explainer>()
        .expect("an Explainer");
    golden("sv39-superpage", explainer.text());
}

#[test]
fn explain_through_the_os_reads_one_pte_per_level_in_every_paged_mode() {
    for (program, mode, levels) in [
        ("hello.s", "sv39", 3),
        ("hello.s", "sv48", 4),
        ("hello.s", "sv57", 5),
        ("muldiv.rv32.s", "sv32", 2),
        ("muldiv.rv32.s", "linear", 1),
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("programs")
            .join(program);
        let out = Command::new(env!("CARGO_BIN_EXE_atlas"))
            .args(["explain", &path.to_string_lossy(), "--mmu", mode])
            .args(["--preset", "teaching", "--first", "5"])
            .output()
            .expect("atlas runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{text}");
        // The first explanation ending in a successful walk from the root (no PWC in the
        // teaching machine) shows one PTE per level and fills the ITLB.
        let walk = text
            .split("\n\n")
            .find(|e| e.contains("result: walk"))
            .unwrap_or_else(|| panic!("{mode}: no walk in\n{text}"));
        let ptes = walk.lines().filter(|l| l.starts_with("    level ")).count();
        assert_eq!(ptes, levels, "{mode}:\n{walk}");
        assert!(walk.contains(&format!("  {mode}: ")), "{mode}:\n{walk}");
        assert!(walk.contains("fill ITLB: set 0 way 0"), "{mode}:\n{walk}");
        assert!(
            walk.contains(&format!("result: walk: {levels} PTE reads")),
            "{mode}:\n{walk}"
        );
    }
}
