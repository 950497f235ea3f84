//! Assembly errors as `file:line:col: error: message`, with the source line and a caret,
//! the way GCC and GNU `as` users expect to read them.

use std::fmt;

/// The most errors one assembly reports; later ones are dropped (and counted).
pub const MAX_ERRORS: usize = 20;

/// One error at a source position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Source file name as given (or as `.include` named it).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
    /// What is wrong.
    pub message: String,
    /// The offending source line, without its newline.
    pub source_line: String,
    /// Order of the statement in the assembly (includes and macros in expansion order), so
    /// errors found in the second pass still print in source order.
    pub(crate) seq: u64,
}

/// Every error of one assembly (up to [`MAX_ERRORS`]), in source order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics {
    /// The errors, sorted by source position.
    pub errors: Vec<Diagnostic>,
    /// How many errors were found beyond those kept.
    pub dropped: usize,
}

impl Diagnostics {
    /// A single error not tied to a source line (an unreadable file, for instance).
    pub fn single(file: &str, message: String) -> Diagnostics {
        Diagnostics {
            errors: vec![Diagnostic {
                file: file.to_string(),
                line: 0,
                col: 0,
                message,
                source_line: String::new(),
                seq: 0,
            }],
            dropped: 0,
        }
    }

    /// Sorts into source order and keeps the first [`MAX_ERRORS`].
    pub(crate) fn finish(mut errors: Vec<Diagnostic>) -> Diagnostics {
        errors.sort_by_key(|d| (d.seq, d.col));
        errors.dedup();
        let dropped = errors.len().saturating_sub(MAX_ERRORS);
        errors.truncate(MAX_ERRORS);
        Diagnostics { errors, dropped }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            return writeln!(f, "{}: error: {}", self.file, self.message);
        }
        writeln!(
            f,
            "{}:{}:{}: error: {}",
            self.file, self.line, self.col, self.message
        )?;
        // Tabs are expanded (stops every 8 columns) so the caret line is plain spaces and
        // lines up under the same character in any terminal.
        let mut shown = String::new();
        let mut caret_at = None;
        for (i, c) in self.source_line.chars().enumerate() {
            if i + 1 == self.col as usize {
                caret_at = Some(shown.chars().count());
            }
            if c == '\t' {
                let width = 8 - shown.chars().count() % 8;
                shown.push_str(&" ".repeat(width));
            } else {
                shown.push(c);
            }
        }
        let caret_at = caret_at.unwrap_or_else(|| shown.chars().count());
        writeln!(f, "{shown}")?;
        writeln!(f, "{}^", " ".repeat(caret_at))
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.errors {
            write!(f, "{d}")?;
        }
        if self.dropped > 0 {
            writeln!(f, "note: {} more errors not shown", self.dropped)?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_caret_under_column_expanding_tabs() {
        let d = Diagnostic {
            file: "a.s".into(),
            line: 3,
            col: 6,
            message: "bad".into(),
            source_line: "\tadd x1".into(),
            seq: 0,
        };
        assert_eq!(
            d.to_string(),
            "a.s:3:6: error: bad\n        add x1\n            ^\n"
        );
    }
}
