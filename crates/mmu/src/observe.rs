//! An optional observer of every translated access, for profilers and tracers.
//!
//! The bus calls its observer, when one is installed, after each single-page translation
//! (including those the OS makes to copy syscall buffers) and after each `sfence.vma`. A
//! bus without an observer pays one predictable branch per access; the observer is a
//! `Box<dyn AccessObserver>` because it is called only when profiling or tracing is on,
//! where the indirect call costs nothing next to the bookkeeping it does.

use crate::access::AccessCtx;
use crate::fault::TranslateFault;
use crate::phys::PhysMem;
use crate::regs::MmuRegs;
use crate::tlb::TlbEntry;
use crate::translate::{TlbLevel, Translation, Translator};
use crate::AccessKind;
use std::any::Any;
use std::fmt;

/// What one access's translation gave, handed to an [`AccessObserver`].
#[derive(Clone, Copy, Debug)]
pub struct Observation<'a> {
    /// The access (its `pc` is the instruction making it).
    pub ctx: &'a AccessCtx,
    /// The translation, or why it failed.
    pub outcome: Result<&'a Translation, &'a TranslateFault>,
    /// The translation hardware after the access, if the machine has any: lets an observer
    /// read the TLB entry now holding the translation ([`Observation::entry`]).
    pub translator: Option<&'a Translator>,
}

impl Observation<'_> {
    /// Translation cycles charged for this access (a fault's too).
    pub fn cycles(&self) -> u64 {
        match self.outcome {
            Ok(t) => t.cycles,
            Err(f) => f.cycles,
        }
    }

    /// The entry of the first-level TLB (ITLB for fetches, DTLB otherwise), or else of the
    /// L2, that holds this access's translation after it, if any. Tells a tracer whether the
    /// page is global and dirty, which a replay needs to model fills.
    pub fn entry(&self) -> Option<TlbEntry> {
        let translator = self.translator?;
        let l1 = match self.ctx.kind {
            AccessKind::Fetch => TlbLevel::L1I,
            AccessKind::Load | AccessKind::Store => TlbLevel::L1D,
        };
        [l1, TlbLevel::L2].into_iter().find_map(|level| {
            translator
                .tlb(level)
                .and_then(|tlb| tlb.find(self.ctx.va, self.ctx.asid))
                .map(|(_, entry)| entry)
        })
    }
}

/// The hardware just before an access is translated, for explainers: what the TLBs hold,
/// the mode registers and the page tables in memory.
#[derive(Clone, Copy, Debug)]
pub struct Before<'a> {
    /// The access about to be translated.
    pub ctx: &'a AccessCtx,
    /// The translation hardware, if the machine has any.
    pub translator: Option<&'a Translator>,
    /// The MMU registers.
    pub regs: &'a MmuRegs,
    /// Physical memory (page tables included).
    pub mem: &'a PhysMem,
}

/// Receives every translated access and every flush of a bus.
pub trait AccessObserver {
    /// An access is about to be translated (the default ignores it).
    fn before(&mut self, _before: &Before<'_>) {}

    /// One single-page access was translated (or failed to be).
    fn access(&mut self, observation: &Observation<'_>);

    /// `sfence.vma` dropped cached translations for `va` (or all) and `asid` (or all),
    /// charging `cycles`.
    fn flush(&mut self, va: Option<u64>, asid: Option<u16>, cycles: u64);

    /// The observer as `Any`, so its owner can take it back from the bus and downcast it
    /// (`Box<dyn AccessObserver>` → the concrete recorder).
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}

/// The bus's observer slot. Cloning a bus does not clone its observer (the clone has
/// none): an observer records one run.
#[derive(Default)]
pub struct ObserverSlot(pub Option<Box<dyn AccessObserver>>);

impl Clone for ObserverSlot {
    fn clone(&self) -> ObserverSlot {
        ObserverSlot(None)
    }
}

impl fmt::Debug for ObserverSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(_) => f.write_str("ObserverSlot(installed)"),
            None => f.write_str("ObserverSlot(none)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Bus, MmuConfig, PhysMem, Privilege, SystemBus};
    use atlas_isa::Xlen;

    /// Records what it is told, in order.
    #[derive(Default)]
    struct Log(Vec<String>);

    impl AccessObserver for Log {
        fn access(&mut self, o: &Observation<'_>) {
            let what = match o.outcome {
                Ok(t) => format!("{:?} pa {:#x}", t.resolved, t.pa),
                Err(f) => format!("fault {}", f.reason),
            };
            self.0.push(format!(
                "{} pc {:#x} va {:#x}: {what}, {} cycles",
                o.ctx.kind.letter(),
                o.ctx.pc,
                o.ctx.va,
                o.cycles()
            ));
        }
        fn flush(&mut self, va: Option<u64>, asid: Option<u16>, cycles: u64) {
            self.0.push(format!("flush {va:?} {asid:?} {cycles}"));
        }
        fn into_any(self: Box<Self>) -> Box<dyn Any> {
            self
        }
    }

    fn ctx(pc: u64, va: u64, kind: AccessKind, size: u8) -> AccessCtx {
        AccessCtx {
            va,
            kind,
            size,
            privilege: Privilege::User,
            asid: 0,
            pc,
        }
    }

    #[test]
    fn observer_sees_every_part_and_flush_and_comes_back() {
        let mut bus = SystemBus::with_mmu(
            PhysMem::new(0x4000).expect("16 KiB"),
            Xlen::X64,
            MmuConfig::teaching(),
        )
        .expect("valid");
        bus.set_observer(Some(Box::new(Log::default())));
        assert_eq!(bus.fetch(ctx(0x100, 0x100, AccessKind::Fetch, 4)), Ok(0));
        // A store crossing a page is observed as its two parts.
        assert_eq!(
            bus.store(ctx(0x104, 0xffe, AccessKind::Store, 4), 7),
            Ok(())
        );
        bus.sfence_vma(None, Some(2));
        let log = bus
            .take_observer()
            .expect("installed")
            .into_any()
            .downcast::<Log>()
            .expect("a Log");
        assert_eq!(
            log.0,
            [
                "I pc 0x100 va 0x100: Bare pa 0x100, 0 cycles",
                "S pc 0x104 va 0xffe: Bare pa 0xffe, 0 cycles",
                "S pc 0x104 va 0x1000: Bare pa 0x1000, 0 cycles",
                "flush None Some(2) 10",
            ]
        );
        // Without an observer nothing is recorded and a clone carries none.
        assert!(bus.take_observer().is_none());
        assert_eq!(
            format!("{:?}", ObserverSlot::default()),
            "ObserverSlot(none)"
        );
    }
}
