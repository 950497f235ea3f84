//! Aligned-column text tables for the reports people read (the run report, `--profile`),
//! and the number formats they use: thousands separators, fixed decimals, percentages.
//!
//! All formatting is integer arithmetic with round-half-up, so the same counts print the
//! same text on every host.
//!
//! ```
//! use atlas_prof::table::{percent, thousands, Align, Table};
//!
//! let mut table = Table::new(&[("tlb", Align::Left), ("accesses", Align::Right), ("hit rate", Align::Right)]);
//! table.row(["L1 data", &thousands(1_234_567), &percent(1_234_000, 1_234_567)]);
//! table.row(["L2", &thousands(567), &percent(500, 567)]);
//! assert_eq!(
//!     table.render(),
//!     "tlb       accesses  hit rate\n\
//!      -------  ---------  --------\n\
//!      L1 data  1,234,567    99.95%\n\
//!      L2             567    88.18%\n"
//! );
//! ```

use std::fmt;

/// Gap between columns.
const GAP: &str = "  ";

/// Largest number of decimals [`decimal`] prints; more would overflow its arithmetic.
pub const MAX_DECIMALS: u32 = 9;

/// How the cells of a column line up: text reads best left-aligned, numbers right-aligned
/// so their digits line up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Pad on the right.
    Left,
    /// Pad on the left.
    Right,
}

/// One line of a table body.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Line {
    Cells(Vec<String>),
    Rule,
}

/// A table with a header row, a rule under it, and rows of cells, rendered with every
/// column as wide as its widest cell, two spaces between columns and no trailing spaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    headers: Vec<String>,
    aligns: Vec<Align>,
    lines: Vec<Line>,
    indent: usize,
}

impl Table {
    /// A table with these column headers and alignments, and no rows yet.
    pub fn new(columns: &[(&str, Align)]) -> Self {
        Table {
            headers: columns.iter().map(|(h, _)| (*h).to_string()).collect(),
            aligns: columns.iter().map(|(_, a)| *a).collect(),
            lines: Vec::new(),
            indent: 0,
        }
    }

    /// Indents every rendered line by `spaces`, for tables nested under a report heading.
    pub fn indent(mut self, spaces: usize) -> Self {
        self.indent = spaces;
        self
    }

    /// Appends a row. Missing cells render empty; cells beyond the last column are dropped;
    /// tabs (as in disassembly, `lw\ta0, 0(sp)`) become single spaces so columns stay aligned.
    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut cells: Vec<String> = cells
            .into_iter()
            .take(self.headers.len())
            .map(|c| c.as_ref().replace('\t', " "))
            .collect();
        cells.resize(self.headers.len(), String::new());
        self.lines.push(Line::Cells(cells));
    }

    /// Appends a rule (dashes across every column), e.g. before a totals row.
    pub fn rule(&mut self) {
        self.lines.push(Line::Rule);
    }

    /// Number of rows added (rules not counted).
    pub fn rows(&self) -> usize {
        self.lines
            .iter()
            .filter(|l| matches!(l, Line::Cells(_)))
            .count()
    }

    /// The table as text, one line per row, each ending in `\n`.
    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| width(h)).collect();
        for line in &self.lines {
            if let Line::Cells(cells) = line {
                for (w, cell) in widths.iter_mut().zip(cells) {
                    *w = (*w).max(width(cell));
                }
            }
        }
        let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
        let mut out = String::new();
        self.render_line(&mut out, &self.headers, &widths);
        self.render_line(&mut out, &rule, &widths);
        for line in &self.lines {
            match line {
                Line::Cells(cells) => self.render_line(&mut out, cells, &widths),
                Line::Rule => self.render_line(&mut out, &rule, &widths),
            }
        }
        out
    }

    fn render_line(&self, out: &mut String, cells: &[String], widths: &[usize]) {
        let mut line = " ".repeat(self.indent);
        for (i, ((cell, &w), align)) in cells.iter().zip(widths).zip(&self.aligns).enumerate() {
            if i > 0 {
                line.push_str(GAP);
            }
            let pad = " ".repeat(w.saturating_sub(width(cell)));
            match align {
                Align::Left => {
                    line.push_str(cell);
                    line.push_str(&pad);
                }
                Align::Right => {
                    line.push_str(&pad);
                    line.push_str(cell);
                }
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

/// Display width of a cell: its number of characters (reports use no wide characters).
fn width(cell: &str) -> usize {
    cell.chars().count()
}

/// `n` with a comma every three digits: `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    group_digits(u128::from(n))
}

fn group_digits(n: u128) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `num / den` rounded half-up to `decimals` places (at most [`MAX_DECIMALS`]), with
/// thousands separators in the integer part: `decimal(7, 3, 2)` → `2.33`. `-` when `den`
/// is 0, since a rate of nothing is not a number.
pub fn decimal(num: u64, den: u64, decimals: u32) -> String {
    scaled_ratio(u128::from(num), u128::from(den), decimals)
}

/// `part` as a percentage of `whole` with two decimals: `percent(1, 3)` → `33.33%`; `-` when
/// `whole` is 0.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "-".to_string();
    }
    scaled_ratio(u128::from(part) * 100, u128::from(whole), 2) + "%"
}

