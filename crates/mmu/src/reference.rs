//! The reference translator: no TLB, no page-walk cache — it walks the page table on every
//! access. Tests check the real translator against it on random tables and access sequences.

use crate::access::AccessCtx;
use crate::basebound;
use crate::fault::TranslateReason;
use crate::phys::PhysMem;
use crate::regs::{MmuRegs, Mode};
use crate::segment;
use crate::walker::{walk, NoWalkCache, WalkRequest};

/// A translator that caches nothing.
#[derive(Clone, Copy, Debug)]
pub struct ReferenceTranslator {
    /// Set A/D in hardware (as [`crate::MmuConfig::hardware_ad`]).
    pub hardware_ad: bool,
}

impl ReferenceTranslator {
    /// The physical address of `ctx`, or why it faults.
    pub fn translate(
        &self,
        mem: &mut PhysMem,
        regs: &MmuRegs,
        ctx: &AccessCtx,
    ) -> Result<u64, TranslateReason> {
        match regs.mode(ctx.privilege) {
            Mode::Bare => Ok(ctx.va),
            Mode::BaseBounds { base, bound } => basebound::translate(ctx.va, base, bound),
            Mode::Segmented { count } => {
                segment::translate(ctx.va, ctx.kind, regs, count).map(|(pa, _)| pa)
            }
            Mode::Paged {
                format,
                root,
                linear_len,
            } => {
                let request = WalkRequest::of(ctx, regs, self.hardware_ad);
                walk(mem, format, root, linear_len, &request, &mut NoWalkCache)
                    .result
                    .map(|leaf| leaf.pa)
            }
        }
    }
}
