//! Walker conformance: table-driven cases, each a small page-table image and one access, with
//! the expected physical address or fault reason, for every step of the privileged spec's
//! translation process in Sv32, Sv39, Sv48, Sv57 and the linear format. Every case runs
//! through the reference translator and through a fresh `modern` translator.

use crate::tables::{ctx, Tables};
use crate::walker_cases::{linear_cases, permission_cases, sv32_cases, sv48_sv57_cases};
use atlas_mmu::pte::{Pte, PTE_A, PTE_D, PTE_G, PTE_R, PTE_U, PTE_V, PTE_W, PTE_X};
use atlas_mmu::{
    AccessKind, Denied, Format, MmuConfig, Privilege, ReferenceTranslator, Resolved,
    TranslateReason, Translator,
};

use AccessKind::{Fetch, Load, Store};
use Privilege::{Supervisor, User};
use TranslateReason as R;

pub(crate) const MEM: u64 = 1 << 20;
pub(crate) const LINEAR_LEN: u64 = 0x100;
/// User read-write-execute, A and D set: a leaf no check refuses.
pub(crate) const URWX: u64 = PTE_V | PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D;
pub(crate) const UR: u64 = PTE_V | PTE_R | PTE_U | PTE_A;
pub(crate) const URW: u64 = PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D;
pub(crate) const UX: u64 = PTE_V | PTE_X | PTE_U | PTE_A;
pub(crate) const SRW: u64 = PTE_V | PTE_R | PTE_W | PTE_A | PTE_D;

#[derive(Clone, Copy)]
pub(crate) enum Entry {
    /// Map the page of `va` at `level` to `pa` with flags.
    Leaf(u64, u32, u64, u64),
    /// Write a raw PTE for `va` at `level`.
    Raw(u64, u32, u64),
}

pub(crate) struct Case {
    name: String,
    format: &'static Format,
    entries: Vec<Entry>,
    va: u64,
    kind: AccessKind,
    privilege: Privilege,
    sum: bool,
    mxr: bool,
    hardware_ad: bool,
    root: Option<u64>,
    expect: Result<u64, TranslateReason>,
    /// Expected low 8 bits of the first entry's PTE after the access.
    flags_after: Option<u64>,
}

pub(crate) fn case(
    name: impl Into<String>,
    format: &'static Format,
    entries: &[Entry],
    access: (u64, AccessKind, Privilege),
    expect: Result<u64, TranslateReason>,
) -> Case {
    Case {
        name: name.into(),
        format,
        entries: entries.to_vec(),
        va: access.0,
        kind: access.1,
        privilege: access.2,
        sum: false,
        mxr: false,
        hardware_ad: true,
        root: None,
        expect,
        flags_after: None,
    }
}

impl Case {
    pub(crate) fn sum(mut self) -> Case {
        self.sum = true;
        self
    }
    pub(crate) fn mxr(mut self) -> Case {
        self.mxr = true;
        self
    }
    pub(crate) fn no_hw_ad(mut self) -> Case {
        self.hardware_ad = false;
        self
    }
    pub(crate) fn root(mut self, root: u64) -> Case {
        self.root = Some(root);
        self
    }
    pub(crate) fn after(mut self, flags: u64) -> Case {
        self.flags_after = Some(flags);
        self
    }
}

