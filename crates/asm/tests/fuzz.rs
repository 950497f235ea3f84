//! Fuzz-style robustness tests (deterministic, seeded): 100,000 random and mutated
//! sources must assemble or fail with diagnostics, never panic; images that assemble must
//! survive the ELF writer and reader; mutated ELF files must be read or refused, never
//! panic.

use atlas_asm::{assemble_str, read_elf, write_elf, Options};
use atlas_isa::Xlen;

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
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const CORPUS: [&str; 5] = [
    include_str!("corpus/directives.s"),
    include_str!("corpus/pseudo.s"),
    include_str!("corpus/relocs.s"),
    include_str!("corpus/macros.s"),
    include_str!("corpus/rv64.rv64.s"),
];

const NUMBERS: [&str; 20] = [
    "0",
    "1",
    "-1",
    "2047",
    "2048",
    "-2049",
    "4096",
    "0xfffff",
    "0x100000",
    "0x7fffffff",
    "0x80000000",
    "0xffffffff",
    "0x100000000",
    "0x7fffffffffffffff",
    "-0x8000000000000000",
    "63",
    "64",
    "31",
    "32",
    "'\\n'",
];

const VOCAB: [&str; 70] = [
    "add",
    "addi",
    "lw",
    "sw",
    "ld",
    "beq",
    "bnez",
    "j",
    "jal",
    "jalr",
    "la",
    "li",
    "call",
    "tail",
    "csrr",
    "csrw",
    "fence",
    "lui",
    "auipc",
    "slli",
    "ret",
    "nop",
    ".text",
    ".data",
    ".bss",
    ".rodata",
    ".word",
    ".byte",
    ".ascii",
    ".asciz",
    ".space",
    ".align",
    ".balign",
    ".rept",
    ".if",
    ".else",
    ".endif",
    ".endr",
    ".fill",
    ".equ",
    ".set",
    ".macro",
    ".endm",
    ".globl",
    ".section",
    ".option",
    ".include",
    "a0",
    "a1",
    "sp",
    "zero",
    "x31",
    "x32",
    "label",
    "1b",
    "1f",
    "1:",
    "label:",
    ",",
    "(",
    ")",
    "%hi(",
    "%lo(",
    "%pcrel_hi(",
    "%pcrel_lo(",
    "\"str\\n\"",
    "+",
    "<<",
    ".",
    "\\arg",
];

const NOISE: [char; 16] = [
    '(', ')', ',', ':', '%', '"', '\'', '\\', '#', ';', '-', '~', '.', ' ', '0', 'x',
];

fn mutate(rng: &mut Rng, text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = rng.below(lines.len());
    let len = 1 + rng.below(15);
    let mut window: Vec<String> = lines
        .iter()
        .skip(start)
        .take(len)
        .map(|l| l.to_string())
        .collect();
    for _ in 0..1 + rng.below(4) {
        let Some(line) = window.get_mut(rng.below(len)) else {
            continue;
        };
        let mut chars: Vec<char> = line.chars().collect();
        let at = rng.below(chars.len() + 1);
        match rng.below(6) {
            0 if !chars.is_empty() => {
                chars.remove(at.min(chars.len() - 1));
            }
            1 => chars.insert(at, NOISE[rng.below(NOISE.len())]),
            2 => chars.truncate(at),
            3 => {
                let n = rng.pick(&NUMBERS);
                chars.splice(at..at, n.chars());
            }
            4 => {
                let w = rng.pick(&VOCAB);
                chars.splice(at..at, format!(" {w} ").chars());
            }
            _ => chars.extend(", 1".chars()),
        }
        *line = chars.into_iter().collect();
    }
    if rng.below(4) == 0 {
        window.insert(0, ".text".to_string());
    }
    window.join("\n")
}

fn soup(rng: &mut Rng) -> String {
    let mut s = String::new();
    for _ in 0..1 + rng.below(6) {
        for _ in 0..rng.below(8) {
            let w = if rng.below(4) == 0 {
                rng.pick(&NUMBERS)
            } else {
                rng.pick(&VOCAB)
            };
            s.push_str(w);
            s.push(if rng.below(3) == 0 { ',' } else { ' ' });
        }
        s.push('\n');
    }
    s
}

