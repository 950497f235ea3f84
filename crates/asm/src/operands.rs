//! Operand syntax: registers, immediates with relocation functions, memory operands
//! `offset(reg)`, branch targets, CSR names and fence sets.

use crate::encode::{Arg, Reloc};
use crate::expr::{describe, Expr, Parser};
use crate::lexer::{Tok, Token};
use crate::parse::Assembler;
use atlas_isa::{AliasOperand, CsrInfo, Operand, Reg};

/// An error: byte position and message.
pub(crate) type E = (usize, String);

/// Operands of one statement.
pub(crate) struct Ops<'a> {
    /// The operands' tokens, split at top-level commas.
    pub args: Vec<&'a [Token]>,
    /// Position for errors about missing things.
    pub end: usize,
    /// Where each operand ends: the comma after it, or the end of the statement (so an
    /// empty operand's error points at its comma).
    pub ends: Vec<usize>,
}

impl Ops<'_> {
    /// Where operand `i` ends (for errors about it being empty or missing).
    pub fn end_of(&self, i: usize) -> usize {
        self.ends.get(i).copied().unwrap_or(self.end)
    }
}

/// A register operand value.
pub(crate) fn reg_arg(r: Reg) -> Arg {
    Arg::Const(i64::from(r.num()))
}

/// An expression operand value with its relocation function and position.
pub(crate) fn expr_arg(e: (Expr, Reloc, usize)) -> Arg {
    Arg::Expr {
        expr: e.0,
        pos: e.2,
        reloc: e.1,
    }
}

impl Assembler {
    /// Parses operand `i` as the syntax element `s` of a real instruction.
    pub(crate) fn operand(
        &self,
        o: &Ops<'_>,
        i: usize,
        s: &AliasOperand,
        out: &mut Vec<(Operand, Arg)>,
    ) -> Result<(), E> {
        let low = [Reloc::Plain, Reloc::Lo, Reloc::PcrelLo];
        match *s {
            AliasOperand::Plain(op) => {
                let arg = match op {
                    Operand::Rd | Operand::Rs1 | Operand::Rs2 => reg_arg(self.reg(o, i)?),
                    Operand::Bimm | Operand::Jimm => self.target(o, i)?,
                    Operand::Csr => self.csr(o, i)?,
                    Operand::Pred | Operand::Succ => self.fence_set(o, i)?,
                    Operand::Uimm20 => {
                        expr_arg(self.imm(o, i, &[Reloc::Plain, Reloc::Hi, Reloc::PcrelHi])?)
                    }
                    Operand::Imm12 | Operand::Simm12 => expr_arg(self.imm(o, i, &low)?),
                    _ => expr_arg(self.imm(o, i, &[Reloc::Plain])?),
                };
                out.push((op, arg));
            }
            AliasOperand::Memory(imm, base) => {
                let Some(r) = self.mem(o, i) else {
                    return Err((
                        self.arg_pos(o, i),
                        "expected a memory operand `offset(register)`".into(),
                    ));
                };
                let (off, b) = r?;
                out.push((base, reg_arg(b)));
                out.push((imm, off));
            }
        }
        Ok(())
    }

    pub(crate) fn arg_pos(&self, o: &Ops<'_>, i: usize) -> usize {
        o.args
            .get(i)
            .and_then(|a| a.first())
            .map_or(o.end, |t| t.pos)
    }

