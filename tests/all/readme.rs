//! The README cannot drift from the program (issue 9, check 3): every ```` ```console ````
//! block of README.md is run and its printed output compared with the README's.
//!
//! Convention: in a `console` block, a line starting with `$ ` is a command and the lines
//! after it, up to the next command or the end of the block, are what it prints. Each
//! command runs under `sh -c` from the repository root with stderr merged into stdout and
//! the directory of the `atlas` binary under test first in `PATH`. The only normalisation:
//! trailing spaces of each line and trailing empty lines are ignored. No tour command
//! prints host time or speed (they use `-q` or `grep` the report), so every number must
//! match. Blocks fenced as `sh` are shown but not run.
//!
//! When a cost or a report changes on purpose, `ATLAS_BLESS=1 cargo test --test all readme`
//! rewrites the outputs in README.md; review the diff.

use std::path::{Path, PathBuf};
use std::process::Command;

/// One command of a console block: its line index in the README, the command, and the
/// output lines the README shows.
struct Example {
    line: usize,
    command: String,
    shown: Vec<String>,
}

/// The commands of every console block, in order.
fn examples(readme: &str) -> Vec<Example> {
    let mut examples = Vec::new();
    let mut in_console = false;
    for (index, line) in readme.lines().enumerate() {
        if !in_console {
            in_console = line == "```console";
            continue;
        }
        if line.starts_with("```") {
            in_console = false;
        } else if let Some(command) = line.strip_prefix("$ ") {
            examples.push(Example {
                line: index,
                command: command.to_string(),
                shown: Vec::new(),
            });
        } else {
            let last = examples
                .last_mut()
                .unwrap_or_else(|| panic!("README.md:{}: output before any command", index + 1));
            last.shown.push(line.to_string());
        }
    }
    assert!(!in_console, "README.md: a console block is not closed");
    examples
}

/// Lines without trailing spaces, without trailing empty lines.
fn normalised<S: AsRef<str>>(lines: &[S]) -> Vec<String> {
    let mut out: Vec<String> = lines
        .iter()
        .map(|l| l.as_ref().trim_end().to_string())
        .collect();
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `command` as the README's reader would; returns its merged output lines.
fn run(command: &str) -> Vec<String> {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_atlas"))
        .parent()
        .expect("the binary has a directory")
        .to_path_buf();
    let path = match std::env::var_os("PATH") {
        Some(p) => {
            let mut dirs = vec![bin_dir];
            dirs.extend(std::env::split_paths(&p));
            std::env::join_paths(dirs).expect("PATH joins")
        }
        None => bin_dir.into_os_string(),
    };
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("{{ {command}\n}} 2>&1"))
        .current_dir(repo_root())
        .env("PATH", path)
        .output()
        .expect("sh runs");
    normalised(
        &String::from_utf8_lossy(&out.stdout)
            .lines()
            .collect::<Vec<_>>(),
    )
}

/// README.md with the output of every example replaced by `outputs` (same order).
fn blessed(readme: &str, examples: &[Example], outputs: &[Vec<String>]) -> String {
    let lines: Vec<&str> = readme.lines().collect();
    let mut text = String::new();
    let mut index = 0;
    for (example, output) in examples.iter().zip(outputs) {
        for line in &lines[index..=example.line] {
            text.push_str(line);
            text.push('\n');
        }
        for line in output {
            text.push_str(line);
            text.push('\n');
        }
        index = example.line + 1 + example.shown.len();
    }
    for line in &lines[index..] {
        text.push_str(line);
        text.push('\n');
    }
    text
}

#[test]
fn every_console_block_of_the_readme_prints_what_the_readme_shows() {
    let path = repo_root().join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let examples = examples(&readme);
    assert!(
        examples.len() >= 20,
        "only {} README commands",
        examples.len()
    );
    let outputs: Vec<Vec<String>> = examples.iter().map(|e| run(&e.command)).collect();
    if std::env::var_os("ATLAS_BLESS").is_some() {
        std::fs::write(&path, blessed(&readme, &examples, &outputs)).expect("write README.md");
        return;
    }
    let mut failures = Vec::new();
    for (example, output) in examples.iter().zip(&outputs) {
        if normalised(&example.shown) != *output {
            failures.push(format!(
                "README.md:{}: $ {}\n--- README shows:\n{}\n--- it prints:\n{}\n",
                example.line + 1,
                example.command,
                example.shown.join("\n"),
                output.join("\n")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} README example(s) differ; if the change is intended, run \
         `ATLAS_BLESS=1 cargo test --test all readme` and review the diff of README.md\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn console_blocks_split_into_commands_and_outputs() {
    let text = "intro\n```console\n$ echo a\na\n$ true\n```\n```sh\n$ not run\n```\n";
    let found = examples(text);
    let summary: Vec<(usize, &str, Vec<String>)> = found
        .iter()
        .map(|e| (e.line, e.command.as_str(), e.shown.clone()))
        .collect();
    assert_eq!(
        summary,
        vec![(2, "echo a", vec!["a".to_string()]), (4, "true", vec![])]
    );
    let rewritten = blessed(
        text,
        &found,
        &[vec!["b".to_string()], vec!["c".to_string()]],
    );
    assert_eq!(
        rewritten,
        "intro\n```console\n$ echo a\nb\n$ true\nc\n```\n```sh\n$ not run\n```\n"
    );
    assert_eq!(normalised(&["x  ", "", ""]), vec!["x".to_string()]);
}