/// Events per thousand of `base` with two decimals, e.g. TLB misses per thousand
/// instructions (MPKI): `per_thousand(5, 2000)` → `2.50`; `-` when `base` is 0.
pub fn per_thousand(count: u64, base: u64) -> String {
    scaled_ratio(u128::from(count) * 1000, u128::from(base), 2)
}

fn scaled_ratio(num: u128, den: u128, decimals: u32) -> String {
    if den == 0 {
        return "-".to_string();
    }
    let decimals = decimals.min(MAX_DECIMALS);
    let scale = 10u128.pow(decimals);
    // num < 2^75 (a u64 times at most 1000) and scale ≤ 10^9 < 2^30, so this fits in u128.
    let scaled = num * scale;
    let mut quotient = scaled / den;
    if (scaled % den) * 2 >= den {
        quotient += 1;
    }
    let whole = group_digits(quotient / scale);
    if decimals == 0 {
        return whole;
    }
    format!(
        "{whole}.{:0width$}",
        quotient % scale,
        width = decimals as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_headers_rule_and_aligned_cells() {
        let mut t = Table::new(&[
            ("kind", Align::Left),
            ("accesses", Align::Right),
            ("misses", Align::Right),
        ]);
        t.row(["fetch", "1,000", "3"]);
        t.row(vec!["load".to_string(), "20".to_string()]);
        t.rule();
        t.row(["total", "1,020", "3", "ignored"]);
        assert_eq!(t.rows(), 3);
        assert_eq!(
            t.to_string(),
            "kind   accesses  misses\n\
             -----  --------  ------\n\
             fetch     1,000       3\n\
             load         20\n\
             -----  --------  ------\n\
             total     1,020       3\n"
        );
    }

    #[test]
    fn indents_and_trims_trailing_spaces_of_a_last_text_column() {
        let mut t = Table::new(&[("pc", Align::Right), ("instruction", Align::Left)]).indent(2);
        t.row(["10074", "lw\ta0, 0(sp)"]);
        t.row(["1007c", "ret"]);
        assert_eq!(
            t.render(),
            "     pc  instruction\n  -----  ------------\n  10074  lw a0, 0(sp)\n  1007c  ret\n"
        );
    }

    #[test]
    fn an_empty_table_is_its_header() {
        let t = Table::new(&[("a", Align::Left), ("bb", Align::Right)]);
        assert_eq!(t.render(), "a  bb\n-  --\n");
        assert_eq!(t.rows(), 0);
    }

    #[test]
    fn widths_count_characters_not_bytes() {
        let mut t = Table::new(&[("name", Align::Left), ("n", Align::Right)]);
        t.row(["µs", "1"]);
        assert_eq!(t.render(), "name  n\n----  -\nµs    1\n");
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(123_456), "123,456");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(u64::MAX), "18,446,744,073,709,551,615");
    }

    #[test]
    fn decimal_rounds_half_up_and_groups() {
        assert_eq!(decimal(7, 3, 2), "2.33");
        assert_eq!(decimal(2, 3, 2), "0.67");
        assert_eq!(decimal(1, 8, 2), "0.13");
        assert_eq!(decimal(5, 2, 0), "3");
        assert_eq!(decimal(0, 5, 3), "0.000");
        assert_eq!(decimal(12_345_678, 10, 1), "1,234,567.8");
        assert_eq!(decimal(1, 3, 20), "0.333333333");
        assert_eq!(
            decimal(u64::MAX, 1, 9),
            "18,446,744,073,709,551,615.000000000"
        );
        assert_eq!(decimal(1, 0, 2), "-");
    }

    #[test]
    fn percent_and_per_thousand() {
        assert_eq!(percent(1, 3), "33.33%");
        assert_eq!(percent(2, 3), "66.67%");
        assert_eq!(percent(3, 3), "100.00%");
        assert_eq!(percent(0, 3), "0.00%");
        assert_eq!(percent(1, 200_000), "0.00%");
        assert_eq!(percent(1, 20_000), "0.01%");
        assert_eq!(percent(u64::MAX, 1), "1,844,674,407,370,955,161,500.00%");
        assert_eq!(percent(1, 0), "-");
        assert_eq!(per_thousand(5, 2000), "2.50");
        assert_eq!(per_thousand(1, 3), "333.33");
        assert_eq!(per_thousand(0, 0), "-");
    }
}
