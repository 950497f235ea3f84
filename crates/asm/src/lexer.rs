//! Comments and tokens of GNU `as` RISC-V syntax.
//!
//! Comments (`#` and `//` to the end of the line, `/* … */` possibly over several lines) are
//! blanked out first, keeping every other character in place so columns stay exact. Each
//! line is then split into tokens; `;` separates statements on one line, as in GNU `as`.

/// One token and the byte offset where it starts in its line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// What was read.
    pub tok: Tok,
    /// Byte offset of its first character in the line.
    pub pos: usize,
    /// Byte offset just past its last character.
    pub end: usize,
}

/// Token kinds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    /// A name: symbol, register, mnemonic or directive (`.word`, `sext.w`, `$x`).
    Ident(String),
    /// An integer or character literal (wrapped to 64 bits).
    Num(i64),
    /// A string literal, escapes decoded.
    Str(Vec<u8>),
    /// A numeric local label reference: `1b` (backward) or `1f` (forward).
    LocalRef(u32, bool),
    /// Punctuation or an operator: `( ) , : ; = + - * / % << >> & | ^ ~ ! @ \` and the
    /// comparisons and logical operators (`== != <> < > <= >= && ||`).
    Punct(&'static str),
}

/// Blanks out comments in a whole source text and returns its lines, so each keeps its
/// length and every remaining character its column.
pub fn strip_comments(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_block = false;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let chars: Vec<char> = line.chars().collect();
        let mut kept = String::with_capacity(line.len());
        let mut i = 0;
        let mut in_str = false;
        while let Some(&c) = chars.get(i) {
            let next = chars.get(i + 1).copied();
            if in_block {
                if c == '*' && next == Some('/') {
                    in_block = false;
                    kept.push_str("  ");
                    i += 2;
                } else {
                    kept.push(' ');
                    i += 1;
                }
                continue;
            }
            if in_str {
                kept.push(c);
                if c == '\\' {
                    if let Some(n) = next {
                        kept.push(n);
                        i += 1;
                    }
                } else if c == '"' {
                    in_str = false;
                }
                i += 1;
                continue;
            }
            match c {
                '"' => {
                    in_str = true;
                    kept.push(c);
                    i += 1;
                }
                '\'' => {
                    // A character literal: keep the quote and the (possibly escaped) char.
                    kept.push(c);
                    i += 1;
                    if let Some(&n) = chars.get(i) {
                        kept.push(n);
                        i += 1;
                        if n == '\\' {
                            if let Some(&m) = chars.get(i) {
                                kept.push(m);
                                i += 1;
                            }
                        }
                    }
                }
                '#' => break,
                '/' if next == Some('/') => break,
                '/' if next == Some('*') => {
                    in_block = true;
                    kept.push_str("  ");
                    i += 2;
                }
                _ => {
                    kept.push(c);
                    i += 1;
                }
            }
        }
        out.push(kept);
    }
    out
}

/// A lexing error: message and byte offset.
pub type LexError = (String, usize);

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'.' || c == b'$'
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'$'
}

/// Splits one comment-free line into tokens.
pub fn tokenize(line: &str) -> Result<Vec<Token>, LexError> {
    let b = line.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let tok = if is_ident_start(c) {
            while b.get(i).is_some_and(|&c| is_ident_char(c)) {
                i += 1;
            }
            Tok::Ident(line.get(start..i).unwrap_or_default().to_string())
        } else if c.is_ascii_digit() {
            let (tok, end) = number(b, i)?;
            i = end;
            tok
        } else if c == b'"' {
            let (s, end) = string(b, i)?;
            i = end;
            Tok::Str(s)
        } else if c == b'\'' {
            let (v, end) = char_literal(b, i)?;
            i = end;
            Tok::Num(v)
        } else {
            let two = b.get(i..i + 2);
            let p: &'static str = match (c, two) {
                (_, Some(b"<<")) => "<<",
                (_, Some(b">>")) => ">>",
                (_, Some(b"==")) => "==",
                (_, Some(b"!=")) => "!=",
                (_, Some(b"<>")) => "<>",
                (_, Some(b"<=")) => "<=",
                (_, Some(b">=")) => ">=",
                (_, Some(b"&&")) => "&&",
                (_, Some(b"||")) => "||",
                (b'<', _) => "<",
                (b'>', _) => ">",
                (b'(', _) => "(",
                (b')', _) => ")",
                (b',', _) => ",",
                (b':', _) => ":",
                (b';', _) => ";",
                (b'=', _) => "=",
                (b'+', _) => "+",
                (b'-', _) => "-",
                (b'*', _) => "*",
                (b'/', _) => "/",
                (b'%', _) => "%",
                (b'&', _) => "&",
                (b'|', _) => "|",
                (b'^', _) => "^",
                (b'~', _) => "~",
                (b'!', _) => "!",
                (b'@', _) => "@",
                (b'\\', _) => "\\",
                _ => {
                    let ch = line.get(i..).and_then(|s| s.chars().next()).unwrap_or('?');
                    return Err((format!("unexpected character `{ch}`"), i));
                }
            };
            i += p.len();
            Tok::Punct(p)
        };
        toks.push(Token {
            tok,
            pos: start,
            end: i,
        });
    }
    Ok(toks)
}

