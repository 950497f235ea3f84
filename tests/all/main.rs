//! Integration tests of the whole system, in one binary to keep link time down.

mod blocks;
mod cli_disasm;
mod cli_fit;
mod disasm;
mod explain;
mod fastpath;
mod modes;
mod profile;
mod profile_stride;
mod readme;
mod run;
mod teaching;
mod temp;
mod trace;
