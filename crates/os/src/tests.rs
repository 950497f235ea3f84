//! Process tests on images built by hand from `Inst` values.

use super::*;
use atlas_asm::{LineTable, Perms, Segment};
use atlas_isa::{encode, errno, syscall, AluImmOp, Inst, LoadOp, Reg, StoreOp, SystemOp};
use atlas_mmu::{PhysMem, SystemBus};
use std::collections::BTreeMap;

const TEXT: u64 = 0x1_0000;

fn li(rd: Reg, imm: i32) -> Inst {
    Inst::AluImm {
        op: AluImmOp::Addi,
        rd,
        rs1: Reg::Zero,
        imm,
    }
}

const ECALL: Inst = Inst::System {
    op: SystemOp::Ecall,
};

fn image(xlen: Xlen, code: &[Inst], data: &[u8]) -> Image {
    let mut bytes: Vec<u8> = code.iter().flat_map(|i| encode(i).to_le_bytes()).collect();
    bytes.extend_from_slice(data);
    let size = bytes.len() as u64;
    Image {
        xlen,
        entry: TEXT,
        segments: vec![Segment {
            name: ".text".into(),
            vaddr: TEXT,
            data: bytes,
            mem_size: size,
            perms: Perms::RX,
        }],
        symbols: Vec::new(),
        lines: LineTable::default(),
    }
}

