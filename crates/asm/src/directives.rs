//! Assembler directives (`.text`, `.word`, `.align`, `.equ`, `.option` …), as GNU `as`
//! interprets them for RISC-V.

use crate::lexer::{Tok, Token};
use crate::macros::split_commas;
use crate::parse::{Assembler, Ctx, ItemKind, SecKind, Section};
use atlas_isa::Xlen;

/// Largest alignment accepted (GNU accepts more, but nothing useful needs it).
const MAX_ALIGN_LOG2: i64 = 16;

/// The output section a section name belongs to, as GNU ld's default script groups them.
fn section_kind(name: &str) -> Option<SecKind> {
    let matches =
        |base: &str| name == base || name.strip_prefix(base).is_some_and(|r| r.starts_with('.'));
    // GCC's small-data sections join their big siblings (GNU ld keeps them apart, next to
    // them); notes, comments and debug information are assembled but not loaded.
    if matches(".text") {
        Some(SecKind::Text)
    } else if matches(".rodata") || matches(".srodata") {
        Some(SecKind::Rodata)
    } else if matches(".data") || matches(".sdata") {
        Some(SecKind::Data)
    } else if matches(".bss") || matches(".sbss") {
        Some(SecKind::Bss)
    } else if name.starts_with(".note") || name.starts_with(".debug") || matches(".comment") {
        Some(SecKind::Unloaded)
    } else {
        None
    }
}

fn data_size(name: &str) -> Option<u8> {
    Some(match name {
        ".byte" => 1,
        ".half" | ".short" | ".2byte" => 2,
        ".word" | ".long" | ".4byte" => 4,
        ".dword" | ".quad" | ".8byte" => 8,
        _ => return None,
    })
}

