//! Speed without changing a single count (issue 8): the translation fast path and the
//! decoded-instruction cache must leave every counter, cycle, register and byte of output
//! exactly as the slow paths give them; the bench programs print their reference checksums.

use atlas_asm::{assemble_str, load_program, Image, Options};
use atlas_cpu::Word;
use atlas_isa::{encode, AluImmOp, Inst, Reg, Xlen};
use atlas_mmu::{Bus, MmuConfig, PolicyKind};
use atlas_os::{CapturedIo, ExitReason, MmuMode, OsConfig, Process, RunReport};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// Which accelerations a run uses.
#[derive(Clone, Copy, Debug)]
struct Speedups {
    fast_path: bool,
    icache: bool,
    /// Native code for loop blocks (needs the icache).
    jit: bool,
}

const ALL_ON: Speedups = Speedups {
    fast_path: true,
    icache: true,
    jit: true,
};
const ALL_OFF: Speedups = Speedups {
    fast_path: false,
    icache: false,
    jit: false,
};

/// Everything a run leaves behind that must not depend on the speedups.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    report: RunReport,
    stdout: Vec<u8>,
    regs: Vec<u64>,
    bus_cycles: u64,
    /// The first [`MEMORY_COMPARED`] bytes of physical memory (the image in bare mode).
    memory: Vec<u8>,
}

/// Bytes of physical memory compared between runs.
const MEMORY_COMPARED: u64 = 1 << 20;

fn run_as<X: Word>(image: &Image, config: &OsConfig, stdin: &[u8], s: Speedups) -> Outcome {
    let mut process = Process::<X>::load(image, config).unwrap_or_else(|e| panic!("{e}"));
    process.bus_mut().set_fast_path(s.fast_path);
    process.cpu_mut().set_icache(s.icache);
    process.cpu_mut().set_jit(s.jit);
    let mut streams = CapturedIo::new(stdin);
    let mut io = streams.io();
    let exit = process.run(&mut io, config.max_insns);
    let regs = Reg::ALL.iter().map(|&r| process.cpu().reg(r)).collect();
    let bus_cycles = process.bus().cycles();
    let phys = process.bus().phys();
    let memory = phys
        .slice(0, phys.size().min(MEMORY_COMPARED))
        .expect("in memory")
        .to_vec();
    Outcome {
        report: process.report(exit),
        stdout: streams.stdout,
        regs,
        bus_cycles,
        memory,
    }
}

fn run(image: &Image, config: &OsConfig, stdin: &[u8], s: Speedups) -> Outcome {
    match image.xlen {
        Xlen::X32 => run_as::<u32>(image, config, stdin, s),
        Xlen::X64 => run_as::<u64>(image, config, stdin, s),
    }
}

/// Every `programs/*.s` at each width it supports, with its standard input.
fn programs() -> Vec<(String, Image, Vec<u8>)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join("programs"))
        .expect("programs/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "s"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("?");
        let widths = if stem.ends_with(".rv32") {
            vec![Xlen::X32]
        } else if stem.ends_with(".rv64") {
            vec![Xlen::X64]
        } else {
            vec![Xlen::X32, Xlen::X64]
        };
        let stdin = std::fs::read(path.with_extension("stdin")).unwrap_or_default();
        for xlen in widths {
            let options = Options {
                xlen,
                ..Options::default()
            };
            let image = load_program(&path, &options).unwrap_or_else(|e| panic!("{e}"));
            out.push((format!("{stem} rv{}", xlen.bits()), image, stdin.clone()));
        }
    }
    for (name, image) in shortened_benches() {
        out.push((name, image, Vec::new()));
    }
    out
}

/// The bench programs with their loop counts replaced (`.equ NAME, value` lines).
fn shortened(file: &str, xlen: Xlen, equs: &[(&str, &str)]) -> Image {
    let path = root().join("programs/bench").join(file);
    let mut source = std::fs::read_to_string(&path).expect("bench source");
    for (name, value) in equs {
        let line = source
            .lines()
            .find(|l| l.trim_start().starts_with(&format!(".equ {name},")))
            .unwrap_or_else(|| panic!("{file}: no .equ {name}"))
            .to_string();
        source = source.replacen(&line, &format!("    .equ {name}, {value}"), 1);
    }
    let options = Options {
        xlen,
        ..Options::default()
    };
    // Named by its real path, so that an `.include` resolves beside it.
    let name = path.display().to_string();
    assemble_str(&source, &name, &options).unwrap_or_else(|e| panic!("{file}: {e:?}"))
}