fn sv39_cases() -> Vec<Case> {
    let f = &Format::SV39;
    use Entry::{Leaf, Raw};
    vec![
        case(
            "sv39 4K load",
            f,
            &[Leaf(0x40_1234, 0, 0x8_0000, URWX)],
            (0x40_1234, Load, User),
            Ok(0x8_0234),
        ),
        case(
            "sv39 2M megapage, offset kept",
            f,
            &[Leaf(0x60_5678, 1, 0x4000_0000, URWX)],
            (0x60_5678, Load, User),
            Ok(0x4000_5678),
        ),
        case(
            "sv39 2M megapage, far offset",
            f,
            &[Leaf(0x60_0000, 1, 0x4000_0000, URWX)],
            (0x7f_fffc, Store, User),
            Ok(0x401f_fffc),
        ),
        case(
            "sv39 1G gigapage",
            f,
            &[Leaf(0x4_0000_0000, 2, 0x8000_0000, URWX)],
            (0x4_1234_5678, Fetch, User),
            Ok(0x9234_5678),
        ),
        case(
            "sv39 canonical high address",
            f,
            &[Leaf(0xffff_ffc0_0000_1000, 0, 0x9000, SRW)],
            (0xffff_ffc0_0000_1abc, Load, Supervisor),
            Ok(0x9abc),
        ),
        case(
            "sv39 non-canonical",
            f,
            &[],
            (0x40_0000_0000, Load, User),
            Err(R::NonCanonical { va: 0x40_0000_0000 }),
        ),
        case(
            "sv39 non-canonical high",
            f,
            &[],
            (0xffff_ff00_0000_0000, Fetch, User),
            Err(R::NonCanonical {
                va: 0xffff_ff00_0000_0000,
            }),
        ),
        case(
            "sv39 root PTE not valid",
            f,
            &[],
            (0x1000, Load, User),
            Err(R::NotValid { level: 2 }),
        ),
        case(
            "sv39 level-1 PTE not valid",
            f,
            &[Raw(0x1000, 1, 0)],
            (0x1000, Load, User),
            Err(R::NotValid { level: 1 }),
        ),
        case(
            "sv39 level-0 PTE not valid",
            f,
            &[Raw(0x1000, 0, URWX & !PTE_V)],
            (0x1000, Load, User),
            Err(R::NotValid { level: 0 }),
        ),
        case(
            "sv39 W without R at level 0",
            f,
            &[Raw(0x1000, 0, Pte::new(0x80, PTE_V | PTE_W | PTE_U).0)],
            (0x1000, Load, User),
            Err(R::WriteWithoutRead { level: 0 }),
        ),
        case(
            "sv39 W without R at level 1",
            f,
            &[Raw(0x20_0000, 1, PTE_V | PTE_W)],
            (0x20_0000, Load, User),
            Err(R::WriteWithoutRead { level: 1 }),
        ),
        case(
            "sv39 reserved bit 54",
            f,
            &[Raw(0x1000, 0, Pte::new(0x80, URWX).0 | 1 << 54)],
            (0x1000, Load, User),
            Err(R::ReservedBits { level: 0 }),
        ),
        case(
            "sv39 PBMT bits",
            f,
            &[Raw(0x1000, 0, Pte::new(0x80, URWX).0 | 1 << 61)],
            (0x1000, Load, User),
            Err(R::ReservedBits { level: 0 }),
        ),
        case(
            "sv39 N bit",
            f,
            &[Raw(0x1000, 1, Pte::new(0x80, URWX).0 | 1 << 63)],
            (0x1000, Load, User),
            Err(R::ReservedBits { level: 1 }),
        ),
        case(
            "sv39 pointer with A set",
            f,
            &[Raw(0x1000, 2, Pte::new(0x50, PTE_V | PTE_A).0)],
            (0x1000, Load, User),
            Err(R::ReservedBits { level: 2 }),
        ),
        case(
            "sv39 pointer with U set",
            f,
            &[Raw(0x1000, 1, Pte::new(0x50, PTE_V | PTE_U).0)],
            (0x1000, Load, User),
            Err(R::ReservedBits { level: 1 }),
        ),
        case(
            "sv39 pointer at level 0",
            f,
            &[Raw(0x1000, 0, Pte::new(0x50, PTE_V).0)],
            (0x1000, Load, User),
            Err(R::NoLeaf),
        ),
        case(
            "sv39 misaligned 2M",
            f,
            &[Raw(0x20_0000, 1, Pte::new(0x201, URWX).0)],
            (0x20_0000, Load, User),
            Err(R::MisalignedSuperpage { level: 1 }),
        ),
        case(
            "sv39 misaligned 1G",
            f,
            &[Raw(0x4000_0000, 2, Pte::new(0x4_0200, URWX).0)],
            (0x4000_0000, Load, User),
            Err(R::MisalignedSuperpage { level: 2 }),
        ),
        case(
            "sv39 user load from supervisor page",
            f,
            &[Leaf(0x1000, 0, 0x8_0000, SRW)],
            (0x1000, Load, User),
            Err(R::Permission {
                level: 0,
                denied: Denied::SupervisorPage,
            }),
        ),
        case(
            "sv39 supervisor load from user page, SUM clear",
            f,
            &[Leaf(0x1000, 0, 0x8_0000, URW)],
            (0x1000, Load, Supervisor),
            Err(R::Permission {
                level: 0,
                denied: Denied::UserPageWithoutSum,
            }),
        ),
        case(
            "sv39 supervisor store to user page, SUM set",
            f,
            &[Leaf(0x1000, 0, 0x8_0000, URW)],
            (0x1008, Store, Supervisor),
            Ok(0x8_0008),
        )
        .sum(),
        case(
            "sv39 supervisor fetch from user page, SUM set",
            f,
            &[Leaf(0x1000, 0, 0x8_0000, URWX)],
            (0x1000, Fetch, Supervisor),
            Err(R::Permission {
                level: 0,
                denied: Denied::SupervisorFetchFromUserPage,
            }),
        )
        .sum(),
        case(
            "sv39 fetch from non-executable page",
            f,
            &[Leaf(0x1000, 0, 0x8_0000, URW)],
            (0x1000, Fetch, User),
            Err(R::Permission {
                level: 0,
                denied: Denied::NotExecutable,
            }),
        ),
        case(
            "sv39 load from execute-only page",
            f,
            &[Leaf(0x1000, 0, 0x8_0000, UX)],
            (0x1000, Load, User),
            Err(R::Permission {
                level: 0,
                denied: Denied::NotReadable,
            }),
        ),
        case(
            "sv39 load from execute-only page with MXR",
            f,
            &[Leaf(0x1000, 0, 0x8_0000, UX)],
            (0x1010, Load, User),
            Ok(0x8_0010),
        )
        .mxr(),
        case(
            "sv39 store to read-only 2M page",
            f,
            &[Leaf(0x20_0000, 1, 0x20_0000, UR)],
            (0x20_0000, Store, User),
            Err(R::Permission {
                level: 1,
                denied: Denied::NotWritable,
            }),
        ),
        case(
            "sv39 fetch from execute-only page",
            f,
            &[Leaf(0x1000, 0, 0x8_0000, UX)],
            (0x1ffc, Fetch, User),
            Ok(0x8_0ffc),
        ),
        case(
            "sv39 load sets A",
            f,
            &[Leaf(0x1000, 0, 0x8_0000, PTE_V | PTE_R | PTE_W | PTE_U)],
            (0x1000, Load, User),
            Ok(0x8_0000),
        )
        .after(PTE_V | PTE_R | PTE_W | PTE_U | PTE_A),
        case(
            "sv39 store sets A and D",
            f,
            &[Leaf(0x1000, 0, 0x8_0000, PTE_V | PTE_R | PTE_W | PTE_U)],
            (0x1000, Store, User),
            Ok(0x8_0000),
        )
        .after(PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D),
        case(
            "sv39 store to 1G page sets D",
            f,
            &[Leaf(
                0x4000_0000,
                2,
                0x4000_0000,
                PTE_V | PTE_R | PTE_W | PTE_U | PTE_A,
            )],
            (0x4000_0000, Store, User),
            Ok(0x4000_0000),
        )
        .after(URW),
        case(
            "sv39 faulting store leaves A/D alone",
            f,
            &[Leaf(0x1000, 0, 0x8_0000, PTE_V | PTE_R | PTE_U)],
            (0x1000, Store, User),
            Err(R::Permission {
                level: 0,
                denied: Denied::NotWritable,
            }),
        )
        .after(PTE_V | PTE_R | PTE_U),
        case(
            "sv39 A clear, hardware A/D off",
            f,
            &[Leaf(0x1000, 0, 0x8_0000, PTE_V | PTE_R | PTE_U)],
            (0x1000, Load, User),
            Err(R::AccessedDirtyClear { level: 0 }),
        )
        .no_hw_ad()
        .after(PTE_V | PTE_R | PTE_U),
        case(
            "sv39 D clear on store, hardware A/D off",
            f,
            &[Leaf(
                0x1000,
                0,
                0x8_0000,
                PTE_V | PTE_R | PTE_W | PTE_U | PTE_A,
            )],
            (0x1000, Store, User),
            Err(R::AccessedDirtyClear { level: 0 }),
        )
        .no_hw_ad(),
        case(
            "sv39 D clear on load, hardware A/D off",
            f,
            &[Leaf(
                0x1000,
                0,
                0x8_0000,
                PTE_V | PTE_R | PTE_W | PTE_U | PTE_A,
            )],
            (0x1000, Load, User),
            Ok(0x8_0000),
        )
        .no_hw_ad(),
        case(
            "sv39 pointer beyond memory",
            f,
            &[Raw(0x1000, 2, Pte::new(0x200, PTE_V).0)],
            (0x1000, Load, User),
            Err(R::PteBeyondMemory {
                level: 1,
                pte_addr: 0x20_0000,
            }),
        ),
        case(
            "sv39 root beyond memory",
            f,
            &[],
            (0x4000_1000, Load, User),
            Err(R::PteBeyondMemory {
                level: 2,
                pte_addr: 0x1000_0008,
            }),
        )
        .root(0x1000_0000),
        case(
            "sv39 global leaf",
            f,
            &[Leaf(0x3000, 0, 0x7000, URWX | PTE_G)],
            (0x3004, Load, User),
            Ok(0x7004),
        ),
    ]
}

