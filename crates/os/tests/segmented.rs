//! Segmented mode through the address-space interface: a scripted sequence that forces a
//! relocation and then compactions, with every figure checked exactly, and fault reasons
//! that name the segment.

use atlas_asm::Image;
use atlas_isa::Xlen;
use atlas_mmu::{AccessCtx, AccessKind, Bus, MmuConfig, PhysMem, Privilege, SystemBus};
use atlas_os::mm::segmented::{SegmentedSpace, HEAP_BASE, MMAP_BASE, STACK_TOP};
use atlas_os::mm::{AddressSpace, FaultOutcome, Fit, MmEnv, MmParams, OsCosts};

mod support;
use support::{anon, extra, text_image, user_byte, PAGE};

/// A one-page text image at 0x10000: the code segment is 0x11000 bytes (17 pages), since
/// segment offsets start at VA 0.
fn image() -> Image {
    text_image(Xlen::X64)
}

fn bus(phys: u64) -> SystemBus {
    let mem = PhysMem::new(phys).expect("memory");
    SystemBus::with_mmu(mem, Xlen::X64, MmuConfig::modern()).expect("machine")
}

/// Loads through the bus as the guest would (translated by the segment registers).
fn load_byte(bus: &mut SystemBus, va: u64) -> u64 {
    bus.load(user_byte(va, AccessKind::Load)).expect("mapped")
}

fn store_byte(bus: &mut SystemBus, va: u64, value: u64) {
    bus.store(user_byte(va, AccessKind::Store), value)
        .expect("mapped");
}

#[test]
fn a_relocation_then_compactions_with_exact_figures() {
    // 64 pages, first fit. After loading: code [0, 0x11000), stack [0x11000, 0x15000).
    let mut bus = bus(64 * PAGE);
    let costs = OsCosts::default();
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
    let mut space = SegmentedSpace::new(&mut env, &image(), &params).expect("loads");
    space.activate(&mut env);
    assert_eq!(space.brk(&mut env, HEAP_BASE + 0x1000), HEAP_BASE + 0x1000);
    assert_eq!(space.mmap(&mut env, &anon(PAGE)), MMAP_BASE);
    assert_eq!(env.bus.regs().atsegbase[1..3], [0x15000, 0x16000]);
    store_byte(env.bus, HEAP_BASE + 5, 0xaa);
    store_byte(env.bus, MMAP_BASE + 7, 0xbb);

    // The heap cannot grow into the mmap segment above it: it moves to 0x17000.
    assert_eq!(space.brk(&mut env, HEAP_BASE + 0x2000), HEAP_BASE + 0x2000);
    assert_eq!(extra(&space, "relocations"), 1);
    assert_eq!(extra(&space, "bytes_copied"), 0x1000);
    assert_eq!(env.bus.regs().atsegbase[1], 0x17000);
    assert_eq!(extra(&space, "free_chunks"), 2);
    assert_eq!(extra(&space, "largest_free_chunk"), 39 * PAGE);
    // 1 − 39/40 = 0.025.
    assert_eq!(extra(&space, "external_fragmentation_permille"), 25);

    // 39 more pages of mappings: no chunk of 40 pages exists, but 40 pages are free, so
    // memory is compacted: the heap slides down to 0x15000 (2 pages copied) and the mmap
    // segment (1 page set aside and copied back) is put on top at 0x17000.
    assert_eq!(space.mmap(&mut env, &anon(39 * PAGE)), MMAP_BASE + PAGE);
    assert_eq!(extra(&space, "relocations"), 1);
    assert_eq!(extra(&space, "compactions"), 1);
    assert_eq!(extra(&space, "bytes_copied"), 0x1000 + 0x2000 + 0x1000);
    assert_eq!(env.bus.regs().atsegbase[1..3], [0x15000, 0x17000]);
    assert_eq!(env.bus.regs().atsegbound[1..3], [0x2000, 0x28000]);
    assert_eq!(extra(&space, "free_chunks"), 1);
    assert_eq!(extra(&space, "largest_free_chunk"), PAGE);
    assert_eq!(extra(&space, "external_fragmentation_permille"), 0);
    assert_eq!(load_byte(env.bus, HEAP_BASE + 5), 0xaa);
    assert_eq!(load_byte(env.bus, MMAP_BASE + 7), 0xbb);
    assert_eq!(load_byte(env.bus, MMAP_BASE + 0x27fff), 0);

    // The heap needs one more page and one page is free, at the top: a second compaction.
    // Code and stack are packed already; the mmap segment (0x28000 bytes) slides down to
    // 0x15000 and the heap (2 pages, set aside) goes back on top at 0x3d000.
    assert_eq!(space.brk(&mut env, HEAP_BASE + 0x3000), HEAP_BASE + 0x3000);
    assert_eq!(extra(&space, "compactions"), 2);
    assert_eq!(extra(&space, "bytes_copied"), 0x4000 + 0x28000 + 0x2000);
    assert_eq!(env.bus.regs().atsegbase[1..3], [0x3d000, 0x15000]);
    assert_eq!(load_byte(env.bus, HEAP_BASE + 5), 0xaa);
    assert_eq!(load_byte(env.bus, MMAP_BASE + 7), 0xbb);

    // Memory is full: brk fails and returns the old break; mmap says ENOMEM.
    assert_eq!(space.brk(&mut env, HEAP_BASE + 0x4000), HEAP_BASE + 0x3000);
    assert_eq!(
        space.mmap(&mut env, &anon(PAGE)),
        (atlas_isa::errno::ENOMEM).wrapping_neg()
    );
    assert_eq!(space.stats().frames_in_use, 64);
    assert_eq!(space.stats().peak_frames, 64);
}

