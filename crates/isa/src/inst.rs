//! The typed instruction form and its decoder and encoder.

use crate::{
    AluImmOp, AluOp, BranchOp, CsrImmOp, CsrOp, LoadOp, Opcode, Operand, OperandInfo, Reg,
    ShiftImmOp, StoreOp, SystemOp, Xlen, DECODE_BUCKETS, ENCODINGS, OPERANDS,
};

/// A decoded instruction, grouped by kind so that one visitor handles each operand layout.
///
/// Immediates are the architectural values: branch and jump offsets in bytes, `Lui`/`Auipc`
/// immediates with their low 12 bits zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Inst {
    Lui {
        rd: Reg,
        imm: i32,
    },
    Auipc {
        rd: Reg,
        imm: i32,
    },
    Jal {
        rd: Reg,
        offset: i32,
    },
    Jalr {
        rd: Reg,
        rs1: Reg,
        offset: i32,
    },
    Branch {
        op: BranchOp,
        rs1: Reg,
        rs2: Reg,
        offset: i32,
    },
    Load {
        op: LoadOp,
        rd: Reg,
        rs1: Reg,
        offset: i32,
    },
    Store {
        op: StoreOp,
        rs1: Reg,
        rs2: Reg,
        offset: i32,
    },
    AluImm {
        op: AluImmOp,
        rd: Reg,
        rs1: Reg,
        imm: i32,
    },
    ShiftImm {
        op: ShiftImmOp,
        rd: Reg,
        rs1: Reg,
        shamt: u8,
    },
    Alu {
        op: AluOp,
        rd: Reg,
        rs1: Reg,
        rs2: Reg,
    },
    Fence {
        pred: u8,
        succ: u8,
    },
    FenceI,
    Csr {
        op: CsrOp,
        rd: Reg,
        rs1: Reg,
        csr: u16,
    },
    CsrImm {
        op: CsrImmOp,
        rd: Reg,
        zimm: u8,
        csr: u16,
    },
    System {
        op: SystemOp,
    },
    SfenceVma {
        rs1: Reg,
        rs2: Reg,
    },
}

/// A word that is not an instruction of the hart's width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Illegal {
    /// The instruction word.
    pub word: u32,
}

impl std::fmt::Display for Illegal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "illegal instruction {:#010x}", self.word)
    }
}

impl std::error::Error for Illegal {}

/// The operand values of an instruction, indexed by [`Operand`]: the generic view the
/// encoder, the alias matcher and the assembler share.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fields {
    values: [i64; OPERANDS.len()],
}

impl Fields {
    /// The value of operand `op` (zero if the instruction has no such operand).
    #[inline]
    pub fn get(&self, op: Operand) -> i64 {
        self.values[op as usize]
    }

    /// Sets operand `op`.
    #[inline]
    pub fn set(&mut self, op: Operand, value: i64) -> &mut Self {
        self.values[op as usize] = value;
        self
    }

    pub(crate) fn reg(&self, op: Operand) -> Reg {
        Reg::from_bits(self.get(op) as u32)
    }

    /// The shift amount, whichever width's field carried it.
    pub(crate) fn shamt(&self) -> u8 {
        (self.get(Operand::Shamt5) | self.get(Operand::Shamt6)) as u8
    }
}

impl Inst {
    /// The instruction's opcode.
    pub fn opcode(&self) -> Opcode {
        match *self {
            Inst::Lui { .. } => Opcode::Lui,
            Inst::Auipc { .. } => Opcode::Auipc,
            Inst::Jal { .. } => Opcode::Jal,
            Inst::Jalr { .. } => Opcode::Jalr,
            Inst::Branch { op, .. } => op.opcode(),
            Inst::Load { op, .. } => op.opcode(),
            Inst::Store { op, .. } => op.opcode(),
            Inst::AluImm { op, .. } => op.opcode(),
            Inst::ShiftImm { op, .. } => op.opcode(),
            Inst::Alu { op, .. } => op.opcode(),
            Inst::Fence { .. } => Opcode::Fence,
            Inst::FenceI => Opcode::FenceI,
            Inst::Csr { op, .. } => op.opcode(),
            Inst::CsrImm { op, .. } => op.opcode(),
            Inst::System { op } => op.opcode(),
            Inst::SfenceVma { .. } => Opcode::SfenceVma,
        }
    }

