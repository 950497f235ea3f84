//! Expressions: parsing with GNU `as` operator precedence, and evaluation to absolute or
//! section-relative values.
//!
//! GNU `as` ranks binary operators differently from C: `* / % << >>` bind tightest, then
//! `| & ^`, then `+ -`, then the comparisons, then `&&`, then `||`. So `1 + 2 & 3` is
//! `1 + (2 & 3)`.
//! Arithmetic wraps at 64 bits.

use crate::lexer::{Tok, Token};

/// An expression tree. Symbols keep the byte offset where they were written for errors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    /// A literal.
    Num(i64),
    /// A symbol (numeric local labels already renamed to their unique names).
    Sym(String, usize),
    /// `.`: the location of the statement.
    Dot,
    /// `-x`, `~x`, `!x`.
    Unary(&'static str, Box<Expr>),
    /// `a op b`.
    Binary(&'static str, Box<Expr>, Box<Expr>),
}

/// A value: a plain number, or an offset into a section not yet placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    /// A number.
    Abs(i64),
    /// `offset` bytes into section number `.0`.
    Rel(usize, i64),
}

/// Why an expression has no value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvalError {
    /// A symbol not (yet) defined, with where it was written.
    Undefined(String, usize),
    /// Any other problem (division by zero, non-absolute arithmetic, recursion).
    Other(String),
}

/// What evaluation needs from the assembler: symbol values and `.`.
pub trait Env {
    /// The value of `name`, evaluated at `depth` of symbol-to-symbol references.
    fn symbol(&self, name: &str, pos: usize, depth: u32) -> Result<Value, EvalError>;
    /// The location `.` stands for.
    fn dot(&self) -> Value;
}

/// Deepest evaluation (tree levels plus `.equ` symbols referring to each other); deeper is
/// reported as a cycle.
pub const MAX_DEPTH: u32 = 1000;

/// Longest expression, in tokens.
pub const MAX_TOKENS: usize = 400;

/// Displays a symbol name as the user wrote it (numeric local labels are renamed inside).
pub fn display_name(name: &str) -> String {
    match name.split_once('\u{2}') {
        Some((n, _)) => format!("local label `{n}`"),
        None => format!("`{name}`"),
    }
}

impl Expr {
    /// Evaluates the expression in `env`.
    pub fn eval(&self, env: &dyn Env, depth: u32) -> Result<Value, EvalError> {
        if depth > MAX_DEPTH {
            return Err(EvalError::Other(
                "symbols defined in terms of each other in a cycle (or nested too deeply)".into(),
            ));
        }
        match self {
            Expr::Num(v) => Ok(Value::Abs(*v)),
            Expr::Sym(name, pos) => env.symbol(name, *pos, depth + 1),
            Expr::Dot => Ok(env.dot()),
            Expr::Unary(op, e) => match e.eval(env, depth + 1)? {
                Value::Abs(v) => Ok(Value::Abs(match *op {
                    "-" => v.wrapping_neg(),
                    "~" => !v,
                    _ => i64::from(v == 0),
                })),
                Value::Rel(..) => Err(not_absolute(op)),
            },
            Expr::Binary(op, a, b) => {
                let (a, b) = (a.eval(env, depth + 1)?, b.eval(env, depth + 1)?);
                binary(op, a, b)
            }
        }
    }
}

fn not_absolute(op: &str) -> EvalError {
    EvalError::Other(format!(
        "operator `{op}` needs absolute operands, not addresses"
    ))
}

fn binary(op: &str, a: Value, b: Value) -> Result<Value, EvalError> {
    use Value::{Abs, Rel};
    match (op, a, b) {
        ("+", Rel(s, x), Abs(y)) | ("+", Abs(y), Rel(s, x)) => Ok(Rel(s, x.wrapping_add(y))),
        ("-", Rel(s, x), Abs(y)) => Ok(Rel(s, x.wrapping_sub(y))),
        ("-", Rel(s, x), Rel(t, y)) if s == t => Ok(Abs(x.wrapping_sub(y))),
        ("-", Rel(..), Rel(..)) => Err(EvalError::Other(
            "cannot subtract addresses in different sections".into(),
        )),
        (_, Abs(x), Abs(y)) => {
            let v = match op {
                "+" => x.wrapping_add(y),
                "-" => x.wrapping_sub(y),
                "*" => x.wrapping_mul(y),
                "/" | "%" => {
                    if y == 0 {
                        return Err(EvalError::Other("division by zero".into()));
                    }
                    if op == "/" {
                        x.wrapping_div(y)
                    } else {
                        x.wrapping_rem(y)
                    }
                }
                "<<" => {
                    if (0..64).contains(&y) {
                        x.wrapping_shl(y as u32)
                    } else {
                        0
                    }
                }
                ">>" => {
                    if (0..64).contains(&y) {
                        x.wrapping_shr(y as u32)
                    } else {
                        x >> 63
                    }
                }
                "&" => x & y,
                "|" => x | y,
                "^" => x ^ y,
                // Comparisons give -1 for true, as in GNU `as`; `&&`/`||` give 1.
                "==" => -i64::from(x == y),
                "!=" | "<>" => -i64::from(x != y),
                "<" => -i64::from(x < y),
                ">" => -i64::from(x > y),
                "<=" => -i64::from(x <= y),
                ">=" => -i64::from(x >= y),
                "&&" => i64::from(x != 0 && y != 0),
                _ => i64::from(x != 0 || y != 0),
            };
            Ok(Abs(v))
        }
        _ => Err(not_absolute(op)),
    }
}

