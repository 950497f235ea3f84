//! Base-bounds and segmentation: OSTEP's relocation and segmentation examples (chapters 15
//! and 16) and the edge cases around them, with exact fault reasons.

use crate::tables::ctx;
use atlas_isa::{Cause, Xlen};
use atlas_mmu::regs::{
    ATMODE_BASE_BOUNDS, ATMODE_SEGMENTED, SEG_GROWS_DOWN, SEG_R, SEG_VALID, SEG_W, SEG_X,
};
use atlas_mmu::{
    AccessKind, MmuConfig, MmuRegs, PhysMem, Privilege, ReferenceTranslator, Resolved,
    TranslateReason, Translator,
};

use AccessKind::{Fetch, Load, Store};
use TranslateReason as R;

const KB: u64 = 1024;
const SPAN4: u64 = 1 << 30;

fn check(regs: &MmuRegs, cases: &[(u64, AccessKind, Result<u64, TranslateReason>)]) {
    let mut mem = PhysMem::new(0x1000).expect("memory");
    let mut tr = Translator::new(MmuConfig::teaching()).expect("teaching");
    for (va, kind, expect) in cases {
        let access = ctx(*va, *kind, Privilege::User, 0);
        let reference =
            ReferenceTranslator { hardware_ad: true }.translate(&mut mem, regs, &access);
        assert_eq!(reference, *expect, "reference: va {va:#x} {kind:?}");
        let real = tr.translate(&mut mem, regs, &access);
        assert_eq!(
            real.map(|t| t.pa).map_err(|f| f.reason),
            *expect,
            "translator: va {va:#x} {kind:?}"
        );
        assert_eq!(
            real.map(|t| t.cycles).unwrap_or_else(|f| f.cycles),
            1,
            "one check cycle"
        );
    }
}

#[test]
fn ostep_relocation_example() {
    // OSTEP 15.3: base 16 KB, bounds 4 KB.
    let mut regs = MmuRegs::new(Xlen::X32);
    regs.atmode = ATMODE_BASE_BOUNDS;
    regs.atbase = 16 * KB;
    regs.atbound = 4 * KB;
    check(
        &regs,
        &[
            (0, Load, Ok(16 * KB)),
            (KB, Load, Ok(17 * KB)),
            (3000, Store, Ok(19384)),
            (4 * KB - 1, Fetch, Ok(20 * KB - 1)),
            (
                4 * KB,
                Load,
                Err(R::OutOfBounds {
                    va: 4 * KB,
                    bound: 4 * KB,
                }),
            ),
            (
                4400,
                Load,
                Err(R::OutOfBounds {
                    va: 4400,
                    bound: 4 * KB,
                }),
            ),
        ],
    );
}

#[test]
fn base_bounds_edge_cases() {
    let mut regs = MmuRegs::new(Xlen::X64);
    regs.atmode = ATMODE_BASE_BOUNDS;
    regs.atbase = u64::MAX - 0xff;
    regs.atbound = 0x1000;
    check(
        &regs,
        &[
            (0xff, Load, Ok(u64::MAX)),
            (
                0x100,
                Load,
                Err(R::BaseOverflow {
                    va: 0x100,
                    base: u64::MAX - 0xff,
                }),
            ),
        ],
    );
    regs.atbound = 0;
    check(&regs, &[(0, Load, Err(R::OutOfBounds { va: 0, bound: 0 }))]);
    let msg = R::OutOfBounds {
        va: 4400,
        bound: 4096,
    }
    .to_string();
    assert_eq!(
        msg,
        "bounds violation: address 0x1130 not below bound 0x1000"
    );
    assert_eq!(
        R::OutOfBounds { va: 0, bound: 0 }.cause(Store),
        Cause::StoreAccess
    );
}

/// OSTEP 16.1's three segments, scaled to Atlas's 32-bit VA: code (segment 0) base 32 KB
/// size 2 KB; heap (segment 1) base 34 KB size 3 KB; stack (segment 3) grows down from
/// 28 KB, size 2 KB.
fn ostep_segments() -> MmuRegs {
    let mut regs = MmuRegs::new(Xlen::X32);
    regs.atmode = ATMODE_SEGMENTED;
    regs.atsegcount = 4;
    regs.atsegbase = [32 * KB, 34 * KB, 0, 28 * KB, 0, 0, 0, 0];
    regs.atsegbound = [2 * KB, 3 * KB, 0, 2 * KB, 0, 0, 0, 0];
    regs.atsegflags = [
        SEG_VALID | SEG_R | SEG_X,
        SEG_VALID | SEG_R | SEG_W,
        0,
        SEG_VALID | SEG_R | SEG_W | SEG_GROWS_DOWN,
        0,
        0,
        0,
        0,
    ];
    regs
}

