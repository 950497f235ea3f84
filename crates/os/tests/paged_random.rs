//! The paged address space against a naive model on random sequences of `mmap`
//! (`MAP_FIXED`), `munmap`, `mprotect`, loads and stores: every access gives the model's
//! value or fault, the frames held always equal the resident pages plus the page tables,
//! and once everything is unmapped only the root table is left.

use atlas_asm::{Image, LineTable};
use atlas_isa::Xlen;
use atlas_mmu::{AccessCtx, AccessKind, Bus, MmuConfig, PhysMem, Privilege, SystemBus};
use atlas_os::mm::{self, AddressSpace, FaultOutcome, MmEnv, MmParams, MmapArgs};
use atlas_os::{Fit, MmuMode, OsCosts};
use proptest::prelude::*;
use std::collections::BTreeMap;

const PAGE: u64 = 4096;
/// Base of the region the random operations work in (Sv39 root entry 128, away from the
/// stack's), 64 pages wide and straddling a 2 MiB boundary so level-0 tables come and go.
const BASE: u64 = 0x20_0000_0000 + 0x20_0000 - 32 * PAGE;

#[derive(Clone, Debug)]
enum Op {
    Map { page: u64, pages: u64, prot: u64 },
    Unmap { page: u64, pages: u64 },
    Protect { page: u64, pages: u64, prot: u64 },
    Store { page: u64, value: u32 },
    Load { page: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    let prot = prop_oneof![Just(0u64), Just(1), Just(3)];
    prop_oneof![
        (0..64u64, 1..8u64, prot.clone()).prop_map(|(page, pages, prot)| Op::Map {
            page,
            pages,
            prot
        }),
        (0..64u64, 1..8u64).prop_map(|(page, pages)| Op::Unmap { page, pages }),
        (0..64u64, 1..4u64, prot).prop_map(|(page, pages, prot)| Op::Protect { page, pages, prot }),
        (0..64u64, any::<u32>()).prop_map(|(page, value)| Op::Store { page, value }),
        (0..64u64).prop_map(|page| Op::Load { page }),
    ]
}

struct Machine {
    bus: SystemBus,
    space: Box<dyn AddressSpace>,
    costs: OsCosts,
}

impl Machine {
    fn new() -> Machine {
        let phys = PhysMem::new(4 << 20).expect("4 MiB");
        let mut bus = SystemBus::with_mmu(phys, Xlen::X64, MmuConfig::modern()).expect("mmu");
        let costs = OsCosts::default();
        let image = Image {
            xlen: Xlen::X64,
            entry: 0x1_0000,
            segments: Vec::new(),
            symbols: Vec::new(),
            lines: LineTable::default(),
        };
        let params = MmParams {
            xlen: Xlen::X64,
            stack_size: 8 << 20,
            fit: Fit::First,
        };
        let mut env = MmEnv {
            bus: &mut bus,
            costs: &costs,
            xlen: Xlen::X64,
            cycles: 0,
        };
        let space = mm::create(MmuMode::Sv39, &mut env, &image, &params).expect("space");
        Machine { bus, space, costs }
    }