fn shortened_benches() -> Vec<(String, Image)> {
    let mut out = Vec::new();
    for xlen in [Xlen::X32, Xlen::X64] {
        let intmix = shortened("intmix.s", xlen, &[("ITERATIONS", "3000")]);
        out.push((format!("bench/intmix rv{}", xlen.bits()), intmix));
        let pagewalk = shortened("pagewalk.s", xlen, &[("ROUNDS", "2"), ("HEAP", "0x200000")]);
        out.push((format!("bench/pagewalk rv{}", xlen.bits()), pagewalk));
        let memsweep = shortened("memsweep.s", xlen, &[("PASSES", "3")]);
        out.push((format!("bench/memsweep rv{}", xlen.bits()), memsweep));
    }
    out
}

/// The modes a width supports (linear and Sv32 only on RV32, Sv39/48/57 only on RV64).
fn modes(xlen: Xlen) -> Vec<MmuMode> {
    MmuMode::ALL
        .into_iter()
        .filter(|m| {
            !matches!(
                (m, xlen),
                (MmuMode::Linear | MmuMode::Sv32, Xlen::X64)
                    | (MmuMode::Sv39 | MmuMode::Sv48 | MmuMode::Sv57, Xlen::X32)
            )
        })
        .collect()
}

/// `preset` with every TLB and page-walk cache using `policy`.
fn machine(preset: &str, policy: PolicyKind) -> MmuConfig {
    let mut config = MmuConfig::preset(preset).expect("a preset");
    for geometry in [&mut config.l1i, &mut config.l1d, &mut config.l2]
        .into_iter()
        .chain(config.pwc.iter_mut())
        .flatten()
    {
        geometry.policy = policy;
    }
    config
}

fn assert_same(name: &str, what: &str, image: &Image, config: &OsConfig, stdin: &[u8]) {
    let on = run(image, config, stdin, ALL_ON);
    let off = run(image, config, stdin, ALL_OFF);
    assert_eq!(on, off, "{name} ({what}): the speedups changed the outcome");
}

/// Issue 8, check 4: for every program, every preset and every replacement policy the
/// statistics (counters, cycles, MMU counters and breakdown), output and registers with the
/// fast path and the instruction cache are identical to those without.
#[test]
fn speedups_change_no_count_for_any_program_preset_or_policy() {
    for (name, image, stdin) in programs() {
        for preset in MmuConfig::PRESETS {
            for policy in PolicyKind::ALL {
                let config = OsConfig {
                    phys_mem: 32 << 20,
                    max_insns: 400_000,
                    mmu: machine(preset, policy),
                    ..OsConfig::default()
                };
                assert_same(
                    &name,
                    &format!("{preset}/{policy:?}"),
                    &image,
                    &config,
                    &stdin,
                );
            }
        }
    }
}

/// The same in every MMU mode the width supports (modern machine, LRU and FIFO, where the
/// fast path holds the most).
#[test]
fn speedups_change_no_count_in_any_mmu_mode() {
    for (name, image, stdin) in programs() {
        for mode in modes(image.xlen) {
            for policy in [PolicyKind::Lru, PolicyKind::Fifo] {
                let config = OsConfig {
                    phys_mem: 32 << 20,
                    max_insns: 400_000,
                    mmu_mode: Some(mode),
                    mmu: machine("modern", policy),
                    ..OsConfig::default()
                };
                assert_same(
                    &name,
                    &format!("{mode:?}/{policy:?}"),
                    &image,
                    &config,
                    &stdin,
                );
            }
        }
    }
}

