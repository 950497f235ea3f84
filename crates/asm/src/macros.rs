//! `.macro name params … .endm` and macro invocations.
//!
//! As in GNU `as`, a macro body is text: each invocation substitutes `\param` (and `\()`,
//! an empty separator, and `\@`, the expansion count) and assembles the resulting lines.
//! Errors inside an expansion are reported at the invocation.

use crate::lexer::{Tok, Token};
use crate::parse::{Assembler, Ctx, Loc};

/// Deepest nesting of macro invocations (a recursive macro stops here).
const MAX_MACRO_DEPTH: u32 = 64;
/// Most lines all expansions of one assembly may produce.
const MAX_EXPANDED_LINES: u64 = 200_000;

/// A defined macro.
#[derive(Clone, Debug)]
pub(crate) struct Macro {
    /// Parameter names and default values.
    pub params: Vec<(String, Option<String>)>,
    /// Body lines, comments already removed.
    pub body: Vec<String>,
}

/// A macro whose body is being read.
#[derive(Debug)]
pub(crate) struct MacroBuilder {
    pub name: String,
    pub params: Vec<(String, Option<String>)>,
    pub body: Vec<String>,
    /// Nesting of `.macro` (or, for `.rept`, `.rept`) inside the body.
    pub depth: u32,
    /// `Some(n)` for a `.rept n` block, expanded `n` times at its `.endr`.
    pub repeat: Option<u64>,
    pub loc: Loc,
    pub pos: usize,
}

/// Text of a token run, as written.
fn text_of<'a>(line: &'a str, toks: &[Token]) -> &'a str {
    match (toks.first(), toks.last()) {
        (Some(a), Some(b)) => line.get(a.pos..b.end).unwrap_or_default().trim(),
        _ => "",
    }
}

