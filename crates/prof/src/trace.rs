//! Access traces: every translated access of a run (kind, PC, VA, PA, size and where the
//! translation was resolved) in a compact binary file, so `atlas trace replay` can push the
//! same access stream through another TLB configuration without re-executing the program,
//! and `atlas trace dump` can print it.
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
//! records  one per access, delta-encoded (below)
//! end      byte 0x03, then the number of records as a varint u64
//! ```
//!
//! A record starts with a flags byte:
//!
//! | bits | meaning |
//! |---|---|
//! | 0–1 | kind: 0 fetch, 1 load, 2 store; 3 marks a control entry (only `0x03`, the end marker, is defined) |
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
//! 7 fault; bit 4 "explicit size"), followed for a walk by its depth and PWC-hit bytes and
//! with an explicit size by the size byte; the VA's difference (if bit 5 is clear); the
//! PA − VA difference (if bit 6 is clear). Differences are wrapping `u64` subtractions read
//! as `i64` and stored as bincode zigzag varints (1 byte for −125..=125).
//!
//! Straight-line code therefore costs one byte per fetch and one or two per load or store
//! (measured: 1.13 bytes per record on the array-sum loop of the
//! `realistic_loop_costs_about_one_byte_per_record` test; `cargo test -p atlas-prof trace`).
//!
//! The end marker lets a reader tell a finished trace from one cut short: any truncation is
//! reported as [`TraceError::Truncated`], a wrong version as
//! [`TraceError::UnsupportedVersion`], anything else malformed as [`TraceError::Corrupt`].
//! No input makes the reader panic or allocate more than the header limit.

use atlas_mmu::AccessKind;
use bincode::config;
use bincode::error::{DecodeError, EncodeError};
use std::io::{self, BufReader, BufWriter, Read, Write};

mod error;

pub use error::{TraceError, TracePlace};

/// The first eight bytes of every trace file.
pub const MAGIC: [u8; 8] = *b"ATLASTRC";

/// The format version this build writes and the only one it reads.
pub const FORMAT_VERSION: u32 = 1;

/// Longest `mmu_mode` or `program` string in a header, in bytes; keeps a corrupt length
/// field from asking the reader for gigabytes.
pub const MAX_HEADER_FIELD: usize = 4096;

/// Upper bound on the encoded header (two maximal strings plus their lengths and xlen).
const HEADER_LIMIT: usize = 2 * MAX_HEADER_FIELD + 32;

const KIND_MASK: u8 = 0b11;
const CONTROL_KIND: u8 = 0b11;
const END_MARKER: u8 = CONTROL_KIND;
const SIZE_SHIFT: u8 = 2;
const PC_PREDICTED: u8 = 1 << 4;
const VA_PREDICTED: u8 = 1 << 5;
const OFFSET_SAME: u8 = 1 << 6;
const RESOLUTION_SAME: u8 = 1 << 7;
const TAG_MASK: u8 = 0x0f;
const SIZE_EXPLICIT: u8 = 1 << 4;

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
        /// Upper levels skipped thanks to page-walk-cache hits.
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
}

/// The guesses for one access, made before reading or writing it.
#[derive(Clone, Copy, Debug)]
struct Prediction {
    va: u64,
    offset: u64,
    resolved: Resolution,
}