    fn with<R>(&mut self, f: impl FnOnce(&mut dyn AddressSpace, &mut MmEnv<'_>) -> R) -> R {
        let mut env = MmEnv {
            bus: &mut self.bus,
            costs: &self.costs,
            xlen: Xlen::X64,
            cycles: 0,
        };
        f(self.space.as_mut(), &mut env)
    }

    /// A user access, with faults served as the process serves them.
    fn access(&mut self, va: u64, store: Option<u32>) -> Result<u64, FaultOutcome> {
        let ctx = AccessCtx {
            va,
            kind: if store.is_some() {
                AccessKind::Store
            } else {
                AccessKind::Load
            },
            size: 4,
            privilege: Privilege::User,
            asid: self.bus.asid(),
            pc: 0,
        };
        for _ in 0..3 {
            let result = match store {
                Some(v) => self.bus.store(ctx, u64::from(v)).map(|()| 0),
                None => self.bus.load(ctx),
            };
            match result {
                Ok(v) => return Ok(v),
                Err(fault) => match self.with(|s, env| s.fault(env, &fault)) {
                    FaultOutcome::Resolved => {}
                    other => return Err(other),
                },
            }
        }
        Err(FaultOutcome::Fatal("the fault repeated".to_string()))
    }

    fn extra(&self, key: &str) -> u64 {
        let stats = self.space.stats();
        stats
            .extra
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(0, |(_, v)| *v)
    }
}

fn va(page: u64) -> u64 {
    BASE + page * PAGE
}

proptest! {
    #[test]
    fn the_paged_space_agrees_with_a_naive_model(ops in proptest::collection::vec(op(), 1..120)) {
        let mut m = Machine::new();
        // Model: page → (prot, value at offset 0).
        let mut model: BTreeMap<u64, (u64, u32)> = BTreeMap::new();
        for op in ops {
            match op {
                Op::Map { page, pages, prot } => {
                    let args = MmapArgs {
                        addr: va(page),
                        len: pages * PAGE,
                        prot,
                        flags: 0x32,
                        fd: u64::MAX,
                        offset: 0,
                    };
                    prop_assert_eq!(m.with(|s, env| s.mmap(env, &args)), va(page));
                    for p in page..page + pages {
                        model.insert(p, (prot, 0));
                    }
                }
                Op::Unmap { page, pages } => {
                    prop_assert_eq!(m.with(|s, env| s.munmap(env, va(page), pages * PAGE)), 0);
                    for p in page..page + pages {
                        model.remove(&p);
                    }
                }
                Op::Protect { page, pages, prot } => {
                    let covered = (page..page + pages).all(|p| model.contains_key(&p));
                    let r = m.with(|s, env| s.mprotect(env, va(page), pages * PAGE, prot));
                    if covered {
                        prop_assert_eq!(r, 0);
                        for p in page..page + pages {
                            if let Some(e) = model.get_mut(&p) {
                                e.0 = prot;
                            }
                        }
                    } else {
                        prop_assert_eq!(r, 12u64.wrapping_neg());
                    }
                }
                Op::Store { page, value } => {
                    let r = m.access(va(page), Some(value));
                    match model.get_mut(&page) {
                        Some(e) if e.0 & 2 != 0 => {
                            prop_assert_eq!(r, Ok(0));
                            e.1 = value;
                        }
                        _ => prop_assert!(matches!(r, Err(FaultOutcome::Fatal(_)))),
                    }
                }
                Op::Load { page } => {
                    let r = m.access(va(page), None);
                    match model.get(&page) {
                        Some(&(prot, value)) if prot != 0 => {
                            prop_assert_eq!(r, Ok(u64::from(value)));
                        }
                        _ => prop_assert!(matches!(r, Err(FaultOutcome::Fatal(_)))),
                    }
                }
            }
            let stats = m.space.stats();
            prop_assert_eq!(
                stats.frames_in_use,
                m.extra("resident_pages") + stats.table_frames
            );
        }
        prop_assert_eq!(m.with(|s, env| s.munmap(env, BASE, 72 * PAGE)), 0);
        let stats = m.space.stats();
        prop_assert_eq!(m.extra("resident_pages"), 0);
        prop_assert_eq!((stats.table_frames, stats.frames_in_use), (1, 1));
    }
}

/// A value from the edges guests hit: zero, small, page-aligned, near the top, any.
fn garbage() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        0..0x10000u64,
        (0..0x100u64).prop_map(|p| BASE + p * PAGE),
        (0..16u64).prop_map(|k| u64::MAX - k),
        (0..16u64).prop_map(|k| (1u64 << 38) - k * PAGE),
        any::<u64>(),
    ]
}

