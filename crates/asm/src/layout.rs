//! Placing sections at addresses and building the [`Image`] (the second pass).
//!
//! Layout: `.text` sections at `Options::text_addr`, then `.rodata` on the next page, then
//! `.data` on the page after, and `.bss` right after `.data` (or on a fresh page when there
//! is no data). Each output segment starts on a page boundary, so no page mixes
//! permissions. Within an output section the source sections (`.text`, `.text.foo` …) follow
//! in order of first appearance, each at its own alignment, as GNU ld concatenates them.

use crate::encode::Resolver;
use crate::expr::Value;
use crate::image::{Image, LineTable, Perms, Segment, Symbol};
use crate::parse::{Assembler, Item, ItemKind, SecKind, SymDef};
use atlas_isa::{encode, AluImmOp, Inst, Reg, Xlen};
use std::collections::HashMap;

/// Page size the segments are aligned to (GNU ld's RISC-V common page size).
pub const PAGE: u64 = 0x1000;

const KINDS: [(SecKind, &str, Perms); 4] = [
    (SecKind::Text, ".text", Perms::RX),
    (SecKind::Rodata, ".rodata", Perms::R),
    (SecKind::Data, ".data", Perms::RW),
    (SecKind::Bss, ".bss", Perms::RW),
];

fn align_up(v: u64, a: u64) -> Option<u64> {
    let a = a.max(1);
    v.checked_add(a - 1).map(|x| x / a * a)
}

/// Assigns every section its address; `None` if the program does not fit the address space.
fn place(asm: &Assembler) -> Option<Vec<u64>> {
    let mut bases = vec![0u64; asm.sections.len()];
    let mut cursor = asm.opts.text_addr;
    let limit: u64 = match asm.xlen {
        Xlen::X32 => 1 << 32,
        Xlen::X64 => u64::MAX,
    };
    let mut data_used = false;
    for (kind, _, _) in KINDS {
        let used = asm.sections.iter().any(|s| s.kind == kind && s.size > 0);
        let fresh_page = match kind {
            SecKind::Text => false,
            SecKind::Bss => !data_used,
            _ => true,
        };
        if used && fresh_page {
            cursor = align_up(cursor, PAGE)?;
        }
        data_used |= kind == SecKind::Data && used;
        for (i, s) in asm.sections.iter().enumerate() {
            if s.kind != kind {
                continue;
            }
            let base = align_up(cursor, s.align)?;
            if let Some(b) = bases.get_mut(i) {
                *b = base;
            }
            cursor = base.checked_add(s.size)?;
        }
    }
    (cursor <= limit).then_some(bases)
}

/// GNU `as` fills a 2-byte gap in code with the compressed `c.nop` halfword, even when
/// the RVC extension is off; Atlas never executes it (it is only reached by falling into
/// alignment padding, which GNU's output would do too).
const HALF_NOP: [u8; 2] = [0x01, 0x00];

/// Code alignment padding as GNU `as` writes it: a zero byte if the length is odd, a
/// `c.nop` halfword if two bytes remain, then `nop` instructions.
pub(crate) fn code_padding(len: u64) -> Vec<u8> {
    let nop = encode(&Inst::AluImm {
        op: AluImmOp::Addi,
        rd: Reg::Zero,
        rs1: Reg::Zero,
        imm: 0,
    });
    let mut v = vec![0u8; (len % 2) as usize];
    if len % 4 >= 2 {
        v.extend_from_slice(&HALF_NOP);
    }
    for _ in 0..len / 4 {
        v.extend_from_slice(&nop.to_le_bytes());
    }
    v
}

/// GNU `as` pads the end of each code section to the section's alignment.
fn pad_code_sections(asm: &mut Assembler) {
    for sec in 0..asm.sections.len() {
        let Some(s) = asm.sections.get_mut(sec) else {
            continue;
        };
        let align = s.align.max(1);
        let pad = (align - s.size % align) % align;
        if s.kind != SecKind::Text || pad == 0 {
            continue;
        }
        let off = s.size;
        s.size += pad;
        let loc = crate::parse::Loc {
            file: 0,
            line: 0,
            seq: u64::MAX,
            fixed_pos: None,
            macro_name: None,
        };
        asm.items.push(Item {
            sec,
            off,
            loc,
            kind: ItemKind::NopPad { len: pad },
        });
    }
}