    /// The operand values in their generic form. Shift amounts are stored under both
    /// `shamt5` and `shamt6` so either width's encoding can read them.
    pub fn fields(&self) -> Fields {
        use Operand as O;
        let mut f = Fields::default();
        let r = |r: Reg| r.num() as i64;
        match *self {
            Inst::Lui { rd, imm } | Inst::Auipc { rd, imm } => {
                f.set(O::Rd, r(rd)).set(O::Uimm20, imm as i64);
            }
            Inst::Jal { rd, offset } => {
                f.set(O::Rd, r(rd)).set(O::Jimm, offset as i64);
            }
            Inst::Jalr { rd, rs1, offset }
            | Inst::Load {
                rd, rs1, offset, ..
            } => {
                f.set(O::Rd, r(rd))
                    .set(O::Rs1, r(rs1))
                    .set(O::Imm12, offset as i64);
            }
            Inst::AluImm { rd, rs1, imm, .. } => {
                f.set(O::Rd, r(rd))
                    .set(O::Rs1, r(rs1))
                    .set(O::Imm12, imm as i64);
            }
            Inst::Branch {
                rs1, rs2, offset, ..
            } => {
                f.set(O::Rs1, r(rs1))
                    .set(O::Rs2, r(rs2))
                    .set(O::Bimm, offset as i64);
            }
            Inst::Store {
                rs1, rs2, offset, ..
            } => {
                f.set(O::Rs1, r(rs1))
                    .set(O::Rs2, r(rs2))
                    .set(O::Simm12, offset as i64);
            }
            Inst::ShiftImm { rd, rs1, shamt, .. } => {
                f.set(O::Rd, r(rd)).set(O::Rs1, r(rs1));
                f.set(O::Shamt5, shamt as i64).set(O::Shamt6, shamt as i64);
            }
            Inst::Alu { rd, rs1, rs2, .. } => {
                f.set(O::Rd, r(rd)).set(O::Rs1, r(rs1)).set(O::Rs2, r(rs2));
            }
            Inst::Fence { pred, succ } => {
                f.set(O::Pred, pred as i64).set(O::Succ, succ as i64);
            }
            Inst::Csr { rd, rs1, csr, .. } => {
                f.set(O::Rd, r(rd))
                    .set(O::Rs1, r(rs1))
                    .set(O::Csr, csr as i64);
            }
            Inst::CsrImm { rd, zimm, csr, .. } => {
                f.set(O::Rd, r(rd))
                    .set(O::Zimm, zimm as i64)
                    .set(O::Csr, csr as i64);
            }
            Inst::SfenceVma { rs1, rs2 } => {
                f.set(O::Rs1, r(rs1)).set(O::Rs2, r(rs2));
            }
            Inst::FenceI | Inst::System { .. } => {}
        }
        f
    }

    /// Builds an instruction from its opcode and generic operand values (as the assembler
    /// and decoder produce them). Values are truncated to their field types.
    pub fn from_fields(opcode: Opcode, f: &Fields) -> Inst {
        crate::tables::build_inst(opcode, f)
    }

    /// Whether this instruction exists at width `xlen` with these operand values
    /// (e.g. `ld` and shift amounts above 31 are RV64-only).
    pub fn valid_in(&self, xlen: Xlen) -> bool {
        let (opcode, fields) = (self.opcode(), self.fields());
        ENCODINGS.iter().any(|e| {
            e.opcode == opcode
                && e.in_xlen(xlen)
                && e.operands
                    .iter()
                    .all(|&o| OperandInfo::of(o).fits(fields.get(o)))
        })
    }
}

/// Decodes one 32-bit instruction word for a hart of width `xlen`.
///
/// Every word either decodes or returns [`Illegal`]; compressed (16-bit) encodings are
/// illegal because Atlas models no C extension.
pub fn decode(word: u32, xlen: Xlen) -> Result<Inst, Illegal> {
    if word & 3 != 3 {
        return Err(Illegal { word });
    }
    for &i in DECODE_BUCKETS[((word >> 2) & 31) as usize] {
        let e = &ENCODINGS[i as usize];
        if word & e.mask == e.bits && e.in_xlen(xlen) {
            let mut f = Fields::default();
            for &o in e.operands {
                f.set(o, OperandInfo::of(o).extract(word));
            }
            return Ok(Inst::from_fields(e.opcode, &f));
        }
    }
    Err(Illegal { word })
}

/// Encodes an instruction into its 32-bit word.
///
/// Uses the first encoding of the opcode whose fields hold the operand values (for
/// `slli`/`srli`/`srai`, the RV32 form when the shift amount allows it; both forms give the
/// same bits then). Values too wide for their field are truncated; [`Inst::valid_in`] says
/// whether an instruction is exactly representable.
pub fn encode(inst: &Inst) -> u32 {
    let (opcode, fields) = (inst.opcode(), inst.fields());
    let mut candidates = ENCODINGS.iter().filter(|e| e.opcode == opcode);
    let first = candidates.clone().next();
    let chosen = candidates
        .find(|e| {
            e.operands
                .iter()
                .all(|&o| OperandInfo::of(o).fits(fields.get(o)))
        })
        .or(first);
    match chosen {
        Some(e) => e
            .operands
            .iter()
            .fold(e.bits, |w, &o| w | OperandInfo::of(o).insert(fields.get(o))),
        // Every opcode has an encoding: the tables generate both from the same lines.
        None => 0,
    }
}
