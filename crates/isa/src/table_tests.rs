//! The table generator rejects malformed tables with a message naming the problem.

use crate::gen_parse::{check_overlaps, parse_encodings, parse_operands, OperandDef};

fn operands() -> Vec<OperandDef> {
    parse_operands("operands", include_str!("../../../isa/operands")).expect("valid operands")
}

fn costs() -> Vec<(String, u64, String)> {
    vec![("alu".into(), 1, String::new())]
}

fn encode_err(line: &str) -> String {
    parse_encodings("rv_test", line, &operands(), &costs()).expect_err("must be rejected")
}

#[test]
fn rejects_unknown_operand() {
    let e = encode_err("add rd rs1 rs9 31..25=0 14..12=0 6..2=0x0C 1..0=3 kind=alu cost=alu");
    assert_eq!(e, "rv_test:1 (add): unknown operand `rs9`");
}

#[test]
fn rejects_under_specified() {
    let e = encode_err("add rd rs1 rs2 14..12=0 6..2=0x0C 1..0=3 kind=alu cost=alu");
    assert_eq!(
        e,
        "rv_test:1 (add): under-specified encoding: bits 0xfe000000 are neither fixed nor an operand"
    );
}

#[test]
fn rejects_operand_over_fixed_bits() {
    let e = encode_err("add rd rs1 rs2 31..20=0 14..12=0 6..2=0x0C 1..0=3 kind=alu cost=alu");
    assert_eq!(
        e,
        "rv_test:1 (add): operand `rs2` overlaps a fixed field or another operand"
    );
}

#[test]
fn rejects_wrong_operands_for_kind() {
    let e = encode_err("add rd rs1 imm12 14..12=0 6..2=0x0C 1..0=3 kind=alu cost=alu");
    assert_eq!(
        e,
        "rv_test:1 (add): kind `alu` needs operands [\"rd\", \"rs1\", \"rs2\"], the line has [\"rd\", \"rs1\", \"imm12\"]"
    );
}

#[test]
fn rejects_value_too_wide_and_unknown_cost() {
    let e = encode_err("add rd rs1 rs2 31..25=0x80 14..12=0 6..2=0x0C 1..0=3 kind=alu cost=alu");
    assert_eq!(e, "rv_test:1 (add): value 0x80 does not fit in bits 31..25");
    let e = encode_err("add rd rs1 rs2 31..25=0 14..12=0 6..2=0x0C 1..0=3 kind=alu cost=fast");
    assert_eq!(e, "rv_test:1 (add): unknown cost class `fast`");
}

#[test]
fn rejects_overlapping_encodings() {
    let text = "add rd rs1 rs2 31..25=0 14..12=0 6..2=0x0C 1..0=3 kind=alu cost=alu\n\
                plus rd rs1 rs2 31..25=0 14..12=0 6..2=0x0C 1..0=3 kind=alu cost=alu\n";
    let encs = parse_encodings("rv_test", text, &operands(), &costs()).expect("lines parse");
    let e = check_overlaps(&encs).expect_err("overlap must be rejected");
    assert_eq!(
        e,
        "overlapping encodings: rv_test:1 (add) and rv_test:2 (plus) both match 0x00000033"
    );
}

#[test]
fn width_specific_encodings_may_share_bits() {
    let text = "slli rd rs1 shamt5 31..25=0 14..12=1 6..2=0x04 1..0=3 kind=shift_imm cost=alu\n";
    let mut encs = parse_encodings("rv32_x", text, &operands(), &costs()).expect("parses");
    let text64 = "slli rd rs1 shamt6 31..26=0 14..12=1 6..2=0x04 1..0=3 kind=shift_imm cost=alu\n";
    encs.extend(parse_encodings("rv64_x", text64, &operands(), &costs()).expect("parses"));
    assert_eq!(check_overlaps(&encs), Ok(()));
}
