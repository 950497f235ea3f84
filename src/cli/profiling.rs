//! The profiling outputs of `atlas run`: `--stats-json`, `--profile [N]`, `--callgrind` and
//! `--trace`. When any of the last three is given, a [`Recorder`] observes every access.

use atlas_asm::Image;
use atlas_isa::{disassemble, Style};
use atlas_os::{GuestIo, OsConfig, OsError, RunReport};
use atlas_prof::profile::{Counts, Profile, Recorder};
use atlas_prof::stats::{RunFacts, RunStats};
use atlas_prof::table::{thousands, Align, Table};
use atlas_prof::trace::{TraceHeader, TraceWriter};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Profiling and tracing options.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct ProfilingArgs {
    /// Write every statistic as JSON (stable keys, `schema_version`) to FILE.
    #[arg(long, value_name = "FILE")]
    pub stats_json: Option<PathBuf>,
    /// Print the top N instructions by TLB misses and by translation cycles, and the top N
    /// pages by misses (default N: 10).
    #[arg(
        long,
        value_name = "N",
        num_args = 0..=1,
        default_missing_value = "10",
        value_parser = parse_rows
    )]
    pub profile: Option<usize>,
    /// Write a Callgrind profile (per source line) to FILE, for KCachegrind or
    /// callgrind_annotate.
    #[arg(long, value_name = "FILE")]
    pub callgrind: Option<PathBuf>,
    /// Write every translated access to FILE (read it with `atlas trace dump|replay`).
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
}

/// Parses `--profile`'s row count, explaining the usual mistake of a program path taken
/// for it.
pub fn parse_rows(s: &str) -> Result<usize, String> {
    s.parse().map_err(|_| {
        format!(
            "expected a number of rows, found `{s}` (write `--profile` after the program, or \
             `--profile=N`)"
        )
    })
}

/// One run's profiling state: the recorder to install, and what to do with it after.
#[derive(Debug)]
pub struct Session {
    args: ProfilingArgs,
    recorder: Option<Recorder>,
    profile: Option<Profile>,
}

impl Session {
    /// Opens the trace file if asked and prepares the recorder; `config` names the MMU mode
    /// in the trace header.
    pub fn start(
        args: &ProfilingArgs,
        program: &Path,
        image: &Image,
        config: &OsConfig,
    ) -> Result<Session, String> {
        let observe = args.profile.is_some() || args.callgrind.is_some() || args.trace.is_some();
        let trace = match &args.trace {
            None => None,
            Some(path) => {
                let file =
                    std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
                let header = TraceHeader {
                    xlen_bits: image.xlen.bits() as u8,
                    mmu_mode: config
                        .mmu_mode
                        .unwrap_or(atlas_os::MmuMode::default_for(image.xlen))
                        .name()
                        .to_string(),
                    program: program.display().to_string(),
                };
                Some(
                    TraceWriter::new(Box::new(file) as Box<dyn Write>, &header)
                        .map_err(|e| format!("{}: {e}", path.display()))?,
                )
            }
        };
        let profile = args.profile.is_some() || args.callgrind.is_some();
        Ok(Session {
            args: args.clone(),
            recorder: observe.then(|| Recorder::new(profile, trace)),
            profile: None,
        })
    }

    /// Runs the image, observed if any output needs it.
    pub fn run(
        &mut self,
        image: &Image,
        config: &OsConfig,
        io: &mut GuestIo<'_>,
    ) -> Result<RunReport, OsError> {
        let Some(recorder) = self.recorder.take() else {
            return atlas_os::run_image(image, config, io);
        };
        let (report, observer) =
            atlas_os::run_image_observed(image, config, io, Box::new(recorder))?;
        if let Some(recorder) = observer.and_then(|o| o.into_any().downcast::<Recorder>().ok()) {
            self.recorder = Some(*recorder);
        }
        Ok(report)
    }

