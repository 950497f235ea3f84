//! Page tables in guest physical memory, as the OS writes them and the hardware walker
//! reads them: one radix tree per address space (Sv32/39/48/57), or one flat table
//! (linear). The OS keeps, beside the tree, the number of valid entries of each table
//! frame, so a table that becomes empty on `munmap` is freed and unlinked from its parent.

use super::frames::FrameAllocator;
use super::PAGE;
use atlas_mmu::format::Format;
use atlas_mmu::pte::{Pte, PTE_V};
use atlas_mmu::PhysMem;
use std::collections::BTreeMap;

/// Physical memory ran out while the table needed a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoFrame;

/// One address space's page table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageTable {
    format: &'static Format,
    root: u64,
    /// Entries of a linear table (`None` for a radix tree).
    linear_len: Option<u64>,
    /// Valid entries in each table frame of a radix tree, by physical address.
    valid: BTreeMap<u64, u32>,
    /// Frames holding tables (the whole flat table for linear).
    table_frames: u64,
    /// PTEs written so far (for the OS's cycle charge).
    pub pte_writes: u64,
}

impl PageTable {
    /// An empty radix table of `format` with a zeroed root frame.
    pub fn new_tree(
        format: &'static Format,
        frames: &mut FrameAllocator,
        phys: &mut PhysMem,
    ) -> Result<PageTable, NoFrame> {
        let root = new_table(frames, phys)?;
        Ok(PageTable {
            format,
            root,
            linear_len: None,
            valid: BTreeMap::from([(root, 0)]),
            table_frames: 1,
            pte_writes: 0,
        })
    }

    /// A flat table of `entries` PTEs, allocated whole and contiguous from a fresh
    /// allocator (lowest-free-first hands out consecutive frames).
    pub fn new_linear(
        format: &'static Format,
        entries: u64,
        frames: &mut FrameAllocator,
        phys: &mut PhysMem,
    ) -> Result<PageTable, NoFrame> {
        let bytes = entries.saturating_mul(u64::from(format.pte_size));
        let count = bytes.div_ceil(PAGE);
        let mut first = None;
        for i in 0..count {
            let frame = frames.alloc().ok_or(NoFrame)?;
            let start = *first.get_or_insert(frame);
            if frame != start + i {
                return Err(NoFrame);
            }
        }
        let root = first.ok_or(NoFrame)? * PAGE;
        phys.zero(root, count * PAGE).ok_or(NoFrame)?;
        Ok(PageTable {
            format,
            root,
            linear_len: Some(entries),
            valid: BTreeMap::new(),
            table_frames: count,
            pte_writes: 0,
        })
    }

    /// Physical address of the root (or of the flat table).
    pub fn root(&self) -> u64 {
        self.root
    }

    /// Frames holding tables.
    pub fn table_frames(&self) -> u64 {
        self.table_frames
    }

    /// Entries of a linear table.
    pub fn linear_len(&self) -> Option<u64> {
        self.linear_len
    }

    fn pte_addr(&self, table: u64, va: u64, level: u32) -> u64 {
        table + self.format.vpn(va, level) * u64::from(self.format.pte_size)
    }

    fn read(&self, phys: &PhysMem, addr: u64) -> Pte {
        Pte(phys
            .read(addr, u64::from(self.format.pte_size))
            .unwrap_or(0))
    }

    fn write(&mut self, phys: &mut PhysMem, addr: u64, pte: Pte) {
        self.pte_writes += 1;
        let _ = phys.write(addr, u64::from(self.format.pte_size), pte.0);
    }

    /// The address of the level-0 PTE of `va`, creating missing tables on the way;
    /// `None` if `va` is beyond a linear table.
    fn leaf_slot_creating(
        &mut self,
        va: u64,
        frames: &mut FrameAllocator,
        phys: &mut PhysMem,
    ) -> Result<Option<u64>, NoFrame> {
        if let Some(len) = self.linear_len {
            let vpn = va / PAGE;
            return Ok((vpn < len).then(|| self.root + vpn * u64::from(self.format.pte_size)));
        }
        let mut table = self.root;
        for level in (1..self.format.levels).rev() {
            let addr = self.pte_addr(table, va, level);
            let pte = self.read(phys, addr);
            table = if pte.valid() {
                pte.ppn(self.format.ppn_bits) * PAGE
            } else {
                let next = new_table(frames, phys)?;
                self.write(phys, addr, Pte::new(next / PAGE, PTE_V));
                *self.valid.entry(table).or_insert(0) += 1;
                self.valid.insert(next, 0);
                self.table_frames += 1;
                next
            };
        }
        Ok(Some(self.pte_addr(table, va, 0)))
    }

