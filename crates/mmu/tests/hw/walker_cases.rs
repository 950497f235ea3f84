//! Walker conformance cases for Sv32, Sv48, Sv57 and the linear format (the Sv39 cases and
//! the harness are in `walker_conformance.rs`).

use crate::walker_conformance::{case, Case, Entry, LINEAR_LEN, SRW, UR, URW, URWX, UX};
use atlas_mmu::pte::{Pte, PTE_A, PTE_D, PTE_R, PTE_U, PTE_V, PTE_W, PTE_X};
use atlas_mmu::{AccessKind, Denied, Format, Privilege, TranslateReason};

use atlas_mmu::AccessKind::{Fetch, Load, Store};
use atlas_mmu::Privilege::{Supervisor, User};
use TranslateReason as R;

pub(crate) fn sv32_cases() -> Vec<Case> {
    let f = &Format::SV32;
    use Entry::{Leaf, Raw};
    vec![
        case(
            "sv32 4K page",
            f,
            &[Leaf(0x1234_5678, 0, 0x9_a000, URWX)],
            (0x1234_5678, Load, User),
            Ok(0x9_a678),
        ),
        case(
            "sv32 4M megapage",
            f,
            &[Leaf(0x0040_0000, 1, 0x0080_0000, URWX)],
            (0x005f_fff0, Fetch, User),
            Ok(0x009f_fff0),
        ),
        case(
            "sv32 megapage above 4 GiB (34-bit PA)",
            f,
            &[Leaf(0x8000_0000, 1, 0x3_0000_0000, URWX)],
            (0x8012_3456, Load, User),
            Ok(0x3_0012_3456),
        ),
        case(
            "sv32 misaligned megapage",
            f,
            &[Raw(0x0040_0000, 1, Pte::new(0x801, URWX).0)],
            (0x0040_0000, Load, User),
            Err(R::MisalignedSuperpage { level: 1 }),
        ),
        case(
            "sv32 level-1 not valid",
            f,
            &[],
            (0x1000, Store, User),
            Err(R::NotValid { level: 1 }),
        ),
        case(
            "sv32 level-0 not valid",
            f,
            &[Raw(0x1000, 0, 0)],
            (0x1000, Store, User),
            Err(R::NotValid { level: 0 }),
        ),
        case(
            "sv32 W without R",
            f,
            &[Raw(0x1000, 1, PTE_V | PTE_W | PTE_X)],
            (0x1000, Fetch, User),
            Err(R::WriteWithoutRead { level: 1 }),
        ),
        case(
            "sv32 pointer at level 0",
            f,
            &[Raw(0x1000, 0, Pte::new(0x10, PTE_V).0)],
            (0x1000, Load, User),
            Err(R::NoLeaf),
        ),
        case(
            "sv32 store to read-only",
            f,
            &[Leaf(0x1000, 0, 0x5000, UR)],
            (0x1000, Store, User),
            Err(R::Permission {
                level: 0,
                denied: Denied::NotWritable,
            }),
        ),
        case(
            "sv32 user fetch from supervisor page",
            f,
            &[Leaf(0x1000, 0, 0x5000, PTE_V | PTE_X | PTE_A)],
            (0x1000, Fetch, User),
            Err(R::Permission {
                level: 0,
                denied: Denied::SupervisorPage,
            }),
        ),
        case(
            "sv32 store sets A and D in a 4-byte PTE",
            f,
            &[Leaf(0x1000, 0, 0x5000, PTE_V | PTE_R | PTE_W)],
            (0x1000, Store, Supervisor),
            Ok(0x5000),
        )
        .after(PTE_V | PTE_R | PTE_W | PTE_A | PTE_D),
        case(
            "sv32 VA above 32 bits",
            f,
            &[],
            (0x1_0000_0000, Load, User),
            Err(R::NonCanonical { va: 0x1_0000_0000 }),
        ),
        case(
            "sv32 pointer beyond memory",
            f,
            &[Raw(0x0040_1000, 1, Pte::new(0x300, PTE_V).0)],
            (0x0040_1000, Load, User),
            Err(R::PteBeyondMemory {
                level: 0,
                pte_addr: 0x30_0004,
            }),
        ),
    ]
}