impl Predictor {
    fn new() -> Self {
        let start = Slot {
            last_va: 0,
            stride: 0,
            offset: 0,
            resolved: Resolution::FastPath,
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
            },
            AccessKind::Load | AccessKind::Store => {
                let slot = &self.data[Self::data_slot(pc)];
                Prediction {
                    va: slot.last_va.wrapping_add(slot.stride),
                    offset: slot.offset,
                    resolved: slot.resolved,
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

/// Writes a trace to any byte sink, buffered and streaming: memory use does not grow with
/// the number of records. Call [`TraceWriter::finish`] at the end of the run, or readers
/// will report the file as truncated.
#[derive(Debug)]
pub struct TraceWriter<W: Write> {
    out: BufWriter<W>,
    predictor: Predictor,
    records: u64,
}

impl<W: Write> TraceWriter<W> {
    /// Starts a trace: writes the magic, version and `header` to `inner`.
    pub fn new(inner: W, header: &TraceHeader) -> Result<Self, TraceError> {
        validate_header(header)?;
        let mut out = BufWriter::with_capacity(64 * 1024, inner);
        out.write_all(&MAGIC)?;
        out.write_all(&FORMAT_VERSION.to_le_bytes())?;
        bincode::encode_into_std_write(header, &mut out, config::standard())
            .map_err(encode_error)?;
        Ok(TraceWriter {
            out,
            predictor: Predictor::new(),
            records: 0,
        })
    }

    /// Appends one access.
    pub fn write(&mut self, record: &Record) -> Result<(), TraceError> {
        let predicted_pc = self.predictor.pc(record.kind);
        let predicted = self.predictor.predict(record.kind, record.pc);
        let offset = record.pa.wrapping_sub(record.va);
        let code = size_code(record.size);

        let mut flags = kind_bits(record.kind) | (code.unwrap_or(0) << SIZE_SHIFT);
        if record.pc == predicted_pc {
            flags |= PC_PREDICTED;
        }
        if record.va == predicted.va {
            flags |= VA_PREDICTED;
        }
        if offset == predicted.offset {
            flags |= OFFSET_SAME;
        }
        let resolution_same = code.is_some() && record.resolved == predicted.resolved;
        if resolution_same {
            flags |= RESOLUTION_SAME;
        }
        self.out.write_all(&[flags])?;
        if flags & PC_PREDICTED == 0 {
            self.write_delta(record.pc, predicted_pc)?;
        }
        if !resolution_same {
            let explicit = if code.is_none() { SIZE_EXPLICIT } else { 0 };
            self.out.write_all(&[record.resolved.tag() | explicit])?;
            if let Resolution::Walk { depth, pwc_hits } = record.resolved {
                self.out.write_all(&[depth, pwc_hits])?;
            }
            if code.is_none() {
                self.out.write_all(&[record.size])?;
            }
        }
        if flags & VA_PREDICTED == 0 {
            self.write_delta(record.va, predicted.va)?;
        }
        if flags & OFFSET_SAME == 0 {
            self.write_delta(offset, predicted.offset)?;
        }
        self.predictor.update(record);
        self.records = self.records.wrapping_add(1);
        Ok(())
    }

    /// Number of records written so far.
    pub fn records_written(&self) -> u64 {
        self.records
    }

    /// Writes the end marker, flushes, and hands back the sink.
    pub fn finish(mut self) -> Result<W, TraceError> {
        self.out.write_all(&[END_MARKER])?;
        bincode::encode_into_std_write(self.records, &mut self.out, config::standard())
            .map_err(encode_error)?;
        self.out
            .into_inner()
            .map_err(|e| TraceError::Io(e.into_error()))
    }

    fn write_delta(&mut self, actual: u64, predicted: u64) -> Result<(), TraceError> {
        // Reinterpreting the wrapping difference as signed keeps small steps backwards small.
        let delta = actual.wrapping_sub(predicted) as i64;
        bincode::encode_into_std_write(delta, &mut self.out, config::standard())
            .map_err(encode_error)?;
        Ok(())
    }
}

fn validate_header(header: &TraceHeader) -> Result<(), TraceError> {
    if header.xlen_bits != 32 && header.xlen_bits != 64 {
        return Err(TraceError::InvalidHeader {
            field: "xlen_bits",
            reason: format!("{} is neither 32 nor 64", header.xlen_bits),
        });
    }
    for (field, value) in [("mmu_mode", &header.mmu_mode), ("program", &header.program)] {
        if value.len() > MAX_HEADER_FIELD {
            return Err(TraceError::InvalidHeader {
                field,
                reason: format!(
                    "{} bytes long; the limit is {MAX_HEADER_FIELD}",
                    value.len()
                ),
            });
        }
    }
    Ok(())
}

fn encode_error(error: EncodeError) -> TraceError {
    match error {
        EncodeError::Io { inner, .. } => TraceError::Io(inner),
        other => TraceError::Io(io::Error::other(other.to_string())),
    }
}

/// A byte source that knows how far it has read, for error messages.
#[derive(Debug)]
struct CountingReader<R> {
    inner: R,
    offset: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.offset = self.offset.wrapping_add(n as u64);
        Ok(n)
    }
}

impl<R: Read> CountingReader<R> {
    /// One byte, or `None` at a clean end of input.
    fn read_byte(&mut self) -> io::Result<Option<u8>> {
        let mut byte = [0u8; 1];
        loop {
            match self.read(&mut byte) {
                Ok(0) => return Ok(None),
                Ok(_) => return Ok(Some(byte[0])),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

/// Reads a trace from any byte source, one record at a time: an iterator of
/// `Result<Record, TraceError>` that stops after the end marker or after the first error.
#[derive(Debug)]
pub struct TraceReader<R: Read> {
    input: CountingReader<BufReader<R>>,
    header: TraceHeader,
    predictor: Predictor,
    records: u64,
    done: bool,
}

impl<R: Read> TraceReader<R> {
    /// Opens a trace: reads and checks the magic, version and header.
    pub fn new(inner: R) -> Result<Self, TraceError> {
        let mut input = CountingReader {
            inner: BufReader::with_capacity(64 * 1024, inner),
            offset: 0,
        };
        let mut magic = [0u8; 8];
        read_exact_or_truncated(&mut input, &mut magic, TracePlace::Header)?;
        if magic != MAGIC {
            return Err(TraceError::BadMagic { found: magic });
        }
        let mut version = [0u8; 4];
        read_exact_or_truncated(&mut input, &mut version, TracePlace::Header)?;
        let version = u32::from_le_bytes(version);
        if version != FORMAT_VERSION {
            return Err(TraceError::UnsupportedVersion {
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        let start = input.offset;
        let header: TraceHeader = bincode::decode_from_std_read(
            &mut input,
            config::standard().with_limit::<HEADER_LIMIT>(),
        )
        .map_err(|e| decode_error(e, input.offset, start, TracePlace::Header))?;
        let bad = |reason: String| TraceError::Corrupt {
            offset: start,
            place: TracePlace::Header,
            reason,
        };
        if header.xlen_bits != 32 && header.xlen_bits != 64 {
            return Err(bad(format!(
                "xlen {} is neither 32 nor 64",
                header.xlen_bits
            )));
        }
        if header.mmu_mode.len() > MAX_HEADER_FIELD || header.program.len() > MAX_HEADER_FIELD {
            return Err(bad(format!(
                "a header string is longer than {MAX_HEADER_FIELD} bytes"
            )));
        }
        Ok(TraceReader {
            input,
            header,
            predictor: Predictor::new(),
            records: 0,
            done: false,
        })
    }

    /// What the trace was recorded from.
    pub fn header(&self) -> &TraceHeader {
        &self.header
    }

    /// Number of records returned so far.
    pub fn records_read(&self) -> u64 {
        self.records
    }

    fn read_record(&mut self) -> Result<Option<Record>, TraceError> {
        let start = self.input.offset;
        let place = TracePlace::Record(self.records);
        let Some(flags) = self.input.read_byte()? else {
            return Err(TraceError::Truncated {
                offset: start,
                place: TracePlace::End,
            });
        };
        let kind = match flags & KIND_MASK {
            0 => AccessKind::Fetch,
            1 => AccessKind::Load,
            2 => AccessKind::Store,
            _ => return self.read_control(flags, start).map(|()| None),
        };
        let predicted_pc = self.predictor.pc(kind);
        let pc = if flags & PC_PREDICTED != 0 {
            predicted_pc
        } else {
            self.delta(predicted_pc, start, place)?
        };
        let predicted = self.predictor.predict(kind, pc);
        let code_size = 1u8 << ((flags >> SIZE_SHIFT) & 0b11);

        let (resolved, size) = if flags & RESOLUTION_SAME != 0 {
            (predicted.resolved, code_size)
        } else {
            let byte = self.byte(place)?;
            if byte & !(TAG_MASK | SIZE_EXPLICIT) != 0 {
                return Err(corrupt(
                    start,
                    place,
                    format!("reserved bits set in resolution byte {byte:#04x}"),
                ));
            }
            let resolved = match byte & TAG_MASK {
                0 => Resolution::FastPath,
                1 => Resolution::L1,
                2 => Resolution::L2,
                3 => Resolution::Walk {
                    depth: self.byte(place)?,
                    pwc_hits: self.byte(place)?,
                },
                4 => Resolution::NoTranslation,
                5 => Resolution::BaseBounds,
                6 => Resolution::Segment,
                7 => Resolution::Fault,
                tag => {
                    return Err(corrupt(
                        start,
                        place,
                        format!("unknown resolution tag {tag}"),
                    ))
                }
            };
            let size = if byte & SIZE_EXPLICIT != 0 {
                self.byte(place)?
            } else {
                code_size
            };
            (resolved, size)
        };

        let va = if flags & VA_PREDICTED != 0 {
            predicted.va
        } else {
            self.delta(predicted.va, start, place)?
        };
        let offset = if flags & OFFSET_SAME != 0 {
            predicted.offset
        } else {
            self.delta(predicted.offset, start, place)?
        };

        let record = Record {
            kind,
            pc,
            va,
            pa: va.wrapping_add(offset),
            size,
            resolved,
        };
        self.predictor.update(&record);
        self.records = self.records.wrapping_add(1);
        Ok(Some(record))
    }

    /// Handles a control entry; today only the end marker exists.
    fn read_control(&mut self, flags: u8, start: u64) -> Result<(), TraceError> {
        let place = TracePlace::End;
        if flags != END_MARKER {
            return Err(corrupt(
                start,
                place,
                format!("unknown control byte {flags:#04x}"),
            ));
        }
        let count_start = self.input.offset;
        let count: u64 = bincode::decode_from_std_read(&mut self.input, config::standard())
            .map_err(|e| decode_error(e, self.input.offset, count_start, place))?;
        if count != self.records {
            return Err(corrupt(
                start,
                place,
                format!(
                    "the end marker counts {count} records but the file holds {}",
                    self.records
                ),
            ));
        }
        let end = self.input.offset;
        if self.input.read_byte()?.is_some() {
            return Err(corrupt(
                end,
                place,
                "bytes follow the end marker".to_string(),
            ));
        }
        Ok(())
    }

    fn byte(&mut self, place: TracePlace) -> Result<u8, TraceError> {
        match self.input.read_byte()? {
            Some(byte) => Ok(byte),
            None => Err(TraceError::Truncated {
                offset: self.input.offset,
                place,
            }),
        }
    }

    fn delta(&mut self, predicted: u64, start: u64, place: TracePlace) -> Result<u64, TraceError> {
        let delta: i64 = bincode::decode_from_std_read(&mut self.input, config::standard())
            .map_err(|e| decode_error(e, self.input.offset, start, place))?;
        Ok(predicted.wrapping_add(delta as u64))
    }
}

impl<R: Read> Iterator for TraceReader<R> {
    type Item = Result<Record, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.read_record() {
            Ok(Some(record)) => Some(Ok(record)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(error) => {
                self.done = true;
                Some(Err(error))
            }
        }
    }
}

fn corrupt(offset: u64, place: TracePlace, reason: String) -> TraceError {
    TraceError::Corrupt {
        offset,
        place,
        reason,
    }
}

fn read_exact_or_truncated<R: Read>(
    input: &mut CountingReader<R>,
    buf: &mut [u8],
    place: TracePlace,
) -> Result<(), TraceError> {
    for slot in buf.iter_mut() {
        match input.read_byte()? {
            Some(byte) => *slot = byte,
            None => {
                return Err(TraceError::Truncated {
                    offset: input.offset,
                    place,
                })
            }
        }
    }
    Ok(())
}

/// Maps a bincode failure at `start` (the input now at `now`) to a trace error.
fn decode_error(error: DecodeError, now: u64, start: u64, place: TracePlace) -> TraceError {
    match error {
        DecodeError::UnexpectedEnd { .. } => TraceError::Truncated { offset: now, place },
        DecodeError::Io { inner, .. } if inner.kind() == io::ErrorKind::UnexpectedEof => {
            TraceError::Truncated { offset: now, place }
        }
        DecodeError::Io { inner, .. } => TraceError::Io(inner),
        DecodeError::LimitExceeded => corrupt(
            start,
            place,
            "a length field exceeds the header size limit".to_string(),
        ),
        other => corrupt(start, place, other.to_string()),
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

/// Writes every record of `reader` to `out`, one [`dump_line`] per line, and returns how
/// many were written. Stops at the first error (records before it are already written).
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
