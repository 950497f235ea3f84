//! Access traces: every translated access of a run (kind, PC, VA, PA, size and where the
//! translation was resolved) in a compact binary file, so `atlas trace replay` can push the
//! same access stream through another TLB configuration without re-executing the program,
//! and `atlas trace dump` can print it.
//!
//! Besides accesses, a trace holds TLB flushes ([`Flush`], from `sfence.vma`), so a replay
//! drops the same TLB entries the live run did. [`TraceReader`] iterates over the accesses;
//! [`TraceReader::entries`] over accesses and flushes in order, which is what a replay needs.
//!
//! This is the one module that knows bincode; everything else sees [`Record`]s.
//!
//! # File format (version [`FORMAT_VERSION`])
//!
//! ```text
//! magic    8 bytes   "ATLASTRC"
//! version  4 bytes   u32, little-endian (checked before anything else is decoded)
//! header   bincode (standard config: little-endian varints) of TraceHeader:
//!          xlen_bits u8 (32 or 64), mmu_mode string, program string
//!          (each string at most MAX_HEADER_FIELD bytes)
//! entries  one per access (delta-encoded, below) or flush
//! end      byte 0x03, then the number of entries as a varint u64
//! ```
//!
//! A record starts with a flags byte:
//!
//! | bits | meaning |
//! |---|---|
//! | 0–1 | kind: 0 fetch, 1 load, 2 store; 3 marks a control entry (`0x03` end marker, `0x07` flush) |
//! | 2–3 | size code: 1, 2, 4 or 8 bytes (0 when the size is explicit) |
//! | 4 | PC as predicted: previous record's PC + 4 for a fetch, previous record's PC for a load or store |
//! | 5 | VA as predicted (below) |
//! | 6 | PA − VA as predicted (below) |
//! | 7 | resolution as predicted (below), and the size is one of 1, 2, 4, 8 |
//!
//! Predictions come from the previous access of the same *stream*: all fetches form one
//! stream; loads and stores are split into 256 streams by the accessing instruction's PC
//! (bits 2–9), a stride predictor as hardware prefetchers use. A fetch's VA is predicted to be
//! its PC; a load's or store's VA is the stream's last VA plus its last stride (the
//! difference between its last two VAs). PA − VA and the resolution are predicted to be the
//! stream's last ones. Every stream starts at VA 0, stride 0, PA − VA 0, "fast path", and the
//! PC at 0.
//!
//! After the flags byte come, in this order and only when needed: the PC's difference from
//! its prediction (if bit 4 is clear); a resolution byte (if bit 7 is clear: bits 0–3 the
//! [`Resolution`] tag, 0 fast path, 1 L1, 2 L2, 3 walk, 4 bare, 5 base-bounds, 6 segment,
//! 7 fault; bit 4 "explicit size"; bit 5 "mapping follows"), followed for a walk by its depth
//! and PWC-hit bytes, with an explicit size by the size byte, and when the [`Mapping`]
//! differs from the stream's last one by the mapping (ASID as a varint u16, page shift byte,
//! a byte with bit 0 G and bit 1 D); bit 7 of the flags byte ("resolution as predicted")
//! covers the mapping too. Version 2 added the mapping; the VA's difference (if bit 5 is clear); the
//! PA − VA difference (if bit 6 is clear). Differences are wrapping `u64` subtractions read
//! as `i64` and stored as bincode zigzag varints (1 byte for −125..=125).
//!
//! Straight-line code therefore costs one byte per fetch and one or two per load or store
//! (measured: 1.13 bytes per record on the array-sum loop of the
//! `realistic_loop_costs_about_one_byte_per_record` test; `cargo test -p atlas-prof trace`).
//!
//! A flush is the byte `0x07`, a byte whose bit 0 says a VA follows and bit 1 an ASID, then
//! the VA as a varint u64 and the ASID as a varint u16 when present.
//!
//! The end marker lets a reader tell a finished trace from one cut short: any truncation is
//! reported as [`TraceError::Truncated`], a wrong version as
//! [`TraceError::UnsupportedVersion`], anything else malformed as [`TraceError::Corrupt`].
//! No input makes the reader panic or allocate more than the header limit.

use atlas_mmu::AccessKind;
use bincode::config;
use std::io::{Read, Write};

mod error;
mod reader;
mod writer;

pub use error::{TraceError, TracePlace};
pub use reader::{Entries, TraceReader};
pub use writer::TraceWriter;

/// The first eight bytes of every trace file.
pub const MAGIC: [u8; 8] = *b"ATLASTRC";

/// The format version this build writes and the only one it reads.
pub const FORMAT_VERSION: u32 = 2;

/// Longest `mmu_mode` or `program` string in a header, in bytes; keeps a corrupt length
/// field from asking the reader for gigabytes.
pub const MAX_HEADER_FIELD: usize = 4096;

