//! The hart's own control and status registers: the trap CSRs of M- and S-mode, status,
//! counters. The MMU's registers (`satp`, `at*`) live in the memory system and are reached
//! through [`atlas_mmu::Bus::read_csr`].

use crate::{Cpu, Word};
use atlas_isa::{csr, CsrInfo, Xlen};
use atlas_mmu::{Bus, Privilege};

/// `mstatus` bit positions.
pub mod status {
    /// S-mode interrupt enable.
    pub const SIE: u64 = 1 << 1;
    /// M-mode interrupt enable.
    pub const MIE: u64 = 1 << 3;
    /// SIE before the last trap into S-mode.
    pub const SPIE: u64 = 1 << 5;
    /// MIE before the last trap into M-mode.
    pub const MPIE: u64 = 1 << 7;
    /// Privilege before the last trap into S-mode (0 U, 1 S).
    pub const SPP: u64 = 1 << 8;
    /// Shift of the two-bit MPP field.
    pub const MPP_SHIFT: u32 = 11;
    /// The MPP field: privilege before the last trap into M-mode.
    pub const MPP: u64 = 3 << MPP_SHIFT;
    /// Modify privilege: loads and stores use MPP's privilege.
    pub const MPRV: u64 = 1 << 17;
    /// S-mode may access U pages.
    pub const SUM: u64 = 1 << 18;
    /// Make executable readable.
    pub const MXR: u64 = 1 << 19;
    /// Bits of `mstatus` that software can write.
    pub const WRITABLE: u64 = SIE | MIE | SPIE | MPIE | SPP | MPP | MPRV | SUM | MXR;
    /// Bits visible through `sstatus`.
    pub const SSTATUS: u64 = SIE | SPIE | SPP | SUM | MXR;
}

/// Interrupt bits S-mode sees through `sie`/`sip` (SSIP, STIP, SEIP).
const S_INTERRUPTS: u64 = 0x222;

/// The trap and status registers a hart keeps (64-bit storage for both widths; RV32 sees
/// the low halves).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrapCsrs {
    /// `mstatus` (and `sstatus` as a view).
    pub mstatus: u64,
    /// `medeleg`: exceptions delegated to S-mode.
    pub medeleg: u64,
    /// `mideleg`.
    pub mideleg: u64,
    /// `mie` (and `sie` as a view).
    pub mie: u64,
    /// `mip` (and `sip` as a view).
    pub mip: u64,
    /// `mtvec`.
    pub mtvec: u64,
    /// `mcounteren`.
    pub mcounteren: u64,
    /// `mscratch`.
    pub mscratch: u64,
    /// `mepc`.
    pub mepc: u64,
    /// `mcause`.
    pub mcause: u64,
    /// `mtval`.
    pub mtval: u64,
    /// `stvec`.
    pub stvec: u64,
    /// `scounteren`.
    pub scounteren: u64,
    /// `sscratch`.
    pub sscratch: u64,
    /// `sepc`.
    pub sepc: u64,
    /// `scause`.
    pub scause: u64,
    /// `stval`.
    pub stval: u64,
}

impl TrapCsrs {
    /// Reset state: user programs may read every counter.
    pub fn new() -> TrapCsrs {
        TrapCsrs {
            mcounteren: 0b111,
            scounteren: 0b111,
            ..TrapCsrs::default()
        }
    }
}

/// The privilege a CSR number demands (bits 9:8), or `None` for the hypervisor range.
fn required_privilege(number: u16) -> Option<Privilege> {
    match (number >> 8) & 3 {
        0 => Some(Privilege::User),
        1 => Some(Privilege::Supervisor),
        3 => Some(Privilege::Machine),
        _ => None,
    }
}

/// Bit of a counter CSR in `mcounteren`/`scounteren`, if it is a user counter.
fn counter_bit(number: u16) -> Option<u64> {
    match number {
        csr::CYCLE | csr::CYCLEH => Some(1),
        csr::TIME | csr::TIMEH => Some(2),
        csr::INSTRET | csr::INSTRETH => Some(4),
        _ => None,
    }
}

impl<X: Word> Cpu<X> {
    /// Whether the current privilege may access CSR `number` (for writing if `write`).
    pub(crate) fn csr_allowed(&self, number: u16, write: bool) -> bool {
        let Some(info) = CsrInfo::by_number(number) else {
            return false;
        };
        if info.rv32_only && X::XLEN == Xlen::X64 {
            return false;
        }
        let read_only = info.read_only || (number >> 10) & 3 == 3;
        if write && read_only {
            return false;
        }
        match required_privilege(number) {
            Some(p) if self.privilege >= p => {}
            _ => return false,
        }
        match counter_bit(number) {
            Some(bit) => match self.privilege {
                Privilege::Machine => true,
                Privilege::Supervisor => self.csrs.mcounteren & bit != 0,
                Privilege::User => self.csrs.mcounteren & self.csrs.scounteren & bit != 0,
            },
            None => true,
        }
    }

    /// `misa`: MXL, I, M, S and U.
    fn misa() -> u64 {
        let extensions = (1 << 8) | (1 << 12) | (1 << 18) | (1 << 20);
        match X::XLEN {
            Xlen::X32 => (1 << 30) | extensions,
            Xlen::X64 => (2 << 62) | extensions,
        }
    }