struct Captured {
    report: RunReport,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

fn run(image: &Image, config: &OsConfig, stdin: &[u8]) -> Captured {
    let mut streams = CapturedIo::new(stdin);
    let report = run_image(image, config, &mut streams.io()).expect("starts");
    Captured {
        report,
        stdout: streams.stdout,
        stderr: streams.stderr,
    }
}

/// A small bare-mode machine: these tests place buffers at physical addresses (the paged
/// modes have their own tests in `tests/paged*.rs`).
fn small() -> OsConfig {
    OsConfig {
        phys_mem: 16 << 20,
        stack_size: 1 << 20,
        mmu_mode: Some(MmuMode::Bare),
        ..OsConfig::default()
    }
}

/// write(fd, msg, len) then exit(code); the message follows the 9 instructions.
fn hello(fd: i32, code: i32) -> Vec<Inst> {
    vec![
        Inst::Auipc {
            rd: Reg::A1,
            imm: 0,
        },
        Inst::AluImm {
            op: AluImmOp::Addi,
            rd: Reg::A1,
            rs1: Reg::A1,
            imm: 36,
        },
        li(Reg::A0, fd),
        li(Reg::A2, 6),
        li(Reg::A7, syscall::WRITE as i32),
        ECALL,
        li(Reg::A0, code),
        li(Reg::A7, syscall::EXIT_GROUP as i32),
        ECALL,
    ]
}

#[test]
fn hello_writes_stdout_and_exits_with_its_status_at_both_widths() {
    for xlen in [Xlen::X32, Xlen::X64] {
        let out = run(&image(xlen, &hello(1, 3), b"hello\n"), &small(), b"");
        assert_eq!(out.stdout, b"hello\n");
        assert_eq!(out.report.exit, ExitReason::Exited(3));
        assert_eq!(out.report.counters.instret, 9);
        assert_eq!(out.report.syscalls, 2);
        let err = run(&image(xlen, &hello(2, 0), b"oops!\n"), &small(), b"");
        assert_eq!(
            (err.stdout.len(), err.stderr.as_slice()),
            (0, &b"oops!\n"[..])
        );
    }
}

#[test]
fn bad_descriptors_and_unknown_syscalls_return_errors_and_are_listed() {
    let code = [
        li(Reg::A0, 7),
        li(Reg::A7, syscall::WRITE as i32),
        ECALL,
        Inst::AluImm {
            op: AluImmOp::Addi,
            rd: Reg::S0,
            rs1: Reg::A0,
            imm: 0,
        },
        li(Reg::A7, 999),
        ECALL,
        ECALL,
        Inst::Alu {
            op: atlas_isa::AluOp::Add,
            rd: Reg::A0,
            rs1: Reg::A0,
            rs2: Reg::S0,
        },
        li(Reg::A7, syscall::EXIT as i32),
        ECALL,
    ];
    let out = run(&image(Xlen::X64, &code, b""), &small(), b"");
    let expected = -((errno::EBADF + errno::ENOSYS) as i32);
    assert_eq!(out.report.exit, ExitReason::Exited(expected));
    assert_eq!(out.report.unknown_syscalls, BTreeMap::from([(999, 2)]));
}

#[test]
fn brk_follows_raw_linux_semantics() {
    // s0 = brk(0); s1 = brk(s0 + 0x3000); store at s1-8; s2 = brk(huge); exit(s2 == s1)
    let code = [
        li(Reg::A0, 0),
        li(Reg::A7, syscall::BRK as i32),
        ECALL,
        Inst::AluImm {
            op: AluImmOp::Addi,
            rd: Reg::S0,
            rs1: Reg::A0,
            imm: 0,
        },
        Inst::Lui {
            rd: Reg::T0,
            imm: 0x3000,
        },
        Inst::Alu {
            op: atlas_isa::AluOp::Add,
            rd: Reg::A0,
            rs1: Reg::S0,
            rs2: Reg::T0,
        },
        ECALL,
        Inst::AluImm {
            op: AluImmOp::Addi,
            rd: Reg::S1,
            rs1: Reg::A0,
            imm: 0,
        },
        Inst::Store {
            op: StoreOp::Sw,
            rs1: Reg::S1,
            rs2: Reg::S1,
            offset: -8,
        },
        Inst::Load {
            op: LoadOp::Lw,
            rd: Reg::S3,
            rs1: Reg::S1,
            offset: -8,
        },
        li(Reg::A0, -16),
        ECALL,
        Inst::Alu {
            op: atlas_isa::AluOp::Sub,
            rd: Reg::A0,
            rs1: Reg::A0,
            rs2: Reg::S1,
        },
        li(Reg::A7, syscall::EXIT as i32),
        ECALL,
    ];
    for xlen in [Xlen::X32, Xlen::X64] {
        let img = image(xlen, &code, b"");
        let out = run(&img, &small(), b"");
        assert_eq!(out.report.exit, ExitReason::Exited(0));
        assert_eq!(out.report.brk, img.end().next_multiple_of(4096) + 0x3000);
    }
}

#[test]
fn read_copies_stdin_into_guest_memory() {
    // n = read(0, buf, 64); write(1, buf, n); exit(n)
    let code = [
        Inst::Lui {
            rd: Reg::S0,
            imm: 0x20000,
        },
        li(Reg::A0, 0),
        Inst::AluImm {
            op: AluImmOp::Addi,
            rd: Reg::A1,
            rs1: Reg::S0,
            imm: 0,
        },
        li(Reg::A2, 64),
        li(Reg::A7, syscall::READ as i32),
        ECALL,
        Inst::AluImm {
            op: AluImmOp::Addi,
            rd: Reg::A2,
            rs1: Reg::A0,
            imm: 0,
        },
        Inst::AluImm {
            op: AluImmOp::Addi,
            rd: Reg::S1,
            rs1: Reg::A0,
            imm: 0,
        },
        li(Reg::A0, 1),
        Inst::AluImm {
            op: AluImmOp::Addi,
            rd: Reg::A1,
            rs1: Reg::S0,
            imm: 0,
        },
        li(Reg::A7, syscall::WRITE as i32),
        ECALL,
        Inst::AluImm {
            op: AluImmOp::Addi,
            rd: Reg::A0,
            rs1: Reg::S1,
            imm: 0,
        },
        li(Reg::A7, syscall::EXIT as i32),
        ECALL,
    ];
    let out = run(&image(Xlen::X32, &code, b""), &small(), b"typed");
    assert_eq!(out.stdout, b"typed");
    assert_eq!(out.report.exit, ExitReason::Exited(5));
}

#[test]
fn a_write_from_beyond_memory_is_efault() {
    let code = [
        li(Reg::A0, 1),
        Inst::Lui {
            rd: Reg::A1,
            imm: 0x7fff_f000,
        },
        li(Reg::A2, 4),
        li(Reg::A7, syscall::WRITE as i32),
        ECALL,
        li(Reg::A7, syscall::EXIT as i32),
        ECALL,
    ];
    let out = run(&image(Xlen::X64, &code, b""), &small(), b"");
    assert_eq!(out.report.exit, ExitReason::Exited(-(errno::EFAULT as i32)));
}

#[test]
fn argv_reaches_the_program() {
    // write(1, argv[1], 5) on RV64: argv[1] is at sp + 16.
    let code = [
        Inst::Load {
            op: LoadOp::Ld,
            rd: Reg::A1,
            rs1: Reg::Sp,
            offset: 16,
        },
        li(Reg::A0, 1),
        li(Reg::A2, 5),
        li(Reg::A7, syscall::WRITE as i32),
        ECALL,
        Inst::Load {
            op: LoadOp::Ld,
            rd: Reg::A0,
            rs1: Reg::Sp,
            offset: 0,
        },
        li(Reg::A7, syscall::EXIT as i32),
        ECALL,
    ];
    let config = OsConfig {
        args: vec!["prog".into(), "world".into()],
        ..small()
    };
    let out = run(&image(Xlen::X64, &code, b""), &config, b"");
    assert_eq!(out.stdout, b"world");
    assert_eq!(out.report.exit, ExitReason::Exited(2));
}

#[test]
fn faults_and_the_instruction_limit_end_the_run() {
    let spin = [Inst::Jal {
        rd: Reg::Zero,
        offset: 0,
    }];
    let config = OsConfig {
        max_insns: 500,
        ..small()
    };
    let out = run(&image(Xlen::X64, &spin, b""), &config, b"");
    assert_eq!(out.report.exit, ExitReason::InstructionLimit);
    assert_eq!(out.report.counters.instret, 500);

    let illegal = [li(Reg::A0, 1), Inst::System { op: SystemOp::Mret }];
    let out = run(&image(Xlen::X32, &illegal, b""), &small(), b"");
    let word = encode(&Inst::System { op: SystemOp::Mret });
    assert_eq!(
        out.report.exit,
        ExitReason::Fault {
            trap: Trap::IllegalInstruction { word },
            pc: TEXT + 4,
            word: Some(word),
            jumped_from: None,
        }
    );
}

#[test]
fn an_image_outside_physical_memory_is_a_host_error() {
    let mut img = image(Xlen::X64, &hello(1, 0), b"");
    img.segments[0].vaddr = 1 << 40;
    let mut streams = CapturedIo::new(b"");
    let err = run_image(&img, &small(), &mut streams.io()).map_err(|e| e.to_string());
    assert_eq!(
        err,
        Err(
            "segment .text at 0x10000000000 (size 0x24) does not fit in physical memory of \
             0x1000000 bytes (in bare mode, addresses are physical; try --phys-mem)"
                .to_string()
        )
    );
}

mod syscall_fuzz {
    use super::*;
    use proptest::prelude::*;