/// Upper bound on the encoded header (two maximal strings plus their lengths and xlen).
const HEADER_LIMIT: usize = 2 * MAX_HEADER_FIELD + 32;

const KIND_MASK: u8 = 0b11;
const CONTROL_KIND: u8 = 0b11;
const END_MARKER: u8 = CONTROL_KIND;
const FLUSH_MARKER: u8 = CONTROL_KIND | (1 << 2);
const FLUSH_HAS_VA: u8 = 1 << 0;
const FLUSH_HAS_ASID: u8 = 1 << 1;
const SIZE_SHIFT: u8 = 2;
const PC_PREDICTED: u8 = 1 << 4;
const VA_PREDICTED: u8 = 1 << 5;
const OFFSET_SAME: u8 = 1 << 6;
const RESOLUTION_SAME: u8 = 1 << 7;
const TAG_MASK: u8 = 0x0f;
const SIZE_EXPLICIT: u8 = 1 << 4;
const MAPPING_FOLLOWS: u8 = 1 << 5;
const MAPPING_GLOBAL: u8 = 1 << 0;
const MAPPING_DIRTY: u8 = 1 << 1;

/// Size of a fetch when predicting the next PC: RV32IM/RV64IM have no compressed
/// instructions, so straight-line code advances by four.
const INSTRUCTION_BYTES: u64 = 4;

/// Where the MMU resolved one access: the column replay and reports group accesses by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resolution {
    /// The host-side translation cache (by construction also a modelled L1 hit).
    FastPath,
    /// A hit in the L1 TLB (ITLB for fetches, DTLB for data).
    L1,
    /// A miss in L1 and a hit in the unified L2 TLB (STLB).
    L2,
    /// A page-table walk.
    Walk {
        /// Number of page-table levels read (PTE loads issued).
        depth: u8,
        /// Page-walk-cache hits that shortened the walk (Atlas consults its PWCs once per
        /// walk, so 0 or 1).
        pwc_hits: u8,
    },
    /// Bare mode: no translation (PA = VA).
    NoTranslation,
    /// Base-and-bounds relocation.
    BaseBounds,
    /// Segment-register translation.
    Segment,
    /// The translation faulted; the record's PA is meaningless (writers put 0).
    Fault,
}

impl Resolution {
    /// Short lower-case name for reports and dumps: `fast-path`, `l1`, `l2`, `walk`, `bare`,
    /// `base-bounds`, `segment`, `fault`.
    pub const fn name(self) -> &'static str {
        match self {
            Resolution::FastPath => "fast-path",
            Resolution::L1 => "l1",
            Resolution::L2 => "l2",
            Resolution::Walk { .. } => "walk",
            Resolution::NoTranslation => "bare",
            Resolution::BaseBounds => "base-bounds",
            Resolution::Segment => "segment",
            Resolution::Fault => "fault",
        }
    }

    /// The 4-bit tag in the file format.
    const fn tag(self) -> u8 {
        match self {
            Resolution::FastPath => 0,
            Resolution::L1 => 1,
            Resolution::L2 => 2,
            Resolution::Walk { .. } => 3,
            Resolution::NoTranslation => 4,
            Resolution::BaseBounds => 5,
            Resolution::Segment => 6,
            Resolution::Fault => 7,
        }
    }
}

/// One translated access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Record {
    /// Fetch, load or store.
    pub kind: AccessKind,
    /// PC of the instruction making the access.
    pub pc: u64,
    /// Virtual address of the first byte.
    pub va: u64,
    /// Physical address of the first byte (0 for a fault).
    pub pa: u64,
    /// Size in bytes.
    pub size: u8,
    /// Where the translation was resolved.
    pub resolved: Resolution,
    /// The page the access fell in, as a replay needs it to model TLB fills.
    pub mapping: Mapping,
}

/// What a replay needs to know about the page of an access to fill a modelled TLB as the
/// hardware would: its address space, size, and the leaf's G and D bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Mapping {
    /// ASID of the access.
    pub asid: u16,
    /// Log2 of the page size (12 for 4 KiB and for unpaged modes).
    pub page_shift: u8,
    /// The translation is global (matches every ASID).
    pub global: bool,
    /// The leaf's D bit after the access (a clean TLB entry makes a store walk again).
    pub dirty: bool,
}

impl Mapping {
    /// What a stream is predicted to start with: ASID 0, 4 KiB, not global, clean.
    pub const START: Mapping = Mapping {
        asid: 0,
        page_shift: 12,
        global: false,
        dirty: false,
    };
}

/// A TLB flush as `sfence.vma` requests it: `None` means "all" for that operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Flush {
    /// Only translations of this virtual address (`rs1` ≠ `x0`), or every address.
    pub va: Option<u64>,
    /// Only this address space (`rs2` ≠ `x0`), or every address space.
    pub asid: Option<u16>,
}

