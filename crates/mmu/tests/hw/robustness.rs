//! Guest-controlled inputs never panic the translator: random register values (bypassing the
//! CSR write legalisation), random memory posing as page tables, random addresses. With the
//! registers fixed between flushes and no A/D writes, the translator also agrees with the
//! reference translator on every access.

use crate::tables::Rng;
use atlas_isa::Xlen;
use atlas_mmu::pte::{PTE_A, PTE_R, PTE_U, PTE_V, PTE_X};
use atlas_mmu::{
    AccessCtx, AccessKind, MmuConfig, MmuRegs, PhysMem, Privilege, ReferenceTranslator, Translator,
};

const MEM: u64 = 64 << 10;

fn random_word(rng: &mut Rng) -> u64 {
    match rng.below(4) {
        0 => rng.next(),
        1 => rng.below(1 << 12),
        _ => {
            // Mostly PTE-like: a small PPN (inside or just beyond memory) and random flags.
            let flags = rng.below(1 << 8) | if rng.chance(70) { PTE_V } else { 0 };
            let flags = if rng.chance(30) {
                flags | PTE_R | PTE_X | PTE_U | PTE_A
            } else {
                flags
            };
            (rng.below(24) << 10) | flags | if rng.chance(2) { 1 << 60 } else { 0 }
        }
    }
}

fn random_regs(rng: &mut Rng) -> MmuRegs {
    let xlen = if rng.chance(50) { Xlen::X32 } else { Xlen::X64 };
    let mut regs = MmuRegs::new(xlen);
    let small = |rng: &mut Rng| {
        if rng.chance(50) {
            rng.below(MEM)
        } else {
            rng.next()
        }
    };
    regs.atmode = if rng.chance(90) {
        rng.below(4)
    } else {
        rng.next()
    };
    let mode = [0u64, 1, 8, 9, 10, rng.below(16)][rng.below(6) as usize];
    let ppn = rng.below(MEM >> 12) | if rng.chance(5) { rng.next() } else { 0 };
    regs.satp = match xlen {
        Xlen::X32 => ((mode & 1) << 31) | (ppn & 0x3f_ffff) | (rng.below(512) << 22),
        Xlen::X64 => (mode << 60) | (ppn & ((1 << 44) - 1)) | (rng.below(1 << 16) << 44),
    };
    regs.sum = rng.chance(50);
    regs.mxr = rng.chance(50);
    regs.atbase = small(rng);
    regs.atbound = small(rng);
    regs.atsegcount = if rng.chance(80) {
        [2, 4, 8][rng.below(3) as usize]
    } else {
        rng.next()
    };
    regs.atlinbase = small(rng);
    regs.atlinlen = small(rng);
    for i in 0..8 {
        regs.atsegbase[i] = small(rng);
        regs.atsegbound[i] = small(rng);
        regs.atsegflags[i] = rng.next();
    }
    regs
}

fn random_va(rng: &mut Rng) -> u64 {
    match rng.below(4) {
        0 => rng.next(),
        1 => rng.below(1 << 32),
        2 => rng.below(1 << 24),
        _ => (rng.next() as i64 >> rng.below(40)) as u64,
    }
}

#[test]
fn random_registers_memory_and_addresses_never_panic() {
    let mut rng = Rng(0xdead_beef);
    let mut mem = PhysMem::new(MEM).expect("memory");
    for pa in (0..MEM).step_by(8) {
        let word = random_word(&mut rng);
        assert_eq!(mem.write(pa, 8, word), Some(()));
    }
    for preset in ["teaching", "modern"] {
        let mut config = MmuConfig::preset(preset).expect("preset");
        config.hardware_ad = false;
        let mut tr = Translator::new(config).expect("config");
        let reference = ReferenceTranslator { hardware_ad: false };
        let mut agreed_ok = 0;
        for round in 0..4000 {
            let regs = random_regs(&mut rng);
            tr.sfence_vma(None, None);
            let asid = rng.below(4) as u16;
            for _ in 0..25 {
                let va = random_va(&mut rng);
                let ctx = AccessCtx {
                    va,
                    kind: AccessKind::ALL[rng.below(3) as usize],
                    size: 4,
                    privilege: [Privilege::User, Privilege::Supervisor, Privilege::Machine]
                        [rng.below(3) as usize],
                    asid,
                    pc: 0,
                };
                let real = tr
                    .translate(&mut mem, &regs, &ctx)
                    .map(|t| t.pa)
                    .map_err(|f| f.reason);
                let expected = reference.translate(&mut mem, &regs, &ctx);
                assert_eq!(real, expected, "{preset} round {round}: {ctx:?} {regs:?}");
                agreed_ok += u32::from(real.is_ok());
                // Every fault has a cause and a message.
                if let Err(reason) = real {
                    assert!(!reason.to_string().is_empty());
                    assert!([1, 5, 7, 12, 13, 15].contains(&reason.cause(ctx.kind).code()));
                }
            }
        }
        assert!(
            agreed_ok > 10_000,
            "{preset}: successes exercised ({agreed_ok})"
        );
    }
}
