//! `atlas run`: assemble (if needed) and run a guest program under the mini OS.
//!
//! The guest's stdout and stderr are the process's; the run report goes to stderr
//! (`--quiet` drops it) and the exit code is the guest's. Other endings have fixed codes:
//! the instruction limit 124, an illegal instruction 132 (128 + SIGILL), a breakpoint 133
//! (128 + SIGTRAP), any other fault 139 (128 + SIGSEGV), physical memory exhausted 137
//! (128 + SIGKILL, as Linux's OOM killer), a host error 2.

use atlas_asm::Image;
use atlas_isa::{disassemble, Cause, CostClass, Style, Xlen};
use atlas_os::{ExitReason, GuestIo, OsConfig, RunReport};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Exit code when `--max-insns` stops the guest (as `timeout(1)`).
pub const EXIT_INSTRUCTION_LIMIT: u8 = 124;
/// Exit code for an illegal instruction: 128 + SIGILL.
pub const EXIT_ILLEGAL: u8 = 132;
/// Exit code for a breakpoint: 128 + SIGTRAP.
pub const EXIT_BREAKPOINT: u8 = 133;
/// Exit code for any other guest fault: 128 + SIGSEGV.
pub const EXIT_FAULT: u8 = 139;
/// Exit code when physical memory runs out: 128 + SIGKILL, as from Linux's OOM killer.
pub const EXIT_OUT_OF_MEMORY: u8 = 137;
/// Exit code for a host-side error (bad file, bad option).
pub const EXIT_HOST_ERROR: u8 = 2;

/// Arguments of `atlas run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Program to run: assembly source (`.s`, `.S`, `.asm`) or a RISC-V ELF executable.
    pub file: PathBuf,
    /// Register width for assembly sources (ELF files carry their own).
    #[arg(long, value_parser = parse_xlen)]
    pub xlen: Option<Xlen>,
    /// Stop after this many instructions (exit code 124).
    #[arg(long, value_name = "N", default_value_t = atlas_os::DEFAULT_MAX_INSNS)]
    pub max_insns: u64,
    /// Physical memory size: bytes, or with a K, M or G suffix (default 256M).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub phys_mem: Option<u64>,
    /// MMU mode: bare, base-bounds, segmented, linear, sv32 (RV32), sv39, sv48, sv57 (RV64);
    /// default sv39 on RV64, sv32 on RV32.
    #[arg(long, value_name = "MODE", value_parser = atlas_os::MmuMode::parse)]
    pub mmu: Option<atlas_os::MmuMode>,
    /// Placement policy of the segment free-list allocator in segmented and base-bounds
    /// modes: first, best, worst or next (default first).
    #[arg(long, value_name = "POLICY", value_parser = atlas_os::Fit::parse)]
    pub fit: Option<atlas_os::Fit>,
    /// Do not print the run report.
    #[arg(long, short)]
    pub quiet: bool,
    /// Translate every access through the modelled TLBs, without the host-side fast path
    /// in front of them (same counts and cycles, slower; for checking exactly that).
    #[arg(long)]
    pub no_fast_path: bool,
    /// Interpret every block: do not run loops as native host code (same counts and
    /// cycles, slower; for checking exactly that).
    #[arg(long)]
    pub no_jit: bool,
    /// The machine: preset and TLB options.
    #[command(flatten)]
    pub machine: super::machine::MachineArgs,
    /// Profiling and tracing outputs.
    #[command(flatten)]
    pub profiling: super::profiling::ProfilingArgs,
    /// Arguments passed to the guest (after `--`).
    #[arg(last = true)]
    pub args: Vec<String>,
}

/// Parses `32`/`64` (also `rv32`/`rv64`).
pub fn parse_xlen(s: &str) -> Result<Xlen, String> {
    match s.trim_start_matches("rv") {
        "32" => Ok(Xlen::X32),
        "64" => Ok(Xlen::X64),
        _ => Err(format!("expected 32 or 64, found `{s}`")),
    }
}

/// Parses a size: decimal or `0x` hex bytes, optionally followed by K, M or G (powers of
/// 1024).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, shift) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 10),
        Some((i, 'm' | 'M')) => (&t[..i], 20),
        Some((i, 'g' | 'G')) => (&t[..i], 30),
        _ => (t, 0),
    };
    let n = match num.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => num.parse::<u64>(),
    }
    .map_err(|_| format!("invalid size `{s}` (examples: 65536, 64K, 256M, 1G)"))?;
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("size `{s}` is too large"))
}

