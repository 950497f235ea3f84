//! Golden tests for diagnostics: every `errors/NAME.s` must fail to assemble with exactly
//! the text in `errors/NAME.err` (message, position, source line and caret).
//!
//! A first line `# xlen 32` assembles for RV32. Regenerate the goldens after an intended
//! change with `ATLAS_BLESS=1 cargo test -p atlas-asm --test errors`, then review the diff.

use atlas_asm::{assemble_str, Options};
use atlas_isa::Xlen;
use std::path::Path;

fn render(source: &str, name: &str) -> String {
    let xlen = if source.starts_with("# xlen 32") {
        Xlen::X32
    } else {
        Xlen::X64
    };
    let opts = Options {
        xlen,
        ..Options::default()
    };
    match assemble_str(source, name, &opts) {
        Ok(_) => "(assembled without errors)\n".to_string(),
        Err(d) => d.to_string(),
    }
}

#[test]
fn malformed_inputs_give_their_golden_diagnostics() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/errors");
    let bless = std::env::var_os("ATLAS_BLESS").is_some();
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    names.retain(|p| p.extension().is_some_and(|e| e == "s"));
    names.sort();
    let mut failures = Vec::new();
    for path in &names {
        let source = std::fs::read_to_string(path).unwrap_or_default();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let got = render(&source, &name);
        let golden = path.with_extension("err");
        if bless {
            std::fs::write(&golden, &got)
                .map_err(|e| e.to_string())
                .unwrap_or_default();
            continue;
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_default();
        if got != want {
            failures.push(format!("{name}:\n--- expected\n{want}--- got\n{got}"));
        }
    }
    assert!(names.len() >= 30, "only {} golden error cases", names.len());
    assert_eq!(failures, Vec::<String>::new(), "{}", failures.join("\n"));
}