pub(crate) fn sv48_sv57_cases() -> Vec<Case> {
    let f48 = &Format::SV48;
    let f57 = &Format::SV57;
    use Entry::{Leaf, Raw};
    vec![
        case(
            "sv48 4K page",
            f48,
            &[Leaf(0x7f_ffff_f000, 0, 0x3000, URWX)],
            (0x7f_ffff_f008, Load, User),
            Ok(0x3008),
        ),
        case(
            "sv48 2M page",
            f48,
            &[Leaf(0x1_0020_0000, 1, 0x60_0000, URWX)],
            (0x1_0021_0000, Load, User),
            Ok(0x61_0000),
        ),
        case(
            "sv48 1G page",
            f48,
            &[Leaf(0x1_4000_0000, 2, 0xc000_0000, URWX)],
            (0x1_7fff_ffff, Load, User),
            Ok(0xffff_ffff),
        ),
        case(
            "sv48 512G page",
            f48,
            &[Leaf(0x80_0000_0000, 3, 0x100_0000_0000, URWX)],
            (0xab_cdef_0123, Load, User),
            Ok(0x12b_cdef_0123),
        ),
        case(
            "sv48 misaligned 512G page",
            f48,
            &[Raw(
                0x80_0000_0000,
                3,
                Pte::new(0x1000_0000 | 0x40000, URWX).0,
            )],
            (0x80_0000_0000, Load, User),
            Err(R::MisalignedSuperpage { level: 3 }),
        ),
        case(
            "sv48 non-canonical",
            f48,
            &[],
            (0x8000_0000_0000, Load, User),
            Err(R::NonCanonical {
                va: 0x8000_0000_0000,
            }),
        ),
        case(
            "sv48 canonical high",
            f48,
            &[Leaf(0xffff_8000_0000_0000, 0, 0x4000, SRW)],
            (0xffff_8000_0000_0010, Store, Supervisor),
            Ok(0x4010),
        ),
        case(
            "sv48 root not valid",
            f48,
            &[],
            (0x1000, Fetch, User),
            Err(R::NotValid { level: 3 }),
        ),
        case(
            "sv48 level-2 not valid",
            f48,
            &[Raw(0x1000, 2, 0)],
            (0x1000, Fetch, User),
            Err(R::NotValid { level: 2 }),
        ),
        case(
            "sv48 store to 1G read-only",
            f48,
            &[Leaf(0x4000_0000, 2, 0x4000_0000, UR)],
            (0x4000_0000, Store, User),
            Err(R::Permission {
                level: 2,
                denied: Denied::NotWritable,
            }),
        ),
        case(
            "sv48 load sets A on a 512G page",
            f48,
            &[Leaf(0, 3, 0, PTE_V | PTE_R | PTE_U)],
            (0x10, Load, User),
            Ok(0x10),
        )
        .after(PTE_V | PTE_R | PTE_U | PTE_A),
        case(
            "sv57 4K page",
            f57,
            &[Leaf(0x1_2345_6789_a000, 0, 0xb000, URWX)],
            (0x1_2345_6789_afff, Load, User),
            Ok(0xbfff),
        ),
        case(
            "sv57 512G page",
            f57,
            &[Leaf(0x80_0000_0000, 3, 0x80_0000_0000, URWX)],
            (0x81_0000_0040, Fetch, User),
            Ok(0x81_0000_0040),
        ),
        case(
            "sv57 256T page",
            f57,
            &[Leaf(0x1_0000_0000_0000, 4, 0x2_0000_0000_0000, URWX)],
            (0x1_1234_5678_9abc, Load, User),
            Ok(0x2_1234_5678_9abc),
        ),
        case(
            "sv57 misaligned 256T page",
            f57,
            &[Raw(0x1_0000_0000_0000, 4, Pte::new(0x20_0000_0001, URWX).0)],
            (0x1_0000_0000_0000, Load, User),
            Err(R::MisalignedSuperpage { level: 4 }),
        ),
        case(
            "sv57 non-canonical",
            f57,
            &[],
            (0x100_0000_0000_0000, Load, User),
            Err(R::NonCanonical {
                va: 0x100_0000_0000_0000,
            }),
        ),
        case(
            "sv57 canonical high",
            f57,
            &[Leaf(0xff00_0000_0000_0000, 0, 0x6000, URWX)],
            (0xff00_0000_0000_0004, Load, User),
            Ok(0x6004),
        ),
        case(
            "sv57 root not valid",
            f57,
            &[],
            (0x1000, Load, User),
            Err(R::NotValid { level: 4 }),
        ),
        case(
            "sv57 pointer at level 0",
            f57,
            &[Raw(0x1000, 0, Pte::new(0x10, PTE_V).0)],
            (0x1000, Load, User),
            Err(R::NoLeaf),
        ),
        case(
            "sv57 W without R at level 3",
            f57,
            &[Raw(0x1000, 3, PTE_V | PTE_W)],
            (0x1000, Store, User),
            Err(R::WriteWithoutRead { level: 3 }),
        ),
        case(
            "sv57 supervisor load from user page",
            f57,
            &[Leaf(0x1000, 0, 0x5000, URWX)],
            (0x1000, Load, Supervisor),
            Err(R::Permission {
                level: 0,
                denied: Denied::UserPageWithoutSum,
            }),
        ),
    ]
}

