//! Generates the instruction tables from the plain-text files in `isa/` and fails the
//! build, with the file and line, on any malformed, overlapping or under-specified entry.

#[path = "gen/parse.rs"]
mod parse;

#[path = "gen/emit.rs"]
mod emit;

use std::path::PathBuf;

fn main() {
    let manifest =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let isa_dir = manifest.join("../../isa");
    println!("cargo:rerun-if-changed={}", isa_dir.display());
    println!("cargo:rerun-if-changed=gen/parse.rs");
    println!("cargo:rerun-if-changed=gen/emit.rs");

    let mut files: Vec<String> = std::fs::read_dir(&isa_dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", isa_dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("rv"))
        .collect();
    // Extension by extension; within one, the common file before the width-specific ones.
    files.sort_by_key(|f| {
        let (prefix, ext) = f.split_once('_').unwrap_or((f.as_str(), ""));
        (ext.to_string(), prefix.len(), prefix.to_string())
    });
    for f in &files {
        println!("cargo:rerun-if-changed={}", isa_dir.join(f).display());
    }
    let read = |name: &str| {
        std::fs::read_to_string(isa_dir.join(name)).map_err(|e| format!("isa/{name}: {e}"))
    };
    let tables = match parse::load(&read, &files) {
        Ok(t) => t,
        Err(msg) => {
            eprintln!("error in the ISA tables: isa/{msg}");
            std::process::exit(1);
        }
    };
    let out =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("tables.rs");
    std::fs::write(&out, emit::emit(&tables))
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}
