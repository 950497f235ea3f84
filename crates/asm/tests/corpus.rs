//! The corpus (`tests/corpus/*.s`: every directive, pseudo-instruction and relocation
//! function) must assemble to exactly the bytes GNU `as` + `ld` produce at the same
//! addresses. GNU's output is committed in `tests/corpus/goldens` by `.ci/asm-vs-gnu
//! --write` (which also fails when they are stale), so this test needs no GNU tools.

use atlas_asm::{assemble_file, Image, Options};
use atlas_isa::Xlen;
use std::fmt::Write;
use std::path::Path;

/// The golden format `.ci/asm-vs-gnu` writes: sections with address and hex bytes, 64
/// digits a line, then the `.bss` address.
fn golden_text(image: &Image) -> String {
    let mut out = String::new();
    for seg in &image.segments {
        if seg.name == ".bss" {
            let _ = writeln!(out, "bss {:#x}", seg.vaddr);
            continue;
        }
        let _ = writeln!(out, "section {} {:#x}", seg.name, seg.vaddr);
        let hex: String = seg.data.iter().map(|b| format!("{b:02x}")).collect();
        let lines: Vec<&str> = hex
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap_or_default())
            .collect();
        let _ = writeln!(out, "{}", lines.join("\n"));
    }
    out
}

#[test]
fn corpus_matches_gnu_goldens() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut sources: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    sources.retain(|p| p.extension().is_some_and(|e| e == "s"));
    sources.sort();
    let mut checked = 0;
    let mut failures = Vec::new();
    for src in &sources {
        let stem = src
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        for (xlen, suffix) in [(Xlen::X64, "rv64"), (Xlen::X32, "rv32")] {
            let other = if suffix == "rv64" { ".rv32" } else { ".rv64" };
            if stem.ends_with(other) {
                continue;
            }
            let name = if stem.ends_with(&format!(".{suffix}")) {
                stem.clone()
            } else {
                format!("{stem}.{suffix}")
            };
            let golden = dir.join("goldens").join(format!("{name}.txt"));
            let want = std::fs::read_to_string(&golden).unwrap_or_default();
            let opts = Options {
                xlen,
                ..Options::default()
            };
            let got = match assemble_file(src, &opts) {
                Ok(image) => golden_text(&image),
                Err(d) => d.to_string(),
            };
            if got != want {
                failures.push(format!("{name}:\n--- GNU\n{want}--- atlas\n{got}"));
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 12);
    assert_eq!(failures, Vec::<String>::new(), "{}", failures.join("\n"));
}