    /// Writes the requested outputs.
    pub fn finish(mut self, image: &Image, stats: &RunStats) -> Result<(), String> {
        if let Some(path) = &self.args.stats_json {
            let json = stats.to_json().map_err(|e| e.to_string())?;
            std::fs::write(path, json).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        if let Some(recorder) = self.recorder.take() {
            let trace = self.args.trace.as_ref().map(|p| p.display().to_string());
            let profile = recorder
                .finish()
                .map_err(|e| format!("{}: {e}", trace.unwrap_or_default()))?;
            self.profile = Some(profile);
        }
        let Some(profile) = &self.profile else {
            return Ok(());
        };
        if let Some(rows) = self.args.profile {
            let _ = std::io::stderr().write_all(render_profile(image, profile, rows).as_bytes());
        }
        if let Some(path) = &self.args.callgrind {
            let file =
                std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
            write_callgrind(file, image, &stats.program, profile)
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Ok(())
    }
}

/// The statistics of a finished run.
pub fn run_stats(
    program: &Path,
    report: &RunReport,
    config: &OsConfig,
    elapsed: Duration,
) -> RunStats {
    let facts = RunFacts {
        program: program.display().to_string(),
        xlen: report.xlen.bits(),
        instructions: report.counters.instret,
        cycles_total: report.cycles,
        cycles_translation: report.memory_cycles,
        syscalls: report.syscalls,
        os_cycles: report.os_cycles,
        os_faults: report.faults,
        minor_faults: report.mm.minor_faults,
        page_table_bytes: Some(report.mm.table_frames.saturating_mul(4096)),
        frames_in_use: Some(report.mm.frames_in_use),
        host_seconds: elapsed.as_secs_f64(),
    };
    RunStats::new(&facts, &config.mmu, &report.mmu)
}

/// `symbol+offset`, `file:line` and the disassembly of the instruction at `pc`.
fn describe(image: &Image, pc: u64) -> (String, String, String) {
    let symbol = image
        .symbolize(pc)
        .map_or_else(String::new, |(name, off)| format!("{name}+{off:#x}"));
    let line = image
        .lines
        .lookup(pc)
        .map_or_else(String::new, |(file, line)| format!("{file}:{line}"));
    let disasm = image
        .segments
        .iter()
        .find_map(|s| {
            let at = usize::try_from(pc.checked_sub(s.vaddr)?).ok()?;
            let bytes: [u8; 4] = s.data.get(at..at.checked_add(4)?)?.try_into().ok()?;
            let inst = atlas_isa::decode(u32::from_le_bytes(bytes), image.xlen).ok()?;
            Some(disassemble(&inst, pc, image.xlen, Style::Aliases))
        })
        .unwrap_or_default();
    (symbol, line, disasm)
}

fn pc_table(image: &Image, rows: &[(u64, Counts)]) -> String {
    let mut t = Table::new(&[
        ("pc", Align::Right),
        ("symbol", Align::Left),
        ("source", Align::Left),
        ("instruction", Align::Left),
        ("count", Align::Right),
        ("ITLB miss", Align::Right),
        ("DTLB miss", Align::Right),
        ("STLB miss", Align::Right),
        ("walks", Align::Right),
        ("walk cyc", Align::Right),
        ("xlat cyc", Align::Right),
    ])
    .indent(2);
    for (pc, c) in rows {
        let (symbol, line, disasm) = describe(image, *pc);
        t.row([
            format!("{pc:x}"),
            symbol,
            line,
            disasm,
            thousands(c.ir),
            thousands(c.itlb_misses),
            thousands(c.dtlb_misses),
            thousands(c.stlb_misses),
            thousands(c.walks),
            thousands(c.walk_cycles),
            thousands(c.cycles),
        ]);
    }
    t.render()
}

/// The `--profile` text: top `n` instructions by misses and by translation cycles, top `n`
/// pages by misses.
pub fn render_profile(image: &Image, profile: &Profile, n: usize) -> String {
    let mut s = format!("\natlas: top {n} instructions by TLB misses\n");
    s.push_str(&pc_table(image, &profile.top_pcs(n, Counts::misses)));
    s.push_str(&format!(
        "\natlas: top {n} instructions by translation cycles\n"
    ));
    s.push_str(&pc_table(image, &profile.top_pcs(n, |c| c.cycles)));
    s.push_str(&format!("\natlas: top {n} pages by TLB misses\n"));
    let mut t = Table::new(&[
        ("page", Align::Right),
        ("asid", Align::Right),
        ("ITLB miss", Align::Right),
        ("DTLB miss", Align::Right),
        ("STLB miss", Align::Right),
        ("walks", Align::Right),
        ("walk cyc", Align::Right),
        ("faults", Align::Right),
    ])
    .indent(2);
    for (page, c) in profile.top_pages(n) {
        t.row([
            format!("{:x}", page.vpn << 12),
            page.asid.to_string(),
            thousands(c.itlb_misses),
            thousands(c.dtlb_misses),
            thousands(c.stlb_misses),
            thousands(c.walks),
            thousands(c.walk_cycles),
            thousands(c.faults),
        ]);
    }
    s.push_str(&t.render());
    s
}

/// Callgrind event names, in file order.
pub const CALLGRIND_EVENTS: [&str; 7] = [
    "Ir",
    "XlatCycles",
    "ITLBMiss",
    "DTLBMiss",
    "STLBMiss",
    "WalkCycles",
    "PageFaults",
];

/// Writes `profile` as a Callgrind file at source-line granularity (PCs without a line go
/// to line 0 of `???`), attributed to the enclosing symbol.
pub fn write_callgrind<W: Write>(
    out: W,
    image: &Image,
    cmd: &str,
    profile: &Profile,
) -> Result<[u64; 7], String> {
    let mut pcs: Vec<(&u64, &Counts)> = profile.per_pc.iter().collect();
    pcs.sort_by_key(|(pc, _)| **pc);
    let rows = pcs.into_iter().map(|(pc, c)| {
        let (file, line) = image
            .lines
            .lookup(*pc)
            .map_or(("???".to_string(), 0), |(f, l)| (f.to_string(), l));
        let function = image
            .symbolize(*pc)
            .map_or_else(|| "???".to_string(), |(name, _)| name.to_string());
        let costs = [
            c.ir,
            c.cycles,
            c.itlb_misses,
            c.dtlb_misses,
            c.stlb_misses,
            c.walk_cycles,
            c.faults,
        ];
        (file, function, line, costs)
    });
    atlas_prof::callgrind::write_profile(out, cmd, &CALLGRIND_EVENTS, rows)
        .map_err(|e| e.to_string())
}