impl Assembler {
    /// Handles directive `name` (lower case) written at byte `pos`.
    pub(crate) fn directive(&mut self, name: &str, pos: usize, ctx: Ctx<'_>) {
        let rest = ctx.toks.get(1..).unwrap_or_default();
        let args = split_commas(rest);
        if let Some(size) = data_size(name) {
            return self.data(size, &args, ctx, pos);
        }
        match name {
            ".text" | ".data" | ".rodata" | ".bss" => self.switch_section(name, ctx, pos),
            ".pushsection" => match rest.first() {
                Some(Token {
                    tok: Tok::Ident(s),
                    pos: p,
                    ..
                }) => {
                    let s = s.clone();
                    self.section_stack.push(self.cur);
                    self.switch_section(&s, ctx, *p)
                }
                _ => self.error(ctx.loc, ctx.end, "`.pushsection` needs a section name"),
            },
            ".popsection" => match self.section_stack.pop() {
                Some(sec) => (self.previous, self.cur) = (self.cur, sec),
                None => self.error(ctx.loc, pos, "`.popsection` without `.pushsection`"),
            },
            ".previous" => (self.previous, self.cur) = (self.cur, self.previous),
            ".org" => self.org(&args, ctx, pos),
            ".section" => match rest.first() {
                Some(Token {
                    tok: Tok::Ident(s),
                    pos: p,
                    ..
                }) => {
                    let s = s.clone();
                    self.switch_section(&s, ctx, *p)
                }
                Some(Token {
                    tok: Tok::Str(s),
                    pos: p,
                    ..
                }) => {
                    let s = String::from_utf8_lossy(s).into_owned();
                    self.switch_section(&s, ctx, *p)
                }
                _ => self.error(ctx.loc, ctx.end, "`.section` needs a section name"),
            },
            ".globl" | ".global" | ".local" | ".hidden" | ".weak" => {
                for a in &args {
                    match a {
                        [Token {
                            tok: Tok::Ident(s), ..
                        }] => {
                            let s = s.clone();
                            self.declare(&s, name.starts_with(".gl") || name == ".weak", false);
                        }
                        _ => self.expected(ctx, a, "a symbol name"),
                    }
                }
            }
            ".ascii" | ".asciz" | ".string" => {
                if args.is_empty() {
                    return self.error(ctx.loc, ctx.end, format!("`{name}` needs a string"));
                }
                for a in &args {
                    match a {
                        [Token {
                            tok: Tok::Str(s),
                            pos: p,
                            ..
                        }] => {
                            let mut bytes = s.clone();
                            if name != ".ascii" {
                                bytes.push(0);
                            }
                            let len = bytes.len() as u64;
                            self.emit(ctx, *p, ItemKind::Bytes(bytes), len);
                        }
                        _ => self.expected(ctx, a, "a string"),
                    }
                }
            }
            ".space" | ".zero" | ".skip" => self.space(name, &args, ctx, pos),
            ".align" | ".p2align" | ".balign" => self.align_directive(name, &args, ctx, pos),
            ".equ" | ".set" | ".eqv" => match args.as_slice() {
                [[Token {
                    tok: Tok::Ident(sym),
                    pos: p,
                    ..
                }], value] => {
                    let sym = sym.clone();
                    self.define_equ(&sym, value, ctx, *p, name != ".eqv");
                }
                _ => self.error(
                    ctx.loc,
                    pos,
                    format!("`{name}` expects `symbol, expression`"),
                ),
            },
            ".include" => match args.as_slice() {
                [[Token {
                    tok: Tok::Str(s),
                    pos: p,
                    ..
                }]] => {
                    let s = String::from_utf8_lossy(s).into_owned();
                    self.include(&s, ctx, *p);
                }
                _ => self.error(ctx.loc, pos, "`.include` expects a file name in quotes"),
            },
            ".macro" => self.start_macro(ctx, pos, rest),
            ".endm" | ".endmacro" => self.error(ctx.loc, pos, "`.endm` without `.macro`"),
            ".rept" => match args.as_slice() {
                [n] => {
                    if let Some(count) = self.const_arg(n, ctx, "repeat count") {
                        // GNU treats a negative count as zero.
                        self.start_rept(ctx, pos, count.max(0) as u64);
                    }
                }
                _ => self.error(ctx.loc, pos, "`.rept` expects a count"),
            },
            ".endr" => self.error(ctx.loc, pos, "`.endr` without `.rept`"),
            ".if" | ".ifeq" | ".ifne" => match args.as_slice() {
                [e] => {
                    let v = self.const_arg(e, ctx, "condition").unwrap_or(0);
                    self.begin_if((v != 0) == (name != ".ifeq"), ctx.loc, pos);
                }
                _ => self.error(ctx.loc, pos, format!("`{name}` expects one expression")),
            },
            ".ifdef" | ".ifndef" => match args.as_slice() {
                [[Token {
                    tok: Tok::Ident(sym),
                    ..
                }]] => {
                    let defined = self
                        .symbols
                        .get(sym.as_str())
                        .is_some_and(|s| s.def.is_some());
                    self.begin_if(defined == (name == ".ifdef"), ctx.loc, pos);
                }
                _ => self.error(ctx.loc, pos, format!("`{name}` expects a symbol name")),
            },
            ".else" => self.else_branch(ctx.loc, pos),
            ".endif" => self.end_if(ctx.loc, pos),
            ".fill" => self.fill(&args, ctx, pos),
            ".option" => self.option(rest, ctx, pos),
            ".attribute" => self.attribute(&args, ctx, pos),
            ".type" => match args.as_slice() {
                [[Token {
                    tok: Tok::Ident(sym),
                    ..
                }], kind] => {
                    let is_func = kind.iter().any(|t| match &t.tok {
                        Tok::Ident(k) => k.contains("function") || k == "STT_FUNC",
                        Tok::Str(k) => k == b"function",
                        _ => false,
                    });
                    let sym = sym.clone();
                    self.declare(&sym, false, is_func);
                }
                _ => self.error(
                    ctx.loc,
                    pos,
                    "`.type` expects `symbol, @function` or `symbol, @object`",
                ),
            },
            ".size" => match args.as_slice() {
                [[Token {
                    tok: Tok::Ident(sym),
                    ..
                }], value] => {
                    let sym = sym.clone();
                    if let Some(e) = self.parse_expr(value, ctx) {
                        let dot = self.dot();
                        self.declare(&sym, false, false);
                        if let Some(s) = self.symbols.get_mut(&sym) {
                            s.size = Some((e, dot));
                        }
                    }
                }
                _ => self.error(ctx.loc, pos, "`.size` expects `symbol, expression`"),
            },
            // Accepted and ignored: file names, identification, and the call-frame and line
            // information GCC's output carries.
            ".file" | ".ident" | ".end" | ".loc" | ".addrsig" | ".addrsig_sym" => {}
            _ if name.starts_with(".cfi_") => {}
            _ => self.error(ctx.loc, pos, format!("unknown directive `{name}`")),
        }
    }