    /// The level-0 PTE address of `va` if every table above it exists (read-only walk).
    fn find_leaf_slot_in(&self, phys: &PhysMem, va: u64) -> Option<u64> {
        if let Some(len) = self.linear_len {
            let vpn = va / PAGE;
            return (vpn < len).then(|| self.root + vpn * u64::from(self.format.pte_size));
        }
        let mut table = self.root;
        for level in (1..self.format.levels).rev() {
            let pte = self.read(phys, self.pte_addr(table, va, level));
            if !pte.valid() || pte.is_leaf() {
                return None;
            }
            table = pte.ppn(self.format.ppn_bits) * PAGE;
        }
        Some(self.pte_addr(table, va, 0))
    }

    /// Maps the page of `va` to frame `ppn` with `flags` (a leaf at level 0), creating
    /// tables as needed.
    pub fn map(
        &mut self,
        va: u64,
        ppn: u64,
        flags: u64,
        frames: &mut FrameAllocator,
        phys: &mut PhysMem,
    ) -> Result<(), NoFrame> {
        let Some(addr) = self.leaf_slot_creating(va, frames, phys)? else {
            return Err(NoFrame);
        };
        if !self.read(phys, addr).valid() && self.linear_len.is_none() {
            let table = addr - addr % PAGE;
            *self.valid.entry(table).or_insert(0) += 1;
        }
        self.write(phys, addr, Pte::new(ppn, flags));
        Ok(())
    }

    /// The leaf PTE of `va`, if valid.
    pub fn lookup(&self, phys: &PhysMem, va: u64) -> Option<Pte> {
        let addr = self.find_leaf_slot_in(phys, va)?;
        Some(self.read(phys, addr)).filter(|p| p.valid())
    }

    /// Rewrites the flags of the leaf of `va` (if mapped), keeping its frame.
    pub fn protect(&mut self, phys: &mut PhysMem, va: u64, flags: u64) {
        if let Some(addr) = self.find_leaf_slot_in(phys, va) {
            let pte = self.read(phys, addr);
            if pte.valid() {
                self.write(phys, addr, Pte::new(pte.ppn(self.format.ppn_bits), flags));
            }
        }
    }

    /// Clears the leaf of `va` and frees every table that becomes empty (unlinking it from
    /// its parent). Returns the frame the page had, if it was mapped.
    pub fn unmap(
        &mut self,
        va: u64,
        frames: &mut FrameAllocator,
        phys: &mut PhysMem,
    ) -> Option<u64> {
        let addr = self.find_leaf_slot_in(phys, va)?;
        let pte = self.read(phys, addr);
        if !pte.valid() {
            return None;
        }
        self.write(phys, addr, Pte(0));
        if self.linear_len.is_none() {
            self.release(va, addr - addr % PAGE, frames, phys);
        }
        Some(pte.ppn(self.format.ppn_bits))
    }

    /// One valid entry of `table` (at level 0 for `va`) is gone: free the empty tables
    /// from the bottom up, never the root.
    fn release(&mut self, va: u64, table: u64, frames: &mut FrameAllocator, phys: &mut PhysMem) {
        let mut table = table;
        let mut level = 0;
        loop {
            let count = self.valid.entry(table).or_insert(1);
            *count = count.saturating_sub(1);
            if *count != 0 || table == self.root {
                return;
            }
            self.valid.remove(&table);
            frames.free(table / PAGE);
            self.table_frames = self.table_frames.saturating_sub(1);
            // Unlink it from the parent: walk from the root to the level above.
            level += 1;
            let mut parent = self.root;
            for l in (level + 1..self.format.levels).rev() {
                let pte = self.read(phys, self.pte_addr(parent, va, l));
                parent = pte.ppn(self.format.ppn_bits) * PAGE;
            }
            let slot = self.pte_addr(parent, va, level);
            self.write(phys, slot, Pte(0));
            table = parent;
        }
    }

    /// Frames Sv32 would need for the level-0 pages `vpns` (a root and one table per
    /// 4 MiB region touched): the comparison the linear mode reports.
    pub fn sv32_frames_for(vpns: impl Iterator<Item = u64>) -> u64 {
        let mut regions: Vec<u64> = vpns.map(|v| v >> 10).collect();
        regions.dedup();
        1 + regions.len() as u64
    }
}

/// A zeroed frame for a table.
fn new_table(frames: &mut FrameAllocator, phys: &mut PhysMem) -> Result<u64, NoFrame> {
    let pa = frames.alloc().ok_or(NoFrame)? * PAGE;
    phys.zero(pa, PAGE).ok_or(NoFrame)?;
    Ok(pa)
}