#[test]
fn ostep_segmentation_example() {
    let regs = ostep_segments();
    let stack_top = 4 * SPAN4;
    check(
        &regs,
        &[
            // Code: VA 100 -> 32 KB + 100.
            (100, Fetch, Ok(32868)),
            (100, Load, Ok(32868)),
            (2 * KB - 4, Fetch, Ok(34 * KB - 4)),
            (
                2 * KB,
                Fetch,
                Err(R::SegmentOutOfBounds {
                    segment: 0,
                    offset: 2 * KB,
                    bound: 2 * KB,
                    grows_down: false,
                }),
            ),
            (
                100,
                Store,
                Err(R::SegmentProtection {
                    segment: 0,
                    kind: Store,
                }),
            ),
            // Heap: OSTEP's VA 4200 is offset 104 in segment 1 -> 34 KB + 104.
            (SPAN4 + 104, Load, Ok(34920)),
            (SPAN4 + 104, Store, Ok(34920)),
            (
                SPAN4 + 104,
                Fetch,
                Err(R::SegmentProtection {
                    segment: 1,
                    kind: Fetch,
                }),
            ),
            (
                SPAN4 + 3 * KB,
                Load,
                Err(R::SegmentOutOfBounds {
                    segment: 1,
                    offset: 3 * KB,
                    bound: 3 * KB,
                    grows_down: false,
                }),
            ),
            // Stack: OSTEP's VA 15 KB is 1 KB below the top of the stack segment: negative
            // offset -1 KB, PA = 28 KB - 1 KB = 27 KB.
            (stack_top - KB, Load, Ok(27 * KB)),
            (stack_top - 4, Store, Ok(28 * KB - 4)),
            (stack_top - 2 * KB, Load, Ok(26 * KB)),
            (
                stack_top - 2 * KB - 1,
                Load,
                Err(R::SegmentOutOfBounds {
                    segment: 3,
                    offset: 2 * KB + 1,
                    bound: 2 * KB,
                    grows_down: true,
                }),
            ),
            (
                3 * SPAN4,
                Load,
                Err(R::SegmentOutOfBounds {
                    segment: 3,
                    offset: SPAN4,
                    bound: 2 * KB,
                    grows_down: true,
                }),
            ),
            (
                stack_top - 8,
                Fetch,
                Err(R::SegmentProtection {
                    segment: 3,
                    kind: Fetch,
                }),
            ),
            // Segment 2 is not in use.
            (2 * SPAN4, Load, Err(R::SegmentInvalid { segment: 2 })),
        ],
    );
}

#[test]
fn segment_counts_select_by_the_top_bits() {
    let mut regs = ostep_segments();
    regs.atsegcount = 2;
    // Two segments of 2 GiB: VA 2^31 + 5 is segment 1 offset 5.
    check(
        &regs,
        &[
            (0x8000_0005, Load, Ok(34 * KB + 5)),
            (
                0x7fff_ffff,
                Load,
                Err(R::SegmentOutOfBounds {
                    segment: 0,
                    offset: 0x7fff_ffff,
                    bound: 2 * KB,
                    grows_down: false,
                }),
            ),
        ],
    );
    regs.atsegcount = 8;
    regs.atsegflags[7] = SEG_VALID | SEG_R;
    regs.atsegbase[7] = 0x10_0000;
    regs.atsegbound[7] = 0x100;
    check(
        &regs,
        &[
            (0xe000_00ff, Load, Ok(0x10_00ff)),
            (
                0xe000_0100,
                Load,
                Err(R::SegmentOutOfBounds {
                    segment: 7,
                    offset: 0x100,
                    bound: 0x100,
                    grows_down: false,
                }),
            ),
            (0x2000_0000, Load, Ok(34 * KB)),
        ],
    );
}

#[test]
fn rv64_segmented_addresses_stay_below_4_gib() {
    let mut regs = ostep_segments();
    regs.xlen = Xlen::X64;
    check(
        &regs,
        &[
            (1 << 32, Load, Err(R::BeyondSegmentSpace { va: 1 << 32 })),
            (100, Load, Ok(32868)),
        ],
    );
}