/// The fast path really serves accesses (else the identity above proves nothing): on the
/// modern machine almost every fetch of intmix is a fast-path hit.
#[test]
fn the_fast_path_serves_the_hot_loop() {
    let image = shortened("intmix.s", Xlen::X64, &[("ITERATIONS", "3000")]);
    let config = OsConfig {
        mmu_mode: Some(MmuMode::Sv39),
        mmu: MmuConfig::modern(),
        ..OsConfig::default()
    };
    let mut process = Process::<u64>::load(&image, &config).expect("loads");
    let mut streams = CapturedIo::new(&[]);
    let mut io = streams.io();
    let exit = process.run(&mut io, config.max_insns);
    assert_eq!(exit, ExitReason::Exited(0));
    let fast = process
        .bus()
        .translator()
        .expect("translation hardware")
        .fast_path();
    let fetch_hits: u64 = atlas_mmu::fastpath::HitClass::ALL
        .into_iter()
        .map(|c| fast.hits_of(atlas_mmu::AccessKind::Fetch, c))
        .sum();
    let instret = process.cpu().counters().instret;
    assert!(
        fetch_hits * 100 >= instret * 99,
        "{fetch_hits} fast fetches of {instret}"
    );
}

/// The intmix loop in Rust: (checksum, times the branch fell through).
fn intmix_model(iterations: u32) -> (u32, u32) {
    let (mut x, mut y, mut z, mut count) = (0x1234_5678u32, 0x9e37_79b9u32, 1u32, 0);
    for _ in 0..iterations {
        x = x.wrapping_add(y);
        y ^= x;
        y = y.rotate_left(13);
        z = z.wrapping_mul(x) | 1;
        x ^= z;
        if y & 4 != 0 {
            count += 1;
        }
    }
    (x ^ y ^ z, count)
}

/// The pagewalk sweep in Rust: the sum of every value stored.
fn pagewalk_model(rounds: u32, heap: u32) -> u32 {
    let pages = heap / 4096;
    let mut sum = 0u32;
    for round in 1..=rounds {
        for skew in (0..4096u32).step_by(64) {
            // Each word is touched once per round and grows by its skew each time.
            sum = sum.wrapping_add(skew.wrapping_mul(round).wrapping_mul(pages));
        }
    }
    sum
}

/// The memsweep loop in Rust: the sum of every value stored (every word of the array holds
/// the same value: after pass p, 0 + 1 + … + p).
fn memsweep_model(passes: u32) -> u32 {
    let words = 0x10000 / 4;
    let (mut word, mut sum) = (0u32, 0u32);
    for pass in 0..passes {
        word = word.wrapping_add(pass);
        sum = sum.wrapping_add(word.wrapping_mul(words));
    }
    sum
}

#[test]
fn bench_programs_print_their_reference_checksums_at_both_widths() {
    let config = OsConfig {
        phys_mem: 32 << 20,
        ..OsConfig::default()
    };
    for xlen in [Xlen::X32, Xlen::X64] {
        let image = shortened("intmix.s", xlen, &[("ITERATIONS", "5000")]);
        let out = run(&image, &config, &[], ALL_ON);
        let (sum, count) = intmix_model(5000);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("intmix checksum {sum:#010x}, branch fell through {count}\n")
        );
        assert_eq!(out.report.exit, ExitReason::Exited(0));
        let image = shortened("pagewalk.s", xlen, &[("ROUNDS", "3"), ("HEAP", "0x80000")]);
        let out = run(&image, &config, &[], ALL_ON);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("pagewalk checksum {:#010x}\n", pagewalk_model(3, 0x80000))
        );
        assert_eq!(out.report.exit, ExitReason::Exited(0));
        let image = shortened("memsweep.s", xlen, &[("PASSES", "7")]);
        let out = run(&image, &config, &[], ALL_ON);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("memsweep checksum {:#010x}\n", memsweep_model(7))
        );
        assert_eq!(out.report.exit, ExitReason::Exited(0));
    }
    // The full-size runs' checksums, as the models give them (programs/bench/*.expected).
    let (sum, count) = intmix_model(100_000_000);
    let expected = std::fs::read_to_string(root().join("programs/bench/intmix.expected"))
        .expect("intmix.expected");
    assert_eq!(
        expected,
        format!("intmix checksum {sum:#010x}, branch fell through {count}\n")
    );
    let expected = std::fs::read_to_string(root().join("programs/bench/pagewalk.expected"))
        .expect("pagewalk.expected");
    assert_eq!(
        expected,
        format!(
            "pagewalk checksum {:#010x}\n",
            pagewalk_model(160, 64 << 20)
        )
    );
    let expected = std::fs::read_to_string(root().join("programs/bench/memsweep.expected"))
        .expect("memsweep.expected");
    assert_eq!(
        expected,
        format!("memsweep checksum {:#010x}\n", memsweep_model(10_000))
    );
}