    fn expected(&mut self, ctx: Ctx<'_>, toks: &[Token], what: &str) {
        let at = toks.first().map_or(ctx.end, |t| t.pos);
        self.error(ctx.loc, at, format!("expected {what}"));
    }

    fn switch_section(&mut self, name: &str, ctx: Ctx<'_>, pos: usize) {
        let Some(kind) = section_kind(name) else {
            let msg = format!("unsupported section `{name}` (use .text, .rodata, .data, .bss or their `.name.*` subsections)");
            return self.error(ctx.loc, pos, msg);
        };
        self.previous = self.cur;
        self.cur = match self.sections.iter().position(|s| s.name == name) {
            Some(i) => i,
            None => {
                // Only GNU's initial `.text` starts 4-aligned; new sections start at 1.
                self.sections.push(Section {
                    name: name.to_string(),
                    kind,
                    size: 0,
                    align: 1,
                });
                self.sections.len() - 1
            }
        };
    }

    fn data(&mut self, size: u8, args: &[&[Token]], ctx: Ctx<'_>, pos: usize) {
        if args.is_empty() {
            return self.error(ctx.loc, pos, "data directive needs at least one value");
        }
        for a in args {
            let at = a.first().map_or(ctx.end, |t| t.pos);
            if let Some(expr) = self.parse_expr(a, ctx) {
                self.emit(
                    ctx,
                    at,
                    ItemKind::Data {
                        size,
                        expr,
                        pos: at,
                    },
                    u64::from(size),
                );
            }
        }
    }

    /// A constant operand of a directive, evaluated now.
    fn const_arg(&mut self, toks: &[Token], ctx: Ctx<'_>, what: &str) -> Option<i64> {
        let at = toks.first().map_or(ctx.end, |t| t.pos);
        let e = self.parse_expr(toks, ctx)?;
        self.eval_now(&e, ctx, at, what)
    }

    fn space(&mut self, name: &str, args: &[&[Token]], ctx: Ctx<'_>, pos: usize) {
        let (count, fill) = match args {
            [n] => (self.const_arg(n, ctx, "size"), Some(0)),
            [n, f] => (
                self.const_arg(n, ctx, "size"),
                self.const_arg(f, ctx, "fill value"),
            ),
            _ => return self.error(ctx.loc, pos, format!("`{name}` expects `size[, fill]`")),
        };
        let (Some(count), Some(fill)) = (count, fill) else {
            return;
        };
        if count < 0 {
            return self.error(ctx.loc, pos, format!("`{name}` size {count} is negative"));
        }
        self.emit(
            ctx,
            pos,
            ItemKind::Fill {
                len: count as u64,
                byte: fill as u8,
            },
            count as u64,
        );
    }