#[test]
fn segment_messages_and_causes() {
    let r = R::SegmentOutOfBounds {
        segment: 2,
        offset: 0x1200,
        bound: 0x1000,
        grows_down: false,
    };
    assert_eq!(
        r.to_string(),
        "segmentation violation: offset 0x1200 beyond bound 0x1000 of segment 2"
    );
    let down = R::SegmentOutOfBounds {
        segment: 3,
        offset: 0x801,
        bound: 0x800,
        grows_down: true,
    };
    assert_eq!(
        down.to_string(),
        "segmentation violation: negative offset -0x801 beyond bound 0x800 of segment 3"
    );
    assert_eq!(
        R::SegmentProtection {
            segment: 0,
            kind: Store
        }
        .to_string(),
        "segmentation violation: store not permitted in segment 0"
    );
    assert_eq!(r.cause(Load), Cause::LoadAccess);
    assert_eq!(
        R::SegmentInvalid { segment: 2 }.cause(Fetch),
        Cause::FetchAccess
    );
}

#[test]
fn machine_mode_and_bare_are_untranslated_and_free() {
    let regs = ostep_segments();
    let mut mem = PhysMem::new(0x1000).expect("memory");
    let mut tr = Translator::new(MmuConfig::modern()).expect("modern");
    let access = ctx(3 * SPAN4, Load, Privilege::Machine, 0);
    let t = tr
        .translate(&mut mem, &regs, &access)
        .map(|t| (t.pa, t.cycles, t.resolved));
    assert_eq!(t, Ok((3 * SPAN4, 0, Resolved::Bare)));
    let seg = tr
        .translate(&mut mem, &regs, &ctx(SPAN4 + 1, Store, Privilege::User, 0))
        .map(|t| t.resolved);
    assert_eq!(seg, Ok(Resolved::Segment { segment: 1 }));
}

/// The unpaged window native code may translate through (`fastpath::Window`): the identity
/// bare (and for machine mode under any translation), `base + va` below the bound under
/// base-bounds, nothing segmented or paged, with the fast path off, or with an observer.
#[test]
fn the_unpaged_window_of_each_mode() {
    use atlas_mmu::fastpath::{HitClass, Window};
    use atlas_mmu::{Bus, SystemBus};
    let identity = Window {
        base: 0,
        end: u64::MAX,
        class: HitClass::Bare,
    };
    let mut tr = Translator::new(MmuConfig::modern()).expect("modern");
    let mut regs = MmuRegs::new(Xlen::X64);
    assert_eq!(tr.unpaged_window(&regs, Privilege::User), identity);
    regs.atmode = ATMODE_BASE_BOUNDS;
    regs.atbase = 16 * KB;
    regs.atbound = 4 * KB;
    let relocated = Window {
        base: 16 * KB,
        end: 4 * KB,
        class: HitClass::BaseBounds,
    };
    assert_eq!(tr.unpaged_window(&regs, Privilege::User), relocated);
    assert_eq!(tr.unpaged_window(&regs, Privilege::Machine), identity);
    tr.fast_path_mut().set_enabled(false);
    assert_eq!(tr.unpaged_window(&regs, Privilege::User), Window::NONE);
    tr.fast_path_mut().set_enabled(true);
    regs.atmode = ATMODE_SEGMENTED;
    assert_eq!(tr.unpaged_window(&regs, Privilege::User), Window::NONE);
    let paged = crate::tables::regs_for(
        atlas_mmu::Format::of(atlas_mmu::FormatKind::Sv39, Xlen::X64),
        0x1000,
        1,
        0,
    );
    assert_eq!(
        tr.unpaged_window(&paged, Privilege::Supervisor),
        Window::NONE
    );
    assert_eq!(tr.unpaged_window(&paged, Privilege::Machine), identity);

    // The bus: none with an observer installed, which must see every access.
    let mut bus = SystemBus::with_mmu(
        PhysMem::new(0x1_0000).expect("memory"),
        Xlen::X64,
        MmuConfig::modern(),
    )
    .expect("modern");
    assert_eq!(bus.unpaged_window(Privilege::User), identity);
    bus.set_observer(Some(Box::new(Count::default())));
    assert_eq!(bus.unpaged_window(Privilege::User), Window::NONE);
    bus.set_observer(None);
    bus.set_fast_path(false);
    assert_eq!(bus.unpaged_window(Privilege::User), Window::NONE);
}

/// An observer that counts what it is told.
#[derive(Debug, Default)]
struct Count(u64);

impl atlas_mmu::observe::AccessObserver for Count {
    fn access(&mut self, _observation: &atlas_mmu::observe::Observation<'_>) {
        self.0 += 1;
    }

    fn flush(&mut self, _va: Option<u64>, _asid: Option<u16>, _cycles: u64) {
        self.0 += 1;
    }

    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {
        self
    }
}
