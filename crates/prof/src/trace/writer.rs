//! The streaming trace writer.

use super::*;
use bincode::error::EncodeError;
use std::io::{self, BufWriter, Write};

/// Writes a trace to any byte sink, buffered and streaming: memory use does not grow with
/// the number of records. Call [`TraceWriter::finish`] at the end of the run, or readers
/// will report the file as truncated.
#[derive(Debug)]
pub struct TraceWriter<W: Write> {
    out: BufWriter<W>,
    predictor: Predictor,
    records: u64,
    entries: u64,
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
            entries: 0,
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
        let mapping_same = record.mapping == predicted.mapping;
        let resolution_same =
            code.is_some() && record.resolved == predicted.resolved && mapping_same;
        if resolution_same {
            flags |= RESOLUTION_SAME;
        }
        self.out.write_all(&[flags])?;
        if flags & PC_PREDICTED == 0 {
            self.write_delta(record.pc, predicted_pc)?;
        }
        if !resolution_same {
            let explicit = if code.is_none() { SIZE_EXPLICIT } else { 0 };
            let mapping = if mapping_same { 0 } else { MAPPING_FOLLOWS };
            self.out
                .write_all(&[record.resolved.tag() | explicit | mapping])?;
            if let Resolution::Walk { depth, pwc_hits } = record.resolved {
                self.out.write_all(&[depth, pwc_hits])?;
            }
            if code.is_none() {
                self.out.write_all(&[record.size])?;
            }
            if !mapping_same {
                let m = record.mapping;
                bincode::encode_into_std_write(m.asid, &mut self.out, config::standard())
                    .map_err(encode_error)?;
                let bits = if m.global { MAPPING_GLOBAL } else { 0 }
                    | if m.dirty { MAPPING_DIRTY } else { 0 };
                self.out.write_all(&[m.page_shift, bits])?;
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
        self.entries = self.entries.wrapping_add(1);
        Ok(())
    }

    /// Appends a TLB flush, at its place among the accesses.
    pub fn write_flush(&mut self, flush: &Flush) -> Result<(), TraceError> {
        let mut present = 0;
        if flush.va.is_some() {
            present |= FLUSH_HAS_VA;
        }
        if flush.asid.is_some() {
            present |= FLUSH_HAS_ASID;
        }
        self.out.write_all(&[FLUSH_MARKER, present])?;
        if let Some(va) = flush.va {
            bincode::encode_into_std_write(va, &mut self.out, config::standard())
                .map_err(encode_error)?;
        }
        if let Some(asid) = flush.asid {
            bincode::encode_into_std_write(asid, &mut self.out, config::standard())
                .map_err(encode_error)?;
        }
        self.entries = self.entries.wrapping_add(1);
        Ok(())
    }

    /// Number of accesses written so far.
    pub fn records_written(&self) -> u64 {
        self.records
    }

    /// Writes the end marker, flushes, and hands back the sink.
    pub fn finish(mut self) -> Result<W, TraceError> {
        self.out.write_all(&[END_MARKER])?;
        bincode::encode_into_std_write(self.entries, &mut self.out, config::standard())
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
