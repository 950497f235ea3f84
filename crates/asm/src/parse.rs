//! The first pass: reads source files line by line (following `.include` and expanding
//! macros), defines labels and symbols, and lays every statement out at an offset in its
//! section. Instruction operands that name symbols are kept as expressions for the second
//! pass ([`crate::encode`]), once section addresses are known.

use crate::diag::Diagnostic;
use crate::encode::InstItem;
use crate::expr::{display_name, Env, EvalError, Expr, Parser, Value};
use crate::lexer::{strip_comments, tokenize, Tok, Token};
use crate::macros::{Macro, MacroBuilder};
use crate::Options;
use atlas_isa::Xlen;
use std::collections::HashMap;
use std::path::PathBuf;

/// Largest total size of all sections, so a `.space` cannot exhaust host memory.
pub const MAX_SECTION_BYTES: u64 = 64 << 20;
/// Largest total size of `.bss` sections.
pub const MAX_BSS_BYTES: u64 = 4 << 30;
/// Most source files one assembly may read (each `.include` counts).
const MAX_FILES: usize = 1000;
/// Deepest `.include` nesting.
const MAX_INCLUDE_DEPTH: u32 = 16;
/// Stop reading after this many errors (only the first few are shown anyway).
const STOP_AFTER_ERRORS: usize = 200;

/// A source file read by the assembly.
#[derive(Debug)]
pub(crate) struct SourceFile {
    pub name: String,
    pub lines: Vec<String>,
}

/// Where a statement came from.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Loc {
    /// Index into the assembler's files.
    pub file: usize,
    /// 1-based line.
    pub line: u32,
    /// Statement number in processing order.
    pub seq: u64,
    /// For statements expanded from a macro: the byte offset of the invocation, used for
    /// every error (the expanded text is not what the user sees).
    pub fixed_pos: Option<usize>,
    /// For statements expanded from a macro: the (outermost) macro, an index into
    /// `Assembler::macro_names`, named in error messages.
    pub macro_name: Option<u32>,
}

/// The output section a source section is gathered into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum SecKind {
    Text,
    Rodata,
    Data,
    Bss,
    /// Notes, comments and debug information: assembled, never loaded.
    Unloaded,
}

/// A source section (`.text`, `.data.foo` …) being filled.
#[derive(Debug)]
pub(crate) struct Section {
    pub name: String,
    pub kind: SecKind,
    pub size: u64,
    pub align: u64,
}

/// What an item puts into its section.
#[derive(Debug)]
pub(crate) enum ItemKind {
    /// One 32-bit instruction.
    Inst(InstItem),
    /// A `.byte`/`.word`/… value of `size` bytes, evaluated in the second pass.
    Data { size: u8, expr: Expr, pos: usize },
    /// Literal bytes (strings).
    Bytes(Vec<u8>),
    /// `len` copies of `byte` (`.space`, alignment in data).
    Fill { len: u64, byte: u8 },
    /// Alignment padding of `len` bytes in code, filled as GNU `as` does (see
    /// [`crate::layout::code_padding`]).
    NopPad { len: u64 },
}

/// One laid-out statement (or part of one).
#[derive(Debug)]
pub(crate) struct Item {
    pub sec: usize,
    pub off: u64,
    pub loc: Loc,
    pub kind: ItemKind,
}

/// How a symbol is defined.
#[derive(Clone, Debug)]
pub(crate) enum SymDef {
    /// A label: an offset in a section.
    Label { sec: usize, off: u64 },
    /// `.equ`/`.set`/`=`: an expression, with `.` as it was where it was defined.
    Equ { expr: Expr, dot: Value },
}

/// Everything known about one symbol.
#[derive(Clone, Debug, Default)]
pub(crate) struct SymInfo {
    pub def: Option<SymDef>,
    pub def_loc: Option<Loc>,
    pub global: bool,
    pub func: bool,
    pub size: Option<(Expr, Value)>,
}

/// One statement's tokens and where they are.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ctx<'a> {
    pub loc: Loc,
    pub toks: &'a [Token],
    /// The statement's whole line, for macro arguments taken as text.
    pub line: &'a str,
    /// Byte offset just past the statement (for "expected …" at the end).
    pub end: usize,
}

