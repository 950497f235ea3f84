//! Conditional assembly: `.if`, `.ifdef`, `.ifndef`, `.ifeq`, `.ifne`, `.else`, `.endif`.
//!
//! Lines in a branch not taken are skipped without being tokenized (as GNU `as` does), so
//! only the nesting of conditionals inside them is followed.

use crate::macros::first_word;
use crate::parse::{Assembler, Loc};

/// One open conditional.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cond {
    /// Lines are assembled now.
    pub taking: bool,
    /// A branch of this conditional has been taken (so `.else` is not).
    pub done: bool,
    /// The enclosing code is assembled.
    pub parent: bool,
    pub loc: Loc,
    pub pos: usize,
}

impl Assembler {
    /// Whether lines are assembled (no enclosing conditional is false).
    pub(crate) fn assembling(&self) -> bool {
        !matches!(self.conds.last(), Some(c) if !c.taking)
    }

    /// Opens a conditional whose condition is `cond` (ignored inside a skipped branch).
    pub(crate) fn begin_if(&mut self, cond: bool, loc: Loc, pos: usize) {
        let parent = self.assembling();
        let taking = parent && cond;
        self.conds.push(Cond {
            taking,
            done: taking,
            parent,
            loc,
            pos,
        });
    }

    /// `.else`: taken if no earlier branch was.
    pub(crate) fn else_branch(&mut self, loc: Loc, pos: usize) {
        match self.conds.last_mut() {
            Some(c) => {
                c.taking = c.parent && !c.done;
                c.done = true;
            }
            None => self.error(loc, pos, "`.else` without `.if`"),
        }
    }

    /// `.endif`.
    pub(crate) fn end_if(&mut self, loc: Loc, pos: usize) {
        if self.conds.pop().is_none() {
            self.error(loc, pos, "`.endif` without `.if`");
        }
    }

    /// In a branch not taken, follows conditional nesting and skips everything else;
    /// returns whether the line was consumed.
    pub(crate) fn skip_line(&mut self, line: &str, loc: Loc) -> bool {
        if self.assembling() {
            return false;
        }
        let word = first_word(line);
        let pos = line.len() - line.trim_start().len();
        match word.as_str() {
            ".if" | ".ifdef" | ".ifndef" | ".ifeq" | ".ifne" => self.begin_if(false, loc, pos),
            ".else" => self.else_branch(loc, pos),
            ".endif" => self.end_if(loc, pos),
            _ => {}
        }
        true
    }

    /// Reports conditionals left open at the end of the assembly.
    pub(crate) fn unclosed_conditionals(&mut self) {
        for c in std::mem::take(&mut self.conds) {
            self.error(c.loc, c.pos, "`.if` has no `.endif`");
        }
    }
}