/// A parse error: message and byte offset.
pub type ParseError = (String, usize);

/// Parses token slices into expressions. Numeric local label references are renamed by
/// the `local` callback (number, forward) to the unique name of the label they mean.
pub struct Parser<'t, 'f> {
    toks: &'t [Token],
    i: usize,
    end_pos: usize,
    local: &'f dyn Fn(u32, bool) -> String,
}

fn precedence(op: &str) -> Option<u8> {
    match op {
        "*" | "/" | "%" | "<<" | ">>" => Some(6),
        "|" | "&" | "^" => Some(5),
        "+" | "-" => Some(4),
        "==" | "!=" | "<>" | "<" | ">" | "<=" | ">=" => Some(3),
        "&&" => Some(2),
        "||" => Some(1),
        _ => None,
    }
}

impl<'t, 'f> Parser<'t, 'f> {
    /// A parser over `toks`; `end_pos` is the offset reported for "expected more".
    pub fn new(toks: &'t [Token], end_pos: usize, local: &'f dyn Fn(u32, bool) -> String) -> Self {
        Parser {
            toks,
            i: 0,
            end_pos,
            local,
        }
    }

    /// Parses the whole slice as one expression.
    pub fn parse_all(mut self) -> Result<Expr, ParseError> {
        // Bounding the length bounds the tree's depth, so evaluation and drop cannot
        // exhaust the stack.
        if self.toks.len() > MAX_TOKENS {
            return Err(("expression too long".into(), self.pos()));
        }
        let e = self.expr(0)?;
        match self.toks.get(self.i) {
            None => Ok(e),
            Some(t) => Err((
                format!("unexpected {} in expression", describe(&t.tok)),
                t.pos,
            )),
        }
    }

    fn pos(&self) -> usize {
        self.toks.get(self.i).map_or(self.end_pos, |t| t.pos)
    }

