//! Lowering: which conditional branches become branch-over-one ops.

use super::{Block, BlockPage, OpCode};
use crate::Costs;
use atlas_isa::{encode, AluImmOp, AluOp, BranchOp, Inst, LoadOp, Reg, Xlen};

/// The block built from `prog` placed at the start of a page.
fn block_of(prog: &[Inst]) -> Block {
    let words: Vec<u32> = prog.iter().map(encode).collect();
    let mut page = BlockPage::new();
    let index = page
        .build(0, |s| words.get(s).copied(), Xlen::X64, &Costs::default())
        .expect("the block is built");
    page.get(index).expect("the block is there").clone()
}

fn branch(op: BranchOp, rs1: Reg, rs2: Reg, offset: i32) -> Inst {
    Inst::Branch {
        op,
        rs1,
        rs2,
        offset,
    }
}

#[test]
fn only_a_branch_over_exactly_one_register_only_instruction_is_predicated() {
    let addi = Inst::AluImm {
        op: AluImmOp::Addi,
        rd: Reg::A0,
        rs1: Reg::A0,
        imm: 1,
    };
    let add = Inst::Alu {
        op: AluOp::Add,
        rd: Reg::A3,
        rs1: Reg::A0,
        rs2: Reg::A1,
    };
    let prog = [
        branch(BranchOp::Bne, Reg::A2, Reg::Zero, 8),
        addi,
        // Over a load: it may trap, so it stays a branch.
        branch(BranchOp::Blt, Reg::A2, Reg::A1, 8),
        Inst::Load {
            op: LoadOp::Lw,
            rd: Reg::A3,
            rs1: Reg::A1,
            offset: 0,
        },
        // Over two instructions.
        branch(BranchOp::Beq, Reg::A0, Reg::A1, 12),
        add,
        add,
        branch(BranchOp::Bgeu, Reg::A0, Reg::A1, 8),
        Inst::Lui {
            rd: Reg::A4,
            imm: 0x1000,
        },
        // Backwards over one.
        branch(BranchOp::Bne, Reg::A0, Reg::A1, -8),
        Inst::Jal {
            rd: Reg::Zero,
            offset: 0,
        },
    ];
    let codes: Vec<OpCode> = block_of(&prog).ops.iter().map(|op| op.code).collect();
    assert_eq!(
        codes,
        [
            OpCode::BneOver,
            OpCode::Addi,
            OpCode::Blt,
            OpCode::Lw,
            OpCode::Beq,
            OpCode::Add,
            OpCode::Add,
            OpCode::BgeuOver,
            OpCode::Lui,
            OpCode::Bne,
            OpCode::Jal,
        ]
    );
}