pub(crate) fn linear_cases() -> Vec<Case> {
    let f64 = &Format::LINEAR64;
    let f32 = &Format::LINEAR32;
    use Entry::{Leaf, Raw};
    vec![
        case(
            "linear64 page",
            f64,
            &[Leaf(0x5000, 0, 0x3_0000, URWX)],
            (0x5abc, Load, User),
            Ok(0x3_0abc),
        ),
        case(
            "linear64 beyond table length",
            f64,
            &[],
            (LINEAR_LEN << 12, Load, User),
            Err(R::BeyondLinearTable {
                vpn: LINEAR_LEN,
                len: LINEAR_LEN,
            }),
        ),
        case(
            "linear64 VA above 32 bits",
            f64,
            &[],
            (1 << 32, Load, User),
            Err(R::NonCanonical { va: 1 << 32 }),
        ),
        case(
            "linear64 not valid",
            f64,
            &[],
            (0x1000, Fetch, User),
            Err(R::NotValid { level: 0 }),
        ),
        case(
            "linear64 pointer is no leaf",
            f64,
            &[Raw(0x1000, 0, Pte::new(0x10, PTE_V).0)],
            (0x1000, Load, User),
            Err(R::NoLeaf),
        ),
        case(
            "linear64 store to read-only",
            f64,
            &[Leaf(0x2000, 0, 0x9000, UR)],
            (0x2000, Store, User),
            Err(R::Permission {
                level: 0,
                denied: Denied::NotWritable,
            }),
        ),
        case(
            "linear64 store sets A and D",
            f64,
            &[Leaf(0x2000, 0, 0x9000, PTE_V | PTE_R | PTE_W | PTE_U)],
            (0x2000, Store, User),
            Ok(0x9000),
        )
        .after(URW),
        case(
            "linear32 page",
            f32,
            &[Leaf(0x7000, 0, 0x1_0000, URWX)],
            (0x7ffc, Fetch, User),
            Ok(0x1_0ffc),
        ),
        case(
            "linear32 reserved-free 32-bit PTE",
            f32,
            &[Leaf(0x8000, 0, 0x3_ffff_f000, URWX)],
            (0x8001, Load, User),
            Ok(0x3_ffff_f001),
        ),
        case(
            "linear32 table beyond memory",
            f32,
            &[],
            (0x1000, Load, User),
            Err(R::PteBeyondMemory {
                level: 0,
                pte_addr: 0x200_0004,
            }),
        )
        .root(0x200_0000),
    ]
}

/// What, leaf flags, access kind, privilege, SUM, MXR and the expected denial.
type PermissionCheck = (
    &'static str,
    u64,
    AccessKind,
    Privilege,
    bool,
    bool,
    Option<Denied>,
);

/// Every permission failure of step 5, and the SUM/MXR exceptions to them, in every format.
pub(crate) fn permission_cases() -> Vec<Case> {
    use Entry::Leaf;
    let s_rwx = PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D;
    let checks: [PermissionCheck; 10] = [
        (
            "user access to supervisor page",
            s_rwx,
            Load,
            User,
            true,
            true,
            Some(Denied::SupervisorPage),
        ),
        (
            "supervisor load from user page",
            URWX,
            Load,
            Supervisor,
            false,
            false,
            Some(Denied::UserPageWithoutSum),
        ),
        (
            "supervisor store to user page with SUM",
            URWX,
            Store,
            Supervisor,
            true,
            false,
            None,
        ),
        (
            "supervisor fetch from user page",
            URWX,
            Fetch,
            Supervisor,
            true,
            true,
            Some(Denied::SupervisorFetchFromUserPage),
        ),
        (
            "fetch without X",
            URW,
            Fetch,
            User,
            false,
            false,
            Some(Denied::NotExecutable),
        ),
        (
            "load without R",
            UX,
            Load,
            User,
            false,
            false,
            Some(Denied::NotReadable),
        ),
        ("load without R, MXR set", UX, Load, User, false, true, None),
        (
            "store without W",
            UR | PTE_X,
            Store,
            User,
            false,
            true,
            Some(Denied::NotWritable),
        ),
        (
            "supervisor fetch from supervisor page",
            s_rwx,
            Fetch,
            Supervisor,
            false,
            false,
            None,
        ),
        (
            "store to read-write page",
            URW,
            Store,
            User,
            false,
            false,
            None,
        ),
    ];
    let formats = [
        &Format::SV32,
        &Format::SV39,
        &Format::SV48,
        &Format::SV57,
        &Format::LINEAR32,
        &Format::LINEAR64,
    ];
    let mut cases = Vec::new();
    for f in formats {
        for (what, flags, kind, privilege, sum, mxr, denied) in checks {
            let expect = match denied {
                Some(denied) => Err(R::Permission { level: 0, denied }),
                None => Ok(0x7_0abc),
            };
            let mut c = case(
                format!("{:?} {what}", f.kind),
                f,
                &[Leaf(0x3000, 0, 0x7_0000, flags)],
                (0x3abc, kind, privilege),
                expect,
            );
            if sum {
                c = c.sum();
            }
            if mxr {
                c = c.mxr();
            }
            cases.push(c);
        }
    }
    cases
}