    fn value() -> impl Strategy<Value = u64> {
        prop_oneof![
            any::<u64>(),
            0u64..0x2_0000,
            Just(u64::MAX),
            Just(0xf_fff0u64),
            Just(1u64 << 32),
        ]
    }

    fn number() -> impl Strategy<Value = u64> {
        prop_oneof![
            Just(syscall::READ),
            Just(syscall::WRITE),
            Just(syscall::BRK),
            Just(syscall::EXIT),
            any::<u64>(),
        ]
    }

    proptest! {
        /// Any syscall with any arguments returns a value or an exit and never panics.
        #[test]
        fn syscalls_with_garbage_arguments_are_answered(
            calls in proptest::collection::vec((number(), value(), value(), value()), 1..20)
        ) {
            let mut bus = SystemBus::new(PhysMem::new(1 << 20).expect("1 MiB"));
            let mut linux = LinuxBasics;
            let mut streams = CapturedIo::new(b"input");
            let mut io = streams.io();
            for (nr, a0, a1, a2) in calls {
                let call = SyscallArgs { nr, args: [a0, a1, a2, 0, 0, 0] };
                let mut env = SyscallEnv { bus: &mut bus, io: &mut io, xlen: Xlen::X64 };
                let known = [syscall::READ, syscall::WRITE, syscall::EXIT];
                let outcome = linux.handle(&call, &mut env);
                prop_assert_eq!(outcome.is_some(), known.contains(&nr));
            }
        }
    }
}

mod program_fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Random valid instructions (undecodable words become `ecall`, so syscalls see
        /// random registers) run to an exit, a fault or the limit: never a panic.
        #[test]
        fn random_programs_end_cleanly(words in proptest::collection::vec(any::<u32>(), 1..64)) {
            for xlen in [Xlen::X32, Xlen::X64] {
                let code: Vec<Inst> = words
                    .iter()
                    .map(|&w| atlas_isa::decode(w, xlen).unwrap_or(ECALL))
                    .collect();
                let config = OsConfig { max_insns: 2_000, ..small() };
                let out = run(&image(xlen, &code, b""), &config, b"stdin");
                let insns = out.report.counters.instret;
                prop_assert!(insns <= 2_000);
            }
        }
    }
}

#[test]
fn a_process_resumes_after_its_instruction_budget() {
    let img = image(Xlen::X64, &hello(1, 5), b"hello\n");
    let mut process = Process::<u64>::load(&img, &small()).expect("loads");
    let mut streams = CapturedIo::new(b"");
    let mut io = streams.io();
    assert_eq!(process.run(&mut io, 4), ExitReason::InstructionLimit);
    assert_eq!(process.cpu().pc(), TEXT + 16);
    assert_eq!(process.run(&mut io, 100), ExitReason::Exited(5));
    let report = process.report(ExitReason::Exited(5));
    assert_eq!((report.counters.instret, report.syscalls), (9, 2));
    assert_eq!(streams.stdout, b"hello\n");
}
