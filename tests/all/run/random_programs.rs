//! Random straight-line programs for differential testing against qemu-user.
//!
//! Each program sets every register of a pool to an edge value, runs a random mix of ALU,
//! shift, MUL/DIV, LUI/AUIPC, load and store instructions (memory accesses go to a 256-byte
//! buffer, aligned or not) with the odd forward branch or jump over one instruction, then
//! writes all pool registers and the buffer to stdout and exits 0. `.ci/run-vs-qemu` writes thousands of them with the ignored test below and
//! compares Atlas's output with qemu's byte for byte; the ordinary test runs a few on Atlas.

use atlas_asm::{assemble_str, Options};
use atlas_isa::Xlen;
use atlas_os::{run_image, CapturedIo, ExitReason, OsConfig};
use std::fmt::Write as _;

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Registers the program computes with: everything except zero, sp, gp, tp and the buffer
/// base s0.
const POOL: [&str; 27] = [
    "ra", "t0", "t1", "t2", "s1", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4",
    "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
];

/// Size of the memory buffer the loads and stores use.
const BUFFER: u64 = 256;

const ALU_BOTH: [&str; 18] = [
    "add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and", "mul", "mulh", "mulhsu",
    "mulhu", "div", "divu", "rem", "remu",
];
const ALU_RV64: [&str; 10] = [
    "addw", "subw", "sllw", "srlw", "sraw", "mulw", "divw", "divuw", "remw", "remuw",
];
const IMM_BOTH: [&str; 6] = ["addi", "slti", "sltiu", "xori", "ori", "andi"];
const SHIFT_BOTH: [&str; 3] = ["slli", "srli", "srai"];
const SHIFT_RV64_W: [&str; 3] = ["slliw", "srliw", "sraiw"];

/// An edge value for a register of width `xlen`.
fn edge_value(rng: &mut Rng, xlen: Xlen) -> i64 {
    let common: [i64; 16] = [
        0,
        1,
        -1,
        2,
        -2,
        i64::from(i32::MIN),
        i64::from(i32::MAX),
        0x80,
        0xff,
        0x7fff,
        0x8000,
        0xffff,
        0x1_0000,
        -2048,
        2047,
        0x5555_5555,
    ];
    let wide: [i64; 6] = [
        i64::MIN,
        i64::MAX,
        0xffff_ffff,
        0x1_0000_0000,
        i64::MIN + 1,
        0x7fff_ffff_8000_0000,
    ];
    match rng.below(4) {
        0 | 1 => *rng.pick(&common),
        2 if xlen == Xlen::X64 => *rng.pick(&wide),
        _ => match xlen {
            Xlen::X32 => i64::from(rng.next() as i32),
            Xlen::X64 => rng.next() as i64,
        },
    }
}

/// A 12-bit immediate, biased towards edges.
fn imm12(rng: &mut Rng) -> i64 {
    let any = rng.below(4096) as i64 - 2048;
    *rng.pick(&[0, 1, -1, 2047, -2048, 0x555, -0x556, any, any])
}

/// One random instruction (or two, for a load/store address check).
fn instruction(rng: &mut Rng, xlen: Xlen, out: &mut String) {
    let rd = rng.pick(&POOL);
    let rs1 = rng.pick(&POOL);
    let rs2 = rng.pick(&POOL);
    let bits = xlen.bits() as u64;
    let line = match rng.below(20) {
        0..=6 => {
            let op = if xlen == Xlen::X64 && rng.below(3) == 0 {
                rng.pick(&ALU_RV64)
            } else {
                rng.pick(&ALU_BOTH)
            };
            format!("{op} {rd}, {rs1}, {rs2}")
        }
        7..=9 => {
            let op = if xlen == Xlen::X64 && rng.below(4) == 0 {
                "addiw"
            } else {
                rng.pick(&IMM_BOTH)
            };
            format!("{op} {rd}, {rs1}, {}", imm12(rng))
        }
        10 | 11 => {
            if xlen == Xlen::X64 && rng.below(3) == 0 {
                format!("{} {rd}, {rs1}, {}", rng.pick(&SHIFT_RV64_W), rng.below(32))
            } else {
                format!("{} {rd}, {rs1}, {}", rng.pick(&SHIFT_BOTH), rng.below(bits))
            }
        }
        12 => format!("lui {rd}, {}", rng.below(1 << 20)),
        13 => format!("auipc {rd}, {}", rng.below(1 << 20)),
        14..=16 => {
            let mut ops = vec![("lb", 1), ("lh", 2), ("lw", 4), ("lbu", 1), ("lhu", 2)];
            if xlen == Xlen::X64 {
                ops.extend([("ld", 8), ("lwu", 4)]);
            }
            let (op, size) = *rng.pick(&ops);
            let offset = mem_offset(rng, size);
            format!("{op} {rd}, {offset}(s0)")
        }
        _ => {
            let mut ops = vec![("sb", 1), ("sh", 2), ("sw", 4)];
            if xlen == Xlen::X64 {
                ops.push(("sd", 8));
            }
            let (op, size) = *rng.pick(&ops);
            let offset = mem_offset(rng, size);
            format!("{op} {rs2}, {offset}(s0)")
        }
    };
    let _ = writeln!(out, "    {line}");
}

