//! The streaming trace reader, which turns every malformed input into a [`TraceError`].

use super::*;
use bincode::error::DecodeError;
use std::io::{self, BufReader, Read};

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

/// Reads a trace from any byte source, one entry at a time: an iterator of the accesses,
/// `Result<Record, TraceError>`, that stops after the end marker or after the first error.
/// Use [`TraceReader::entries`] to see the flushes too.
#[derive(Debug)]
pub struct TraceReader<R: Read> {
    input: CountingReader<BufReader<R>>,
    header: TraceHeader,
    predictor: Predictor,
    records: u64,
    entries: u64,
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
            entries: 0,
            done: false,
        })
    }

    /// What the trace was recorded from.
    pub fn header(&self) -> &TraceHeader {
        &self.header
    }

    /// Number of accesses returned so far.
    pub fn records_read(&self) -> u64 {
        self.records
    }

    /// The next access or flush; `None` after the end marker or after an error.
    pub fn next_entry(&mut self) -> Option<Result<Entry, TraceError>> {
        if self.done {
            return None;
        }
        match self.read_entry() {
            Ok(Some(entry)) => Some(Ok(entry)),
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

    /// Iterates over accesses and flushes, in file order.
    pub fn entries(self) -> Entries<R> {
        Entries { reader: self }
    }

    fn read_entry(&mut self) -> Result<Option<Entry>, TraceError> {
        let start = self.input.offset;
        let place = TracePlace::Entry(self.entries);
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
            _ => return self.read_control(flags, start),
        };
        let predicted_pc = self.predictor.pc(kind);
        let pc = if flags & PC_PREDICTED != 0 {
            predicted_pc
        } else {
            self.delta(predicted_pc, start, place)?
        };
        let predicted = self.predictor.predict(kind, pc);
        let code_size = 1u8 << ((flags >> SIZE_SHIFT) & 0b11);

        let (resolved, size, mapping) = if flags & RESOLUTION_SAME != 0 {
            (predicted.resolved, code_size, predicted.mapping)
        } else {
            let byte = self.byte(place)?;
            if byte & !(TAG_MASK | SIZE_EXPLICIT | MAPPING_FOLLOWS) != 0 {
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
            let mapping = if byte & MAPPING_FOLLOWS != 0 {
                let asid: u16 = self.decode(start, place)?;
                let page_shift = self.byte(place)?;
                let bits = self.byte(place)?;
                if page_shift > 63 || bits & !(MAPPING_GLOBAL | MAPPING_DIRTY) != 0 {
                    return Err(corrupt(
                        start,
                        place,
                        format!("invalid mapping: page shift {page_shift}, bits {bits:#04x}"),
                    ));
                }
                Mapping {
                    asid,
                    page_shift,
                    global: bits & MAPPING_GLOBAL != 0,
                    dirty: bits & MAPPING_DIRTY != 0,
                }
            } else {
                predicted.mapping
            };
            (resolved, size, mapping)
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
            mapping,
        };
        self.predictor.update(&record);
        self.records = self.records.wrapping_add(1);
        self.entries = self.entries.wrapping_add(1);
        Ok(Some(Entry::Access(record)))
    }

    /// Handles a control entry: a flush, or the end marker (`None`).
    fn read_control(&mut self, flags: u8, start: u64) -> Result<Option<Entry>, TraceError> {
        if flags == FLUSH_MARKER {
            return self
                .read_flush(start)
                .map(|flush| Some(Entry::Flush(flush)));
        }
        let place = TracePlace::End;
        if flags != END_MARKER {
            return Err(corrupt(
                start,
                place,
                format!("unknown control byte {flags:#04x}"),
            ));
        }
        let count_start = self.input.offset;
        let count: u64 = self.decode(count_start, place)?;
        if count != self.entries {
            return Err(corrupt(
                start,
                place,
                format!(
                    "the end marker counts {count} entries but the file holds {}",
                    self.entries
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
        Ok(None)
    }

    fn read_flush(&mut self, start: u64) -> Result<Flush, TraceError> {
        let place = TracePlace::Entry(self.entries);
        let present = self.byte(place)?;
        if present & !(FLUSH_HAS_VA | FLUSH_HAS_ASID) != 0 {
            return Err(corrupt(
                start,
                place,
                format!("reserved bits set in flush byte {present:#04x}"),
            ));
        }
        let va = if present & FLUSH_HAS_VA != 0 {
            Some(self.decode::<u64>(start, place)?)
        } else {
            None
        };
        let asid = if present & FLUSH_HAS_ASID != 0 {
            Some(self.decode::<u16>(start, place)?)
        } else {
            None
        };
        self.entries = self.entries.wrapping_add(1);
        Ok(Flush { va, asid })
    }

    fn decode<T: bincode::Decode<()>>(
        &mut self,
        start: u64,
        place: TracePlace,
    ) -> Result<T, TraceError> {
        bincode::decode_from_std_read(&mut self.input, config::standard())
            .map_err(|e| decode_error(e, self.input.offset, start, place))
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
        let delta: i64 = self.decode(start, place)?;
        Ok(predicted.wrapping_add(delta as u64))
    }
}

impl<R: Read> Iterator for TraceReader<R> {
    type Item = Result<Record, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.next_entry()? {
                Ok(Entry::Access(record)) => return Some(Ok(record)),
                Ok(Entry::Flush(_)) => continue,
                Err(error) => return Some(Err(error)),
            }
        }
    }
}

/// Iterator over the accesses and flushes of a trace; see [`TraceReader::entries`].
#[derive(Debug)]
pub struct Entries<R: Read> {
    reader: TraceReader<R>,
}

impl<R: Read> Entries<R> {
    /// What the trace was recorded from.
    pub fn header(&self) -> &TraceHeader {
        self.reader.header()
    }
}

impl<R: Read> Iterator for Entries<R> {
    type Item = Result<Entry, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.reader.next_entry()
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