/// `addi a0, a0, imm` as a word (also used by the block tests).
pub(crate) fn addi_a0(imm: i32) -> u32 {
    encode(&Inst::AluImm {
        op: AluImmOp::Addi,
        rd: Reg::A0,
        rs1: Reg::A0,
        imm,
    })
}

/// A loop that rewrites one of its own instructions after the first pass, and an
/// instruction rewritten by the store just before it; `fence` is the text between a store
/// and the rewritten instruction's next execution (`fence.i` or nothing).
fn self_modifying(fence: &str) -> String {
    format!(
        "    .text
    .globl _start
_start:
    la t0, patch
    la t2, next
    li t1, {add100}
    li t3, {add1000}
    li a0, 0
    li s0, 3
loop:
patch:
    addi a0, a0, 1
    sw t1, 0(t0)
    {fence}
    addi s0, s0, -1
    bnez s0, loop
    sw t3, 0(t2)
next:
    addi a0, a0, 7
    li a7, 93
    ecall
",
        add100 = addi_a0(100) as i32,
        add1000 = addi_a0(1000) as i32,
    )
}

/// Self-modifying code runs as written with the cache on or off, with or without
/// `fence.i`: 1 + 100 + 100 from the loop, then 1000 from the instruction stored over
/// `addi a0, a0, 7` just before it runs. (Bare mode: the text is writable.)
#[test]
fn self_modifying_code_sees_its_stores_with_and_without_fence_i() {
    for fence in ["fence.i", "nop"] {
        for xlen in [Xlen::X32, Xlen::X64] {
            let options = Options {
                xlen,
                ..Options::default()
            };
            let image = assemble_str(&self_modifying(fence), "smc.s", &options)
                .unwrap_or_else(|e| panic!("{e:?}"));
            let config = OsConfig {
                phys_mem: 32 << 20,
                mmu_mode: Some(MmuMode::Bare),
                ..OsConfig::default()
            };
            let on = run(&image, &config, &[], ALL_ON);
            let off = run(&image, &config, &[], ALL_OFF);
            assert_eq!(on.report.exit, ExitReason::Exited(1201), "{fence}");
            assert_eq!(on.regs[10], 1201, "{fence}: a0");
            assert_eq!(on, off, "{fence}");
        }
    }
}

/// A small deterministic generator for the random programs.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Instructions per slot of a random program's loop body.
const SLOT_INSNS: u64 = 2;

/// A random loop over registers a1..a5 with loads and stores into a data buffer and stores
/// of random ALU instruction words (from a table) over random instructions of its own body,
/// so the instruction cache must drop and re-decode its page as the loop runs.
fn random_program(rng: &mut XorShift) -> String {
    let regs = ["a1", "a2", "a3", "a4", "a5"];
    let alu = ["add", "sub", "xor", "or", "and", "sll", "srl", "mul", "slt"];
    let body_len = 24;
    // Which slots rewrite code; only the others (one ALU operation, load or store each)
    // are rewritten, so a rewrite never breaks a rewriting sequence.
    let rewrites: Vec<bool> = (0..body_len).map(|_| rng.below(5) == 0).collect();
    let targets: Vec<u64> = (0..body_len).filter(|&i| !rewrites[i as usize]).collect();
    let mut words = Vec::new();
    let mut body = Vec::new();
    for i in 0..body_len {
        let r = |rng: &mut XorShift| regs[rng.below(5) as usize];
        let line = match rng.below(5) {
            _ if rewrites[i as usize] && !targets.is_empty() => {
                let slot = targets[rng.below(targets.len() as u64) as usize];
                let word = encode(&Inst::AluImm {
                    op: AluImmOp::Xori,
                    rd: Reg::ALL[11 + rng.below(5) as usize],
                    rs1: Reg::ALL[11 + rng.below(5) as usize],
                    imm: rng.below(2048) as i32 - 1024,
                });
                words.push(format!("    .word {word:#010x}"));
                format!(
                    "lw t1, {}(s2)\n    sw t1, {}(s3)",
                    (words.len() - 1) * 4,
                    slot * 4 * SLOT_INSNS
                )
            }
            0 => format!("lw {}, {}(s1)", r(rng), rng.below(64) * 4),
            1 => format!("sw {}, {}(s1)", r(rng), rng.below(64) * 4),
            _ => format!(
                "{} {}, {}, {}\n    nop",
                alu[rng.below(alu.len() as u64) as usize],
                r(rng),
                r(rng),
                r(rng)
            ),
        };
        let line = if line.contains('\n') {
            line
        } else {
            format!("{line}\n    nop")
        };
        body.push(format!("    {line}"));
    }
    let seeds: Vec<String> = regs
        .iter()
        .map(|r| format!("    li {r}, {}", rng.below(1 << 20) as i64 - (1 << 19)))
        .collect();
    format!(
        "    .text
    .globl _start
_start:
{}
    la s1, buffer
    la s2, words
    la s3, body
    li s0, {}
body:
{}
    addi s0, s0, -1
    bnez s0, body
    li a0, 0
    li a7, 93
    ecall
    .data
words:
{}
    .word 0
buffer:
    .space 256
",
        seeds.join("\n"),
        2 + rng.below(20),
        body.join("\n"),
        words.join("\n")
    )
}