fn all_cases() -> Vec<Case> {
    let mut cases = sv39_cases();
    cases.extend(sv32_cases());
    cases.extend(sv48_sv57_cases());
    cases.extend(linear_cases());
    cases.extend(permission_cases());
    cases
}

#[test]
fn at_least_sixty_cases_cover_every_format() {
    let cases = all_cases();
    assert!(cases.len() >= 60, "only {} cases", cases.len());
    for kind in atlas_mmu::FormatKind::ALL {
        assert!(
            cases.iter().filter(|c| c.format.kind == kind).count() >= 8,
            "{kind:?} has few cases"
        );
    }
}

#[test]
fn every_case_translates_as_expected() {
    for c in all_cases() {
        for through_tlbs in [false, true] {
            let mut t = Tables::new(c.format, MEM, LINEAR_LEN);
            for e in &c.entries {
                match *e {
                    Entry::Leaf(va, level, pa, flags) => t.map(va, level, pa, flags),
                    Entry::Raw(va, level, raw) => t.set(va, level, raw),
                };
            }
            let first_pte = c.entries.first().map(|e| match *e {
                Entry::Leaf(va, level, ..) | Entry::Raw(va, level, _) => t.slot(va, level),
            });
            let mut regs = t.regs(1, LINEAR_LEN);
            if let Some(root) = c.root {
                regs = crate::tables::regs_for(c.format, root, 1, LINEAR_LEN);
            }
            regs.sum = c.sum;
            regs.mxr = c.mxr;
            let access = ctx(c.va, c.kind, c.privilege, 1);
            let got = if through_tlbs {
                let mut config = MmuConfig::modern();
                config.hardware_ad = c.hardware_ad;
                let mut tr = Translator::new(config).expect("modern config");
                let first = tr.translate(&mut t.mem, &regs, &access);
                if let Ok(tl) = first {
                    assert!(
                        matches!(tl.resolved, Resolved::Walk { .. }),
                        "{}: first access walks",
                        c.name
                    );
                    // The second identical access hits the L1 and gives the same address.
                    let again = tr
                        .translate(&mut t.mem, &regs, &access)
                        .map(|t| (t.pa, t.resolved));
                    assert_eq!(again, Ok((tl.pa, Resolved::L1)), "{}: L1 hit", c.name);
                }
                first.map(|t| t.pa).map_err(|f| f.reason)
            } else {
                ReferenceTranslator {
                    hardware_ad: c.hardware_ad,
                }
                .translate(&mut t.mem, &regs, &access)
            };
            assert_eq!(
                got, c.expect,
                "case {:?} (through TLBs: {through_tlbs})",
                c.name
            );
            if let (Some(flags), Some(addr)) = (c.flags_after, first_pte) {
                assert_eq!(
                    t.read(addr) & 0xff,
                    flags,
                    "case {:?}: PTE flags after",
                    c.name
                );
            }
        }
    }
}