/// A buffer offset for an access of `size` bytes: usually aligned, sometimes not.
fn mem_offset(rng: &mut Rng, size: u64) -> u64 {
    let slots = BUFFER / size;
    let aligned = rng.below(slots) * size;
    if rng.below(4) == 0 {
        rng.below(BUFFER - size + 1)
    } else {
        aligned
    }
}

/// The complete source of random program `index` at width `xlen`.
pub fn program(xlen: Xlen, seed: u64, index: u64, length: usize) -> String {
    let mut rng = Rng(seed ^ index.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ u64::from(xlen.bits()));
    let word = xlen.bits() / 8;
    let store = if xlen == Xlen::X64 { "sd" } else { "sw" };
    let mut s = format!(
        "# random straight-line program {index} (seed {seed:#x}, RV{})\n    .text\n    .globl _start\n_start:\n    la s0, buffer\n",
        xlen.bits()
    );
    for reg in POOL {
        let _ = writeln!(s, "    li {reg}, {}", edge_value(&mut rng, xlen));
    }
    for i in 0..length {
        // Now and then a forward branch or jump over the next instruction: still one path
        // through the program, but taken and untaken comparisons of edge values and links.
        match rng.below(12) {
            0 => {
                let op = rng.pick(&["beq", "bne", "blt", "bge", "bltu", "bgeu"]);
                let (a, b) = (rng.pick(&POOL), rng.pick(&POOL));
                let _ = writeln!(s, "    {op} {a}, {b}, .Lskip{i}");
                instruction(&mut rng, xlen, &mut s);
                let _ = writeln!(s, ".Lskip{i}:");
            }
            1 => {
                let _ = writeln!(s, "    jal {}, .Lskip{i}", rng.pick(&POOL));
                instruction(&mut rng, xlen, &mut s);
                let _ = writeln!(s, ".Lskip{i}:");
            }
            _ => instruction(&mut rng, xlen, &mut s),
        }
    }
    s.push_str("    la gp, registers\n");
    for (i, reg) in POOL.iter().enumerate() {
        let _ = writeln!(s, "    {store} {reg}, {}(gp)", i as u32 * word);
    }
    let _ = write!(
        s,
        "    li a0, 1\n    la a1, registers\n    li a2, {}\n    li a7, 64\n    ecall\n\
         \x20   li a0, 1\n    la a1, buffer\n    li a2, {BUFFER}\n    li a7, 64\n    ecall\n\
         \x20   li a0, 0\n    li a7, 93\n    ecall\n\n    .data\n    .align 3\nbuffer:\n",
        POOL.len() as u32 * word
    );
    for _ in 0..BUFFER / 8 {
        let _ = writeln!(s, "    .dword {:#x}", rng.next());
    }
    let _ = write!(s, "registers:\n    .space {}\n", POOL.len() as u32 * word);
    s
}

/// Runs a program source on Atlas; returns its stdout and how it ended.
fn run_source(source: &str, xlen: Xlen) -> (Vec<u8>, ExitReason) {
    let options = Options {
        xlen,
        ..Options::default()
    };
    let image = assemble_str(source, "random.s", &options).unwrap_or_else(|e| panic!("{e}"));
    let config = OsConfig {
        phys_mem: 4 << 20,
        stack_size: 64 << 10,
        max_insns: 100_000,
        ..OsConfig::default()
    };
    let mut streams = CapturedIo::new(b"");
    let mut io = streams.io();
    let report = run_image(&image, &config, &mut io).unwrap_or_else(|e| panic!("{e}"));
    (streams.stdout, report.exit)
}

#[test]
fn random_programs_assemble_run_and_dump_every_register_and_the_buffer() {
    for xlen in [Xlen::X32, Xlen::X64] {
        for index in 0..40 {
            let source = program(xlen, 1, index, 60);
            let (stdout, exit) = run_source(&source, xlen);
            let expected_len = POOL.len() as u64 * u64::from(xlen.bits() / 8) + BUFFER;
            assert_eq!(
                (exit, stdout.len() as u64),
                (ExitReason::Exited(0), expected_len),
                "program {index} at RV{}:\n{source}",
                xlen.bits()
            );
        }
    }
}

/// Writes `ATLAS_RANDOM_COUNT` (default 2000) programs per width into `ATLAS_RANDOM_DIR` as
/// `rv32-N.s` / `rv64-N.s`, for `.ci/run-vs-qemu`.
#[test]
#[ignore = "writes files for .ci/run-vs-qemu; run with ATLAS_RANDOM_DIR set"]
fn write_random_programs() {
    let Some(dir) = std::env::var_os("ATLAS_RANDOM_DIR") else {
        return;
    };
    let count: u64 = std::env::var("ATLAS_RANDOM_COUNT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let seed: u64 = std::env::var("ATLAS_RANDOM_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0xa71a5);
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).expect("create the output folder");
    for xlen in [Xlen::X32, Xlen::X64] {
        for index in 0..count {
            let path = dir.join(format!("rv{}-{index}.s", xlen.bits()));
            std::fs::write(&path, program(xlen, seed, index, 80)).expect("write a program");
        }
    }
}