/// The first-pass state.
#[derive(Debug)]
pub(crate) struct Assembler {
    pub opts: Options,
    pub xlen: Xlen,
    pub files: Vec<SourceFile>,
    pub sections: Vec<Section>,
    pub cur: usize,
    /// The section before the last switch (`.previous`) and the `.pushsection` stack.
    pub previous: usize,
    pub section_stack: Vec<usize>,
    pub items: Vec<Item>,
    pub symbols: HashMap<String, SymInfo>,
    /// Symbol names in order of first mention, for deterministic output.
    pub symbol_order: Vec<String>,
    local_counts: HashMap<u32, u32>,
    pub macros: HashMap<String, Macro>,
    /// Names of invoked macros, for [`Loc::macro_name`].
    pub macro_names: Vec<String>,
    pub collecting: Option<MacroBuilder>,
    /// Open `.if` blocks, innermost last.
    pub conds: Vec<crate::cond::Cond>,
    pub option_stack: Vec<(bool, bool)>,
    pub rvc: bool,
    pub relax: bool,
    pub errors: Vec<Diagnostic>,
    seq: u64,
    pub include_depth: u32,
    pub macro_depth: u32,
    pub expansions: u64,
    pub expanded_lines: u64,
    /// Whether any instruction or data was emitted (`.attribute arch` must come first).
    pub emitted: bool,
}

impl Assembler {
    /// A fresh first pass with GNU's initial sections.
    pub fn new(opts: &Options) -> Assembler {
        let sec = |name: &str, kind, align| Section {
            name: name.into(),
            kind,
            size: 0,
            align,
        };
        Assembler {
            opts: opts.clone(),
            xlen: opts.xlen,
            files: Vec::new(),
            // GNU `as` creates these three first; `.text` is 4-aligned without RVC.
            sections: vec![
                sec(".text", SecKind::Text, 4),
                sec(".data", SecKind::Data, 1),
                sec(".bss", SecKind::Bss, 1),
            ],
            cur: 0,
            previous: 0,
            section_stack: Vec::new(),
            items: Vec::new(),
            symbols: HashMap::new(),
            symbol_order: Vec::new(),
            local_counts: HashMap::new(),
            macros: HashMap::new(),
            macro_names: Vec::new(),
            collecting: None,
            conds: Vec::new(),
            option_stack: Vec::new(),
            rvc: false,
            relax: true,
            errors: Vec::new(),
            seq: 0,
            include_depth: 0,
            macro_depth: 0,
            expansions: 0,
            expanded_lines: 0,
            emitted: false,
        }
    }

    /// Records an error at byte offset `pos` of the statement's line.
    pub fn error(&mut self, loc: Loc, pos: usize, message: impl Into<String>) {
        let (file, source_line) = match self.files.get(loc.file) {
            Some(f) => (
                f.name.clone(),
                f.lines
                    .get(loc.line.wrapping_sub(1) as usize)
                    .cloned()
                    .unwrap_or_default(),
            ),
            None => (String::new(), String::new()),
        };
        let pos = loc.fixed_pos.unwrap_or(pos);
        let mut message = message.into();
        if let Some(name) = loc
            .macro_name
            .and_then(|i| self.macro_names.get(i as usize))
        {
            message = format!("{message} (in expansion of macro `{name}`)");
        }
        let col = match source_line.get(..pos.min(source_line.len())) {
            Some(prefix) => prefix.chars().count() + 1,
            None => source_line.chars().count() + 1,
        };
        self.errors.push(Diagnostic {
            file,
            line: loc.line,
            col: col as u32,
            message,
            source_line,
            seq: loc.seq,
        });
    }

    /// Whether enough errors were found to stop reading.
    pub fn too_many_errors(&self) -> bool {
        self.errors.len() >= STOP_AFTER_ERRORS
    }

    /// Reads a whole source file (already loaded as `text`) registered as `name`.
    pub fn source(&mut self, name: &str, text: &str) {
        let file = self.files.len();
        let lines = strip_comments(text);
        self.files.push(SourceFile {
            name: name.to_string(),
            lines: text
                .split('\n')
                .map(|l| l.strip_suffix('\r').unwrap_or(l).to_string())
                .collect(),
        });
        for (i, line) in lines.iter().enumerate() {
            if self.too_many_errors() {
                return;
            }
            self.seq += 1;
            let loc = Loc {
                file,
                line: i as u32 + 1,
                seq: self.seq,
                fixed_pos: None,
                macro_name: None,
            };
            self.line(line, loc);
        }
        if let Some(b) = self.collecting.take() {
            let loc = b.loc;
            let msg = match b.repeat {
                Some(_) => "`.rept` has no `.endr`".to_string(),
                None => format!("`.macro {}` has no `.endm`", b.name),
            };
            self.error(loc, b.pos, msg);
        }
        if self.include_depth == 0 {
            self.unclosed_conditionals();
        }
    }