/// Splits tokens at top-level commas.
pub(crate) fn split_commas(toks: &[Token]) -> Vec<&[Token]> {
    if toks.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        match t.tok {
            Tok::Punct("(") => depth += 1,
            Tok::Punct(")") => depth -= 1,
            Tok::Punct(",") if depth <= 0 => {
                out.push(toks.get(start..i).unwrap_or_default());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(toks.get(start..).unwrap_or_default());
    out
}

/// The first word of a line, lower case (for block directives found before tokenizing).
pub(crate) fn first_word(line: &str) -> String {
    line.trim_start()
        .split(|c: char| c.is_whitespace() || c == ',')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

impl Assembler {
    /// `.macro name p1, p2=default`.
    pub(crate) fn start_macro(&mut self, ctx: Ctx<'_>, pos: usize, args: &[Token]) {
        let Some(Token {
            tok: Tok::Ident(name),
            ..
        }) = args.first()
        else {
            return self.error(ctx.loc, pos, "`.macro` needs a name");
        };
        let mut params = Vec::new();
        let rest = args.get(1..).unwrap_or_default();
        let rest = match rest.first() {
            Some(Token {
                tok: Tok::Punct(","),
                ..
            }) => rest.get(1..).unwrap_or_default(),
            _ => rest,
        };
        for p in split_commas(rest) {
            // Parameters may also be separated by spaces: `.macro m a b`.
            let mut i = 0;
            while let Some(t) = p.get(i) {
                let Tok::Ident(pname) = &t.tok else {
                    return self.error(ctx.loc, t.pos, "expected a macro parameter name");
                };
                let default = match p.get(i + 1) {
                    Some(Token {
                        tok: Tok::Punct("="),
                        ..
                    }) => {
                        let d = text_of(ctx.line, p.get(i + 2..).unwrap_or_default()).to_string();
                        i = p.len();
                        Some(d)
                    }
                    _ => {
                        i += 1;
                        None
                    }
                };
                params.push((pname.clone(), default));
            }
        }
        self.collecting = Some(MacroBuilder {
            name: name.clone(),
            params,
            body: Vec::new(),
            depth: 0,
            repeat: None,
            loc: ctx.loc,
            pos,
        });
    }

    /// Adds a line to the macro being defined, or ends it at `.endm`.
    pub(crate) fn collect_macro_line(&mut self, line: &str) {
        let Some(b) = self.collecting.as_mut() else {
            return;
        };
        let word = first_word(line);
        let (open, close): (&[&str], &[&str]) = match b.repeat {
            Some(_) => (&[".rept"], &[".endr"]),
            None => (&[".macro"], &[".endm", ".endmacro"]),
        };
        if open.contains(&word.as_str()) {
            b.depth += 1;
        } else if close.contains(&word.as_str()) {
            if b.depth == 0 {
                if let Some(b) = self.collecting.take() {
                    match b.repeat {
                        Some(count) => self.repeat(&b, count),
                        None => {
                            let mac = Macro {
                                params: b.params,
                                body: b.body,
                            };
                            self.macros.insert(b.name, mac);
                        }
                    }
                }
                return;
            }
            b.depth -= 1;
        }
        b.body.push(line.to_string());
    }

    /// `.rept count`: starts collecting the block.
    pub(crate) fn start_rept(&mut self, ctx: Ctx<'_>, pos: usize, count: u64) {
        self.collecting = Some(MacroBuilder {
            name: ".rept".to_string(),
            params: Vec::new(),
            body: Vec::new(),
            depth: 0,
            repeat: Some(count),
            loc: ctx.loc,
            pos,
        });
    }

    /// Assembles a collected `.rept` block `count` times; errors point at the `.rept`.
    fn repeat(&mut self, b: &MacroBuilder, count: u64) {
        let loc = Loc {
            fixed_pos: Some(b.loc.fixed_pos.unwrap_or(b.pos)),
            ..b.loc
        };
        if self.macro_depth >= MAX_MACRO_DEPTH {
            let msg = format!("`.rept` and macros nested more than {MAX_MACRO_DEPTH} deep");
            return self.error(loc, b.pos, msg);
        }
        let lines = count.saturating_mul(b.body.len() as u64);
        if lines > MAX_EXPANDED_LINES.saturating_sub(self.expanded_lines) {
            let msg = format!("`.rept` would produce more than {MAX_EXPANDED_LINES} lines");
            return self.error(loc, b.pos, msg);
        }
        self.expanded_lines += lines;
        self.macro_depth += 1;
        'outer: for _ in 0..count {
            for line in &b.body {
                if self.too_many_errors() {
                    break 'outer;
                }
                self.line(line, loc);
            }
        }
        self.macro_depth -= 1;
    }

    /// Expands an invocation of macro `name` with argument tokens `args`.
    pub(crate) fn expand_macro(&mut self, name: &str, args: &[Token], ctx: Ctx<'_>, pos: usize) {
        let Some(mac) = self.macros.get(name).cloned() else {
            return;
        };
        if self.macro_depth >= MAX_MACRO_DEPTH {
            return self.error(
                ctx.loc,
                pos,
                format!("macro invocations nested more than {MAX_MACRO_DEPTH} deep"),
            );
        }
        let mut values: Vec<Option<String>> = mac.params.iter().map(|(_, d)| d.clone()).collect();
        let mut positional = 0;
        for arg in split_commas(args) {
            if let [Token {
                tok: Tok::Ident(k), ..
            }, Token {
                tok: Tok::Punct("="),
                ..
            }, rest @ ..] = arg
            {
                if let Some(i) = mac.params.iter().position(|(p, _)| p == k) {
                    if let Some(v) = values.get_mut(i) {
                        *v = Some(text_of(ctx.line, rest).to_string());
                    }
                    continue;
                }
            }
            match values.get_mut(positional) {
                Some(v) => *v = Some(text_of(ctx.line, arg).to_string()),
                None => {
                    let at = arg.first().map_or(pos, |t| t.pos);
                    let n = mac.params.len();
                    let got = split_commas(args).len();
                    let s = if n == 1 { "" } else { "s" };
                    let msg = format!("macro `{name}` takes {n} parameter{s}, got {got} arguments");
                    return self.error(ctx.loc, at, msg);
                }
            }
            positional += 1;
        }
        self.expansions = self.expansions.saturating_add(1);
        let count = self.expansions;
        let macro_name = match ctx.loc.macro_name {
            Some(outer) => outer,
            None => match self.macro_names.iter().position(|n| n == name) {
                Some(i) => i as u32,
                None => {
                    self.macro_names.push(name.to_string());
                    self.macro_names.len() as u32 - 1
                }
            },
        };
        let loc = Loc {
            fixed_pos: Some(ctx.loc.fixed_pos.unwrap_or(pos)),
            macro_name: Some(macro_name),
            ..ctx.loc
        };
        self.macro_depth += 1;
        for body_line in &mac.body {
            if self.too_many_errors() || self.expanded_lines >= MAX_EXPANDED_LINES {
                break;
            }
            self.expanded_lines += 1;
            let text = substitute(body_line, &mac.params, &values, count);
            self.line(&text, loc);
        }
        self.macro_depth -= 1;
        if self.expanded_lines >= MAX_EXPANDED_LINES && !self.too_many_errors() {
            self.error(
                loc,
                pos,
                format!("macro expansion produced more than {MAX_EXPANDED_LINES} lines"),
            );
            self.expanded_lines = u64::MAX;
        }
    }
}

/// Replaces `\param`, `\()` and `\@` in one body line.
fn substitute(
    line: &str,
    params: &[(String, Option<String>)],
    values: &[Option<String>],
    count: u64,
) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(i) = rest.find('\\') {
        out.push_str(rest.get(..i).unwrap_or_default());
        let after = rest.get(i + 1..).unwrap_or_default();
        if let Some(r) = after.strip_prefix("()") {
            rest = r;
            continue;
        }
        if let Some(r) = after.strip_prefix('@') {
            out.push_str(&count.to_string());
            rest = r;
            continue;
        }
        let n = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '.'))
            .unwrap_or(after.len());
        let word = after.get(..n).unwrap_or_default();
        // `\a.b`: take the longest parameter name that prefixes the word.
        let found = params
            .iter()
            .enumerate()
            .filter(|(_, (p, _))| word.starts_with(p.as_str()) && !p.is_empty())
            .max_by_key(|(_, (p, _))| p.len());
        match found {
            Some((idx, (p, _))) => {
                out.push_str(
                    values
                        .get(idx)
                        .and_then(|v| v.as_deref())
                        .unwrap_or_default(),
                );
                rest = after.get(p.len()..).unwrap_or_default();
            }
            None => {
                out.push('\\');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitution() {
        let params = vec![
            ("r".to_string(), None),
            ("v".to_string(), Some("1".to_string())),
        ];
        let values = vec![Some("a0".to_string()), Some("42".to_string())];
        assert_eq!(substitute("li \\r, \\v", &params, &values, 3), "li a0, 42");
        assert_eq!(substitute("x\\r\\()y_\\@:", &params, &values, 3), "xa0y_3:");
        assert_eq!(substitute("\\q", &params, &values, 3), "\\q");
    }
}