    /// `.fill repeat[, size[, value]]`: `repeat` copies of `value` in `size` bytes (at
    /// most 8; as in GNU `as`, bytes above the fourth are zero).
    fn fill(&mut self, args: &[&[Token]], ctx: Ctx<'_>, pos: usize) {
        let (Some(first), true) = (args.first(), args.len() <= 3) else {
            return self.error(ctx.loc, pos, "`.fill` expects `repeat[, size[, value]]`");
        };
        let repeat = self.const_arg(first, ctx, "repeat count");
        let size = match args.get(1) {
            Some(s) => self.const_arg(s, ctx, "size"),
            None => Some(1),
        };
        let value = match args.get(2) {
            Some(v) => self.const_arg(v, ctx, "fill value"),
            None => Some(0),
        };
        let (Some(repeat), Some(size), Some(value)) = (repeat, size, value) else {
            return;
        };
        let size = size.clamp(0, 8) as u64;
        let len = (repeat.max(0) as u64).saturating_mul(size);
        if len > crate::parse::MAX_SECTION_BYTES {
            return self.error(ctx.loc, pos, "`.fill` too large");
        }
        let unit: Vec<u8> = (value as u32 as u64)
            .to_le_bytes()
            .into_iter()
            .take(size as usize)
            .collect();
        let bytes = unit.repeat(repeat.max(0) as usize);
        let kind = if bytes.iter().all(|&b| b == 0) {
            ItemKind::Fill { len, byte: 0 }
        } else {
            ItemKind::Bytes(bytes)
        };
        self.emit(ctx, pos, kind, len);
    }

    /// `.org offset[, fill]`: pads the section up to `offset` (from its start, or a label
    /// of the same section).
    pub(crate) fn org(&mut self, args: &[&[Token]], ctx: Ctx<'_>, pos: usize) {
        let (Some(first), true) = (args.first(), args.len() <= 2) else {
            return self.error(ctx.loc, pos, "`.org` expects `offset[, fill]`");
        };
        let at = first.first().map_or(pos, |t| t.pos);
        let Some(expr) = self.parse_expr(first, ctx) else {
            return;
        };
        let env = crate::parse::SymEnv {
            asm: self,
            dot: self.dot(),
            bases: None,
        };
        let target = match expr.eval(&env, 0) {
            Ok(crate::expr::Value::Abs(v)) => v,
            Ok(crate::expr::Value::Rel(sec, off)) if sec == self.cur => off,
            Ok(crate::expr::Value::Rel(..)) => {
                return self.error(ctx.loc, at, "`.org` needs an offset in the current section")
            }
            Err(_) => return self.error(ctx.loc, at, "`.org` needs an offset known at this point"),
        };
        let fill = match args.get(1) {
            Some(f) => match self.const_arg(f, ctx, "fill value") {
                Some(v) => v as u8,
                None => return,
            },
            None => 0,
        };
        let size = self.section().size;
        match u64::try_from(target) {
            Ok(t) if t >= size => self.emit(
                ctx,
                pos,
                ItemKind::Fill {
                    len: t - size,
                    byte: fill,
                },
                t - size,
            ),
            _ => self.error(
                ctx.loc,
                at,
                format!("`.org` cannot move the location backwards (to {target}, now at {size})"),
            ),
        }
    }

    fn align_directive(&mut self, name: &str, args: &[&[Token]], ctx: Ctx<'_>, pos: usize) {
        let Some(first) = args.first() else {
            return self.error(ctx.loc, pos, format!("`{name}` needs an alignment"));
        };
        let Some(n) = self.const_arg(first, ctx, "alignment") else {
            return;
        };
        let fill = match args.get(1) {
            Some(f) if !f.is_empty() => match self.const_arg(f, ctx, "fill value") {
                Some(v) => Some(v as u8),
                None => return,
            },
            _ => None,
        };
        let max = match args.get(2) {
            Some(m) => match self.const_arg(m, ctx, "maximum padding") {
                Some(v) => Some(v),
                None => return,
            },
            None => None,
        };
        if args.len() > 3 {
            return self.error(
                ctx.loc,
                pos,
                format!("`{name}` expects `alignment[, fill[, max]]`"),
            );
        }
        let at = first.first().map_or(pos, |t| t.pos);
        // On RISC-V `.align n` means 2^n bytes, like `.p2align`.
        let bytes = if name == ".balign" {
            if n <= 0 || n & (n - 1) != 0 || n > 1 << MAX_ALIGN_LOG2 {
                return self.error(
                    ctx.loc,
                    at,
                    format!(
                        "alignment {n} is not a power of 2 up to {}",
                        1 << MAX_ALIGN_LOG2
                    ),
                );
            }
            n as u64
        } else {
            if !(0..=MAX_ALIGN_LOG2).contains(&n) {
                return self.error(
                    ctx.loc,
                    at,
                    format!("alignment exponent {n} out of range 0..{MAX_ALIGN_LOG2}"),
                );
            }
            1u64 << n
        };
        self.align_to(bytes, fill, max, ctx, pos);
    }

