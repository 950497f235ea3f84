//! Round trip through the disassembler: for random valid instructions, assembling the
//! text `disassemble(i, pc, xlen, Style::NoAliases)` gives back `encode(i)` at both widths.

use atlas_asm::{assemble_str, Options};
use atlas_isa::{decode, disassemble, encode, Style, Xlen, ENCODINGS};
use std::collections::HashSet;

/// xorshift64: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// objdump prints branch and jump targets as bare hex; the assembler (like GNU `as`)
/// reads a bare number as decimal, so mark them hex.
fn assemblable(text: &str, is_target: bool) -> String {
    if !is_target {
        return text.to_string();
    }
    match text.rsplit_once(',') {
        Some((head, target)) => format!("{head},0x{target}"),
        None => match text.split_once('\t') {
            Some((m, target)) => format!("{m}\t0x{target}"),
            None => text.to_string(),
        },
    }
}

fn check(xlen: Xlen, seed: u64, count: usize) {
    check_style(xlen, seed, count, Style::NoAliases);
}

fn check_style(xlen: Xlen, seed: u64, count: usize, style: Style) {
    let mut rng = Rng(seed);
    let pc = 0x10000;
    let opts = Options {
        xlen,
        text_addr: pc,
        ..Options::default()
    };
    // Every encoding with all operands zero first (the fixed words such as `ecall` are
    // never hit by random words), then random words.
    let mut words: Vec<u32> = ENCODINGS
        .iter()
        .filter(|e| e.in_xlen(xlen))
        .map(|e| e.bits)
        .collect();
    let fixed = words.len();
    let mut seen = HashSet::new();
    let mut checked = 0;
    while checked < count + fixed {
        let word = match words.pop() {
            Some(w) => w,
            None => (rng.next() as u32) | 3,
        };
        let Ok(inst) = decode(word, xlen) else {
            continue;
        };
        seen.insert(inst.opcode());
        let text = disassemble(&inst, pc, xlen, style);
        let is_target = inst.target(pc, xlen).is_some();
        let source = format!("\t.text\n\t{}\n", assemblable(&text, is_target));
        let got = assemble_str(&source, "rt.s", &opts).map(|img| {
            let seg = img
                .segments
                .first()
                .map(|s| s.data.clone())
                .unwrap_or_default();
            u32::from_le_bytes([seg[0], seg[1], seg[2], seg[3]])
        });
        assert_eq!(
            got.map_err(|d| d.to_string()),
            Ok(encode(&inst)),
            "{source}"
        );
        checked += 1;
    }
    let all: HashSet<_> = ENCODINGS
        .iter()
        .filter(|e| e.in_xlen(xlen))
        .map(|e| e.opcode)
        .collect();
    assert_eq!(seen, all);
}

#[test]
fn disassembly_reassembles_to_the_same_word_rv64() {
    check(Xlen::X64, 0x9e3779b97f4a7c15, 20_000);
}

#[test]
fn disassembly_reassembles_to_the_same_word_rv32() {
    check(Xlen::X32, 0xd1b54a32d192ed03, 20_000);
}

/// objdump's alias spellings (`li`, `mv`, `beqz`, `csrr`, `ret` …) assemble back too.
#[test]
fn alias_disassembly_reassembles_to_the_same_word() {
    check_style(Xlen::X64, 0x2545f4914f6cdd1d, 20_000, Style::Aliases);
    check_style(Xlen::X32, 0x5851f42d4c957f2d, 20_000, Style::Aliases);
}
