//! The interpreter on the bench programs in every MMU mode: `intmix` (the integer loop,
//! where the fast path and the instruction cache matter) and `pagewalk` (a sweep that
//! misses the TLBs on every access), shortened to a few hundred thousand instructions; and
//! intmix's loop as native code against the same loop interpreted.

use atlas_asm::{assemble_str, Image, Options};
use atlas_cpu::Word;
use atlas_isa::Xlen;
use atlas_os::{CapturedIo, ExitReason, MmuMode, OsConfig, Process};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::path::Path;
use std::time::Duration;

/// `programs/bench/FILE` with its `.equ` lines replaced.
fn shortened(file: &str, xlen: Xlen, equs: &[(&str, &str)]) -> Image {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("programs/bench")
        .join(file);
    let mut source = std::fs::read_to_string(&path).expect("bench source");
    for (name, value) in equs {
        let prefix = format!(".equ {name},");
        let line = source
            .lines()
            .find(|l| l.trim_start().starts_with(&prefix))
            .expect("the .equ line")
            .to_string();
        source = source.replacen(&line, &format!("    .equ {name}, {value}"), 1);
    }
    let options = Options {
        xlen,
        ..Options::default()
    };
    // Named by its real path, so that an `.include` resolves beside it.
    let name = path.display().to_string();
    assemble_str(&source, &name, &options).expect("bench program assembles")
}

/// Runs `image` to its end; returns the instructions retired.
fn run<X: Word>(image: &Image, config: &OsConfig) -> u64 {
    let mut process = Process::<X>::load(image, config).expect("loads");
    let mut streams = CapturedIo::new(&[]);
    let mut io = streams.io();
    let exit = process.run(&mut io, config.max_insns);
    assert_eq!(exit, ExitReason::Exited(0));
    process.cpu().counters().instret
}

fn run_any(image: &Image, config: &OsConfig) -> u64 {
    match image.xlen {
        Xlen::X32 => run::<u32>(image, config),
        Xlen::X64 => run::<u64>(image, config),
    }
}

fn bench_interpreter(c: &mut Criterion) {
    let mut group = c.benchmark_group("interpreter");
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(300));
    group.measurement_time(Duration::from_secs(2));
    for xlen in [Xlen::X64, Xlen::X32] {
        let programs = [
            (
                "intmix",
                shortened("intmix.s", xlen, &[("ITERATIONS", "20000")]),
            ),
            (
                "pagewalk",
                shortened("pagewalk.s", xlen, &[("ROUNDS", "1"), ("HEAP", "0x100000")]),
            ),
        ];
        let modes = MmuMode::ALL.into_iter().filter(|m| {
            !matches!(
                (m, xlen),
                (MmuMode::Linear | MmuMode::Sv32, Xlen::X64)
                    | (MmuMode::Sv39 | MmuMode::Sv48 | MmuMode::Sv57, Xlen::X32)
            )
        });
        for mode in modes {
            let config = OsConfig {
                phys_mem: 64 << 20,
                mmu_mode: Some(mode),
                ..OsConfig::default()
            };
            for (name, image) in &programs {
                let instructions = run_any(image, &config);
                group.throughput(Throughput::Elements(instructions));
                let id = format!("{name} rv{} {}", xlen.bits(), mode.name());
                group.bench_function(id, |b| b.iter(|| run_any(image, &config)));
            }
        }
    }
    group.finish();
}

/// Native loop code against the interpreted blocks on the same loop (the measured reason
/// for `atlas-jit`'s `unsafe`): intmix, a million iterations, and memsweep, 100 passes over
/// its array (loads and stores the code serves itself), paged, both widths.
fn bench_native_loops(c: &mut Criterion) {
    let mut group = c.benchmark_group("native loops");
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(300));
    group.measurement_time(Duration::from_secs(3));
    for (xlen, mode) in [(Xlen::X64, MmuMode::Sv39), (Xlen::X32, MmuMode::Sv32)] {
        // intmix: register operations only; memsweep: loads and stores that hit, which the
        // code serves itself.
        let loops = [
            (
                "intmix",
                shortened("intmix.s", xlen, &[("ITERATIONS", "1000000")]),
            ),
            (
                "memsweep",
                shortened("memsweep.s", xlen, &[("PASSES", "100")]),
            ),
        ];
        for (name, image) in &loops {
            for jit in [true, false] {
                let config = OsConfig {
                    mmu_mode: Some(mode),
                    jit,
                    ..OsConfig::default()
                };
                let instructions = run_any(image, &config);
                group.throughput(Throughput::Elements(instructions));
                let engine = if jit { "native" } else { "interpreted" };
                let id = format!("{name} rv{} {} {engine}", xlen.bits(), mode.name());
                group.bench_function(id, |b| b.iter(|| run_any(image, &config)));
            }
        }
    }
    group.finish();
}

criterion_group!(benches, bench_interpreter, bench_native_loops);
criterion_main!(benches);
