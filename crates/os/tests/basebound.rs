//! Base-bounds mode through the address-space interface: the layout, the move to a larger
//! region when `brk` and `mmap` outgrow the bound, and the out-of-memory answers.

use atlas_asm::Image;
use atlas_isa::{errno, Xlen};
use atlas_mmu::{AccessKind, Bus, MmuConfig, PhysMem, SystemBus};
use atlas_os::mm::basebound::{BaseBoundsSpace, MMAP_GAP};
use atlas_os::mm::{AddressSpace, FaultOutcome, Fit, MmEnv, MmParams, OsCosts};

mod support;
use support::{anon, extra, text_image, user_byte, PAGE};

fn image() -> Image {
    text_image(Xlen::X32)
}

fn access(bus: &mut SystemBus, va: u64, kind: AccessKind) -> Result<u64, atlas_mmu::MemFault> {
    bus.translate(user_byte(va, kind))
}

#[test]
fn the_process_moves_to_a_larger_region_when_it_outgrows_the_bound() {
    // 1 MiB of memory: the stack reserve is a quarter of it, 0x40000 bytes above the image.
    let mem = PhysMem::new(1 << 20).expect("memory");
    let mut bus = SystemBus::with_mmu(mem, Xlen::X32, MmuConfig::teaching()).expect("machine");
    let costs = OsCosts::default();
    let params = MmParams {
        xlen: Xlen::X32,
        stack_size: 8 << 20,
        fit: Fit::First,
    };
    let mut env = MmEnv {
        bus: &mut bus,
        costs: &costs,
        xlen: Xlen::X32,
        cycles: 0,
    };
    let mut space = BaseBoundsSpace::new(&mut env, &image(), &params).expect("loads");
    space.activate(&mut env);
    let top = 0x11000 + 0x40000;
    assert_eq!(space.stack_top(), top);
    assert_eq!(space.program_break(), top);
    assert_eq!((env.bus.regs().atbase, env.bus.regs().atbound), (0, top));
    assert_eq!(access(env.bus, 0x10000, AccessKind::Fetch), Ok(0x10000));

    // One byte of heap needs a page beyond the bound: the region doubles and moves to the
    // first free chunk after itself (the old one is still held while copying).
    let marker = 0x10080;
    env.bus
        .phys_mut()
        .write(marker, 1, 0x5a)
        .expect("in memory");
    assert_eq!(space.brk(&mut env, top + 1), top + 1);
    assert_eq!(
        (env.bus.regs().atbase, env.bus.regs().atbound),
        (top, 2 * top)
    );
    assert_eq!(extra(&space, "relocations"), 1);
    assert_eq!(extra(&space, "bytes_copied"), top);
    assert_eq!(env.bus.phys().read(top + marker, 1), Some(0x5a));
    // The old region was freed: it and the tail of memory are the two free chunks.
    assert_eq!(extra(&space, "free_chunks"), 2);
    assert_eq!(extra(&space, "largest_free_chunk"), top);

    // Within the new bound, brk moves nothing.
    assert_eq!(space.brk(&mut env, 2 * top), 2 * top);
    assert_eq!(extra(&space, "relocations"), 1);

    // A mapping goes MMAP_GAP above the break: far beyond 1 MiB, so ENOMEM and no move.
    assert_eq!(
        space.mmap(&mut env, &anon(PAGE)),
        errno::ENOMEM.wrapping_neg()
    );
    // One more page: no free chunk can take a copy of the whole region, but the page after
    // it is free, so the region grows in place.
    assert_eq!(space.brk(&mut env, 2 * top + 1), 2 * top + 1);
    assert_eq!(
        (env.bus.regs().atbase, env.bus.regs().atbound),
        (top, 2 * top + PAGE)
    );
    assert_eq!(extra(&space, "relocations"), 1);
    // 0x20000 more: neither a copy nor in place, but the two free chunks together (the old
    // region, 0x51000 bytes, and 0xc000 at the top) suffice: memory is compacted and the
    // region lands at 0.
    let end = 2 * top + PAGE + 0x20000;
    assert_eq!(space.brk(&mut env, end), end);
    assert_eq!((env.bus.regs().atbase, env.bus.regs().atbound), (0, end));
    assert_eq!(extra(&space, "compactions"), 1);
    assert_eq!(extra(&space, "bytes_copied"), top + 2 * top + PAGE);
    assert_eq!(env.bus.phys().read(marker, 1), Some(0x5a));
    // Beyond physical memory: the old break.
    assert_eq!(space.brk(&mut env, (1 << 20) + 1), end);

    let beyond = access(env.bus, end, AccessKind::Load).expect_err("beyond bound");
    assert_eq!(
        space.fault(&mut env, &beyond),
        FaultOutcome::Fatal(format!(
            "bounds violation: address {end:#x} not below bound {end:#x} (base-bounds: the \
             address space is 0..{end:#x} at physical 0x0)"
        ))
    );
}

#[test]
fn mappings_sit_above_the_heap_and_come_back_zeroed() {
    let mem = PhysMem::new(64 << 20).expect("memory");
    let mut bus = SystemBus::with_mmu(mem, Xlen::X64, MmuConfig::modern()).expect("machine");
    let costs = OsCosts::default();
    let params = MmParams {
        xlen: Xlen::X64,
        stack_size: 0x10000,
        fit: Fit::Best,
    };
    let mut env = MmEnv {
        bus: &mut bus,
        costs: &costs,
        xlen: Xlen::X64,
        cycles: 0,
    };
    let mut space = BaseBoundsSpace::new(&mut env, &image(), &params).expect("loads");
    space.activate(&mut env);
    let brk = space.program_break();
    assert_eq!(brk, 0x21000);
    let first = space.mmap(&mut env, &anon(2 * PAGE));
    assert_eq!(first, brk + MMAP_GAP);
    assert_eq!(space.mmap(&mut env, &anon(PAGE)), first + 2 * PAGE);
    let pa = access(env.bus, first + 8, AccessKind::Store).expect("mapped");
    env.bus.phys_mut().write(pa, 1, 7).expect("in memory");
    assert_eq!(space.munmap(&mut env, first, 2 * PAGE), 0);
    // The freed range is reused first, zeroed again.
    assert_eq!(space.mmap(&mut env, &anon(PAGE)), first);
    let pa = access(env.bus, first + 8, AccessKind::Load).expect("mapped");
    assert_eq!(env.bus.phys().read(pa, 1), Some(0));
    // The heap cannot grow into the mappings: brk returns the old break.
    assert_eq!(space.brk(&mut env, first + 1), brk);
    assert_eq!(space.brk(&mut env, first), first);
}
