//! Test helpers: page tables built in physical memory, register setups and access contexts.

use atlas_isa::Xlen;
use atlas_mmu::format::PAGE_SHIFT;
use atlas_mmu::pte::{Pte, PTE_V};
use atlas_mmu::regs::ATMODE_LINEAR;
use atlas_mmu::{AccessCtx, AccessKind, Format, FormatKind, MmuRegs, PhysMem, Privilege, Satp};

/// A page-table image under construction.
pub struct Tables {
    pub mem: PhysMem,
    pub format: &'static Format,
    pub root: u64,
    next_free: u64,
}

impl Tables {
    /// An empty table of `format` in `mem_size` bytes; frames are allocated from 0x1000 up
    /// (the linear table takes `linear_len` entries).
    pub fn new(format: &'static Format, mem_size: u64, linear_len: u64) -> Tables {
        let mem = PhysMem::new(mem_size).expect("test memory");
        let mut t = Tables {
            mem,
            format,
            root: 0,
            next_free: 0x1000,
        };
        let root_bytes = if format.kind == FormatKind::Linear {
            (linear_len * u64::from(format.pte_size)).max(4096)
        } else {
            4096
        };
        t.root = t.alloc(root_bytes);
        t
    }

    /// A zeroed, page-aligned region of `bytes`.
    pub fn alloc(&mut self, bytes: u64) -> u64 {
        let at = self.next_free;
        self.next_free += bytes.div_ceil(4096) * 4096;
        assert!(self.next_free <= self.mem.size(), "test memory exhausted");
        at
    }

    /// The address of the PTE slot for `va` at `level`, creating pointer PTEs (V only) on the
    /// way down where the slots are empty.
    pub fn slot(&mut self, va: u64, level: u32) -> u64 {
        let f = self.format;
        let mut table = self.root;
        let mut i = f.levels - 1;
        loop {
            let addr = table + f.vpn(va, i) * u64::from(f.pte_size);
            if i == level {
                return addr;
            }
            let mut raw = self
                .mem
                .read(addr, u64::from(f.pte_size))
                .expect("slot in memory");
            if raw == 0 {
                let next = self.alloc(4096);
                raw = Pte::new(next >> PAGE_SHIFT, PTE_V).0;
                self.mem
                    .write(addr, u64::from(f.pte_size), raw)
                    .expect("write pointer");
            }
            table = Pte(raw).ppn(f.ppn_bits) << PAGE_SHIFT;
            i -= 1;
        }
    }

    /// Writes the raw PTE for `va` at `level`; returns its address.
    pub fn set(&mut self, va: u64, level: u32, raw: u64) -> u64 {
        let addr = self.slot(va, level);
        self.mem
            .write(addr, u64::from(self.format.pte_size), raw)
            .expect("write pte");
        addr
    }

    /// Maps the page of `va` at `level` to physical `pa` with `flags`; returns the PTE address.
    pub fn map(&mut self, va: u64, level: u32, pa: u64, flags: u64) -> u64 {
        self.set(va, level, Pte::new(pa >> PAGE_SHIFT, flags).0)
    }

    /// Reads the PTE at `addr`.
    pub fn read(&self, addr: u64) -> u64 {
        self.mem
            .read(addr, u64::from(self.format.pte_size))
            .expect("read pte")
    }

    /// Registers selecting this table for `asid` (linear: `linear_len` entries).
    pub fn regs(&self, asid: u16, linear_len: u64) -> MmuRegs {
        regs_for(self.format, self.root, asid, linear_len)
    }
}

/// The hart width a format belongs to.
pub fn xlen_of(format: &Format) -> Xlen {
    match format.pte_size {
        4 => Xlen::X32,
        _ => Xlen::X64,
    }
}

/// Registers selecting the table of `format` at `root`.
pub fn regs_for(format: &Format, root: u64, asid: u16, linear_len: u64) -> MmuRegs {
    let xlen = xlen_of(format);
    let mut regs = MmuRegs::new(xlen);
    if format.kind == FormatKind::Linear {
        regs.atmode = ATMODE_LINEAR;
        regs.atlinbase = root;
        regs.atlinlen = linear_len;
    } else {
        regs.satp = Satp {
            mode: Some(format.kind),
            asid,
            ppn: root >> PAGE_SHIFT,
        }
        .encode(xlen);
    }
    regs
}

/// An access context.
pub fn ctx(va: u64, kind: AccessKind, privilege: Privilege, asid: u16) -> AccessCtx {
    AccessCtx {
        va,
        kind,
        size: 4,
        privilege,
        asid,
        pc: 0x1000,
    }
}

/// A tiny deterministic generator for random tests.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}
