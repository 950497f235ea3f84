//! `atlas trace dump FILE` and `atlas trace replay FILE [machine options]`.

use super::machine::{describe, MachineArgs};
use super::run::EXIT_HOST_ERROR;
use atlas_prof::replay::Replay;
use atlas_prof::stats::{RunFacts, RunStats};
use atlas_prof::trace::{dump, TraceReader};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `atlas trace`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Print every access as `<I|L|S> <pc> <va> <pa> <size>` (hex, size decimal).
    Dump {
        /// Trace file written by `atlas run --trace`.
        file: PathBuf,
    },
    /// Run the trace through the TLBs of a machine and print their statistics.
    Replay {
        /// Trace file written by `atlas run --trace`.
        file: PathBuf,
        /// The machine to replay on.
        #[command(flatten)]
        machine: Box<MachineArgs>,
        /// Also write the statistics as JSON (the `--stats-json` layout of `atlas run`;
        /// cycles and OS figures are zero, the instruction count is the fetches).
        #[arg(long, value_name = "FILE")]
        stats_json: Option<PathBuf>,
    },
}

/// Runs the subcommand.
pub fn main(args: Args) -> ExitCode {
    let result = match args.command {
        Command::Dump { file } => run_dump(&file),
        Command::Replay {
            file,
            machine,
            stats_json,
        } => run_replay(&file, &machine, stats_json.as_ref()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = std::io::stderr().write_all(format!("atlas: {e}\n").as_bytes());
            ExitCode::from(EXIT_HOST_ERROR)
        }
    }
}

fn open(file: &PathBuf) -> Result<TraceReader<std::io::BufReader<std::fs::File>>, String> {
    let f = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
    TraceReader::new(std::io::BufReader::new(f)).map_err(|e| format!("{}: {e}", file.display()))
}

fn run_dump(file: &PathBuf) -> Result<(), String> {
    let reader = open(file)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    dump(reader, &mut out).map_err(|e| format!("{}: {e}", file.display()))?;
    out.flush().map_err(|e| e.to_string())
}

fn run_replay(
    file: &PathBuf,
    machine: &MachineArgs,
    stats_json: Option<&PathBuf>,
) -> Result<(), String> {
    let config = machine.config()?;
    let reader = open(file)?;
    let program = reader.header().program.clone();
    let xlen = u32::from(reader.header().xlen_bits);
    let mut replay = Replay::new(&config)?;
    for entry in reader.entries() {
        replay.entry(&entry.map_err(|e| format!("{}: {e}", file.display()))?);
    }
    let facts = RunFacts {
        program,
        xlen,
        instructions: replay.fetches(),
        ..RunFacts::default()
    };
    let stats = RunStats::new(&facts, &config, replay.stats());
    if let Some(path) = stats_json {
        let json = stats.to_json().map_err(|e| e.to_string())?;
        std::fs::write(path, json).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let mut s = format!(
        "atlas: trace replay of {} on {}\n  accesses {}, instruction fetches {}, walks {}\n\n",
        file.display(),
        describe(&config),
        replay.stats().translations.iter().sum::<u64>(),
        replay.fetches(),
        replay.walks()
    );
    s.push_str(&stats.render_tlbs());
    std::io::stdout()
        .write_all(s.as_bytes())
        .map_err(|e| e.to_string())
}
