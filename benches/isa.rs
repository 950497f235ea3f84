//! Decode, encode and disassembly throughput over every encoding of the tables.

use atlas_isa::{decode, disassemble, encode, Fields, Inst, Style, Xlen, ENCODINGS};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

/// One instruction word per encoding of `xlen`, operands all zero.
fn words(xlen: Xlen) -> Vec<u32> {
    ENCODINGS
        .iter()
        .filter(|e| e.in_xlen(xlen))
        .map(|e| encode(&Inst::from_fields(e.opcode, &Fields::default())))
        .collect()
}

fn bench_isa(c: &mut Criterion) {
    let words = words(Xlen::X64);
    let insts: Vec<Inst> = words
        .iter()
        .filter_map(|&w| decode(w, Xlen::X64).ok())
        .collect();
    let mut group = c.benchmark_group("isa");
    group.throughput(Throughput::Elements(words.len() as u64));
    group.bench_function("decode", |b| {
        b.iter(|| {
            for &w in &words {
                let _ = black_box(decode(black_box(w), Xlen::X64));
            }
        })
    });
    group.bench_function("encode", |b| {
        b.iter(|| {
            for i in &insts {
                black_box(encode(black_box(i)));
            }
        })
    });
    group.bench_function("disassemble", |b| {
        b.iter(|| {
            for i in &insts {
                black_box(disassemble(i, 0x10000, Xlen::X64, Style::Aliases));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench_isa);
criterion_main!(benches);