    /// Pads the current section to a multiple of `bytes` (code with `nop`s, as GNU does).
    pub(crate) fn align_to(
        &mut self,
        bytes: u64,
        fill: Option<u8>,
        max: Option<i64>,
        ctx: Ctx<'_>,
        pos: usize,
    ) {
        let off = self.section().size;
        let pad = (bytes - off % bytes) % bytes;
        if max.is_some_and(|m| (pad as i128) > i128::from(m)) {
            return;
        }
        if let Some(s) = self.sections.get_mut(self.cur) {
            s.align = s.align.max(bytes);
        }
        // GNU `as` (riscv_frag_align_code) assumes code is already aligned to the 4-byte
        // instruction size: a code alignment of 4 or less pads nothing.
        let code_fill = self.section().kind == SecKind::Text && fill.is_none();
        if pad == 0 || (code_fill && bytes <= 4) {
            return;
        }
        let kind = match (self.section().kind, fill) {
            (SecKind::Text, None) => ItemKind::NopPad { len: pad },
            (_, f) => ItemKind::Fill {
                len: pad,
                byte: f.unwrap_or(0),
            },
        };
        self.emit(ctx, pos, kind, pad);
    }

    fn option(&mut self, rest: &[Token], ctx: Ctx<'_>, pos: usize) {
        let [Token {
            tok: Tok::Ident(opt),
            pos: p,
            ..
        }] = rest
        else {
            return self.error(
                ctx.loc,
                pos,
                "`.option` expects one of rvc, norvc, push, pop, relax, norelax",
            );
        };
        match opt.as_str() {
            "rvc" => self.rvc = true,
            "norvc" => self.rvc = false,
            "relax" => self.relax = true,
            "norelax" => self.relax = false,
            "nopic" => {}
            "push" => self.option_stack.push((self.rvc, self.relax)),
            "pop" => match self.option_stack.pop() {
                Some((rvc, relax)) => (self.rvc, self.relax) = (rvc, relax),
                None => self.error(ctx.loc, *p, "`.option pop` without `.option push`"),
            },
            other => self.error(ctx.loc, *p, format!("unsupported `.option {other}`")),
        }
    }

    fn attribute(&mut self, args: &[&[Token]], ctx: Ctx<'_>, pos: usize) {
        match args {
            // Tag_RISCV_arch is attribute number 5.
            [[Token { tok: tag, .. }], [Token {
                tok: Tok::Str(value),
                pos: p,
                ..
            }]] if matches!(tag, Tok::Num(5))
                || matches!(tag, Tok::Ident(t) if t == "arch" || t == "Tag_RISCV_arch") =>
            {
                let arch = String::from_utf8_lossy(value).to_ascii_lowercase();
                let xlen = if arch.starts_with("rv32") {
                    Xlen::X32
                } else if arch.starts_with("rv64") {
                    Xlen::X64
                } else {
                    return self.error(
                        ctx.loc,
                        *p,
                        format!("unknown architecture `{arch}` (expected rv32… or rv64…)"),
                    );
                };
                if self.emitted && xlen != self.xlen {
                    return self.error(
                        ctx.loc,
                        pos,
                        "`.attribute arch` must come before any instruction or data",
                    );
                }
                self.xlen = xlen;
            }
            [_, _] => {}
            _ => self.error(ctx.loc, pos, "`.attribute` expects `tag, value`"),
        }
    }
}