    /// A 64-bit counter after an XLEN-wide write of its low CSR: RV32 keeps the high half.
    fn replace_low_half(counter: u64, value: u64) -> u64 {
        match X::XLEN {
            Xlen::X32 => (counter & !0xffff_ffff) | (value & 0xffff_ffff),
            Xlen::X64 => value,
        }
    }

    /// Reads CSR `number` (access already checked). `None` for a number the hart does not
    /// implement.
    pub(crate) fn read_csr<B: Bus>(&self, bus: &B, number: u16) -> Option<u64> {
        if let Some(v) = bus.read_csr(number) {
            return Some(v);
        }
        let cycles = self.cycles(bus);
        let instret = self.counters.instret;
        let c = &self.csrs;
        let v = match number {
            csr::CYCLE | csr::TIME | csr::MCYCLE => cycles,
            csr::INSTRET | csr::MINSTRET => instret,
            csr::CYCLEH | csr::TIMEH | csr::MCYCLEH => cycles >> 32,
            csr::INSTRETH | csr::MINSTRETH => instret >> 32,
            csr::MSTATUS => c.mstatus,
            csr::MSTATUSH => 0,
            csr::SSTATUS => c.mstatus & status::SSTATUS,
            csr::MISA => Self::misa(),
            csr::MEDELEG => c.medeleg,
            csr::MIDELEG => c.mideleg,
            csr::MIE => c.mie,
            csr::SIE => c.mie & S_INTERRUPTS,
            csr::MIP => c.mip,
            csr::SIP => c.mip & S_INTERRUPTS,
            csr::MTVEC => c.mtvec,
            csr::STVEC => c.stvec,
            csr::MCOUNTEREN => c.mcounteren,
            csr::SCOUNTEREN => c.scounteren,
            csr::MSCRATCH => c.mscratch,
            csr::SSCRATCH => c.sscratch,
            csr::MEPC => c.mepc,
            csr::SEPC => c.sepc,
            csr::MCAUSE => c.mcause,
            csr::SCAUSE => c.scause,
            csr::MTVAL => c.mtval,
            csr::STVAL => c.stval,
            csr::MVENDORID | csr::MARCHID | csr::MIMPID | csr::MHARTID => 0,
            _ => return None,
        };
        Some(X::from_u64(v).to_u64())
    }

    /// Writes CSR `number` (access already checked). `None` for a number the hart does not
    /// implement.
    pub(crate) fn write_csr<B: Bus>(&mut self, bus: &mut B, number: u16, value: u64) -> Option<()> {
        if bus.write_csr(number, value).is_some() {
            self.asid = bus.asid();
            return Some(());
        }
        let bus_cycles = bus.cycles();
        let c = &mut self.csrs;
        let epc = value & !3;
        match number {
            csr::MSTATUS => {
                c.mstatus = value & status::WRITABLE;
                bus.set_status(c.mstatus & status::SUM != 0, c.mstatus & status::MXR != 0);
            }
            csr::SSTATUS => {
                c.mstatus = (c.mstatus & !status::SSTATUS) | (value & status::SSTATUS);
                bus.set_status(c.mstatus & status::SUM != 0, c.mstatus & status::MXR != 0);
            }
            csr::MSTATUSH | csr::MISA => {}
            csr::MEDELEG => c.medeleg = value,
            csr::MIDELEG => c.mideleg = value,
            csr::MIE => c.mie = value,
            csr::SIE => c.mie = (c.mie & !S_INTERRUPTS) | (value & S_INTERRUPTS),
            csr::MIP => c.mip = value,
            csr::SIP => c.mip = (c.mip & !S_INTERRUPTS) | (value & S_INTERRUPTS),
            csr::MTVEC => c.mtvec = value & !3,
            csr::STVEC => c.stvec = value & !3,
            csr::MCOUNTEREN => c.mcounteren = value & 7,
            csr::SCOUNTEREN => c.scounteren = value & 7,
            csr::MSCRATCH => c.mscratch = value,
            csr::SSCRATCH => c.sscratch = value,
            csr::MEPC => c.mepc = epc,
            csr::SEPC => c.sepc = epc,
            csr::MCAUSE => c.mcause = value,
            csr::SCAUSE => c.scause = value,
            csr::MTVAL => c.mtval = value,
            csr::STVAL => c.stval = value,
            csr::MCYCLE => {
                let total = self.counters.cycles.wrapping_add(bus_cycles);
                let new = Self::replace_low_half(total, value);
                self.counters.cycles = new.wrapping_sub(bus_cycles);
            }
            csr::MINSTRET => {
                self.counters.instret = Self::replace_low_half(self.counters.instret, value);
            }
            csr::MCYCLEH => {
                let total = self.counters.cycles.wrapping_add(bus_cycles);
                let new = (total & 0xffff_ffff) | (value << 32);
                self.counters.cycles = new.wrapping_sub(bus_cycles);
            }
            csr::MINSTRETH => {
                let low = self.counters.instret & 0xffff_ffff;
                self.counters.instret = low | (value << 32);
            }
            _ => return None,
        }
        Some(())
    }
}