/// Random self-modifying loops give identical registers, counters, cycles and memory with
/// the instruction cache (and fast path) on and off.
#[test]
fn random_self_modifying_programs_agree_with_the_cache_on_and_off() {
    let mut rng = XorShift(0x5eed_1234_abcd_0001);
    for n in 0..40 {
        let source = random_program(&mut rng);
        let xlen = if n % 2 == 0 { Xlen::X32 } else { Xlen::X64 };
        let options = Options {
            xlen,
            ..Options::default()
        };
        let image = assemble_str(&source, "random.s", &options)
            .unwrap_or_else(|e| panic!("{e:?}\n{source}"));
        let config = OsConfig {
            phys_mem: 16 << 20,
            max_insns: 100_000,
            mmu_mode: Some(MmuMode::Bare),
            ..OsConfig::default()
        };
        let on = run(&image, &config, &[], ALL_ON);
        let off = run(&image, &config, &[], ALL_OFF);
        assert_eq!(on, off, "program {n}:\n{source}");
        let cache_only = run(
            &image,
            &config,
            &[],
            Speedups {
                fast_path: false,
                icache: true,
                jit: false,
            },
        );
        assert_eq!(cache_only, off, "program {n}:\n{source}");
        assert_eq!(on.report.exit, ExitReason::Exited(0), "program {n}");
    }
}

/// `atlas run --stats-json` for `program`, with the host timing removed.
fn stats_json(program: &Path, extra: &[&str], stdin: &[u8]) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let dir = crate::temp::TempDir::new("atlas-fastpath");
    let json = dir.join(&format!(
        "{}{}.json",
        program.file_stem().and_then(|s| s.to_str()).unwrap_or("p"),
        extra.join("")
    ));
    let mut child = Command::new(env!("CARGO_BIN_EXE_atlas"))
        .args(["run", "-q", "--max-insns", "400000", "--stats-json"])
        .arg(&json)
        .args(extra)
        .arg(program)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("atlas runs");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin).expect("stdin written");
    }
    child.wait().expect("atlas ends");
    let text = std::fs::read_to_string(&json).expect("stats written");
    text.lines()
        .filter(|l| !l.contains("\"seconds\"") && !l.contains("\"mips\""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Issue 8, check 4, through the CLI: `--stats-json` is identical with and without
/// `--no-fast-path`, and with and without `--no-jit`, for every program under both presets.
#[test]
fn stats_json_is_identical_with_and_without_the_fast_path() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join("programs"))
        .expect("programs/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "s"))
        .collect();
    paths.sort();
    for path in paths {
        let stdin = std::fs::read(path.with_extension("stdin")).unwrap_or_default();
        for preset in MmuConfig::PRESETS {
            let with = stats_json(&path, &["--preset", preset], &stdin);
            let without = stats_json(&path, &["--preset", preset, "--no-fast-path"], &stdin);
            assert!(with.contains("\"machine\""), "{}: {with}", path.display());
            assert_eq!(with, without, "{} ({preset})", path.display());
            // Native loop code is host speed only, the same way.
            let interpreted = stats_json(&path, &["--preset", preset, "--no-jit"], &stdin);
            assert_eq!(with, interpreted, "{} ({preset}, --no-jit)", path.display());
        }
    }
}