    /// Processes one comment-free line (from a file or a macro expansion).
    pub fn line(&mut self, line: &str, loc: Loc) {
        if self.collecting.is_some() {
            self.collect_macro_line(line);
            return;
        }
        if self.skip_line(line, loc) {
            return;
        }
        let toks = match tokenize(line) {
            Ok(t) => t,
            Err((msg, pos)) => return self.error(loc, pos, msg),
        };
        for stmt in toks.split(|t| t.tok == Tok::Punct(";")) {
            if self.collecting.is_some() {
                // `.macro` mid-line: the rest of the line is ignored, as in GNU `as`.
                return;
            }
            let end = stmt.last().map_or(line.len(), |t| t.end);
            self.statement(Ctx {
                loc,
                toks: stmt,
                line,
                end,
            });
        }
    }

    fn statement(&mut self, ctx: Ctx<'_>) {
        let mut toks = ctx.toks;
        // Labels: `name:` and numeric `1:`, any number of them.
        loop {
            match toks {
                [Token {
                    tok: Tok::Ident(name),
                    pos,
                    ..
                }, Token {
                    tok: Tok::Punct(":"),
                    ..
                }, rest @ ..] => {
                    let name = name.clone();
                    self.define_label(&name, ctx.loc, *pos);
                    toks = rest;
                }
                [Token {
                    tok: Tok::Num(n),
                    pos,
                    ..
                }, Token {
                    tok: Tok::Punct(":"),
                    ..
                }, rest @ ..] => {
                    match u32::try_from(*n) {
                        Ok(n) => {
                            let count = self.local_counts.entry(n).or_insert(0);
                            let name = format!("{n}\u{2}{count}");
                            *count += 1;
                            self.define_label(&name, ctx.loc, *pos);
                        }
                        Err(_) => self.error(ctx.loc, *pos, "local label number too large"),
                    }
                    toks = rest;
                }
                _ => break,
            }
        }
        let ctx = Ctx { toks, ..ctx };
        match toks {
            [] => {}
            [Token {
                tok: Tok::Ident(name),
                pos,
                ..
            }, Token {
                tok: Tok::Punct("="),
                ..
            }, rest @ ..] => {
                let name = name.clone();
                if name == "." {
                    // `. = expr` moves the location counter, like `.org`.
                    self.org(&[rest], ctx, *pos);
                } else {
                    self.define_equ(&name, rest, ctx, *pos, true);
                }
            }
            [Token {
                tok: Tok::Ident(name),
                pos,
                ..
            }, rest @ ..] => {
                if self.macros.contains_key(name.as_str()) {
                    let name = name.clone();
                    self.expand_macro(&name, rest, ctx, *pos);
                } else if name.starts_with('.') {
                    let lower = name.to_ascii_lowercase();
                    self.directive(&lower, *pos, ctx);
                } else {
                    let name = name.clone();
                    // GNU `as` reads mnemonics in any case (registers stay lower case).
                    self.instruction(&name.to_ascii_lowercase(), *pos, ctx);
                }
            }
            [t, ..] => {
                let msg = format!(
                    "expected a label, instruction or directive, found {}",
                    crate::expr::describe(&t.tok)
                );
                self.error(ctx.loc, t.pos, msg);
            }
        }
    }

    /// Renames a numeric local label reference to the unique name of the label it means.
    pub fn local_name(&self, n: u32, forward: bool) -> String {
        let count = self.local_counts.get(&n).copied().unwrap_or(0);
        match (forward, count.checked_sub(1)) {
            (true, _) => format!("{n}\u{2}{count}"),
            (false, Some(last)) => format!("{n}\u{2}{last}"),
            (false, None) => format!("{n}\u{2}none"),
        }
    }

