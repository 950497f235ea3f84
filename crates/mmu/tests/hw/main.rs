//! Tests of the MMU hardware models, in one binary to keep link time down.

mod basebound_segment;
mod cycles;
mod differential;
mod fastpath_differential;
mod policies;
mod quick_miss;
mod robustness;
mod tables;
mod tlb;
mod walker_cases;
mod walker_conformance;
