//! Behaviour of the public API: expressions, directives, macros, pseudo-instructions and
//! relocation functions (checked as exact instruction words and data bytes), the image's
//! layout, symbols and line table, and the ELF writer and reader.

use atlas_asm::{assemble_str, load_program, read_elf, write_elf, Image, Options, Perms};
use atlas_isa::{encode, AluImmOp, AluOp, BranchOp, CsrOp, Inst, LoadOp, Reg, StoreOp, Xlen};

fn asm_with(src: &str, xlen: Xlen) -> Result<Image, String> {
    let opts = Options {
        xlen,
        ..Options::default()
    };
    assemble_str(src, "t.s", &opts).map_err(|d| d.to_string())
}

fn asm(src: &str) -> Result<Image, String> {
    asm_with(src, Xlen::X64)
}

/// The words of the text segment.
fn words(src: &str, xlen: Xlen) -> Result<Vec<u32>, String> {
    let image = asm_with(src, xlen)?;
    let text = image
        .segments
        .iter()
        .find(|s| s.name == ".text")
        .map(|s| s.data.clone())
        .unwrap_or_default();
    Ok(text
        .chunks(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

fn enc(insts: &[Inst]) -> Result<Vec<u32>, String> {
    Ok(insts.iter().map(encode).collect())
}

fn segment(image: &Image, name: &str) -> Vec<u8> {
    image
        .segments
        .iter()
        .find(|s| s.name == name)
        .map(|s| s.data.clone())
        .unwrap_or_default()
}

fn addi(rd: Reg, rs1: Reg, imm: i32) -> Inst {
    Inst::AluImm {
        op: AluImmOp::Addi,
        rd,
        rs1,
        imm,
    }
}

#[test]
fn expressions_in_data() {
    let image = asm(
        ".data\n.byte 1 + 2 * 3, 2 + 4 | 1, -1, 'a', ~0 & 0xf, 7 % 4, 1 << 3 >> 1, 9 / 2, 5 ^ 1\n",
    );
    assert_eq!(
        image.map(|i| segment(&i, ".data")),
        Ok(vec![7, 7, 0xff, 97, 15, 3, 4, 4, 4])
    );
    // Without text, .data starts at the text address.
    let image = asm(".data\na: .word 0\nb: .half b - a, . - a\n.dword a + 4\n");
    let bytes = image.map(|i| segment(&i, ".data"));
    assert_eq!(
        bytes,
        Ok(vec![0, 0, 0, 0, 4, 0, 6, 0, 4, 0, 1, 0, 0, 0, 0, 0])
    );
}

#[test]
fn strings_and_fills() {
    let image = asm(".data\n.ascii \"ab\"\n.asciz \"c\\n\"\n.string \"\\x41\\101\"\n.space 2, 7\n.zero 1\n.skip 1\n");
    assert_eq!(
        image.map(|i| segment(&i, ".data")),
        Ok(b"abc\n\0AA\0\x07\x07\0\0".to_vec())
    );
}

#[test]
fn alignment_in_data_and_code() {
    let image =
        asm(".data\n.byte 1\n.align 2\n.byte 2\n.balign 8, 0xee\n.byte 3\n.p2align 1\n.byte 4\n");
    assert_eq!(
        image.map(|i| segment(&i, ".data")),
        Ok(vec![1, 0, 0, 0, 2, 0xee, 0xee, 0xee, 3, 0, 4])
    );
    let nop = addi(Reg::Zero, Reg::Zero, 0);
    assert_eq!(
        words("ret\n.balign 16\nret\n", Xlen::X64),
        enc(&[
            Inst::Jalr {
                rd: Reg::Zero,
                rs1: Reg::Ra,
                offset: 0
            },
            nop,
            nop,
            nop,
            Inst::Jalr {
                rd: Reg::Zero,
                rs1: Reg::Ra,
                offset: 0
            },
            // GNU pads the end of a code section to its alignment.
            nop,
            nop,
            nop,
        ])
    );
}

#[test]
fn equ_set_and_assignment() {
    let src = ".equ A, 5\n.set B, A * 2\nC = B + 1\n.set B, B + 100\n.eqv D, 3\nli a0, A\nli a1, B\nli a2, C\nli a3, D\n";
    assert_eq!(
        words(src, Xlen::X64),
        enc(&[
            addi(Reg::A0, Reg::Zero, 5),
            addi(Reg::A1, Reg::Zero, 110),
            addi(Reg::A2, Reg::Zero, 11),
            addi(Reg::A3, Reg::Zero, 3)
        ])
    );
}

#[test]
fn macros_with_defaults_keywords_and_counters() {
    let src = ".macro set r, v=7\nli \\r, \\v\n.endm\nset a0\nset a1, 2\nset v=3, r=a2\n";
    assert_eq!(
        words(src, Xlen::X64),
        enc(&[
            addi(Reg::A0, Reg::Zero, 7),
            addi(Reg::A1, Reg::Zero, 2),
            addi(Reg::A2, Reg::Zero, 3)
        ])
    );
    let src = ".macro spin\nl\\@: j l\\@\n.endm\nspin\nspin\n";
    let j0 = Inst::Jal {
        rd: Reg::Zero,
        offset: 0,
    };
    assert_eq!(words(src, Xlen::X64), enc(&[j0, j0]));
}

#[test]
fn local_labels() {
    let src = "1: j 1f\n1: j 1b\nj 1b\n1:\n";
    let j = |offset| Inst::Jal {
        rd: Reg::Zero,
        offset,
    };
    assert_eq!(words(src, Xlen::X64), enc(&[j(4), j(0), j(-4)]));
}

#[test]
fn pseudo_instructions() {
    use Reg::*;
    let src = "mv a0, a1\nnot a0, a1\nneg a0, a1\nseqz a0, a1\nsnez a0, a1\nsltz a0, a1\nsgtz a0, a1\n\
               bgt a0, a1, .\nble a0, a1, .\nbgtu a0, a1, .\nbleu a0, a1, .\nblez a0, .\nbgtz a0, .\n\
               jr a0\njalr a0\nret\ncsrr a0, cycle\ncsrw sscratch, a1\ncsrwi sscratch, 3\nrdinstret a2\n\
               fence\nnop\nadd a0, a1, 9\n";
    let b = |op, rs1, rs2| Inst::Branch {
        op,
        rs1,
        rs2,
        offset: 0,
    };
    let alu = |op, rd, rs1, rs2| Inst::Alu { op, rd, rs1, rs2 };
    let imm = |op, rd, rs1, imm| Inst::AluImm { op, rd, rs1, imm };
    assert_eq!(
        words(src, Xlen::X64),
        enc(&[
            addi(A0, A1, 0),
            imm(AluImmOp::Xori, A0, A1, -1),
            alu(AluOp::Sub, A0, Zero, A1),
            imm(AluImmOp::Sltiu, A0, A1, 1),
            alu(AluOp::Sltu, A0, Zero, A1),
            alu(AluOp::Slt, A0, A1, Zero),
            alu(AluOp::Slt, A0, Zero, A1),
            b(BranchOp::Blt, A1, A0),
            b(BranchOp::Bge, A1, A0),
            b(BranchOp::Bltu, A1, A0),
            b(BranchOp::Bgeu, A1, A0),
            b(BranchOp::Bge, Zero, A0),
            b(BranchOp::Blt, Zero, A0),
            Inst::Jalr {
                rd: Zero,
                rs1: A0,
                offset: 0
            },
            Inst::Jalr {
                rd: Ra,
                rs1: A0,
                offset: 0
            },
            Inst::Jalr {
                rd: Zero,
                rs1: Ra,
                offset: 0
            },
            Inst::Csr {
                op: CsrOp::Csrrs,
                rd: A0,
                rs1: Zero,
                csr: atlas_isa::csr::CYCLE
            },
            Inst::Csr {
                op: CsrOp::Csrrw,
                rd: Zero,
                rs1: A1,
                csr: atlas_isa::csr::SSCRATCH
            },
            Inst::CsrImm {
                op: atlas_isa::CsrImmOp::Csrrwi,
                rd: Zero,
                zimm: 3,
                csr: atlas_isa::csr::SSCRATCH
            },
            Inst::Csr {
                op: CsrOp::Csrrs,
                rd: A2,
                rs1: Zero,
                csr: atlas_isa::csr::INSTRET
            },
            Inst::Fence { pred: 15, succ: 15 },
            addi(Zero, Zero, 0),
            addi(A0, A1, 9),
        ])
    );
}

#[test]
fn pc_relative_pairs() {
    use Reg::*;
    // Text at 0x10000, data on the next page at 0x11000.
    let src = "la a0, d\ncall f\ntail f\nlw a1, d\nsw a1, d, t2\nf: ret\n.data\nd: .word 1\n";
    let auipc = |rd, imm| Inst::Auipc { rd, imm };
    assert_eq!(
        words(src, Xlen::X64),
        enc(&[
            auipc(A0, 0x1000),
            addi(A0, A0, 0),
            auipc(Ra, 0),
            Inst::Jalr {
                rd: Ra,
                rs1: Ra,
                offset: 32
            },
            auipc(T1, 0),
            Inst::Jalr {
                rd: Zero,
                rs1: T1,
                offset: 24
            },
            auipc(A1, 0x1000),
            Inst::Load {
                op: LoadOp::Lw,
                rd: A1,
                rs1: A1,
                offset: -24
            },
            auipc(T2, 0x1000),
            Inst::Store {
                op: StoreOp::Sw,
                rs1: T2,
                rs2: A1,
                offset: -32
            },
            Inst::Jalr {
                rd: Zero,
                rs1: Ra,
                offset: 0
            },
        ])
    );
}

#[test]
fn relocation_functions() {
    use Reg::*;
    let src = ".equ X, 0x12345fff\nlui a0, %hi(X)\naddi a0, a0, %lo(X)\nlw a1, %lo(X)(a0)\n\
               1: auipc a2, %pcrel_hi(X)\naddi a2, a2, %pcrel_lo(1b)\n";
    assert_eq!(
        words(src, Xlen::X64),
        enc(&[
            Inst::Lui {
                rd: A0,
                imm: 0x12346000
            },
            addi(A0, A0, -1),
            Inst::Load {
                op: LoadOp::Lw,
                rd: A1,
                rs1: A0,
                offset: -1
            },
            Inst::Auipc {
                rd: A2,
                imm: 0x12336000
            },
            addi(A2, A2, -13),
        ])
    );
}

#[test]
fn li_uses_the_gnu_sequence() {
    let expected = atlas_asm::li::li_sequence(Reg::A0, 0x1234_5678_9abc_def0, Xlen::X64);
    assert_eq!(
        words("li a0, 0x123456789abcdef0\n", Xlen::X64),
        enc(&expected)
    );
    assert_eq!(
        words("li a0, -1\n", Xlen::X32),
        enc(&[addi(Reg::A0, Reg::Zero, -1)])
    );
}

#[test]
fn layout_symbols_entry_and_lines() {
    let src = ".globl _start\n.text\nhelper: ret\n_start:\n  nop\n  la a0, msg\n.section .rodata\nmsg: .asciz \"hi\"\n\
               .data\nv: .word 1\n.bss\nbuf: .space 16\n";
    let image = asm(src).map_err(|e| e.to_string());
    let Ok(image) = image else {
        panic!("{image:?}")
    };
    assert_eq!(image.entry, 0x10004);
    let layout: Vec<(String, u64, usize, u64, Perms)> = image
        .segments
        .iter()
        .map(|s| (s.name.clone(), s.vaddr, s.data.len(), s.mem_size, s.perms))
        .collect();
    assert_eq!(
        layout,
        vec![
            (".text".into(), 0x10000, 16, 16, Perms::RX),
            (".rodata".into(), 0x11000, 3, 3, Perms::R),
            (".data".into(), 0x12000, 4, 4, Perms::RW),
            (".bss".into(), 0x12004, 0, 16, Perms::RW),
        ]
    );
    let syms: Vec<(&str, u64, bool, bool)> = image
        .symbols
        .iter()
        .map(|s| (s.name.as_str(), s.addr, s.global, s.is_func))
        .collect();
    assert_eq!(
        syms,
        vec![
            ("_start", 0x10004, true, true),
            ("helper", 0x10000, false, true),
            ("msg", 0x11000, false, false),
            ("v", 0x12000, false, false),
            ("buf", 0x12004, false, false)
        ]
    );
    assert_eq!(image.lines.lookup(0x10000), Some(("t.s", 3)));
    assert_eq!(image.lines.lookup(0x1000c), Some(("t.s", 6)));
    assert_eq!(image.lines.entries.len(), 4);
}

#[test]
fn attribute_selects_rv32_and_text_address_option() {
    let opts = Options {
        text_addr: 0x8000_0000,
        ..Options::default()
    };
    let image =
        assemble_str(".attribute arch, \"rv32im\"\nnop\n", "t.s", &opts).map_err(|d| d.to_string());
    assert_eq!(
        image.map(|i| (i.xlen, i.entry)),
        Ok((Xlen::X32, 0x8000_0000))
    );
}

#[test]
fn elf_round_trip_both_widths() {
    for xlen in [Xlen::X64, Xlen::X32] {
        let src = ".globl _start\n_start: li a0, 1\n.section .rodata\nr: .word 7\n.data\nd: .word 1\n.bss\nb: .space 8\n";
        let image = asm_with(src, xlen).map_err(|e| e.to_string());
        let Ok(image) = image else {
            panic!("{image:?}")
        };
        let back = write_elf(&image).and_then(|b| read_elf(&b));
        let Ok(back) = back else { panic!("{back:?}") };
        assert_eq!((back.xlen, back.entry), (xlen, image.entry));
        let segs: Vec<(u64, Vec<u8>, u64, Perms)> = back
            .segments
            .iter()
            .map(|s| (s.vaddr, s.data.clone(), s.mem_size, s.perms))
            .collect();
        assert_eq!(
            segs,
            vec![
                (0x10000, segment(&image, ".text"), 4, Perms::RX),
                (0x11000, vec![7, 0, 0, 0], 4, Perms::R),
                // .data and .bss share one PT_LOAD, as GNU ld lays them out.
                (0x12000, vec![1, 0, 0, 0], 12, Perms::RW),
            ]
        );
        let names: Vec<(&str, u64, bool)> = back
            .symbols
            .iter()
            .map(|s| (s.name.as_str(), s.addr, s.global))
            .collect();
        assert_eq!(
            names,
            vec![
                ("r", 0x11000, false),
                ("d", 0x12000, false),
                ("b", 0x12004, false),
                ("_start", 0x10000, true)
            ]
        );
    }
}

fn patched(f: impl Fn(&mut Vec<u8>)) -> Result<Image, String> {
    let image = asm(".globl _start\n_start: nop\n.data\n.word 1\n")?;
    let mut bytes = write_elf(&image)?;
    f(&mut bytes);
    read_elf(&bytes)
}

#[test]
fn elf_reader_refuses_what_it_cannot_load() {
    assert_eq!(
        read_elf(b"\x7fELF").map(|_| ()),
        Err("not an ELF file: too short".into())
    );
    assert_eq!(
        read_elf(b"#!/bin/sh\necho hi\n").map(|_| ()),
        Err("not an ELF file (bad magic)".into())
    );
    assert_eq!(
        patched(|b| b[18] = 62).map(|_| ()),
        Err("not a RISC-V executable (e_machine 62, expected 243)".into())
    );
    assert_eq!(
        patched(|b| b[4] = 3).map(|_| ()),
        Err("invalid ELF class 3 (expected ELFCLASS32 or ELFCLASS64)".into())
    );
    assert_eq!(patched(|b| b[16] = 3).map(|_| ()), Err("position-independent or shared object (ET_DYN): only static executables (ET_EXEC) can be loaded".into()));
    // Program headers start at 64 and are 56 bytes each: p_type first, p_vaddr at +16.
    assert_eq!(
        patched(|b| b[64] = 3).map(|_| ()),
        Err(
            "dynamically linked executable (PT_INTERP): only static executables can be loaded"
                .into()
        )
    );
    assert_eq!(
        patched(|b| b[64] = 2).map(|_| ()),
        Err(
            "dynamically linked executable (PT_DYNAMIC): only static executables can be loaded"
                .into()
        )
    );
    let overlapping = patched(|b| b[64 + 56 + 17] = 0x00).map(|_| ());
    assert_eq!(
        overlapping,
        Err("overlapping segments: 0x10000..0x10004 and 0x10000..0x10004".into())
    );
}

#[test]
fn load_program_reads_elf_or_assembles() {
    let dir = std::env::temp_dir().join(format!("atlas-asm-api-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let src = dir.join("p.s");
    let elf = dir.join("p.elf");
    let _ = std::fs::write(&src, ".attribute arch, \"rv32im\"\n_start: nop\n");
    let from_source = load_program(&src, &Options::default());
    assert_eq!(
        from_source.as_ref().map(|i| (i.xlen, i.entry)),
        Ok((Xlen::X32, 0x10000))
    );
    let bytes = from_source.and_then(|i| write_elf(&i)).unwrap_or_default();
    let _ = std::fs::write(&elf, bytes);
    assert_eq!(
        load_program(&elf, &Options::default()).map(|i| i.xlen),
        Ok(Xlen::X32)
    );
    let strict = Options {
        require_xlen: true,
        ..Options::default()
    };
    let refused = load_program(&elf, &strict).map(|i| i.xlen);
    assert_eq!(
        refused,
        Err(format!(
            "{}: file is ELFCLASS32 (RV32) but ELFCLASS64 (RV64) was requested",
            elf.display()
        ))
    );
    let _ = std::fs::write(&src, "  bogus\n");
    let err = load_program(&src, &Options::default()).map(|_| ());
    assert_eq!(
        err,
        Err(format!(
            "{}:1:3: error: unknown instruction `bogus`\n  bogus\n  ^\n",
            src.display()
        ))
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gcc_output_conventions() {
    let src = "\t.text\nf:\n\t.cfi_startproc\n\t.loc 1 2 3\n\tret\n\t.cfi_endproc\n\
               \t.section .sdata,\"aw\"\ns: .word 5\n\t.section .sbss,\"aw\",@nobits\nz: .zero 4\n\
               \t.section .srodata.cst8,\"aM\",@progbits,8\nr: .dword 1\n\
               \t.section .debug_info,\"\",@progbits\ndbg: .4byte f\n\
               \t.section .note.GNU-stack,\"\",@progbits\n";
    let image = asm(src).map_err(|e| e.to_string());
    let Ok(image) = image else {
        panic!("{image:?}")
    };
    let layout: Vec<(&str, u64, usize, u64)> = image
        .segments
        .iter()
        .map(|s| (s.name.as_str(), s.vaddr, s.data.len(), s.mem_size))
        .collect();
    assert_eq!(
        layout,
        vec![
            (".text", 0x10000, 4, 4),
            (".rodata", 0x11000, 8, 8),
            (".data", 0x12000, 4, 4),
            (".bss", 0x12004, 0, 4)
        ]
    );
    let names: Vec<&str> = image.symbols.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec!["f", "s", "z", "r"]);
}
