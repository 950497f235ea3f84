//! Instructions and pseudo-instructions: the choice of real instructions GNU `as` makes
//! (with `-mno-relax`, non-PIC) for each form. Operand syntax is in [`crate::operands`].

use crate::encode::{Arg, InstItem, Reloc};
use crate::expr::{EvalError, Value};
use crate::lexer::Tok;
use crate::macros::split_commas;
use crate::operands::{expr_arg, reg_arg, Ops, E};
use crate::parse::{Assembler, Ctx, ItemKind, SymEnv};
use atlas_isa::kind_syntax;
use atlas_isa::{csr, CsrInfo, Inst, Kind, Opcode, Operand, Reg, Xlen, ENCODINGS, OPCODES};
use std::collections::HashMap;
use std::sync::OnceLock;

fn opcode_by_name(name: &str) -> Option<Opcode> {
    static MAP: OnceLock<HashMap<&'static str, Opcode>> = OnceLock::new();
    MAP.get_or_init(|| OPCODES.iter().map(|&o| (o.name(), o)).collect())
        .get(name)
        .copied()
}

pub(crate) fn exists_in(opcode: Opcode, xlen: Xlen) -> bool {
    ENCODINGS
        .iter()
        .any(|e| e.opcode == opcode && e.in_xlen(xlen))
}

fn pending(opcode: Opcode, ops: Vec<(Operand, Arg)>) -> InstItem {
    InstItem::Pending { opcode, ops }
}

/// The register-register-register / register-register-immediate instruction pairs GNU
/// `as` lets one spell with the register mnemonic (`add a0, a1, 5` is `addi`).
fn immediate_form(op: Opcode) -> Option<Opcode> {
    let name = match op.name() {
        "add" => "addi",
        "addw" => "addiw",
        "and" => "andi",
        "or" => "ori",
        "xor" => "xori",
        "slt" => "slti",
        "sltu" => "sltiu",
        "sll" => "slli",
        "srl" => "srli",
        "sra" => "srai",
        "sllw" => "slliw",
        "srlw" => "srliw",
        "sraw" => "sraiw",
        "csrrw" => "csrrwi",
        "csrrs" => "csrrsi",
        "csrrc" => "csrrci",
        _ => return None,
    };
    opcode_by_name(name)
}

impl Assembler {
    /// Assembles instruction `mnemonic` (written at `pos`) with the statement's operands.
    pub(crate) fn instruction(&mut self, mnemonic: &str, pos: usize, ctx: Ctx<'_>) {
        let operand_toks = ctx.toks.get(1..).unwrap_or_default();
        let mut depth = 0i32;
        let mut ends = Vec::new();
        for t in operand_toks {
            match t.tok {
                Tok::Punct("(") => depth += 1,
                Tok::Punct(")") => depth -= 1,
                Tok::Punct(",") if depth <= 0 => ends.push(t.pos),
                _ => {}
            }
        }
        let ops = Ops {
            args: split_commas(operand_toks),
            end: ctx.end,
            ends,
        };
        let selected = self.select(mnemonic, pos, &ops).and_then(|items| {
            // Pseudo-instructions built on RV64-only instructions (`negw`, `sext.w`).
            let rv64_only = items.iter().any(|i| match i {
                InstItem::Pending { opcode, .. } => !exists_in(*opcode, self.xlen),
                InstItem::Fixed(_) => false,
            });
            if rv64_only {
                return Err((pos, format!("`{mnemonic}` is only available on RV64")));
            }
            Ok(items)
        });
        match selected {
            Ok(items) => {
                for item in items {
                    self.emit(ctx, pos, ItemKind::Inst(item), 4);
                }
            }
            Err((p, msg)) => self.error(ctx.loc, p, msg),
        }
    }

