//! Set-up shared by the address-space tests that drive a mode's `AddressSpace` directly.

// Each test binary that includes this module uses only part of it.
#![allow(dead_code)]

use atlas_asm::{Image, LineTable, Perms, Segment};
use atlas_isa::Xlen;
use atlas_mmu::{AccessCtx, AccessKind, Privilege};
use atlas_os::mm::{AddressSpace, MmapArgs, MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE};

/// Bytes per page.
pub const PAGE: u64 = 4096;

/// An image of one page of text (`nop`s) at 0x10000.
pub fn text_image(xlen: Xlen) -> Image {
    Image {
        xlen,
        entry: 0x10000,
        segments: vec![Segment {
            name: ".text".into(),
            vaddr: 0x10000,
            data: vec![0x13; 0x100],
            mem_size: 0x100,
            perms: Perms::RX,
        }],
        symbols: Vec::new(),
        lines: LineTable::default(),
    }
}

/// A private anonymous read-write `mmap` of `len` bytes anywhere.
pub fn anon(len: u64) -> MmapArgs {
    MmapArgs {
        addr: 0,
        len,
        prot: PROT_READ | PROT_WRITE,
        flags: MAP_PRIVATE | MAP_ANONYMOUS,
        fd: u64::MAX,
        offset: 0,
    }
}

/// The mode-specific counter `name` of `space`'s statistics.
pub fn extra(space: &dyn AddressSpace, name: &str) -> u64 {
    let stats = space.stats();
    let found = stats.extra.iter().find(|(n, _)| *n == name);
    found.map(|&(_, v)| v).expect("counter reported")
}

/// A one-byte user access of `kind` at `va`, as the guest makes it (ASID 0).
pub fn user_byte(va: u64, kind: AccessKind) -> AccessCtx {
    AccessCtx {
        va,
        kind,
        size: 1,
        privilege: Privilege::User,
        asid: 0,
        pc: 0,
    }
}