#[test]
fn random_and_mutated_sources_never_panic() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let mut assembled = 0;
    let mut rejected = 0;
    for i in 0..100_000u32 {
        let source = if i % 3 == 0 {
            soup(&mut rng)
        } else {
            let file = CORPUS[rng.below(CORPUS.len())];
            mutate(&mut rng, file)
        };
        let xlen = if i % 2 == 0 { Xlen::X64 } else { Xlen::X32 };
        let opts = Options {
            xlen,
            ..Options::default()
        };
        match assemble_str(&source, "fuzz.s", &opts) {
            Ok(image) => {
                assembled += 1;
                if i % 16 == 0 && !image.segments.is_empty() {
                    let elf = write_elf(&image);
                    let back = elf.as_deref().map_err(|e| e.clone()).and_then(read_elf);
                    assert_eq!(
                        back.map(|b| (b.xlen, b.entry)),
                        Ok((image.xlen, image.entry)),
                        "{source}"
                    );
                }
            }
            Err(d) => {
                rejected += 1;
                assert!(
                    !d.errors.is_empty() && d.errors.len() <= atlas_asm::MAX_ERRORS,
                    "{source}"
                );
            }
        }
    }
    // Both outcomes must be well represented for the test to mean anything.
    assert!(
        assembled > 3_000 && rejected > 10_000,
        "assembled {assembled}, rejected {rejected}"
    );
}

#[test]
fn mutated_elf_files_never_panic() {
    let opts = Options::default();
    let image = assemble_str(CORPUS[1], "pseudo.s", &opts).map_err(|d| d.to_string());
    let elf = image.and_then(|i| write_elf(&i));
    let Ok(elf) = elf else {
        panic!("corpus did not assemble: {elf:?}");
    };
    let mut rng = Rng(42);
    let mut refused = 0;
    for _ in 0..20_000 {
        let mut bytes = elf.clone();
        for _ in 0..1 + rng.below(8) {
            let range = if rng.below(2) == 0 { 256 } else { bytes.len() };
            let at = rng.below(range);
            if let Some(b) = bytes.get_mut(at) {
                *b = rng.next() as u8;
            }
        }
        if rng.below(8) == 0 {
            bytes.truncate(rng.below(bytes.len()));
        }
        if read_elf(&bytes).is_err() {
            refused += 1;
        }
    }
    assert!(refused > 1_000, "only {refused} mutated files refused");
}

#[test]
fn pathological_inputs_end_with_errors() {
    let opts = Options::default();
    let first_error = |src: &str| match assemble_str(src, "p.s", &opts) {
        Ok(_) => "(assembled)".to_string(),
        Err(d) => d
            .errors
            .first()
            .map(|e| e.message.clone())
            .unwrap_or_default(),
    };
    // A macro bomb: each level expands the next twice (2^40 lines if unchecked).
    let mut bomb = String::from(".macro m0\nnop\n.endm\n");
    for i in 1..40 {
        bomb.push_str(&format!(".macro m{i}\nm{0}\nm{0}\n.endm\n", i - 1));
    }
    bomb.push_str("m39\n");
    assert_eq!(
        first_error(&bomb),
        "macro expansion produced more than 200000 lines (in expansion of macro `m39`)"
    );
    let deep = format!(".word {}1{}\n", "(".repeat(100_000), ")".repeat(100_000));
    assert_eq!(first_error(&deep), "expression too long");
    let chain: String = (0..5000)
        .map(|i| format!(".equ v{i}, v{} + 1\n", i + 1))
        .collect();
    assert_eq!(
        first_error(&format!("{chain}.equ v5000, 1\n.word v0\n")),
        "symbols defined in terms of each other in a cycle (or nested too deeply)"
    );
    assert_eq!(
        first_error(".space 0x7fffffffffffffff\n"),
        "too much initialised code and data (more than 64 MiB)"
    );
    assert_eq!(
        first_error(".bss\n.space 1 << 33\n"),
        "too much zero-initialised data (.bss) (more than 4096 MiB)"
    );
    let nested = format!(
        "{}nop\n{}",
        ".rept 1\n".repeat(1000),
        ".endr\n".repeat(1000)
    );
    assert_eq!(
        first_error(&nested),
        "`.rept` and macros nested more than 64 deep"
    );
    let ifs = format!(
        "{}nop\n{}",
        ".if 1\n".repeat(100_000),
        ".endif\n".repeat(100_000)
    );
    assert_eq!(first_error(&ifs), "(assembled)");
    assert_eq!(
        first_error(".text\n.macro x\n"),
        "`.macro x` has no `.endm`"
    );
}
