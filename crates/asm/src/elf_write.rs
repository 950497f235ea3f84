//! Static ELF executables (ET_EXEC, EM_RISCV, ELFCLASS32 or ELFCLASS64) from an [`Image`],
//! laid out like GNU ld's: page-aligned PT_LOAD segments whose file offsets are congruent
//! to their addresses modulo the page size, one section per segment, and a symbol table.

use crate::image::{Image, Segment};
use crate::layout::PAGE;
use atlas_isa::Xlen;
use object::elf;
use object::write::elf::{FileHeader, ProgramHeader, SectionHeader, SectionIndex, Sym, Writer};
use object::write::StringId;
use object::Endianness;

/// One PT_LOAD: a run of segments (a data segment and the bss right after it share one).
struct Load {
    first: usize,
    last: usize,
    vaddr: u64,
    filesz: u64,
    memsz: u64,
    flags: u32,
    offset: u64,
}

fn flags(s: &Segment) -> u32 {
    let mut f = 0;
    if s.perms.read {
        f |= elf::PF_R;
    }
    if s.perms.write {
        f |= elf::PF_W;
    }
    if s.perms.exec {
        f |= elf::PF_X;
    }
    f
}

fn loads(image: &Image) -> Result<Vec<Load>, String> {
    let mut out: Vec<Load> = Vec::new();
    for (i, s) in image.segments.iter().enumerate() {
        if (s.data.len() as u64) > s.mem_size {
            return Err(format!("segment {} has more data than memory size", s.name));
        }
        let end = s
            .vaddr
            .checked_add(s.mem_size)
            .ok_or(format!("segment {} wraps around", s.name))?;
        if let Some(prev) = out.last_mut() {
            let prev_end = prev.vaddr + prev.memsz;
            if s.vaddr < prev_end {
                return Err(format!("segment {} overlaps the one before it", s.name));
            }
            let mergeable =
                s.data.is_empty() && flags(s) == prev.flags && s.vaddr - prev_end < PAGE;
            if mergeable {
                prev.last = i;
                prev.memsz = end - prev.vaddr;
                continue;
            }
        }
        out.push(Load {
            first: i,
            last: i,
            vaddr: s.vaddr,
            filesz: s.data.len() as u64,
            memsz: s.mem_size,
            flags: flags(s),
            offset: 0,
        });
    }
    Ok(out)
}

/// Writes `image` as a static executable that GNU objdump reads and qemu-user runs.
pub fn write_elf(image: &Image) -> Result<Vec<u8>, String> {
    let is_64 = image.xlen == Xlen::X64;
    if !is_64 {
        let too_high = image
            .segments
            .iter()
            .any(|s| s.vaddr.saturating_add(s.mem_size) > 1 << 32);
        if too_high || image.entry > u64::from(u32::MAX) {
            return Err("RV32 image has addresses above 4 GiB".into());
        }
    }
    let mut loads = loads(image)?;
    let mut buf = Vec::new();
    let mut w = Writer::new(Endianness::Little, is_64, &mut buf);
    w.reserve_file_header();
    w.reserve_program_headers(loads.len() as u32);
    for l in &mut loads {
        let cur = w.reserved_len() as u64;
        let offset = cur + (l.vaddr.wrapping_sub(cur) % PAGE);
        w.reserve_until(offset as usize);
        w.reserve(l.filesz as usize, 1);
        l.offset = offset;
    }

    w.reserve_null_section_index();
    let mut sections: Vec<(StringId, SectionIndex)> = Vec::new();
    for s in &image.segments {
        let name = w.add_section_name(s.name.as_bytes());
        sections.push((name, w.reserve_section_index()));
    }
    w.reserve_symtab_section_index();
    w.reserve_strtab_section_index();
    w.reserve_shstrtab_section_index();

    // Locals first, as ELF requires.
    let mut order: Vec<&crate::image::Symbol> =
        image.symbols.iter().filter(|s| !s.global).collect();
    let num_local = order.len() as u32 + 1;
    order.extend(image.symbols.iter().filter(|s| s.global));
    w.reserve_null_symbol_index();
    let mut syms = Vec::new();
    for s in &order {
        let seg = image
            .segments
            .iter()
            .position(|g| s.addr >= g.vaddr && s.addr <= g.vaddr.saturating_add(g.mem_size));
        let section = seg.and_then(|i| sections.get(i)).map(|x| x.1);
        let name = w.add_string(s.name.as_bytes());
        w.reserve_symbol_index(section);
        syms.push((name, section, *s));
    }
    w.reserve_symtab();
    w.reserve_strtab();
    w.reserve_shstrtab();
    w.reserve_section_headers();

    w.write_file_header(&FileHeader {
        os_abi: elf::ELFOSABI_NONE,
        abi_version: 0,
        e_type: elf::ET_EXEC,
        e_machine: elf::EM_RISCV,
        e_entry: image.entry,
        e_flags: 0,
    })
    .map_err(|e| e.to_string())?;
    w.write_align_program_headers();
    for l in &loads {
        w.write_program_header(&ProgramHeader {
            p_type: elf::PT_LOAD,
            p_flags: l.flags,
            p_offset: l.offset,
            p_vaddr: l.vaddr,
            p_paddr: l.vaddr,
            p_filesz: l.filesz,
            p_memsz: l.memsz,
            p_align: PAGE,
        });
    }
    for l in &loads {
        w.pad_until(l.offset as usize);
        if let Some(s) = image.segments.get(l.first) {
            w.write(&s.data);
        }
    }
    w.write_null_symbol();
    for (name, section, s) in &syms {
        let bind = if s.global {
            elf::STB_GLOBAL
        } else {
            elf::STB_LOCAL
        };
        let ty = if s.is_func {
            elf::STT_FUNC
        } else {
            elf::STT_NOTYPE
        };
        w.write_symbol(&Sym {
            name: Some(*name),
            section: *section,
            st_info: (bind << 4) | ty,
            st_other: elf::STV_DEFAULT,
            st_shndx: elf::SHN_ABS,
            st_value: s.addr,
            st_size: s.size,
        });
    }
    w.write_strtab();
    w.write_shstrtab();

    w.write_null_section_header();
    for (i, s) in image.segments.iter().enumerate() {
        let Some(&(name, _)) = sections.get(i) else {
            continue;
        };
        let load = loads.iter().find(|l| (l.first..=l.last).contains(&i));
        let offset = load.map_or(0, |l| l.offset + (s.vaddr - l.vaddr));
        let nobits = s.data.is_empty();
        let mut sh_flags = u64::from(elf::SHF_ALLOC);
        if s.perms.write {
            sh_flags |= u64::from(elf::SHF_WRITE);
        }
        if s.perms.exec {
            sh_flags |= u64::from(elf::SHF_EXECINSTR);
        }
        w.write_section_header(&SectionHeader {
            name: Some(name),
            sh_type: if nobits {
                elf::SHT_NOBITS
            } else {
                elf::SHT_PROGBITS
            },
            sh_flags,
            sh_addr: s.vaddr,
            sh_offset: offset,
            sh_size: if nobits {
                s.mem_size
            } else {
                s.data.len() as u64
            },
            sh_link: 0,
            sh_info: 0,
            sh_addralign: if s.perms.exec { 4 } else { 1 },
            sh_entsize: 0,
        });
    }
    w.write_symtab_section_header(num_local);
    w.write_strtab_section_header();
    w.write_shstrtab_section_header();
    Ok(buf)
}
