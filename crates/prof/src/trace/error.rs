//! Why reading or writing a trace failed, with the byte offset and place for the message.

use std::fmt;
use std::io;

/// Where in a trace file an error was found, for the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TracePlace {
    /// In the magic, version or header.
    Header,
    /// In the entry (access or flush) with this zero-based index.
    Entry(u64),
    /// After the last record, where the end marker belongs.
    End,
}

impl fmt::Display for TracePlace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TracePlace::Header => f.write_str("in the header"),
            TracePlace::Entry(index) => write!(f, "in entry {index}"),
            TracePlace::End => f.write_str("at the end marker"),
        }
    }
}

/// Why a trace could not be written or read. Guest data never causes these; a damaged or
/// foreign file, or the host's I/O, does.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// Reading or writing the underlying file failed.
    #[error("trace I/O error: {0}")]
    Io(#[from] io::Error),
    /// The file does not start with [`MAGIC`](super::MAGIC).
    #[error("not an Atlas trace file: it starts with {found:02x?}, not \"ATLASTRC\"")]
    BadMagic {
        /// The first eight bytes found.
        found: [u8; 8],
    },
    /// The file was written by a different format version.
    #[error(
        "trace format version {found} is not supported (this build reads version {supported})"
    )]
    UnsupportedVersion {
        /// Version in the file.
        found: u32,
        /// [`FORMAT_VERSION`](super::FORMAT_VERSION).
        supported: u32,
    },
    /// The file ends before its end marker: cut short, or its writer never finished.
    #[error("trace file ends early at byte {offset} {place} (cut short, or the run did not finish writing it)")]
    Truncated {
        /// Length of the data read.
        offset: u64,
        /// What was being read.
        place: TracePlace,
    },
    /// The bytes are not a valid trace.
    #[error("corrupt trace file at byte {offset} {place}: {reason}")]
    Corrupt {
        /// Byte offset of the start of the bad item.
        offset: u64,
        /// What was being read.
        place: TracePlace,
        /// What is wrong.
        reason: String,
    },
    /// The writer was given a header the format cannot hold.
    #[error("invalid trace header field {field}: {reason}")]
    InvalidHeader {
        /// Field name.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}