    fn expr(&mut self, min_prec: u8) -> Result<Expr, ParseError> {
        let mut lhs = self.unary()?;
        while let Some(Token {
            tok: Tok::Punct(op),
            ..
        }) = self.toks.get(self.i)
        {
            let Some(prec) = precedence(op) else { break };
            if prec < min_prec {
                break;
            }
            self.i += 1;
            let rhs = self.expr(prec + 1)?;
            lhs = Expr::Binary(op, Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        let Some(t) = self.toks.get(self.i) else {
            return Err(("expected an expression".into(), self.end_pos));
        };
        self.i += 1;
        match &t.tok {
            Tok::Num(v) => Ok(Expr::Num(*v)),
            Tok::Ident(s) if s == "." => Ok(Expr::Dot),
            Tok::Ident(s) => Ok(Expr::Sym(s.clone(), t.pos)),
            Tok::LocalRef(n, fwd) => Ok(Expr::Sym((self.local)(*n, *fwd), t.pos)),
            Tok::Punct(op @ ("-" | "~" | "!")) => Ok(Expr::Unary(op, Box::new(self.unary()?))),
            Tok::Punct("+") => self.unary(),
            Tok::Punct("(") => {
                let e = self.expr(0)?;
                match self.toks.get(self.i) {
                    Some(Token {
                        tok: Tok::Punct(")"),
                        ..
                    }) => {
                        self.i += 1;
                        Ok(e)
                    }
                    _ => Err(("missing `)`".into(), self.pos())),
                }
            }
            other => Err((
                format!("expected an expression, found {}", describe(other)),
                t.pos,
            )),
        }
    }
}

/// Names a token in an error message.
pub fn describe(t: &Tok) -> String {
    match t {
        Tok::Ident(s) => format!("`{s}`"),
        Tok::Num(v) => format!("number {v}"),
        Tok::Str(_) => "string".into(),
        Tok::LocalRef(n, f) => format!("`{n}{}`", if *f { 'f' } else { 'b' }),
        Tok::Punct(p) => format!("`{p}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::tokenize;

    struct NoSyms;
    impl Env for NoSyms {
        fn symbol(&self, name: &str, pos: usize, _: u32) -> Result<Value, EvalError> {
            match name {
                "a" => Ok(Value::Rel(0, 16)),
                "b" => Ok(Value::Rel(0, 4)),
                "c" => Ok(Value::Rel(1, 0)),
                _ => Err(EvalError::Undefined(name.into(), pos)),
            }
        }
        fn dot(&self) -> Value {
            Value::Rel(0, 100)
        }
    }

    fn eval(s: &str) -> Result<Value, EvalError> {
        let toks = tokenize(s).map_err(|e| EvalError::Other(e.0))?;
        let local = |n: u32, f: bool| format!("{n}{f}");
        let e = Parser::new(&toks, s.len(), &local)
            .parse_all()
            .map_err(|e| EvalError::Other(e.0))?;
        e.eval(&NoSyms, 0)
    }

    #[test]
    fn gnu_precedence() {
        assert_eq!(eval("1 + 2 * 3"), Ok(Value::Abs(7)));
        assert_eq!(eval("2 + 4 | 1"), Ok(Value::Abs(7)));
        assert_eq!(eval("1 << 4 + 1"), Ok(Value::Abs(17)));
        assert_eq!(eval("(1 + 2) * 3"), Ok(Value::Abs(9)));
        assert_eq!(eval("10 - 3 - 2"), Ok(Value::Abs(5)));
        assert_eq!(eval("(10 - 3 - 2) * 2"), Ok(Value::Abs(10)));
        assert_eq!(eval("(1 + 2 * 3) * 2"), Ok(Value::Abs(14)));
        assert_eq!(eval("-~0"), Ok(Value::Abs(1)));
        assert_eq!(eval("!5 + !0"), Ok(Value::Abs(1)));
        assert_eq!(eval("-7 / 2"), Ok(Value::Abs(-3)));
        assert_eq!(eval("-7 % 2"), Ok(Value::Abs(-1)));
        assert_eq!(eval("0x80 >> 4 ^ 1"), Ok(Value::Abs(9)));
        assert_eq!(eval("'a' + 1"), Ok(Value::Abs(98)));
        assert_eq!(eval("1 + 1 == 2"), Ok(Value::Abs(-1)));
        assert_eq!(eval("3 < 2 || 2 >= 2"), Ok(Value::Abs(1)));
        assert_eq!(eval("1 <> 1 && 1"), Ok(Value::Abs(0)));
        // Comparisons bind looser than `+ -` (GNU's op_rank), checked with GNU as.
        assert_eq!(eval("1 <= 2 - 5"), Ok(Value::Abs(0)));
        assert_eq!(eval("0 || 1 && 0"), Ok(Value::Abs(0)));
    }

    #[test]
    fn relocatable_arithmetic() {
        assert_eq!(eval("a - b"), Ok(Value::Abs(12)));
        assert_eq!(eval("a + 4"), Ok(Value::Rel(0, 20)));
        assert_eq!(eval("4 + a - 8"), Ok(Value::Rel(0, 12)));
        assert_eq!(eval(". - a"), Ok(Value::Abs(84)));
        assert_eq!(
            eval("a - c"),
            Err(EvalError::Other(
                "cannot subtract addresses in different sections".into()
            ))
        );
        assert_eq!(
            eval("a * 2"),
            Err(EvalError::Other(
                "operator `*` needs absolute operands, not addresses".into()
            ))
        );
        assert_eq!(eval("x + 1"), Err(EvalError::Undefined("x".into(), 0)));
    }

    #[test]
    fn errors() {
        assert_eq!(
            eval("1 / 0"),
            Err(EvalError::Other("division by zero".into()))
        );
        assert_eq!(eval("(1"), Err(EvalError::Other("missing `)`".into())));
        assert_eq!(
            eval("1 +"),
            Err(EvalError::Other("expected an expression".into()))
        );
        assert_eq!(
            eval("1 2"),
            Err(EvalError::Other("unexpected number 2 in expression".into()))
        );
        assert_eq!(
            eval(&"(".repeat(5000)),
            Err(EvalError::Other("expression too long".into()))
        );
        assert_eq!(
            eval(&"-".repeat(5000)),
            Err(EvalError::Other("expression too long".into()))
        );
        assert_eq!(eval(&format!("{}1", "-".repeat(399))), Ok(Value::Abs(-1)));
    }
}