#[test]
fn faults_name_the_segment_and_the_stack_grows_down() {
    let mut bus = bus(1 << 20);
    let costs = OsCosts::default();
    let params = MmParams {
        xlen: Xlen::X32,
        stack_size: 0x10000,
        fit: Fit::Best,
    };
    let mut env = MmEnv {
        bus: &mut bus,
        costs: &costs,
        xlen: Xlen::X32,
        cycles: 0,
    };
    let mut space = SegmentedSpace::new(&mut env, &image(), &params).expect("loads");
    space.activate(&mut env);
    assert_eq!(space.brk(&mut env, HEAP_BASE + 0x1000), HEAP_BASE + 0x1000);
    let access = |bus: &mut SystemBus, va: u64, kind: AccessKind| {
        let ctx = AccessCtx {
            va,
            kind,
            size: 4,
            privilege: Privilege::User,
            asid: 0,
            pc: 0x10000,
        };
        bus.translate(ctx)
    };
    let heap = access(env.bus, HEAP_BASE + 0x1200, AccessKind::Load).expect_err("beyond");
    assert_eq!(
        space.fault(&mut env, &heap),
        FaultOutcome::Fatal(
            "segmentation violation: offset 0x1200 beyond bound 0x1000 of segment 1 (heap)".into()
        )
    );
    let text = access(env.bus, 0x10000, AccessKind::Store).expect_err("read-only");
    assert_eq!(
        space.fault(&mut env, &text),
        FaultOutcome::Fatal(
            "segmentation violation: store not permitted in segment 0 (code)".into()
        )
    );
    // 0x5000 below the top: beyond the 4-page initial stack, within the 64 KiB limit.
    let deep = access(env.bus, STACK_TOP - 0x5000, AccessKind::Store).expect_err("not yet");
    assert_eq!(space.fault(&mut env, &deep), FaultOutcome::Resolved);
    assert_eq!(env.bus.regs().atsegbound[3], 0x8000);
    assert_eq!(space.stats().stack_growths, 1);
    assert_eq!(
        access(env.bus, STACK_TOP - 0x5000, AccessKind::Store).map(|pa| pa + 0x5000),
        Ok(env.bus.regs().atsegbase[3])
    );
    let too_deep = access(env.bus, STACK_TOP - 0x10004, AccessKind::Store).expect_err("limit");
    assert_eq!(
        space.fault(&mut env, &too_deep),
        FaultOutcome::Fatal(
            "segmentation violation: negative offset -0x10004 beyond bound 0x8000 of segment \
             3 (stack)"
                .into()
        )
    );
}
