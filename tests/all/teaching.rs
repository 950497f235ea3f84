//! The timing programs of `programs/timing/` (issue 9): every committed output of each
//! (its `# output: FILE ARGS...` lines, run through the CLI as a user types them), and the
//! TLB-size experiment's step positions: cycles per access rise exactly past the L1 data
//! TLB's reach (64 pages in the `modern` preset) and past the L2's (1536 pages), and the
//! steps move with `--dtlb` and `--stlb`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn timing_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("programs/timing")
}

/// Runs `atlas run -q ARGS FILE`; returns the exit code and stdout.
fn atlas_run_quiet(args: &[&str], file: &Path) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_atlas"))
        .arg("run")
        .arg("-q")
        .args(args)
        .arg(file)
        .output()
        .expect("atlas runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn every_timing_program_prints_each_committed_output() {
    let mut sources: Vec<PathBuf> = std::fs::read_dir(timing_dir())
        .expect("programs/timing exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "s"))
        .collect();
    sources.sort();
    let mut failures = Vec::new();
    let mut runs = 0;
    for source_path in &sources {
        let source = std::fs::read_to_string(source_path).expect("readable source");
        let status: i32 = source
            .lines()
            .find_map(|l| l.strip_prefix("# expect-exit:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{}: no expect-exit", source_path.display()));
        for line in source.lines().filter_map(|l| l.strip_prefix("# output:")) {
            let mut words = line.split_whitespace();
            let file = words.next().expect("an output file name");
            let args: Vec<&str> = words.collect();
            let expected = std::fs::read_to_string(timing_dir().join(file))
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            runs += 1;
            let (code, stdout) = atlas_run_quiet(&args, source_path);
            if code != Some(status) || stdout != expected {
                failures.push(format!(
                    "{file}: exit {code:?} (expected {status}); if the machine model changed on \
                     purpose, regenerate it with\n  atlas run -q {} {} > {}\nit printed:\n{stdout}",
                    args.join(" "),
                    source_path.display(),
                    timing_dir().join(file).display()
                ));
            }
        }
    }
    assert_eq!(failures, Vec::<String>::new());
    assert_eq!(runs, 11, "the committed outputs of tlb-size and matrix");
}

/// `tlb-size.s` with its table of sizes replaced by `sizes`.
fn tlb_size_with(sizes: &str) -> crate::temp::TempFile {
    let source = std::fs::read_to_string(timing_dir().join("tlb-size.s")).expect("source");
    let table = "    .word 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192\n";
    assert!(
        source.contains(table),
        "tlb-size.s keeps its sizes on one line"
    );
    let name: String = sizes
        .chars()
        .map(|c| if c.is_ascii_digit() { c } else { '_' })
        .collect();
    // The variant lives in a temporary folder: include the runtime by its absolute path.
    let runtime = timing_dir().join("../lib/runtime.s");
    let variant = source
        .replace(table, &format!("    .word {sizes}\n"))
        .replace(
            "\"../lib/runtime.s\"",
            &format!("{:?}", runtime.display().to_string()),
        );
    crate::temp::TempFile::new("atlas-teaching", &format!("tlb-size-{name}.s"), &variant)
}

/// The (pages, cycles per access in hundredths) rows of tlb-size's output.
fn rows(output: &str) -> Vec<(u32, u32)> {
    output
        .lines()
        .skip(1)
        .map(|line| {
            let mut fields = line.split_whitespace();
            let pages = fields.next().and_then(|f| f.parse().ok());
            let cycles = fields
                .next()
                .and_then(|f| f.split_once('.'))
                .and_then(|(whole, frac)| {
                    Some(whole.parse::<u32>().ok()? * 100 + frac.parse::<u32>().ok()?)
                });
            match (pages, cycles) {
                (Some(p), Some(c)) => (p, c),
                _ => panic!("not a row of tlb-size: {line:?}\n{output}"),
            }
        })
        .collect()
}

/// The sizes whose cycles per access exceed the previous size's by at least 0.10.
fn steps(output: &str) -> Vec<u32> {
    let rows = rows(output);
    rows.windows(2)
        .filter(|w| w[1].1 >= w[0].1 + 10)
        .map(|w| w[1].0)
        .collect()
}

fn steps_of(args: &[&str], program: &Path) -> Vec<u32> {
    let (code, stdout) = atlas_run_quiet(args, program);
    assert_eq!(code, Some(0), "{stdout}");
    steps(&stdout)
}

#[test]
fn tlb_size_steps_up_past_each_tlbs_reach_at_powers_of_two() {
    let program = timing_dir().join("tlb-size.s");
    // modern: 64 pages fit the L1 DTLB, 128 do not (L2 hits); 1024 fit the 1536-entry L2,
    // 2048 do not (some walk); at 4096 every read walks.
    assert_eq!(steps_of(&[], &program), vec![128, 2048, 4096]);
    assert_eq!(steps_of(&["--dtlb", "32"], &program), vec![64, 2048, 4096]);
    assert_eq!(steps_of(&["--stlb", "512x4"], &program), vec![128, 1024]);
    // teaching: a 4-entry L1 and no L2: every read past 4 pages walks.
    assert_eq!(steps_of(&["--preset", "teaching"], &program), vec![8]);
    assert_eq!(steps_of(&["--xlen", "32"], &program), vec![128, 2048, 4096]);
    // Without page-walk caches the walks read every level: the same steps, higher.
    assert_eq!(
        steps_of(&["--mmu", "sv57", "--no-pwc"], &program),
        vec![128, 2048, 4096]
    );
    // Modes without TLBs: no steps at all.
    assert_eq!(steps_of(&["--mmu", "bare"], &program), Vec::<u32>::new());
    assert_eq!(
        steps_of(&["--mmu", "segmented"], &program),
        Vec::<u32>::new()
    );
}

/// For sizes measured in pairs (N, N + 1): each N whose N + 1 pages cost more per access,
/// i.e. where one more page no longer fits some TLB.
fn reach_edges(args: &[&str], program: &Path) -> Vec<u32> {
    let (code, stdout) = atlas_run_quiet(args, program);
    assert_eq!(code, Some(0), "{stdout}");
    rows(&stdout)
        .chunks(2)
        .filter(|pair| pair.len() == 2 && pair[1].1 > pair[0].1)
        .map(|pair| pair[0].0)
        .collect()
}

#[test]
fn tlb_size_steps_sit_exactly_at_64_and_1536_pages_and_move_with_the_options() {
    let program = tlb_size_with("32, 33, 64, 65, 512, 513, 1536, 1537");
    assert_eq!(reach_edges(&[], &program), vec![64, 1536]);
    assert_eq!(reach_edges(&["--dtlb", "32"], &program), vec![32, 1536]);
    assert_eq!(reach_edges(&["--stlb", "512x4"], &program), vec![64, 512]);
}

#[test]
fn the_step_finder_reads_rows_and_ignores_falls() {
    let output = "   pages  cycles per access\n       1       21.00\n       2       17.00\n       \
                  4       17.09\n       8       17.19\n";
    assert_eq!(
        rows(output),
        vec![(1, 2100), (2, 1700), (4, 1709), (8, 1719)]
    );
    assert_eq!(steps(output), vec![8]);
}