proptest! {
    #[test]
    fn memory_calls_with_garbage_arguments_keep_the_books_straight(
        calls in proptest::collection::vec((0..5u8, garbage(), garbage(), garbage(), garbage()), 1..60)
    ) {
        let mut m = Machine::new();
        for (which, a, b, c, d) in calls {
            match which {
                0 => {
                    let args = MmapArgs { addr: a, len: b, prot: c & 7, flags: d, fd: u64::MAX, offset: 0 };
                    m.with(|s, env| s.mmap(env, &args));
                }
                1 => {
                    m.with(|s, env| s.munmap(env, a, b));
                }
                2 => {
                    m.with(|s, env| s.mprotect(env, a, b, c));
                }
                3 => {
                    m.with(|s, env| s.brk(env, a));
                }
                _ => {
                    let _ = m.access(a & !3, (b & 1 == 0).then_some(c as u32));
                }
            }
            let stats = m.space.stats();
            prop_assert_eq!(stats.frames_in_use, m.extra("resident_pages") + stats.table_frames);
            prop_assert!(stats.frames_in_use <= 1024);
        }
    }
}

proptest! {
    /// Random valid instructions (undecodable words become `ecall`, so the memory calls
    /// see random registers) run in every paged mode to an exit, a fault, out of memory
    /// or the limit: never a panic, and the books balance.
    #[test]
    fn random_programs_end_cleanly_in_paged_modes(words in proptest::collection::vec(any::<u32>(), 1..64)) {
        let ecall = atlas_isa::encode(&atlas_isa::Inst::System { op: atlas_isa::SystemOp::Ecall });
        for (mode, xlen) in [
            (MmuMode::Sv39, Xlen::X64),
            (MmuMode::Sv57, Xlen::X64),
            (MmuMode::Sv32, Xlen::X32),
            (MmuMode::Linear, Xlen::X32),
        ] {
            let bytes: Vec<u8> = words
                .iter()
                .flat_map(|&w| {
                    let w = if atlas_isa::decode(w, xlen).is_ok() { w } else { ecall };
                    w.to_le_bytes()
                })
                .collect();
            let image = Image {
                xlen,
                entry: 0x1_0000,
                segments: vec![atlas_asm::Segment {
                    name: ".text".into(),
                    vaddr: 0x1_0000,
                    mem_size: bytes.len() as u64,
                    data: bytes,
                    perms: atlas_asm::Perms::RX,
                }],
                symbols: Vec::new(),
                lines: LineTable::default(),
            };
            let config = atlas_os::OsConfig {
                phys_mem: 2 << 20,
                max_insns: 2_000,
                mmu_mode: Some(mode),
                ..atlas_os::OsConfig::default()
            };
            let (mut o, mut e, mut i) = (Vec::new(), Vec::new(), &b"stdin"[..]);
            let mut io = atlas_os::GuestIo { stdin: &mut i, stdout: &mut o, stderr: &mut e };
            let r = match atlas_os::run_image(&image, &config, &mut io) {
                Ok(r) => r,
                Err(e) => return Err(TestCaseError::fail(format!("{mode}: {e}"))),
            };
            prop_assert!(r.counters.instret <= 2_000);
            let resident = r
                .mm
                .extra
                .iter()
                .find(|(k, _)| *k == "resident_pages")
                .map_or(0, |(_, v)| *v);
            prop_assert_eq!(r.mm.frames_in_use, resident + r.mm.table_frames);
        }
    }
}

#[test]
fn the_number_of_mappings_is_bounded_as_linux_bounds_it() {
    let mut m = Machine::new();
    let map = |m: &mut Machine, i: u64| {
        let args = MmapArgs {
            addr: BASE + 2 * i * PAGE,
            len: PAGE,
            prot: 3,
            flags: 0x32,
            fd: u64::MAX,
            offset: 0,
        };
        m.with(|s, env| s.mmap(env, &args))
    };
    // The stack is one area; 65,530 is the limit and a mapping reserves room for a split.
    let mapped = (0..70_000u64)
        .take_while(|&i| map(&mut m, i) == BASE + 2 * i * PAGE)
        .count();
    assert_eq!(mapped, 65_528);
    assert_eq!(map(&mut m, 65_528), 12u64.wrapping_neg());
    assert_eq!(
        m.with(|s, env| s.mprotect(env, BASE, PAGE, 1)),
        12u64.wrapping_neg()
    );
    // Unmapping whole areas always works and makes room again.
    assert_eq!(m.with(|s, env| s.munmap(env, BASE, 4 * PAGE)), 0);
    assert_eq!(map(&mut m, 65_528), BASE + 2 * 65_528 * PAGE);
}