    pub(crate) fn arg<'a>(&self, o: &Ops<'a>, i: usize) -> Result<&'a [Token], E> {
        match o.args.get(i) {
            Some(a) if !a.is_empty() => Ok(a),
            _ => Err((o.end_of(i), "missing operand".into())),
        }
    }

    pub(crate) fn is_reg_like(&self, o: &Ops<'_>, i: usize) -> bool {
        matches!(o.args.get(i), Some([Token { tok: Tok::Ident(s), .. }]) if Reg::parse(s).is_some())
    }

    /// Whether operand `i` can only be an immediate: not a register, and not a lone name
    /// that is no known symbol (most likely a misspelt register).
    pub(crate) fn is_immediate_like(&self, o: &Ops<'_>, i: usize) -> bool {
        match o.args.get(i) {
            Some(
                [Token {
                    tok: Tok::Ident(s), ..
                }],
            ) => {
                Reg::parse(s).is_none()
                    && (self.symbols.contains_key(s.as_str()) || CsrInfo::by_name(s).is_some())
            }
            Some(_) => true,
            None => false,
        }
    }

    pub(crate) fn reg(&self, o: &Ops<'_>, i: usize) -> Result<Reg, E> {
        match self.arg(o, i)? {
            [Token {
                tok: Tok::Ident(s),
                pos,
                ..
            }] => Reg::parse(s).ok_or((*pos, format!("invalid register `{s}`"))),
            [t, ..] => Err((
                t.pos,
                format!("expected a register, found {}", describe(&t.tok)),
            )),
            [] => Err((o.end, "missing operand".into())),
        }
    }

    pub(crate) fn expr(&self, toks: &[Token], end: usize) -> Result<Expr, E> {
        let local = |n: u32, f: bool| self.local_name(n, f);
        Parser::new(toks, end, &local)
            .parse_all()
            .map_err(|(m, p)| (p, m))
    }

    /// An immediate, possibly wrapped in one of the relocation functions `allowed`.
    pub(crate) fn imm(
        &self,
        o: &Ops<'_>,
        i: usize,
        allowed: &[Reloc],
    ) -> Result<(Expr, Reloc, usize), E> {
        let a = self.arg(o, i)?;
        self.imm_toks(a, o.end, allowed)
    }

    pub(crate) fn imm_toks(
        &self,
        a: &[Token],
        end: usize,
        allowed: &[Reloc],
    ) -> Result<(Expr, Reloc, usize), E> {
        let pos = a.first().map_or(end, |t| t.pos);
        if let [Token {
            tok: Tok::Punct("%"),
            ..
        }, Token {
            tok: Tok::Ident(f),
            pos: fpos,
            ..
        }, rest @ ..] = a
        {
            let reloc = match f.as_str() {
                "hi" => Reloc::Hi,
                "lo" => Reloc::Lo,
                "pcrel_hi" => Reloc::PcrelHi,
                "pcrel_lo" => Reloc::PcrelLo,
                _ => return Err((*fpos, format!("unknown relocation function `%{f}`"))),
            };
            if !allowed.contains(&reloc) {
                return Err((pos, format!("`%{f}` cannot be used in this operand")));
            }
            let inner = match rest {
                [Token {
                    tok: Tok::Punct("("),
                    ..
                }, inner @ .., Token {
                    tok: Tok::Punct(")"),
                    ..
                }] => inner,
                _ => return Err((*fpos, format!("expected `%{f}(expression)`"))),
            };
            return Ok((self.expr(inner, end)?, reloc, pos));
        }
        if let [Token {
            tok: Tok::Ident(s),
            pos,
            ..
        }] = a
        {
            if Reg::parse(s).is_some() {
                return Err((*pos, format!("expected an immediate, found register `{s}`")));
            }
        }
        Ok((self.expr(a, end)?, Reloc::Plain, pos))
    }

    /// `offset(reg)`, `(reg)` or `%lo(x)(reg)`; `None` if operand `i` is not of that form.
    pub(crate) fn mem(&self, o: &Ops<'_>, i: usize) -> Option<Result<(Arg, Reg), E>> {
        let a = o.args.get(i)?;
        let (last, before) = a.split_last()?;
        let depth: i32 = a
            .iter()
            .map(|t| match t.tok {
                Tok::Punct("(") => 1,
                Tok::Punct(")") => -1,
                _ => 0,
            })
            .sum();
        if depth > 0 {
            return Some(Err((last.end, "missing `)`".into())));
        }
        if last.tok != Tok::Punct(")") {
            return None;
        }
        let [prefix @ .., Token {
            tok: Tok::Punct("("),
            ..
        }, Token {
            tok: Tok::Ident(r),
            pos,
            ..
        }] = before
        else {
            return None;
        };
        let Some(base) = Reg::parse(r) else {
            // `(sym)` alone is an expression; `off(sym)` names a bad register.
            if prefix.is_empty() {
                return None;
            }
            return Some(Err((*pos, format!("invalid register `{r}`"))));
        };
        if prefix.is_empty() {
            return Some(Ok((Arg::Const(0), base)));
        }
        Some(
            self.imm_toks(prefix, o.end, &[Reloc::Plain, Reloc::Lo, Reloc::PcrelLo])
                .map(|e| (expr_arg(e), base)),
        )
    }

    pub(crate) fn target(&self, o: &Ops<'_>, i: usize) -> Result<Arg, E> {
        let (e, _, pos) = self.imm(o, i, &[Reloc::Plain])?;
        Ok(Arg::Expr {
            expr: e,
            pos,
            reloc: Reloc::Target,
        })
    }

    pub(crate) fn csr(&self, o: &Ops<'_>, i: usize) -> Result<Arg, E> {
        let a = self.arg(o, i)?;
        if let [Token {
            tok: Tok::Ident(s),
            pos,
            ..
        }] = a
        {
            if let Some(c) = CsrInfo::by_name(s) {
                return Ok(Arg::Const(i64::from(c.number)));
            }
            if !self.symbols.contains_key(s.as_str()) {
                return Err((*pos, format!("unknown CSR `{s}`")));
            }
        }
        Ok(expr_arg(self.imm_toks(a, o.end, &[Reloc::Plain])?))
    }

    pub(crate) fn fence_set(&self, o: &Ops<'_>, i: usize) -> Result<Arg, E> {
        match self.arg(o, i)? {
            [Token {
                tok: Tok::Num(v @ 0..=15),
                ..
            }] => Ok(Arg::Const(*v)),
            [Token {
                tok: Tok::Ident(s),
                pos,
                ..
            }] => {
                let mut bits = 0;
                let mut last = 0;
                for c in s.chars() {
                    let bit = match c {
                        'i' => 8,
                        'o' => 4,
                        'r' => 2,
                        'w' => 1,
                        _ => 0,
                    };
                    if bit == 0 || (last != 0 && bit >= last) {
                        return Err((
                            *pos,
                            format!("invalid fence set `{s}` (a subset of `iorw`, in that order)"),
                        ));
                    }
                    bits |= bit;
                    last = bit;
                }
                Ok(Arg::Const(bits))
            }
            [t, ..] => Err((
                t.pos,
                "invalid fence set (a subset of `iorw`, in that order)".into(),
            )),
            [] => Err((o.end, "missing operand".into())),
        }
    }
}