    fn select(&self, m: &str, pos: usize, o: &Ops<'_>) -> Result<Vec<InstItem>, E> {
        use Operand::{Bimm, Csr, Imm12, Jimm, Rd, Rs1, Rs2, Simm12, Uimm20};
        let n = o.args.len();
        let count = |want: &str| -> E { (pos, format!("`{m}` expects {want} operands, got {n}")) };
        let op = |name: &str| opcode_by_name(name).ok_or((pos, format!("no instruction `{name}`")));
        let zero = reg_arg(Reg::Zero);
        let two_regs = |this: &Self| -> Result<(Arg, Arg), E> {
            if n != 2 {
                return Err(count("2"));
            }
            Ok((reg_arg(this.reg(o, 0)?), reg_arg(this.reg(o, 1)?)))
        };
        let alu = |name: &str, rd: Arg, rs1: Arg, rs2: Arg| -> Result<Vec<InstItem>, E> {
            Ok(vec![pending(
                op(name)?,
                vec![(Rd, rd), (Rs1, rs1), (Rs2, rs2)],
            )])
        };
        let alu_imm = |name: &str, rd: Arg, rs1: Arg, imm: i64| -> Result<Vec<InstItem>, E> {
            Ok(vec![pending(
                op(name)?,
                vec![(Rd, rd), (Rs1, rs1), (Imm12, Arg::Const(imm))],
            )])
        };
        let branch = |name: &str, rs1: Arg, rs2: Arg, t: Arg| -> Result<Vec<InstItem>, E> {
            Ok(vec![pending(
                op(name)?,
                vec![(Rs1, rs1), (Rs2, rs2), (Bimm, t)],
            )])
        };
        let csr_pseudo =
            |this: &Self, name: &str, rd: Arg, c: Arg, rs: usize| -> Result<Vec<InstItem>, E> {
                // `csrw csr, 5` is the immediate form, as in GNU `as`.
                let base = op(name)?;
                match this.reg(o, rs) {
                    Ok(r) => Ok(vec![pending(
                        base,
                        vec![(Rd, rd), (Csr, c), (Rs1, reg_arg(r))],
                    )]),
                    Err(_) if !this.is_reg_like(o, rs) => {
                        let imm =
                            immediate_form(base).ok_or((pos, "no immediate form".to_string()))?;
                        let z = expr_arg(this.imm(o, rs, &[Reloc::Plain])?);
                        Ok(vec![pending(
                            imm,
                            vec![(Rd, rd), (Csr, c), (Operand::Zimm, z)],
                        )])
                    }
                    Err(e) => Err(e),
                }
            };
        let pair = |this: &Self,
                    rd: Reg,
                    tmp: Reg,
                    target: usize,
                    second: Opcode|
         -> Result<Vec<InstItem>, E> {
            let (e, _, p) = this.imm(o, target, &[Reloc::Plain])?;
            let hi = Arg::Expr {
                expr: e.clone(),
                pos: p,
                reloc: Reloc::PcrelHi,
            };
            let lo = Arg::Expr {
                expr: e,
                pos: p,
                reloc: Reloc::PcrelLoPrev,
            };
            let auipc = pending(Opcode::Auipc, vec![(Rd, reg_arg(tmp)), (Uimm20, hi)]);
            let ops = match second.kind() {
                Kind::Store => vec![(Rs2, reg_arg(rd)), (Rs1, reg_arg(tmp)), (Simm12, lo)],
                _ => vec![(Rd, reg_arg(rd)), (Rs1, reg_arg(tmp)), (Imm12, lo)],
            };
            Ok(vec![auipc, pending(second, ops)])
        };

        match (m, n) {
            ("nop", 0) => return alu_imm("addi", zero.clone(), zero, 0),
            ("ret", 0) => return alu_imm("jalr", zero, reg_arg(Reg::Ra), 0),
            ("unimp", 0) => {
                let c = Arg::Const(i64::from(csr::CYCLE));
                return Ok(vec![pending(
                    Opcode::Csrrw,
                    vec![(Rd, zero.clone()), (Csr, c), (Rs1, zero)],
                )]);
            }
            ("fence", 0) => {
                return Ok(vec![pending(
                    Opcode::Fence,
                    vec![
                        (Operand::Pred, Arg::Const(15)),
                        (Operand::Succ, Arg::Const(15)),
                    ],
                )])
            }
            ("sfence.vma", 0) => {
                return Ok(vec![pending(
                    Opcode::SfenceVma,
                    vec![(Rs1, zero.clone()), (Rs2, zero)],
                )])
            }
            ("sfence.vma", 1) => {
                return Ok(vec![pending(
                    Opcode::SfenceVma,
                    vec![(Rs1, reg_arg(self.reg(o, 0)?)), (Rs2, zero)],
                )])
            }
            ("li", _) => return self.li(o, pos),
            ("la" | "lla", _) => {
                if n != 2 {
                    return Err(count("2"));
                }
                let rd = self.reg(o, 0)?;
                return pair(self, rd, rd, 1, Opcode::Addi);
            }
            ("call", 1) => return pair(self, Reg::Ra, Reg::Ra, 0, Opcode::Jalr),
            ("call", 2) => {
                let rd = self.reg(o, 0)?;
                return pair(self, rd, rd, 1, Opcode::Jalr);
            }
            ("jump", 2) => {
                let tmp = self.reg(o, 1)?;
                return pair(self, Reg::Zero, tmp, 0, Opcode::Jalr);
            }
            ("tail", 1) => return pair(self, Reg::Zero, Reg::T1, 0, Opcode::Jalr),
            ("call" | "tail", _) => return Err(count("1")),
            ("mv", _) => {
                let (rd, rs) = two_regs(self)?;
                return alu_imm("addi", rd, rs, 0);
            }
            ("not", _) => {
                let (rd, rs) = two_regs(self)?;
                return alu_imm("xori", rd, rs, -1);
            }
            ("neg" | "negw", _) => {
                let (rd, rs) = two_regs(self)?;
                return alu(if m == "neg" { "sub" } else { "subw" }, rd, zero, rs);
            }
            ("sext.w", _) => {
                let (rd, rs) = two_regs(self)?;
                return alu_imm("addiw", rd, rs, 0);
            }
            ("zext.b", _) => {
                let (rd, rs) = two_regs(self)?;
                return alu_imm("andi", rd, rs, 255);
            }
            ("sext.b" | "sext.h" | "zext.h" | "zext.w", _) => {
                // Without Zbb GNU `as` shifts left then right.
                let (rd, rs) = two_regs(self)?;
                let bits: i64 = match m {
                    "sext.b" => 8,
                    "sext.h" | "zext.h" => 16,
                    _ if self.xlen == Xlen::X32 => {
                        return Err((pos, "`zext.w` is only available on RV64".into()))
                    }
                    _ => 32,
                };
                let shift = i64::from(self.xlen.bits()) - bits;
                let right = if m.starts_with('s') { "srai" } else { "srli" };
                let sh = |name: &str, rd: Arg, rs: Arg| -> Result<InstItem, E> {
                    let ops = vec![(Rd, rd), (Rs1, rs), (Operand::Shamt6, Arg::Const(shift))];
                    Ok(pending(op(name)?, ops))
                };
                return Ok(vec![
                    sh("slli", rd.clone(), rs)?,
                    sh(right, rd.clone(), rd)?,
                ]);
            }
            ("sgt" | "sgtu", _) => {
                if n != 3 {
                    return Err(count("3"));
                }
                let (rd, a, b) = (
                    reg_arg(self.reg(o, 0)?),
                    reg_arg(self.reg(o, 1)?),
                    reg_arg(self.reg(o, 2)?),
                );
                return alu(if m == "sgt" { "slt" } else { "sltu" }, rd, b, a);
            }
            ("seqz", _) => {
                let (rd, rs) = two_regs(self)?;
                return alu_imm("sltiu", rd, rs, 1);
            }
            ("snez", _) => {
                let (rd, rs) = two_regs(self)?;
                return alu("sltu", rd, zero, rs);
            }
            ("sltz", _) => {
                let (rd, rs) = two_regs(self)?;
                return alu("slt", rd, rs, zero);
            }
            ("sgtz", _) => {
                let (rd, rs) = two_regs(self)?;
                return alu("slt", rd, zero, rs);
            }
            ("beqz" | "bnez" | "blez" | "bgez" | "bltz" | "bgtz", _) => {
                if n != 2 {
                    return Err(count("2"));
                }
                let rs = reg_arg(self.reg(o, 0)?);
                let t = self.target(o, 1)?;
                return match m {
                    "beqz" => branch("beq", rs, zero, t),
                    "bnez" => branch("bne", rs, zero, t),
                    "blez" => branch("bge", zero, rs, t),
                    "bgez" => branch("bge", rs, zero, t),
                    "bltz" => branch("blt", rs, zero, t),
                    _ => branch("blt", zero, rs, t),
                };
            }
            ("bgt" | "ble" | "bgtu" | "bleu", _) => {
                if n != 3 {
                    return Err(count("3"));
                }
                let (a, b) = (reg_arg(self.reg(o, 0)?), reg_arg(self.reg(o, 1)?));
                let t = self.target(o, 2)?;
                let real = match m {
                    "bgt" => "blt",
                    "ble" => "bge",
                    "bgtu" => "bltu",
                    _ => "bgeu",
                };
                return branch(real, b, a, t);
            }
            ("j", 1) => {
                return Ok(vec![pending(
                    Opcode::Jal,
                    vec![(Rd, zero), (Jimm, self.target(o, 0)?)],
                )])
            }
            ("j", _) => return Err(count("1")),
            ("jal", 1) => {
                return Ok(vec![pending(
                    Opcode::Jal,
                    vec![(Rd, reg_arg(Reg::Ra)), (Jimm, self.target(o, 0)?)],
                )])
            }
            ("jr" | "jalr", 1) => {
                let rd = if m == "jr" { zero } else { reg_arg(Reg::Ra) };
                let (off, base) = match self.mem(o, 0) {
                    Some(r) => r?,
                    None => (Arg::Const(0), self.reg(o, 0)?),
                };
                return Ok(vec![pending(
                    Opcode::Jalr,
                    vec![(Rd, rd), (Rs1, reg_arg(base)), (Imm12, off)],
                )]);
            }
            ("jr", _) => return Err(count("1")),
            ("jalr", 2) if self.mem(o, 1).is_none() => {
                let (rd, rs) = two_regs(self)?;
                return alu_imm("jalr", rd, rs, 0);
            }
            ("jalr", 3) => {
                let (rd, rs) = (reg_arg(self.reg(o, 0)?), reg_arg(self.reg(o, 1)?));
                let imm = expr_arg(self.imm(o, 2, &[Reloc::Plain, Reloc::Lo, Reloc::PcrelLo])?);
                return Ok(vec![pending(
                    Opcode::Jalr,
                    vec![(Rd, rd), (Rs1, rs), (Imm12, imm)],
                )]);
            }
            ("csrr", _) => {
                if n != 2 {
                    return Err(count("2"));
                }
                let rd = reg_arg(self.reg(o, 0)?);
                return Ok(vec![pending(
                    Opcode::Csrrs,
                    vec![(Rd, rd), (Csr, self.csr(o, 1)?), (Rs1, zero)],
                )]);
            }
            ("csrw" | "csrs" | "csrc" | "csrwi" | "csrsi" | "csrci", _) => {
                if n != 2 {
                    return Err(count("2"));
                }
                let base = format!("csrr{}", m.get(3..4).unwrap_or_default());
                let c = self.csr(o, 0)?;
                if m.ends_with('i') {
                    let imm = opcode_by_name(&format!("{base}i"))
                        .ok_or((pos, "no immediate form".to_string()))?;
                    let z = expr_arg(self.imm(o, 1, &[Reloc::Plain])?);
                    return Ok(vec![pending(
                        imm,
                        vec![(Rd, zero), (Csr, c), (Operand::Zimm, z)],
                    )]);
                }
                return csr_pseudo(self, &base, zero, c, 1);
            }
            ("rdcycle" | "rdtime" | "rdinstret" | "rdcycleh" | "rdtimeh" | "rdinstreth", _) => {
                if n != 1 {
                    return Err(count("1"));
                }
                let name = m.get(2..).unwrap_or_default();
                let info = CsrInfo::by_name(name).ok_or((pos, format!("unknown CSR `{name}`")))?;
                if info.rv32_only && self.xlen != Xlen::X32 {
                    return Err((pos, format!("`{m}` is only available on RV32")));
                }
                let rd = reg_arg(self.reg(o, 0)?);
                let c = Arg::Const(i64::from(info.number));
                return Ok(vec![pending(
                    Opcode::Csrrs,
                    vec![(Rd, rd), (Csr, c), (Rs1, zero)],
                )]);
            }
            _ => {}
        }

        let wrong_count = match m {
            "nop" | "ret" | "unimp" => Some("0"),
            "fence" => Some("0 or 2"),
            "sfence.vma" => Some("0 to 2"),
            "jal" => Some("1 or 2"),
            "jalr" => Some("1 to 3"),
            _ => None,
        };
        if let Some(want) = wrong_count
            .filter(|_| !(matches!(m, "fence" | "sfence.vma" | "jal" | "jalr") && n == 2))
        {
            return Err(count(want));
        }
        let Some(opcode) = opcode_by_name(m) else {
            return Err((pos, format!("unknown instruction `{m}`")));
        };
        if !exists_in(opcode, self.xlen) {
            return Err((pos, format!("`{m}` is only available on RV64")));
        }
        let kind = opcode.kind();
        // `lw rd, symbol` and `sw rs, symbol, tmp`: PC-relative access through a temporary.
        if kind == Kind::Load && n == 2 && self.mem(o, 1).is_none() {
            let rd = self.reg(o, 0)?;
            return pair(self, rd, rd, 1, opcode);
        }
        if kind == Kind::Store && n == 3 {
            let (rs, tmp) = (self.reg(o, 0)?, self.reg(o, 2)?);
            return pair(self, rs, tmp, 1, opcode);
        }
        let syntax = kind_syntax(kind);
        if n != syntax.len() {
            return Err(count(&syntax.len().to_string()));
        }
        // `add a0, a1, 5` → `addi`; `csrrw a0, csr, 5` → `csrrwi`.
        let last = n.wrapping_sub(1);
        if matches!(kind, Kind::Alu | Kind::Csr) && self.is_immediate_like(o, last) {
            if let Some(imm_op) = immediate_form(opcode).filter(|&i| exists_in(i, self.xlen)) {
                let mut ops = Vec::new();
                let imm_syntax = kind_syntax(imm_op.kind());
                for (i, s) in imm_syntax.iter().enumerate() {
                    self.operand(o, i, s, &mut ops)?;
                }
                return Ok(vec![pending(imm_op, ops)]);
            }
        }
        let mut ops = Vec::new();
        for (i, s) in syntax.iter().enumerate() {
            self.operand(o, i, s, &mut ops)?;
        }
        Ok(vec![pending(opcode, ops)])
    }