#[test]
fn causes_and_messages_at_the_trap_boundary() {
    use atlas_isa::Cause;
    let not_valid = R::NotValid { level: 1 };
    assert_eq!(not_valid.cause(Fetch), Cause::FetchPageFault);
    assert_eq!(not_valid.cause(Load), Cause::LoadPageFault);
    assert_eq!(not_valid.cause(Store), Cause::StorePageFault);
    assert_eq!(
        not_valid.to_string(),
        "page fault: PTE at level 1 not valid"
    );
    let beyond = R::PteBeyondMemory {
        level: 0,
        pte_addr: 0x20_0000,
    };
    assert_eq!(beyond.cause(Load), Cause::LoadAccess);
    assert_eq!(beyond.cause(Store), Cause::StoreAccess);
    assert_eq!(beyond.cause(Fetch), Cause::FetchAccess);
    assert_eq!(
        beyond.to_string(),
        "access fault: PTE at level 0 is at 0x200000, beyond physical memory"
    );
    let perm = R::Permission {
        level: 0,
        denied: Denied::NotWritable,
    };
    assert_eq!(perm.cause(Store).code(), 15);
    assert_eq!(
        perm.to_string(),
        "page fault: page not writable (leaf PTE at level 0)"
    );
    assert_eq!(
        R::MisalignedSuperpage { level: 2 }.to_string(),
        "page fault: misaligned superpage (leaf PTE at level 2)"
    );
    assert_eq!(
        R::NonCanonical { va: 0x40_0000_0000 }.to_string(),
        "page fault: virtual address 0x4000000000 is not canonical"
    );
    assert_eq!(R::NonCanonical { va: 0 }.cause(Fetch).code(), 12);
}