/// Runs the second pass and builds the image; errors go to `asm.errors`.
pub(crate) fn build(asm: &mut Assembler) -> Option<Image> {
    pad_code_sections(asm);
    let Some(bases) = place(asm) else {
        let loc = crate::parse::Loc {
            file: 0,
            line: 1,
            seq: 0,
            fixed_pos: None,
            macro_name: None,
        };
        asm.error(
            loc,
            0,
            "program does not fit in the address space at this text address",
        );
        return None;
    };
    let mut bytes: Vec<Vec<u8>> = asm
        .sections
        .iter()
        .map(|s| {
            if s.kind == SecKind::Bss {
                Vec::new()
            } else {
                vec![0u8; s.size as usize]
            }
        })
        .collect();
    let mut errors = Vec::new();
    let mut lines = LineTable {
        files: asm.files.iter().map(|f| f.name.clone()).collect(),
        entries: Vec::new(),
    };
    {
        let mut res = Resolver {
            asm,
            bases: &bases,
            pcrel_hi: HashMap::new(),
        };
        let addr = |sec: usize, off: u64| bases.get(sec).copied().unwrap_or(0).wrapping_add(off);
        for item in &asm.items {
            if let ItemKind::Inst(inst) = &item.kind {
                res.note_pcrel_hi(
                    inst,
                    addr(item.sec, item.off),
                    Value::Rel(item.sec, item.off as i64),
                );
            }
        }
        for item in &asm.items {
            let pc = addr(item.sec, item.off);
            let dot = Value::Rel(item.sec, item.off as i64);
            let out: Vec<u8> = match &item.kind {
                ItemKind::Inst(inst) => match res.encode(inst, pc, dot) {
                    Ok(word) => {
                        lines
                            .entries
                            .push((pc, item.loc.file as u32, item.loc.line));
                        word.to_le_bytes().to_vec()
                    }
                    Err((pos, msg)) => {
                        errors.push((item.loc, pos, msg));
                        continue;
                    }
                },
                ItemKind::Data { size, expr, pos } => match res.eval(expr, dot, *pos) {
                    Ok(v) => v
                        .to_le_bytes()
                        .get(..*size as usize)
                        .unwrap_or_default()
                        .to_vec(),
                    Err((p, msg)) => {
                        errors.push((item.loc, p, msg));
                        continue;
                    }
                },
                ItemKind::Bytes(b) => b.clone(),
                ItemKind::Fill { len, byte } => vec![*byte; *len as usize],
                ItemKind::NopPad { len } => code_padding(*len),
            };
            if let Some(dst) = bytes
                .get_mut(item.sec)
                .and_then(|b| b.get_mut(item.off as usize..item.off as usize + out.len()))
            {
                dst.copy_from_slice(&out);
            }
        }
    }
    for (loc, pos, msg) in errors {
        asm.error(loc, pos, msg);
    }
    if !asm.errors.is_empty() {
        return None;
    }
    lines.entries.sort_by_key(|e| e.0);
    let segments = segments(asm, &bases, &bytes);
    let symbols = symbols(asm, &bases);
    let text_base = bases.first().copied().unwrap_or(asm.opts.text_addr);
    let entry = symbols
        .iter()
        .find(|s| s.name == "_start")
        .map_or(text_base, |s| s.addr);
    Some(Image {
        xlen: asm.xlen,
        entry,
        segments,
        symbols,
        lines,
    })
}

fn segments(asm: &Assembler, bases: &[u64], bytes: &[Vec<u8>]) -> Vec<Segment> {
    let mut out = Vec::new();
    for (kind, name, perms) in KINDS {
        let parts: Vec<usize> = (0..asm.sections.len())
            .filter(|&i| {
                asm.sections
                    .get(i)
                    .is_some_and(|s| s.kind == kind && s.size > 0)
            })
            .collect();
        let (Some(&first), Some(&last)) = (parts.first(), parts.last()) else {
            continue;
        };
        let start = bases.get(first).copied().unwrap_or(0);
        let end =
            bases.get(last).copied().unwrap_or(0) + asm.sections.get(last).map_or(0, |s| s.size);
        let mut data = Vec::new();
        if kind != SecKind::Bss {
            data = vec![0u8; (end - start) as usize];
            for &i in &parts {
                let off = (bases.get(i).copied().unwrap_or(0) - start) as usize;
                if let (Some(src), Some(dst)) = (bytes.get(i), data.get_mut(off..)) {
                    let n = src.len().min(dst.len());
                    dst.get_mut(..n)
                        .unwrap_or_default()
                        .copy_from_slice(src.get(..n).unwrap_or_default());
                }
            }
        }
        out.push(Segment {
            name: name.to_string(),
            vaddr: start,
            data,
            mem_size: end - start,
            perms,
        });
    }
    out
}

fn symbols(asm: &Assembler, bases: &[u64]) -> Vec<Symbol> {
    let mut out = Vec::new();
    let res = Resolver {
        asm,
        bases,
        pcrel_hi: HashMap::new(),
    };
    for name in &asm.symbol_order {
        let Some(info) = asm.symbols.get(name) else {
            continue;
        };
        let Some(SymDef::Label { sec, off }) = info.def else {
            continue;
        };
        let unloaded = asm
            .sections
            .get(sec)
            .is_some_and(|s| s.kind == SecKind::Unloaded);
        if name.contains('\u{2}') || name.starts_with(".L") || unloaded {
            continue;
        }
        let size = match &info.size {
            Some((e, dot)) => res.eval(e, *dot, 0).ok().map_or(0, |v| v as u64),
            None => 0,
        };
        let in_text = asm
            .sections
            .get(sec)
            .is_some_and(|s| s.kind == SecKind::Text);
        out.push(Symbol {
            name: name.clone(),
            addr: bases.get(sec).copied().unwrap_or(0).wrapping_add(off),
            size,
            global: info.global,
            is_func: info.func || in_text,
        });
    }
    out
}