    /// Parses tokens as one expression, reporting an error (and returning `None`) if they
    /// are not one.
    pub fn parse_expr(&mut self, toks: &[Token], ctx: Ctx<'_>) -> Option<Expr> {
        let end = toks.last().map_or(ctx.end, |t| t.pos + 1);
        let local = |n: u32, f: bool| self.local_name(n, f);
        let parsed = Parser::new(toks, end, &local).parse_all();
        match parsed {
            Ok(e) => Some(e),
            Err((msg, pos)) => {
                self.error(ctx.loc, pos, msg);
                None
            }
        }
    }

    fn mention(&mut self, name: &str) -> &mut SymInfo {
        if !self.symbols.contains_key(name) {
            self.symbol_order.push(name.to_string());
        }
        self.symbols.entry(name.to_string()).or_default()
    }

    /// Marks a symbol global, or as a function (`.globl`, `.type`).
    pub fn declare(&mut self, name: &str, global: bool, func: bool) {
        let s = self.mention(name);
        s.global |= global;
        s.func |= func;
    }

    fn define_label(&mut self, name: &str, loc: Loc, pos: usize) {
        let (sec, off) = (self.cur, self.section().size);
        self.define(name, SymDef::Label { sec, off }, loc, pos, false);
    }

    /// Defines a symbol; `redefinable` for `.set` and `=`.
    pub fn define(&mut self, name: &str, def: SymDef, loc: Loc, pos: usize, redefinable: bool) {
        let files_line = |l: &Loc| l.line;
        let previous = self
            .symbols
            .get(name)
            .and_then(|s| Some((s.def.clone()?, s.def_loc?)));
        if let Some((old, old_loc)) = previous {
            let old_is_equ = matches!(old, SymDef::Equ { .. });
            if !(redefinable && old_is_equ) {
                let same_file = old_loc.file == loc.file;
                let where_ = if same_file {
                    format!("line {}", files_line(&old_loc))
                } else {
                    let f = self.files.get(old_loc.file).map_or("", |f| f.name.as_str());
                    format!("{f}:{}", old_loc.line)
                };
                let msg = format!(
                    "symbol {} is already defined (at {where_})",
                    display_name(name)
                );
                return self.error(loc, pos, msg);
            }
        }
        let s = self.mention(name);
        s.def = Some(def);
        s.def_loc = Some(loc);
    }

    /// `name = expr`, `.equ name, expr` and friends.
    pub fn define_equ(
        &mut self,
        name: &str,
        toks: &[Token],
        ctx: Ctx<'_>,
        pos: usize,
        redefinable: bool,
    ) {
        if atlas_isa::Reg::parse(name).is_some() {
            return self.error(
                ctx.loc,
                pos,
                format!("cannot define register name `{name}` as a symbol"),
            );
        }
        let Some(expr) = self.parse_expr(toks, ctx) else {
            return;
        };
        let dot = self.dot();
        // Fold to a value now when possible, so `.set x, x + 1` uses the old `x`; a
        // forward reference stays an expression for the second pass.
        let env = SymEnv {
            asm: self,
            dot,
            bases: None,
        };
        let (expr, dot) = match expr.eval(&env, 0) {
            Ok(Value::Abs(v)) => (Expr::Num(v), dot),
            Ok(rel @ Value::Rel(..)) => (Expr::Dot, rel),
            Err(_) => (expr, dot),
        };
        self.define(name, SymDef::Equ { expr, dot }, ctx.loc, pos, redefinable);
    }

    /// The section being filled.
    pub fn section(&self) -> &Section {
        // `cur` always indexes `sections`: it is only set to indexes of pushed sections.
        &self.sections[self.cur.min(self.sections.len() - 1)]
    }

    /// The current location as a value.
    pub fn dot(&self) -> Value {
        Value::Rel(self.cur, self.section().size as i64)
    }

    /// Evaluates an expression that must be a constant now (first pass).
    pub fn eval_now(&mut self, expr: &Expr, ctx: Ctx<'_>, pos: usize, what: &str) -> Option<i64> {
        let env = SymEnv {
            asm: self,
            dot: self.dot(),
            bases: None,
        };
        let msg = match expr.eval(&env, 0) {
            Ok(Value::Abs(v)) => return Some(v),
            Ok(Value::Rel(..)) => format!("{what} must be a constant, not an address"),
            Err(EvalError::Undefined(name, p)) => {
                let msg = format!(
                    "{what} must be a constant: symbol {} is not defined before this line",
                    display_name(&name)
                );
                self.error(ctx.loc, p, msg);
                return None;
            }
            Err(EvalError::Other(m)) => m,
        };
        self.error(ctx.loc, pos, msg);
        None
    }

