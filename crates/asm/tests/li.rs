//! `li` against GNU as: the committed golden words (regenerate and check them with
//! `.ci/li-vs-gnu`), and a property test that every sequence computes its value.

use atlas_asm::li::li_sequence;
use atlas_isa::{encode, AluImmOp, Inst, Reg, ShiftImmOp, Xlen};
use proptest::prelude::*;

const GOLDEN: &str = include_str!("li_golden.txt");

/// One golden row: `rv<width> <reg> 0x<value> <word>...`.
struct Row {
    line: usize,
    xlen: Xlen,
    rd: Reg,
    value: i64,
    words: Vec<u32>,
}

fn golden_rows() -> Vec<Row> {
    GOLDEN
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty())
        .map(|(i, l)| {
            let line = i + 1;
            let mut parts = l.split_whitespace();
            let mut next = || {
                parts
                    .next()
                    .unwrap_or_else(|| panic!("line {line}: short row"))
            };
            let xlen = match next() {
                "rv32" => Xlen::X32,
                "rv64" => Xlen::X64,
                w => panic!("line {line}: bad width {w}"),
            };
            let rd = Reg::parse(next()).unwrap_or_else(|| panic!("line {line}: bad register"));
            let hex = next().trim_start_matches("0x");
            let value = u64::from_str_radix(hex, 16).unwrap() as i64;
            let words = parts.map(|w| u32::from_str_radix(w, 16).unwrap()).collect();
            Row {
                line,
                xlen,
                rd,
                value,
                words,
            }
        })
        .collect()
}

#[test]
fn golden_covers_enough_constants_widths_and_registers() {
    let rows = golden_rows();
    let mut values: Vec<i64> = rows.iter().map(|r| r.value).collect();
    values.sort_unstable();
    values.dedup();
    assert!(values.len() >= 400, "only {} constants", values.len());
    let edges = [
        0,
        1,
        -1,
        2047,
        2048,
        -2048,
        -2049,
        1 << 31,
        -(1 << 31),
        1 << 32,
    ];
    let missing: Vec<i64> = edges
        .into_iter()
        .chain([i64::MAX, i64::MIN])
        .filter(|v| values.binary_search(v).is_err())
        .collect();
    assert_eq!(missing, Vec::<i64>::new());
    for xlen in [Xlen::X32, Xlen::X64] {
        for rd in [Reg::A0, Reg::Zero, Reg::T6] {
            let n = rows.iter().filter(|r| r.xlen == xlen && r.rd == rd).count();
            assert!(n >= 100, "{xlen:?} {rd:?}: {n} rows");
        }
    }
}

#[test]
fn li_matches_gnu_as_for_every_golden_row() {
    let mut mismatches = Vec::new();
    for row in golden_rows() {
        let ours: Vec<u32> = li_sequence(row.rd, row.value, row.xlen)
            .iter()
            .map(encode)
            .collect();
        if ours != row.words {
            mismatches.push(format!(
                "line {}: li {}, {:#x} ({:?}): ours {:08x?}, GNU {:08x?}",
                row.line,
                row.rd.abi_name(),
                row.value,
                row.xlen,
                ours,
                row.words
            ));
        }
    }
    assert_eq!(mismatches, Vec::<String>::new());
}

/// Runs a `li` sequence on a register file of width `xlen` (values kept sign-extended to
/// 64 bits, as an RV32 hart's registers read when widened) and returns `rd`.
fn evaluate(seq: &[Inst], rd: Reg, xlen: Xlen) -> i64 {
    let mut regs = [0i64; 32];
    let narrow = |v: i64| match xlen {
        Xlen::X32 => i64::from(v as i32),
        Xlen::X64 => v,
    };
    for inst in seq {
        let (dst, result) = match *inst {
            Inst::Lui { rd, imm } => (rd, i64::from(imm)),
            Inst::AluImm {
                op: AluImmOp::Addi,
                rd,
                rs1,
                imm,
            } => (rd, regs[rs1.num() as usize].wrapping_add(i64::from(imm))),
            Inst::AluImm {
                op: AluImmOp::Addiw,
                rd,
                rs1,
                imm,
            } => {
                assert_eq!(xlen, Xlen::X64, "addiw on RV32");
                let sum = regs[rs1.num() as usize].wrapping_add(i64::from(imm));
                (rd, i64::from(sum as i32))
            }
            Inst::ShiftImm {
                op: ShiftImmOp::Slli,
                rd,
                rs1,
                shamt,
            } => (rd, regs[rs1.num() as usize] << shamt),
            other => panic!("unexpected instruction in li: {other:?}"),
        };
        if dst != Reg::Zero {
            regs[dst.num() as usize] = narrow(result);
        }
    }
    regs[rd.num() as usize]
}

fn any_reg() -> impl Strategy<Value = Reg> {
    (0u32..32).prop_map(Reg::from_bits)
}

/// Values of every magnitude: a random pattern cut to a random number of significant bits.
fn any_magnitude() -> impl Strategy<Value = i64> {
    (any::<i64>(), 0u32..64).prop_map(|(v, drop)| v >> drop)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn sequence_computes_the_value(
        value in prop_oneof![any::<i64>(), any_magnitude()],
        rd in any_reg(),
        rv64 in any::<bool>(),
    ) {
        let xlen = if rv64 { Xlen::X64 } else { Xlen::X32 };
        let seq = li_sequence(rd, value, xlen);
        prop_assert!(!seq.is_empty() && seq.len() <= 8, "{} instructions", seq.len());
        for inst in &seq {
            prop_assert!(inst.valid_in(xlen), "{inst:?} not valid in {xlen:?}");
        }
        let expected = match (rd, xlen) {
            (Reg::Zero, _) => 0,
            (_, Xlen::X32) => i64::from(value as i32),
            (_, Xlen::X64) => value,
        };
        prop_assert_eq!(evaluate(&seq, rd, xlen), expected);
    }
}

#[test]
fn extreme_values_compute_their_value() {
    for value in [i64::MIN, i64::MIN + 1, i64::MAX, i64::MAX - 1, -1, 0] {
        for xlen in [Xlen::X32, Xlen::X64] {
            let seq = li_sequence(Reg::A5, value, xlen);
            let expected = match xlen {
                Xlen::X32 => i64::from(value as i32),
                Xlen::X64 => value,
            };
            assert_eq!(
                evaluate(&seq, Reg::A5, xlen),
                expected,
                "{value:#x} {xlen:?}"
            );
        }
    }
}
