//! Translation costs on the host: a fast-path hit, an L1 TLB hit with the fast path off, an
//! L2 hit, a full walk per page-table format and a walk shortened by a page-walk-cache hit,
//! each through [`SystemBus::load`] as the interpreter calls it.

use atlas_isa::{csr, Xlen};
use atlas_mmu::format::PAGE_SHIFT;
use atlas_mmu::pte::{Pte, PTE_A, PTE_D, PTE_R, PTE_U, PTE_V, PTE_W};
use atlas_mmu::{
    AccessCtx, AccessKind, Bus, Format, FormatKind, MmuConfig, PhysMem, Privilege, Satp, SystemBus,
};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use std::time::Duration;

/// Bytes of guest physical memory in each bench machine.
const MEMORY: u64 = 64 << 20;
/// First virtual address of the mapped pages.
const VA_BASE: u64 = 0x100_0000;
/// Where the mapped frames start (page tables are allocated from 0x1000 below it).
const FRAMES: u64 = 0x200_0000;

/// A machine whose `format` page table maps `pages` 4 KiB pages from [`VA_BASE`], read,
/// write, user, A and D set (so no access writes a PTE).
fn machine(format: &'static Format, xlen: Xlen, config: MmuConfig, pages: u64) -> SystemBus {
    let mut mem = PhysMem::new(MEMORY).expect("bench memory");
    let mut next_table = 0x1000u64;
    let root = next_table;
    next_table += 0x1000;
    for page in 0..pages {
        let va = VA_BASE + (page << PAGE_SHIFT);
        let mut table = root;
        for level in (0..format.levels).rev() {
            let slot = table + format.vpn(va, level) * u64::from(format.pte_size);
            let size = u64::from(format.pte_size);
            if level == 0 {
                let frame = (FRAMES >> PAGE_SHIFT) + page;
                let leaf = Pte::new(frame, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D);
                mem.write(slot, size, leaf.0).expect("leaf in memory");
                break;
            }
            let raw = mem.read(slot, size).expect("slot in memory");
            table = if raw == 0 {
                let next = next_table;
                next_table += 0x1000;
                mem.write(slot, size, Pte::new(next >> PAGE_SHIFT, PTE_V).0)
                    .expect("pointer in memory");
                next
            } else {
                Pte(raw).ppn(format.ppn_bits) << PAGE_SHIFT
            };
        }
    }
    let mut bus = SystemBus::with_mmu(mem, xlen, config).expect("valid machine");
    let satp = Satp {
        mode: Some(format.kind),
        asid: 1,
        ppn: root >> PAGE_SHIFT,
    }
    .encode(xlen);
    bus.write_csr(csr::SATP, satp)
        .expect("satp is an MMU register");
    bus
}

fn load(va: u64) -> AccessCtx {
    AccessCtx {
        va,
        kind: AccessKind::Load,
        size: 8,
        privilege: Privilege::User,
        asid: 1,
        pc: 0x1000,
    }
}

/// Loads the pages `0..pages` round-robin, `ACCESSES` per iteration.
const ACCESSES: u64 = 1024;

/// The addresses of one iteration: pages `0..pages` round-robin.
fn addresses(pages: u64) -> Vec<u64> {
    (0..ACCESSES)
        .map(|i| VA_BASE + ((i % pages) << PAGE_SHIFT))
        .collect()
}

fn sweep(bus: &mut SystemBus, addresses: &[u64]) {
    for &va in addresses {
        let _ = black_box(bus.load(load(va)));
    }
}

fn no_pwc(mut config: MmuConfig) -> MmuConfig {
    config.pwc = [None; 4];
    config
}

fn bench_translation(c: &mut Criterion) {
    let mut group = c.benchmark_group("translation");
    group.throughput(Throughput::Elements(ACCESSES));
    group.sample_size(20);
    group.warm_up_time(Duration::from_millis(300));
    group.measurement_time(Duration::from_secs(1));

    let (one, l2_pages, many) = (addresses(1), addresses(512), addresses(4096));
    let sv39 = Format::of(FormatKind::Sv39, Xlen::X64);
    let mut bus = machine(sv39, Xlen::X64, MmuConfig::modern(), 1);
    group.bench_function("fast-path hit", |b| b.iter(|| sweep(&mut bus, &one)));

    let mut bus = machine(sv39, Xlen::X64, MmuConfig::modern(), 1);
    bus.set_fast_path(false);
    group.bench_function("L1 hit, fast path off", |b| {
        b.iter(|| sweep(&mut bus, &one))
    });

    // 512 pages: beyond the 64-entry L1, within the 1536-entry L2.
    let mut bus = machine(sv39, Xlen::X64, MmuConfig::modern(), 512);
    group.bench_function("L2 hit", |b| b.iter(|| sweep(&mut bus, &l2_pages)));

    // 4096 pages with no L2 and no PWC: every access walks every level.
    for (kind, xlen) in [
        (FormatKind::Sv32, Xlen::X32),
        (FormatKind::Sv39, Xlen::X64),
        (FormatKind::Sv48, Xlen::X64),
        (FormatKind::Sv57, Xlen::X64),
    ] {
        let mut config = no_pwc(MmuConfig::modern());
        config.l2 = None;
        let mut bus = machine(Format::of(kind, xlen), xlen, config, 4096);
        group.bench_function(format!("full walk {}", kind.name()), |b| {
            b.iter(|| sweep(&mut bus, &many))
        });
    }

    // The same sweep with the modern PWCs: the upper levels hit, one PTE read remains.
    let mut config = MmuConfig::modern();
    config.l2 = None;
    let mut bus = machine(sv39, Xlen::X64, config, 4096);
    group.bench_function("PWC hit sv39", |b| b.iter(|| sweep(&mut bus, &many)));
    group.finish();
}

criterion_group!(benches, bench_translation);
criterion_main!(benches);
