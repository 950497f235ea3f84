//! The cycle model's knobs and the counters it fills.

use atlas_isa::{cost_event, CostClass};

/// Number of instruction cost classes.
pub const CLASSES: usize = CostClass::ALL.len();

/// Default memory latency in cycles added to every data access (load or store). Atlas models
/// no caches: this is the flat cost of reaching memory, on top of the class cost and any
/// translation cost the memory system charges.
pub const DEFAULT_MEMORY_LATENCY: u64 = 2;

/// Cycle costs of the core. Defaults come from the `isa/costs` table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Costs {
    /// Base cost of each class, indexed by `CostClass as usize`.
    pub class: [u64; CLASSES],
    /// Extra cycles for a taken conditional branch.
    pub branch_taken: u64,
    /// Extra cycles for a misaligned load or store.
    pub misaligned: u64,
    /// Cycles added to every data access.
    pub memory_latency: u64,
}

impl Default for Costs {
    fn default() -> Costs {
        let mut class = [0; CLASSES];
        for c in CostClass::ALL {
            class[c as usize] = c.default_cycles();
        }
        Costs {
            class,
            branch_taken: cost_event::BRANCH_TAKEN,
            misaligned: cost_event::MISALIGNED,
            memory_latency: DEFAULT_MEMORY_LATENCY,
        }
    }
}

impl Costs {
    /// The base cost of class `c`.
    #[inline(always)]
    pub fn of(&self, c: CostClass) -> u64 {
        self.class[c as usize]
    }
}

/// What the core has done, for the run report. Core cycles only: the memory system keeps
/// its own (translation) cycles.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Instructions retired.
    pub instret: u64,
    /// Core cycles: class costs, events and memory latency.
    pub cycles: u64,
    /// Instructions retired per cost class, indexed by `CostClass as usize`.
    pub per_class: [u64; CLASSES],
    /// Conditional branches taken.
    pub taken_branches: u64,
    /// Misaligned loads and stores.
    pub misaligned: u64,
    /// Data loads.
    pub loads: u64,
    /// Data stores.
    pub stores: u64,
}

impl Counters {
    /// Retired instructions of class `c`.
    pub fn of(&self, c: CostClass) -> u64 {
        self.per_class[c as usize]
    }
}
