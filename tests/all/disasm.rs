//! Atlas's disassembly agrees with GNU objdump, instruction for instruction, with and
//! without aliases (goldens derived by `.ci/disasm-goldens`).

use atlas_isa::{decode, disassemble, encode, CsrInfo, Style, Xlen};

/// CSRs binutils 2.40 prints as numbers: Atlas's own MMU registers and `mstatush` (its
/// default privileged spec, 1.11, predates it). Atlas prints their names.
fn binutils_spelling(text: String) -> String {
    let Some((mnemonic, operands)) = text.split_once('\t') else {
        return text;
    };
    let renamed: Vec<String> = operands
        .split(',')
        .map(|op| match CsrInfo::by_name(op) {
            Some(c) if c.name.starts_with("at") || c.name == "mstatush" => {
                format!("{:#x}", c.number)
            }
            _ => op.to_string(),
        })
        .collect();
    format!("{mnemonic}\t{}", renamed.join(","))
}

fn check_golden(text: &str, xlen: Xlen) {
    let mut mismatches = Vec::new();
    let mut count = 0;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (left, plain) = line.split_once("\t|\t").expect("golden line has two texts");
        let cols: Vec<&str> = left.splitn(3, '\t').collect();
        let [addr, word, aliased] = cols[..] else {
            panic!("malformed golden line: {line:?}");
        };
        let pc = u64::from_str_radix(addr, 16).expect("hex address");
        let word = u32::from_str_radix(word, 16).expect("hex word");
        let inst = decode(word, xlen).unwrap_or_else(|e| panic!("{e} at {pc:#x} ({aliased})"));
        assert_eq!(encode(&inst), word, "re-encoding {aliased}");
        for (style, want) in [(Style::Aliases, aliased), (Style::NoAliases, plain)] {
            let got = binutils_spelling(disassemble(&inst, pc, xlen, style));
            if got != want {
                mismatches.push(format!("{pc:x} {word:08x}: want {want:?}, got {got:?}"));
            }
        }
        count += 1;
    }
    assert!(count > 3000, "golden file too small: {count} lines");
    assert!(
        mismatches.is_empty(),
        "{} mismatches, first ones:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(40)].join("\n")
    );
}

#[test]
fn rv32_disassembly_matches_objdump() {
    check_golden(include_str!("../golden/disasm-rv32.txt"), Xlen::X32);
}

#[test]
fn rv64_disassembly_matches_objdump() {
    check_golden(include_str!("../golden/disasm-rv64.txt"), Xlen::X64);
}