    /// Appends an item of `len` bytes at the current location.
    pub fn emit(&mut self, ctx: Ctx<'_>, pos: usize, kind: ItemKind, len: u64) {
        self.emitted = true;
        // Initialised bytes are held in host memory, so they are limited; bss only has to
        // fit the address space.
        let is_bss = self.section().kind == SecKind::Bss;
        let (limit, what) = if is_bss {
            (MAX_BSS_BYTES, "zero-initialised data (.bss)")
        } else {
            (MAX_SECTION_BYTES, "initialised code and data")
        };
        let total: u64 = self
            .sections
            .iter()
            .filter(|s| (s.kind == SecKind::Bss) == is_bss)
            .map(|s| s.size)
            .sum();
        if total.saturating_add(len) > limit {
            let msg = format!("too much {what} (more than {} MiB)", limit >> 20);
            return self.error(ctx.loc, pos, msg);
        }
        let zero = match &kind {
            ItemKind::Fill { byte, .. } => *byte == 0,
            ItemKind::NopPad { len } => *len == 0,
            _ => false,
        };
        if is_bss && !zero {
            let name = self.section().name.clone();
            return self.error(
                ctx.loc,
                pos,
                format!("only zero bytes may be placed in `{name}` (use .space or .zero)"),
            );
        }
        let (sec, off) = (self.cur, self.section().size);
        if !is_bss || !matches!(kind, ItemKind::Fill { .. } | ItemKind::NopPad { .. }) {
            self.items.push(Item {
                sec,
                off,
                loc: ctx.loc,
                kind,
            });
        }
        if let Some(s) = self.sections.get_mut(sec) {
            s.size = s.size.saturating_add(len);
        }
    }

    /// Reads an included file relative to the including one and assembles it in place.
    pub fn include(&mut self, path_text: &str, ctx: Ctx<'_>, pos: usize) {
        if self.files.len() >= MAX_FILES {
            let msg = format!("more than {MAX_FILES} files included (is a file including itself?)");
            return self.error(ctx.loc, pos, msg);
        }
        if self.include_depth >= MAX_INCLUDE_DEPTH {
            return self.error(
                ctx.loc,
                pos,
                format!(".include nested more than {MAX_INCLUDE_DEPTH} deep"),
            );
        }
        let including = self
            .files
            .get(ctx.loc.file)
            .map(|f| f.name.clone())
            .unwrap_or_default();
        let base = std::path::Path::new(&including)
            .parent()
            .map(PathBuf::from)
            .unwrap_or_default();
        let path = base.join(path_text);
        let text = match std::fs::read(&path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => {
                return self.error(
                    ctx.loc,
                    pos,
                    format!("cannot read included file `{}`: {e}", path.display()),
                );
            }
        };
        self.include_depth += 1;
        self.source(&path.to_string_lossy(), &text);
        self.include_depth -= 1;
    }
}

/// Symbol values for evaluation: section-relative in the first pass, absolute once
/// `bases` (each section's address) are known.
pub(crate) struct SymEnv<'a> {
    pub asm: &'a Assembler,
    pub dot: Value,
    pub bases: Option<&'a [u64]>,
}

impl SymEnv<'_> {
    fn place(&self, v: Value) -> Value {
        match (v, self.bases) {
            (Value::Rel(sec, off), Some(bases)) => Value::Abs(
                bases
                    .get(sec)
                    .copied()
                    .unwrap_or(0)
                    .wrapping_add(off as u64) as i64,
            ),
            _ => v,
        }
    }
}

impl Env for SymEnv<'_> {
    fn symbol(&self, name: &str, pos: usize, depth: u32) -> Result<Value, EvalError> {
        match self.asm.symbols.get(name).and_then(|s| s.def.as_ref()) {
            Some(SymDef::Label { sec, off }) => Ok(self.place(Value::Rel(*sec, *off as i64))),
            Some(SymDef::Equ { expr, dot }) => {
                let inner = SymEnv {
                    asm: self.asm,
                    dot: *dot,
                    bases: self.bases,
                };
                expr.eval(&inner, depth).map(|v| self.place(v))
            }
            None => Err(EvalError::Undefined(name.to_string(), pos)),
        }
    }

    fn dot(&self) -> Value {
        self.place(self.dot)
    }
}