/// Runs the subcommand.
pub fn main(args: Args) -> ExitCode {
    // An explicit --xlen must match an ELF file's class; sources default to RV64.
    let options = atlas_asm::Options {
        xlen: args.xlen.unwrap_or(Xlen::X64),
        require_xlen: args.xlen.is_some(),
        ..atlas_asm::Options::default()
    };
    let image = match atlas_asm::load_program(&args.file, &options) {
        Ok(image) => image,
        Err(e) => {
            say(&format!("{e}\n"));
            return ExitCode::from(EXIT_HOST_ERROR);
        }
    };
    let mut config = OsConfig {
        max_insns: args.max_insns,
        ..OsConfig::default()
    };
    if let Some(size) = args.phys_mem {
        config.phys_mem = size;
    }
    config.mmu_mode = args.mmu;
    if let Some(fit) = args.fit {
        config.fit = fit;
    }
    config.fast_path = !args.no_fast_path;
    config.jit = !args.no_jit;
    config.mmu = match args.machine.config() {
        Ok(mmu) => mmu,
        Err(e) => {
            say(&format!("atlas: {e}\n"));
            return ExitCode::from(EXIT_HOST_ERROR);
        }
    };
    let started = super::profiling::Session::start(&args.profiling, &args.file, &image, &config);
    let mut session = match started {
        Ok(session) => session,
        Err(e) => {
            say(&format!("atlas: {e}\n"));
            return ExitCode::from(EXIT_HOST_ERROR);
        }
    };
    config.args = std::iter::once(args.file.display().to_string())
        .chain(args.args)
        .collect();

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut err = std::io::stderr();
    let mut input = std::io::stdin().lock();
    let start = Instant::now();
    let result = {
        let mut io = GuestIo {
            stdin: &mut input,
            stdout: &mut out,
            stderr: &mut err,
        };
        session.run(&image, &config, &mut io)
    };
    let elapsed = start.elapsed();
    let _ = out.flush();
    drop(out);
    match result {
        Ok(report) => {
            let (code, message) = ending(&image, &report, &config);
            if let Some(message) = message {
                say(&message);
            }
            let stats = super::profiling::run_stats(&args.file, &report, &config, elapsed);
            if !args.quiet {
                say(&stats.render());
                say(&render_report(&report));
            }
            match session.finish(&image, &stats) {
                Ok(()) => ExitCode::from(code),
                Err(e) => {
                    say(&format!("atlas: {e}\n"));
                    ExitCode::from(EXIT_HOST_ERROR)
                }
            }
        }
        Err(e) => {
            say(&format!("atlas: {}: {e}\n", args.file.display()));
            ExitCode::from(EXIT_HOST_ERROR)
        }
    }
}

/// Writes a message to stderr; a closed stderr must not turn into a panic.
fn say(message: &str) {
    let _ = std::io::stderr().write_all(message.as_bytes());
}

/// The exit code of a run, and the message explaining an abnormal end.
pub fn ending(image: &Image, report: &RunReport, config: &OsConfig) -> (u8, Option<String>) {
    match report.exit {
        ExitReason::Exited(status) => (status as u8, None),
        ExitReason::InstructionLimit => (
            EXIT_INSTRUCTION_LIMIT,
            Some(format!(
                "atlas: instruction limit reached: stopped after {} instructions (--max-insns {})\n",
                report.counters.instret, config.max_insns
            )),
        ),
        ExitReason::Fault {
            trap,
            pc,
            word,
            jumped_from,
        } => {
            let code = match trap.cause() {
                Cause::IllegalInstruction => EXIT_ILLEGAL,
                Cause::Breakpoint => EXIT_BREAKPOINT,
                _ => EXIT_FAULT,
            };
            let mut message = fault_message(image, report.xlen, &trap, pc, word, jumped_from);
            message.push_str(&os_lines(report));
            (code, Some(message))
        }
        ExitReason::OutOfMemory { pc, va } => {
            let mut message = format!(
                "atlas: out of memory: the process was killed\n  \
                 pc:          {}\n  \
                 address:     {va:#x}\n",
                describe_address(image, pc)
            );
            message.push_str(&os_lines(report));
            (EXIT_OUT_OF_MEMORY, Some(message))
        }
    }
}

/// The MMU mode and the OS's reason for ending the process, under the report of a memory
/// fault the OS could not serve (other traps never reach the OS's memory manager).
fn os_lines(report: &RunReport) -> String {
    match &report.os_reason {
        Some(reason) => format!("  mmu mode:    {}\n  os:          {reason}\n", report.mode),
        None => String::new(),
    }
}

/// An address with its symbol (if inside the image) and source line, for fault reports.
fn describe_address(image: &Image, addr: u64) -> String {
    let mut s = format!("{addr:#x}");
    // Only name a symbol for an address inside the image: a wild jump is not `_start+…`.
    let in_image = image
        .segments
        .iter()
        .any(|seg| addr >= seg.vaddr && addr - seg.vaddr < seg.mem_size);
    if let Some((name, offset)) = image.symbolize(addr).filter(|_| in_image) {
        s.push_str(&format!(" <{name}+{offset:#x}>"));
    }
    if let Some((file, line)) = image.lines.lookup(addr) {
        s.push_str(&format!(" at {file}:{line}"));
    }
    s
}

