//! A loadable program image: what the assembler produces, what the ELF reader returns and
//! what the OS loads.

use atlas_isa::Xlen;

/// Access permissions of a loaded segment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Perms {
    /// Readable.
    pub read: bool,
    /// Writable.
    pub write: bool,
    /// Executable.
    pub exec: bool,
}

impl Perms {
    /// Text: read and execute.
    pub const RX: Perms = Perms {
        read: true,
        write: false,
        exec: true,
    };
    /// Read-only data.
    pub const R: Perms = Perms {
        read: true,
        write: false,
        exec: false,
    };
    /// Data and bss: read and write.
    pub const RW: Perms = Perms {
        read: true,
        write: true,
        exec: false,
    };
}

impl std::fmt::Display for Perms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = |b: bool, ch: char| if b { ch } else { '-' };
        write!(
            f,
            "{}{}{}",
            c(self.read, 'r'),
            c(self.write, 'w'),
            c(self.exec, 'x')
        )
    }
}

/// A contiguous piece of the image, loaded at `vaddr`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Section or segment name (`.text`, `.data`, …) for reports.
    pub name: String,
    /// Virtual (and, in bare mode, physical) load address.
    pub vaddr: u64,
    /// Initialised bytes.
    pub data: Vec<u8>,
    /// Size in memory; bytes beyond `data.len()` are zero (bss).
    pub mem_size: u64,
    /// Access permissions.
    pub perms: Perms,
}

/// A named address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    /// Symbol name.
    pub name: String,
    /// Its address.
    pub addr: u64,
    /// Size in bytes (0 if unknown).
    pub size: u64,
    /// Declared `.globl`.
    pub global: bool,
    /// A function (`.type name, @function`) or a text label.
    pub is_func: bool,
}

/// Maps instruction addresses back to source `file:line`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineTable {
    /// Source file names; entries refer to them by index.
    pub files: Vec<String>,
    /// `(address, file index, line)`, sorted by address; one per emitted instruction.
    pub entries: Vec<(u64, u32, u32)>,
}

impl LineTable {
    /// The source file and line of the instruction at `addr`.
    pub fn lookup(&self, addr: u64) -> Option<(&str, u32)> {
        let i = self.entries.binary_search_by_key(&addr, |e| e.0).ok()?;
        let (_, file, line) = self.entries[i];
        Some((self.files.get(file as usize)?.as_str(), line))
    }
}

/// A program ready to load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// Register width the program was built for.
    pub xlen: Xlen,
    /// Entry point.
    pub entry: u64,
    /// Loadable segments, sorted by address, not overlapping.
    pub segments: Vec<Segment>,
    /// Symbols, for profiles and fault reports.
    pub symbols: Vec<Symbol>,
    /// Source lines of instructions (empty for ELF input without one).
    pub lines: LineTable,
}

impl Image {
    /// The symbol containing `addr` (or the nearest one below it) and the offset into it.
    pub fn symbolize(&self, addr: u64) -> Option<(&str, u64)> {
        self.symbols
            .iter()
            .filter(|s| s.addr <= addr && (s.size == 0 || addr < s.addr + s.size))
            .max_by_key(|s| (s.addr, s.global))
            .map(|s| (s.name.as_str(), addr - s.addr))
    }

    /// One past the highest address any segment occupies (where the heap may start).
    pub fn end(&self) -> u64 {
        self.segments
            .iter()
            .map(|s| s.vaddr + s.mem_size)
            .max()
            .unwrap_or(0)
    }
}
