//! Reading static RISC-V executables (from Atlas or the GNU toolchain) into an [`Image`].
//!
//! Only what a bare-metal loader needs: PT_LOAD segments by virtual address (bytes past
//! `p_filesz` are zero), the entry point and the symbol table. Anything a static loader
//! cannot honour — dynamic linking, another machine, overlapping segments — is refused
//! with a message saying why. Malformed bytes give errors, never panics.

use crate::image::{Image, LineTable, Perms, Segment, Symbol};
use atlas_isa::Xlen;
use object::elf;
use object::read::elf::{FileHeader, ProgramHeader, Sym};
use object::Endianness;

/// Largest total loaded size accepted (the emulated machine cannot hold more anyway).
const MAX_LOAD_BYTES: u64 = 1 << 32;

/// Parses a static ET_EXEC RISC-V ELF file of either class.
pub fn read_elf(bytes: &[u8]) -> Result<Image, String> {
    let ident = bytes.get(..16).ok_or("not an ELF file: too short")?;
    if ident.get(..4) != Some(&elf::ELFMAG[..]) {
        return Err("not an ELF file (bad magic)".into());
    }
    if ident.get(5) != Some(&elf::ELFDATA2LSB) {
        return Err("not a little-endian ELF file (RISC-V is little-endian)".into());
    }
    match ident.get(4) {
        Some(&elf::ELFCLASS32) => read::<elf::FileHeader32<Endianness>>(bytes, Xlen::X32),
        Some(&elf::ELFCLASS64) => read::<elf::FileHeader64<Endianness>>(bytes, Xlen::X64),
        Some(c) => Err(format!(
            "invalid ELF class {c} (expected ELFCLASS32 or ELFCLASS64)"
        )),
        None => Err("not an ELF file: too short".into()),
    }
}

fn read<H: FileHeader<Endian = Endianness>>(bytes: &[u8], xlen: Xlen) -> Result<Image, String> {
    let header = H::parse(bytes).map_err(|e| format!("malformed ELF header: {e}"))?;
    let endian = header
        .endian()
        .map_err(|e| format!("malformed ELF header: {e}"))?;
    let machine = header.e_machine(endian);
    if machine != elf::EM_RISCV {
        return Err(format!(
            "not a RISC-V executable (e_machine {machine}, expected {})",
            elf::EM_RISCV
        ));
    }
    match header.e_type(endian) {
        elf::ET_EXEC => {}
        elf::ET_DYN => return Err("position-independent or shared object (ET_DYN): only static executables (ET_EXEC) can be loaded".into()),
        elf::ET_REL => return Err("relocatable object file (ET_REL): link it first".into()),
        t => return Err(format!("not an executable (e_type {t})")),
    }
    let phdrs = header
        .program_headers(endian, bytes)
        .map_err(|e| format!("malformed program headers: {e}"))?;
    let mut segments = Vec::new();
    let mut total: u64 = 0;
    for ph in phdrs {
        let p_type = ph.p_type(endian);
        match p_type {
            elf::PT_INTERP => return Err(
                "dynamically linked executable (PT_INTERP): only static executables can be loaded"
                    .into(),
            ),
            elf::PT_DYNAMIC => return Err(
                "dynamically linked executable (PT_DYNAMIC): only static executables can be loaded"
                    .into(),
            ),
            elf::PT_LOAD => {}
            _ => continue,
        }
        let vaddr: u64 = ph.p_vaddr(endian).into();
        let filesz: u64 = ph.p_filesz(endian).into();
        let memsz: u64 = ph.p_memsz(endian).into();
        if memsz == 0 {
            continue;
        }
        if filesz > memsz {
            return Err(format!(
                "segment at {vaddr:#x}: file size {filesz:#x} exceeds memory size {memsz:#x}"
            ));
        }
        let end = vaddr.checked_add(memsz).ok_or(format!(
            "segment at {vaddr:#x} wraps around the address space"
        ))?;
        if xlen == Xlen::X32 && end > 1 << 32 {
            return Err(format!(
                "segment at {vaddr:#x} extends beyond 4 GiB in an RV32 file"
            ));
        }
        total = total.saturating_add(memsz);
        if total > MAX_LOAD_BYTES {
            return Err("segments larger than 4 GiB in total".into());
        }
        let data = ph
            .data(endian, bytes)
            .map_err(|_| format!("segment at {vaddr:#x}: file range outside the file"))?;
        let flags = ph.p_flags(endian);
        let perms = Perms {
            read: flags & elf::PF_R != 0,
            write: flags & elf::PF_W != 0,
            exec: flags & elf::PF_X != 0,
        };
        let name = if perms.exec {
            ".text"
        } else if perms.write {
            ".data"
        } else {
            ".rodata"
        };
        segments.push(Segment {
            name: name.to_string(),
            vaddr,
            data: data.to_vec(),
            mem_size: memsz,
            perms,
        });
    }
    if segments.is_empty() {
        return Err("no loadable segments".into());
    }
    segments.sort_by_key(|s| s.vaddr);
    for pair in segments.windows(2) {
        if let [a, b] = pair {
            if a.vaddr + a.mem_size > b.vaddr {
                return Err(format!(
                    "overlapping segments: {:#x}..{:#x} and {:#x}..{:#x}",
                    a.vaddr,
                    a.vaddr + a.mem_size,
                    b.vaddr,
                    b.vaddr + b.mem_size
                ));
            }
        }
    }
    let entry: u64 = header.e_entry(endian).into();
    let symbols = symbols(header, endian, bytes).unwrap_or_default();
    Ok(Image {
        xlen,
        entry,
        segments,
        symbols,
        lines: LineTable::default(),
    })
}

/// The defined symbols of the symbol table; `None` if it is malformed (symbols are only
/// for reports, so a bad table is dropped rather than refusing the program).
fn symbols<H: FileHeader<Endian = Endianness>>(
    header: &H,
    endian: Endianness,
    bytes: &[u8],
) -> Option<Vec<Symbol>> {
    let sections = header.sections(endian, bytes).ok()?;
    let table = sections.symbols(endian, bytes, elf::SHT_SYMTAB).ok()?;
    let strings = table.strings();
    let mut out = Vec::new();
    for sym in table.iter() {
        let ty = sym.st_type();
        if !matches!(ty, elf::STT_NOTYPE | elf::STT_FUNC | elf::STT_OBJECT) {
            continue;
        }
        let shndx = sym.st_shndx(endian);
        if shndx == elf::SHN_UNDEF || shndx == elf::SHN_ABS {
            continue;
        }
        let name = match sym.name(endian, strings) {
            // `$x…`/`$d…` are RISC-V mapping symbols (code/data markers), not names.
            Ok(n) if !n.is_empty() && !n.starts_with(b"$") => {
                String::from_utf8_lossy(n).into_owned()
            }
            _ => continue,
        };
        let bind = sym.st_bind();
        out.push(Symbol {
            name,
            addr: sym.st_value(endian).into(),
            size: sym.st_size(endian).into(),
            global: bind == elf::STB_GLOBAL || bind == elf::STB_WEAK,
            is_func: ty == elf::STT_FUNC,
        });
    }
    Some(out)
}