/// One item of a trace, in the order the run produced them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Entry {
    /// A translated access.
    Access(Record),
    /// A TLB flush.
    Flush(Flush),
}

/// What a trace was recorded from, so a replay or dump can say what it is looking at.
#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct TraceHeader {
    /// Guest register width: 32 or 64.
    pub xlen_bits: u8,
    /// MMU mode name as the CLI spells it (`bare`, `sv39`, ...).
    pub mmu_mode: String,
    /// The guest program (its path or name).
    pub program: String,
}

/// Number of per-instruction slots predicting data accesses (indexed by PC bits 2..10).
const DATA_SLOTS: usize = 256;

/// The prediction state both sides keep, so each record stores only what surprises it.
#[derive(Clone, Debug)]
struct Predictor {
    last_pc: u64,
    fetch: Slot,
    data: Box<[Slot; DATA_SLOTS]>,
}

/// What the last access of one stream (the fetches, or one data slot) looked like.
#[derive(Clone, Copy, Debug)]
struct Slot {
    last_va: u64,
    stride: u64,
    offset: u64,
    resolved: Resolution,
    mapping: Mapping,
}

/// The guesses for one access, made before reading or writing it.
#[derive(Clone, Copy, Debug)]
struct Prediction {
    va: u64,
    offset: u64,
    resolved: Resolution,
    mapping: Mapping,
}

impl Predictor {
    fn new() -> Self {
        let start = Slot {
            last_va: 0,
            stride: 0,
            offset: 0,
            resolved: Resolution::FastPath,
            mapping: Mapping::START,
        };
        Predictor {
            last_pc: 0,
            fetch: start,
            data: Box::new([start; DATA_SLOTS]),
        }
    }

    fn data_slot(pc: u64) -> usize {
        ((pc >> 2) as usize) % DATA_SLOTS
    }

    fn pc(&self, kind: AccessKind) -> u64 {
        match kind {
            AccessKind::Fetch => self.last_pc.wrapping_add(INSTRUCTION_BYTES),
            AccessKind::Load | AccessKind::Store => self.last_pc,
        }
    }

    /// Guesses for an access of `kind` by the instruction at `pc`.
    fn predict(&self, kind: AccessKind, pc: u64) -> Prediction {
        match kind {
            AccessKind::Fetch => Prediction {
                va: pc,
                offset: self.fetch.offset,
                resolved: self.fetch.resolved,
                mapping: self.fetch.mapping,
            },
            AccessKind::Load | AccessKind::Store => {
                let slot = &self.data[Self::data_slot(pc)];
                Prediction {
                    va: slot.last_va.wrapping_add(slot.stride),
                    offset: slot.offset,
                    resolved: slot.resolved,
                    mapping: slot.mapping,
                }
            }
        }
    }

    fn update(&mut self, record: &Record) {
        self.last_pc = record.pc;
        let slot = match record.kind {
            AccessKind::Fetch => &mut self.fetch,
            AccessKind::Load | AccessKind::Store => &mut self.data[Self::data_slot(record.pc)],
        };
        slot.stride = record.va.wrapping_sub(slot.last_va);
        slot.last_va = record.va;
        slot.offset = record.pa.wrapping_sub(record.va);
        slot.resolved = record.resolved;
        slot.mapping = record.mapping;
    }
}

const fn kind_bits(kind: AccessKind) -> u8 {
    match kind {
        AccessKind::Fetch => 0,
        AccessKind::Load => 1,
        AccessKind::Store => 2,
    }
}

const fn size_code(size: u8) -> Option<u8> {
    match size {
        1 => Some(0),
        2 => Some(1),
        4 => Some(2),
        8 => Some(3),
        _ => None,
    }
}

/// Renders one record as `atlas trace dump` prints it: `<I|L|S> <pc> <va> <pa> <size>`,
/// addresses in lower-case hex without `0x`, size in decimal, single spaces, e.g.
/// `L 10074 7ffffff0 7ffffff0 8`. The resolution is not shown (faults print PA 0).
pub fn dump_line(record: &Record) -> String {
    format!(
        "{} {:x} {:x} {:x} {}",
        record.kind.letter(),
        record.pc,
        record.va,
        record.pa,
        record.size
    )
}

/// Writes every access of `reader` to `out`, one [`dump_line`] per line (flushes are not
/// shown), and returns how many were written. Stops at the first error (records before it are already written).
pub fn dump<R: Read, W: Write>(reader: TraceReader<R>, out: &mut W) -> Result<u64, TraceError> {
    let mut written = 0u64;
    for record in reader {
        writeln!(out, "{}", dump_line(&record?))?;
        written = written.wrapping_add(1);
    }
    Ok(written)
}

#[cfg(test)]
mod tests;