/// Reads an integer literal (`123`, `0x7f`, `0b101`, `017` octal as in GNU `as`) or a local
/// label reference (`1b`, `2f`).
fn number(b: &[u8], start: usize) -> Result<(Tok, usize), LexError> {
    let mut end = start;
    while b
        .get(end)
        .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_')
    {
        end += 1;
    }
    let text = std::str::from_utf8(b.get(start..end).unwrap_or_default()).unwrap_or_default();
    let lower = text.to_ascii_lowercase();
    let bad = || (format!("invalid number `{text}`"), start);
    // `1b` / `1f`: a decimal label number followed by the direction.
    if let Some(digits) = lower.strip_suffix('b').or_else(|| lower.strip_suffix('f')) {
        let is_hex_or_bin = lower.starts_with("0x") || (lower.starts_with("0b") && lower.len() > 2);
        if !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit()) && !is_hex_or_bin {
            let n: u32 = digits.parse().map_err(|_| bad())?;
            return Ok((Tok::LocalRef(n, lower.ends_with('f')), end));
        }
    }
    let (digits, radix) = if let Some(h) = lower.strip_prefix("0x") {
        (h, 16)
    } else if let Some(bin) = lower.strip_prefix("0b") {
        (bin, 2)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (&lower[1..], 8)
    } else {
        (lower.as_str(), 10)
    };
    if digits.is_empty() {
        return Err(bad());
    }
    let v = u64::from_str_radix(digits, radix).map_err(|e| {
        if matches!(e.kind(), std::num::IntErrorKind::PosOverflow) {
            (format!("number `{text}` does not fit in 64 bits"), start)
        } else {
            bad()
        }
    })?;
    Ok((Tok::Num(v as i64), end))
}

/// Decodes one escape after a backslash at `b[i]`; returns the byte and the next index.
fn escape(b: &[u8], i: usize) -> Result<(u8, usize), LexError> {
    let c = *b.get(i).ok_or(("unterminated escape".to_string(), i))?;
    Ok(match c {
        b'n' => (b'\n', i + 1),
        b't' => (b'\t', i + 1),
        b'r' => (b'\r', i + 1),
        b'b' => (8, i + 1),
        b'f' => (12, i + 1),
        b'v' => (11, i + 1),
        b'a' => (7, i + 1),
        b'x' | b'X' => {
            let mut j = i + 1;
            let mut v: u32 = 0;
            while let Some(d) = b.get(j).and_then(|&c| (c as char).to_digit(16)) {
                v = (v.wrapping_mul(16) + d) & 0xff;
                j += 1;
            }
            if j == i + 1 {
                return Err(("`\\x` escape needs hex digits".to_string(), i));
            }
            (v as u8, j)
        }
        b'0'..=b'7' => {
            let mut j = i;
            let mut v: u32 = 0;
            while j < i + 3 {
                match b.get(j) {
                    Some(&d @ b'0'..=b'7') => v = v * 8 + u32::from(d - b'0'),
                    _ => break,
                }
                j += 1;
            }
            ((v & 0xff) as u8, j)
        }
        other => (other, i + 1),
    })
}

fn string(b: &[u8], start: usize) -> Result<(Vec<u8>, usize), LexError> {
    let mut out = Vec::new();
    let mut i = start + 1;
    loop {
        match b.get(i) {
            None => return Err(("unterminated string".to_string(), start)),
            Some(b'"') => return Ok((out, i + 1)),
            Some(b'\\') => {
                let (c, next) = escape(b, i + 1)?;
                out.push(c);
                i = next;
            }
            Some(&c) => {
                out.push(c);
                i += 1;
            }
        }
    }
}

/// `'a'`, `'\n'`, or GNU's unterminated form `'a`.
fn char_literal(b: &[u8], start: usize) -> Result<(i64, usize), LexError> {
    let (v, mut i) = match b.get(start + 1) {
        None => return Err(("empty character literal".to_string(), start)),
        Some(b'\\') => escape(b, start + 2)?,
        Some(&c) => (c, start + 2),
    };
    if b.get(i) == Some(&b'\'') {
        i += 1;
    }
    Ok((i64::from(v), i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        tokenize(s)
            .map(|v| v.into_iter().map(|t| t.tok).collect())
            .unwrap_or_default()
    }

    #[test]
    fn comments_are_blanked_keeping_columns() {
        let lines = strip_comments("a /* x\n y */ b # c\n\"#\" // d\n'#' x");
        assert_eq!(lines, vec!["a     ", "      b ", "\"#\" ", "'#' x"]);
    }

    #[test]
    fn numbers_and_local_refs() {
        assert_eq!(
            toks("10 0x1F 0b101 017 1b 2f 0b"),
            vec![
                Tok::Num(10),
                Tok::Num(31),
                Tok::Num(5),
                Tok::Num(15),
                Tok::LocalRef(1, false),
                Tok::LocalRef(2, true),
                Tok::LocalRef(0, false)
            ]
        );
        assert_eq!(toks("0xffffffffffffffff"), vec![Tok::Num(-1)]);
        assert_eq!(
            tokenize("0x1_0000_0000_0000_0000").map_err(|e| e.0),
            Err("invalid number `0x1_0000_0000_0000_0000`".into())
        );
    }

    #[test]
    fn strings_chars_and_escapes() {
        assert_eq!(
            toks(r#""a\n\x41\101\"" 'z' '\n'"#),
            vec![Tok::Str(b"a\nAA\"".to_vec()), Tok::Num(122), Tok::Num(10)]
        );
        assert_eq!(
            tokenize("\"abc").map_err(|e| e.0),
            Err("unterminated string".into())
        );
    }

    #[test]
    fn operators() {
        assert_eq!(
            toks("a<<2>>b"),
            vec![
                Tok::Ident("a".into()),
                Tok::Punct("<<"),
                Tok::Num(2),
                Tok::Punct(">>"),
                Tok::Ident("b".into())
            ]
        );
    }
}
