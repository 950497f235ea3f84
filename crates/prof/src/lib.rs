//! Profiling output for Atlas runs: access traces, Callgrind profiles, text tables and
//! versioned JSON. It only formats and stores what the MMU and CPU counted; it never runs
//! guests itself.

pub mod callgrind;
pub mod explain;
pub mod json;
pub mod profile;
pub mod replay;
pub mod stats;
pub mod table;
pub mod trace;
