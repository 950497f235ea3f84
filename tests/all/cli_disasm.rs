//! `atlas disasm` on raw binaries: address, word and objdump-style text.

use atlas_isa::{encode, AluImmOp, BranchOp, Inst, Reg, StoreOp};
use std::process::Command;

fn atlas() -> Command {
    Command::new(env!("CARGO_BIN_EXE_atlas"))
}

#[test]
fn raw_rv64_words_print_like_objdump() {
    let dir = std::env::temp_dir().join(format!("atlas-disasm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("code.bin");
    let (a0, ra, sp, zero) = (Reg::A0, Reg::Ra, Reg::Sp, Reg::Zero);
    let words: [u32; 5] = [
        encode(&Inst::AluImm {
            op: AluImmOp::Addi,
            rd: a0,
            rs1: zero,
            imm: 0,
        }),
        encode(&Inst::Jalr {
            rd: zero,
            rs1: ra,
            offset: 0,
        }),
        encode(&Inst::Branch {
            op: BranchOp::Beq,
            rs1: a0,
            rs2: zero,
            offset: -8,
        }),
        0, // not an instruction
        encode(&Inst::Store {
            op: StoreOp::Sd,
            rs1: sp,
            rs2: ra,
            offset: 8,
        }),
    ];
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    std::fs::write(&path, bytes).expect("write raw file");
    let out = atlas()
        .args(["disasm", "--raw", "--xlen", "64", "--base", "0x10000"])
        .arg(&path)
        .output()
        .expect("run atlas");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "\nDisassembly of section raw:\n\
         \x20  10000:\t00000513          \tli\ta0,0\n\
         \x20  10004:\t00008067          \tret\n\
         \x20  10008:\tfe050ce3          \tbeqz\ta0,10000\n\
         \x20  1000c:\t00000000          \t.word\t0x00000000\n\
         \x20  10010:\t00113423          \tsd\tra,8(sp)\n"
    );
    let plain = atlas()
        .args(["disasm", "--raw", "--no-aliases", "--base", "0x10000"])
        .arg(&path)
        .output()
        .expect("run atlas");
    let text = String::from_utf8_lossy(&plain.stdout);
    assert!(text.contains("\taddi\ta0,zero,0\n"), "{text}");
    assert!(text.contains("\tjalr\tzero,0(ra)\n"), "{text}");
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn rv64_only_words_are_not_instructions_in_rv32() {
    let dir = std::env::temp_dir().join(format!("atlas-disasm32-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("code.bin");
    let sd = encode(&Inst::Store {
        op: StoreOp::Sd,
        rs1: Reg::Sp,
        rs2: Reg::Ra,
        offset: 8,
    });
    std::fs::write(&path, sd.to_le_bytes()).expect("write raw file");
    let out = atlas()
        .args(["disasm", "--raw", "--xlen", "32"])
        .arg(&path)
        .output()
        .expect("run atlas");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "\nDisassembly of section raw:\n       0:\t00113423          \t.word\t0x00113423\n"
    );
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn a_file_that_is_not_elf_is_refused() {
    let dir = std::env::temp_dir().join(format!("atlas-disasm-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("notelf");
    std::fs::write(&path, b"hello").expect("write file");
    let out = atlas()
        .arg("disasm")
        .arg(&path)
        .output()
        .expect("run atlas");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("atlas disasm: "), "{err}");
    assert!(err.contains("not an ELF file"), "{err}");
    std::fs::remove_dir_all(&dir).expect("clean up");
}