/// The one-paragraph fault report: reason, PC with symbol and source line, instruction,
/// address, and for a wild jump where it came from.
pub fn fault_message(
    image: &Image,
    xlen: Xlen,
    trap: &atlas_cpu::Trap,
    pc: u64,
    word: Option<u32>,
    jumped_from: Option<u64>,
) -> String {
    let cause = trap.cause();
    let mut s = format!("atlas: guest fault: {}\n", cause.description());
    s.push_str(&format!("  pc:          {}\n", describe_address(image, pc)));
    let insn = match word {
        Some(w) => match atlas_isa::decode(w, xlen) {
            Ok(inst) => format!("{w:08x}  {}", disassemble(&inst, pc, xlen, Style::Aliases)),
            Err(_) => format!("{w:08x}  (not an instruction)"),
        },
        None => "(no memory at pc)".to_string(),
    };
    s.push_str(&format!("  instruction: {insn}\n"));
    if let Some(addr) = trap.address() {
        s.push_str(&format!("  address:     {addr:#x}\n"));
    }
    let wild = matches!(
        cause,
        Cause::FetchAccess | Cause::FetchPageFault | Cause::IllegalInstruction
    );
    if let Some(from) = jumped_from.filter(|_| wild) {
        s.push_str(&format!(
            "  last jump:   from {}\n",
            describe_address(image, from)
        ));
    }
    s.push_str(&format!("  reason:      {trap}\n"));
    s
}

/// The core's part of the run report (after [`atlas_prof::stats::RunStats::render`]):
/// instructions by cost class, events, unknown syscalls.
pub fn render_report(report: &RunReport) -> String {
    let mut s = String::new();
    let c = &report.counters;
    let classes: Vec<String> = CostClass::ALL
        .iter()
        .filter(|&&class| c.of(class) != 0)
        .map(|&class| format!("{} {}", class.name(), c.of(class)))
        .collect();
    s.push_str(&format!("  by class      {}\n", classes.join(", ")));
    s.push_str(&format!(
        "  events        {} taken branches, {} loads, {} stores, {} misaligned, {} syscalls\n",
        c.taken_branches, c.loads, c.stores, c.misaligned, report.syscalls
    ));
    s.push_str(&memory_lines(report));
    if !report.unknown_syscalls.is_empty() {
        let list: Vec<String> = report
            .unknown_syscalls
            .iter()
            .map(|(&nr, &count)| match atlas_os::syscall::name(nr) {
                Some(name) => format!("{name} ({nr}) x{count}"),
                None => format!("{nr} x{count}"),
            })
            .collect();
        s.push_str(&format!(
            "  unknown syscalls (returned -ENOSYS): {}\n",
            list.join(", ")
        ));
    }
    s
}

/// The OS's memory management: the mode, its fault and frame counts, and the mode's own
/// counters (the linear table beside what Sv32 needs for the same pages; relocations and
/// compactions in the segmented modes).
fn memory_lines(report: &RunReport) -> String {
    let mm = &report.mm;
    let extra = |key: &str| mm.extra.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
    let mut s = format!(
        "  memory        --mmu {}: {} minor faults, peak {} frames, {} stack growths, {} flushes\n",
        report.mode, mm.minor_faults, mm.peak_frames, mm.stack_growths, mm.flushes
    );
    if let (Some(entries), Some(sv32)) = (
        extra("linear_table_entries"),
        extra("sv32_table_frames_for_same_pages"),
    ) {
        s.push_str(&format!(
            "  linear table  {} bytes ({entries} PTEs) where Sv32 needs {} bytes ({sv32} \
             frames) for the same pages\n",
            mm.table_frames * 4096,
            sv32 * 4096
        ));
    }
    let shown = ["linear_table_entries", "sv32_table_frames_for_same_pages"];
    let others: Vec<String> = mm
        .extra
        .iter()
        .filter(|(k, _)| !shown.contains(k))
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    if !others.is_empty() {
        s.push_str(&format!("  mm counters   {}\n", others.join(", ")));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_widths_parse() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("256M"), Ok(256 << 20));
        assert_eq!(parse_size("0x1000"), Ok(0x1000));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        let bad = "invalid size `lots` (examples: 65536, 64K, 256M, 1G)".to_string();
        assert_eq!(parse_size("lots"), Err(bad));
        assert_eq!(parse_xlen("rv32"), Ok(Xlen::X32));
        assert_eq!(parse_xlen("64"), Ok(Xlen::X64));
    }
}
