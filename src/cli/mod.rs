//! One module per subcommand: its arguments and its `main`.

pub mod asm;
pub mod disasm;
pub mod explain;
pub mod machine;
pub mod profiling;
pub mod run;
pub mod trace;