    /// `li rd, constant`: the exact sequence GNU `as` chooses.
    fn li(&self, o: &Ops<'_>, pos: usize) -> Result<Vec<InstItem>, E> {
        if o.args.len() != 2 {
            return Err((
                pos,
                format!("`li` expects 2 operands, got {}", o.args.len()),
            ));
        }
        let rd = self.reg(o, 0)?;
        let (e, _, p) = self.imm(o, 1, &[Reloc::Plain])?;
        let env = SymEnv {
            asm: self,
            dot: self.dot(),
            bases: None,
        };
        let value = match e.eval(&env, 0) {
            Ok(Value::Abs(v)) => v,
            Ok(Value::Rel(..)) => {
                return Err((p, "`li` needs a constant, not an address (use `la`)".into()))
            }
            Err(EvalError::Undefined(name, sp)) => {
                let shown = crate::expr::display_name(&name);
                return Err((
                    sp,
                    format!(
                        "`li` needs a constant: symbol {shown} is not defined before this line"
                    ),
                ));
            }
            Err(EvalError::Other(m)) => return Err((p, m)),
        };
        let seq: Vec<Inst> = crate::li::li_sequence(rd, value, self.xlen);
        Ok(seq.into_iter().map(InstItem::Fixed).collect())
    }
}
