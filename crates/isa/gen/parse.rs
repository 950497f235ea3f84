//! Parser and validator for the plain-text ISA tables in `isa/`.
//!
//! Shared by `build.rs` (which turns the tables into Rust) and by the crate's own tests
//! (which check that malformed tables are rejected with a clear message).

/// How an operand's value is interpreted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperandType {
    Reg,
    Simm,
    Uimm,
    Upper,
}

/// One contiguous piece of an operand: `width` bits at `word_lo` hold value bits from `value_lo`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    pub word_lo: u32,
    pub width: u32,
    pub value_lo: u32,
}

#[derive(Clone, Debug)]
pub struct OperandDef {
    pub name: String,
    pub ty: OperandType,
    pub pieces: Vec<Piece>,
    pub description: String,
}

impl OperandDef {
    /// Mask of the instruction-word bits this operand occupies.
    pub fn word_mask(&self) -> u32 {
        self.pieces.iter().fold(0u32, |m, p| {
            m | (((1u64 << p.width) - 1) as u32) << p.word_lo
        })
    }
    /// Number of value bits (position of the highest value bit + 1).
    pub fn value_bits(&self) -> u32 {
        self.pieces
            .iter()
            .map(|p| p.value_lo + p.width)
            .max()
            .unwrap_or(0)
    }
}

/// Which register widths an encoding exists in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Widths {
    pub rv32: bool,
    pub rv64: bool,
}

#[derive(Clone, Debug)]
pub struct EncodingDef {
    pub mnemonic: String,
    pub operands: Vec<String>,
    pub mask: u32,
    pub bits: u32,
    pub kind: String,
    pub cost: String,
    pub widths: Widths,
    pub origin: String,
}

#[derive(Clone, Debug)]
pub struct AliasDef {
    pub name: String,
    /// Operand names in display order; `imm12(rs1)` is the memory form.
    pub operands: Vec<String>,
    pub base: String,
    pub constraints: Vec<(String, i64)>,
    pub rv32_only: bool,
}

#[derive(Clone, Debug)]
pub struct NamedNumber {
    pub number: u64,
    pub name: String,
    pub extra: Vec<String>,
    pub description: String,
}

/// The kinds of instruction and the operands every member of a kind must have.
pub const KINDS: &[(&str, &[&str])] = &[
    ("lui", &["rd", "uimm20"]),
    ("auipc", &["rd", "uimm20"]),
    ("jal", &["rd", "jimm"]),
    ("jalr", &["rd", "rs1", "imm12"]),
    ("branch", &["rs1", "rs2", "bimm"]),
    ("load", &["rd", "rs1", "imm12"]),
    ("store", &["rs1", "rs2", "simm12"]),
    ("alu_imm", &["rd", "rs1", "imm12"]),
    ("shift_imm", &["rd", "rs1", "shamt"]),
    ("alu", &["rd", "rs1", "rs2"]),
    ("fence", &["pred", "succ"]),
    ("fence_i", &[]),
    ("csr", &["rd", "rs1", "csr"]),
    ("csr_imm", &["rd", "zimm", "csr"]),
    ("system", &[]),
    ("sfence_vma", &["rs1", "rs2"]),
];

pub const COST_CLASSES_FILE: &str = "costs";

/// A cost class or event: (name, cycles, description).
pub type CostRow = (String, u64, String);

/// Everything read from `isa/`.
#[derive(Debug, Default)]
pub struct Tables {
    pub operands: Vec<OperandDef>,
    pub encodings: Vec<EncodingDef>,
    pub aliases: Vec<AliasDef>,
    pub csrs: Vec<NamedNumber>,
    pub causes: Vec<NamedNumber>,
    pub syscalls: Vec<NamedNumber>,
    pub errnos: Vec<NamedNumber>,
    /// Cost classes in file order: (name, cycles, description).
    pub cost_classes: Vec<CostRow>,
    /// Extra cost events: (name, cycles, description).
    pub cost_events: Vec<CostRow>,
}

/// Lines of a table file with comments and blank lines removed, numbered from 1.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter_map(|(i, l)| {
        let l = l.trim();
        (!l.is_empty() && !l.starts_with('#')).then_some((i + 1, l))
    })
}

fn parse_num(s: &str) -> Option<i64> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let v = if let Some(h) = digits.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()?
    } else {
        digits.parse::<i64>().ok()?
    };
    Some(if neg { -v } else { v })
}

/// Parses `hi..lo` or `bit` into (hi, lo).
fn parse_range(s: &str) -> Option<(u32, u32)> {
    match s.split_once("..") {
        Some((hi, lo)) => Some((hi.parse().ok()?, lo.parse().ok()?)),
        None => {
            let b = s.parse().ok()?;
            Some((b, b))
        }
    }
}

/// Splits a line into whitespace-separated words and a trailing free-text description
/// (everything after the first `n` words).
fn split_words(line: &str, n: usize) -> (Vec<&str>, String) {
    let mut words = Vec::new();
    let mut rest = line;
    while words.len() < n {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        words.push(&rest[..end]);
        rest = &rest[end..];
    }
    (words, rest.trim().to_string())
}

pub fn parse_operands(file: &str, text: &str) -> Result<Vec<OperandDef>, String> {
    let mut out: Vec<OperandDef> = Vec::new();
    for (ln, line) in lines(text) {
        let at = format!("{file}:{ln}");
        let mut words = line.split_whitespace();
        let name = words.next().ok_or(format!("{at}: empty line"))?;
        let ty = match words.next() {
            Some("reg") => OperandType::Reg,
            Some("simm") => OperandType::Simm,
            Some("uimm") => OperandType::Uimm,
            Some("upper") => OperandType::Upper,
            other => return Err(format!("{at}: operand `{name}` has unknown type {other:?}")),
        };
        let mut pieces = Vec::new();
        let mut description = Vec::new();
        for w in words {
            if !description.is_empty() || !w.contains('=') {
                description.push(w);
                continue;
            }
            let (word, value) = w.split_once('=').ok_or(format!("{at}: bad piece `{w}`"))?;
            let (whi, wlo) = parse_range(word).ok_or(format!("{at}: bad bit range `{word}`"))?;
            let (vhi, vlo) = parse_range(value).ok_or(format!("{at}: bad bit range `{value}`"))?;
            if whi < wlo || vhi < vlo || whi > 31 || whi - wlo != vhi - vlo {
                return Err(format!(
                    "{at}: piece `{w}` has mismatched or reversed ranges"
                ));
            }
            pieces.push(Piece {
                word_lo: wlo,
                width: whi - wlo + 1,
                value_lo: vlo,
            });
        }
        if pieces.is_empty() {
            return Err(format!("{at}: operand `{name}` has no bit placement"));
        }
        let def = OperandDef {
            name: name.to_string(),
            ty,
            pieces,
            description: description.join(" "),
        };
        let mut seen = 0u32;
        for p in &def.pieces {
            let m = (((1u64 << p.width) - 1) as u32) << p.word_lo;
            if seen & m != 0 {
                return Err(format!(
                    "{at}: operand `{name}` places two pieces on the same bits"
                ));
            }
            seen |= m;
        }
        if out.iter().any(|o| o.name == name) {
            return Err(format!("{at}: operand `{name}` defined twice"));
        }
        out.push(def);
    }
    Ok(out)
}

/// Which widths a table file applies to, from its name (`rv_*`, `rv32_*`, `rv64_*`).
pub fn widths_of(file: &str) -> Result<Widths, String> {
    if file.starts_with("rv_") {
        Ok(Widths {
            rv32: true,
            rv64: true,
        })
    } else if file.starts_with("rv32_") {
        Ok(Widths {
            rv32: true,
            rv64: false,
        })
    } else if file.starts_with("rv64_") {
        Ok(Widths {
            rv32: false,
            rv64: true,
        })
    } else {
        Err(format!(
            "{file}: instruction files must be named rv_*, rv32_* or rv64_*"
        ))
    }
}

pub fn parse_encodings(
    file: &str,
    text: &str,
    operands: &[OperandDef],
    cost_classes: &[CostRow],
) -> Result<Vec<EncodingDef>, String> {
    let widths = widths_of(file)?;
    let mut out = Vec::new();
    for (ln, line) in lines(text) {
        let at = format!("{file}:{ln}");
        let mut words = line.split_whitespace();
        let mnemonic = words.next().ok_or(format!("{at}: empty line"))?.to_string();
        let at = format!("{at} ({mnemonic})");
        let mut ops = Vec::new();
        let (mut mask, mut bits) = (0u32, 0u32);
        let (mut kind, mut cost) = (None, None);
        for w in words {
            if let Some(k) = w.strip_prefix("kind=") {
                kind = Some(k.to_string());
            } else if let Some(c) = w.strip_prefix("cost=") {
                cost = Some(c.to_string());
            } else if w == "-" {
            } else if let Some((range, value)) = w.split_once('=') {
                let (hi, lo) =
                    parse_range(range).ok_or(format!("{at}: bad bit range `{range}`"))?;
                if hi < lo || hi > 31 {
                    return Err(format!("{at}: bad bit range `{range}`"));
                }
                let v = parse_num(value).ok_or(format!("{at}: bad value `{value}`"))?;
                let width = hi - lo + 1;
                if v < 0 || (v as u64) >= (1u64 << width) {
                    return Err(format!("{at}: value {value} does not fit in bits {range}"));
                }
                let m = (((1u64 << width) - 1) as u32) << lo;
                if mask & m != 0 {
                    return Err(format!("{at}: bits {range} are specified twice"));
                }
                mask |= m;
                bits |= (v as u32) << lo;
            } else {
                let op = operands
                    .iter()
                    .find(|o| o.name == w)
                    .ok_or(format!("{at}: unknown operand `{w}`"))?;
                ops.push(op);
            }
        }
        let kind = kind.ok_or(format!("{at}: missing kind="))?;
        let cost = cost.ok_or(format!("{at}: missing cost="))?;
        if !cost_classes.iter().any(|(c, _, _)| *c == cost) {
            return Err(format!("{at}: unknown cost class `{cost}`"));
        }
        let expected = KINDS
            .iter()
            .find(|(k, _)| *k == kind)
            .ok_or(format!("{at}: unknown kind `{kind}`"))?
            .1;
        let names: Vec<String> = ops
            .iter()
            .map(|o| {
                if o.name.starts_with("shamt") {
                    "shamt".to_string()
                } else {
                    o.name.clone()
                }
            })
            .collect();
        if names != expected.iter().map(|s| s.to_string()).collect::<Vec<_>>() {
            return Err(format!(
                "{at}: kind `{kind}` needs operands {expected:?}, the line has {names:?}"
            ));
        }
        let mut covered = mask;
        for o in &ops {
            let m = o.word_mask();
            if covered & m != 0 {
                return Err(format!(
                    "{at}: operand `{}` overlaps a fixed field or another operand",
                    o.name
                ));
            }
            covered |= m;
        }
        if covered != u32::MAX {
            return Err(format!(
                "{at}: under-specified encoding: bits {:#010x} are neither fixed nor an operand",
                !covered
            ));
        }
        out.push(EncodingDef {
            mnemonic,
            operands: ops.iter().map(|o| o.name.clone()).collect(),
            mask,
            bits,
            kind,
            cost,
            widths,
            origin: at.clone(),
        });
    }
    Ok(out)
}

/// Rejects two encodings that can both match one word in one width, and one mnemonic
/// used with two kinds.
pub fn check_overlaps(encodings: &[EncodingDef]) -> Result<(), String> {
    for (i, a) in encodings.iter().enumerate() {
        for b in &encodings[i + 1..] {
            let shared = (a.widths.rv32 && b.widths.rv32) || (a.widths.rv64 && b.widths.rv64);
            if shared && (a.bits ^ b.bits) & a.mask & b.mask == 0 {
                return Err(format!(
                    "overlapping encodings: {} and {} both match {:#010x}",
                    a.origin,
                    b.origin,
                    a.bits | b.bits
                ));
            }
            if a.mnemonic == b.mnemonic && (a.kind != b.kind || a.cost != b.cost) {
                return Err(format!(
                    "{} and {}: one mnemonic with two kinds or cost classes",
                    a.origin, b.origin
                ));
            }
        }
    }
    Ok(())
}

pub fn parse_aliases(
    file: &str,
    text: &str,
    encodings: &[EncodingDef],
) -> Result<Vec<AliasDef>, String> {
    let mut out = Vec::new();
    for (ln, line) in lines(text) {
        let at = format!("{file}:{ln}");
        let words: Vec<&str> = line.split_whitespace().collect();
        let name = words[0].to_string();
        // Operands run until the base mnemonic, which is a known instruction.
        let base_pos = words
            .iter()
            .enumerate()
            .skip(1)
            .find(|(_, w)| encodings.iter().any(|e| e.mnemonic == **w) && !w.contains('='))
            .map(|(i, _)| i)
            .ok_or(format!(
                "{at}: alias `{name}` names no known base instruction"
            ))?;
        let base = words[base_pos].to_string();
        let base_ops: Vec<&String> = encodings
            .iter()
            .filter(|e| e.mnemonic == base)
            .flat_map(|e| e.operands.iter())
            .collect();
        let known = |n: &str| base_ops.iter().any(|o| *o == n);
        let mut operands = Vec::new();
        for w in &words[1..base_pos] {
            if *w == "-" {
                continue;
            }
            let parts: Vec<&str> = w.split(['(', ')']).filter(|p| !p.is_empty()).collect();
            for p in &parts {
                if !known(p) {
                    return Err(format!(
                        "{at}: alias `{name}`: `{p}` is not an operand of {base}"
                    ));
                }
            }
            operands.push(w.to_string());
        }
        let mut constraints = Vec::new();
        let mut rv32_only = false;
        for w in &words[base_pos + 1..] {
            let (k, v) = w
                .split_once('=')
                .ok_or(format!("{at}: constraint `{w}` is not operand=value"))?;
            if k == "xlen" {
                rv32_only = v == "32";
                continue;
            }
            if !known(k) {
                return Err(format!(
                    "{at}: alias `{name}`: `{k}` is not an operand of {base}"
                ));
            }
            let v = match v {
                "zero" => 0,
                "ra" => 1,
                "sp" => 2,
                _ => parse_num(v).ok_or(format!("{at}: bad constraint value `{v}`"))?,
            };
            constraints.push((k.to_string(), v));
        }
        out.push(AliasDef {
            name,
            operands,
            base,
            constraints,
            rv32_only,
        });
    }
    Ok(out)
}

/// Parses a `number name [extra columns] description` table with `extra` fixed columns.
pub fn parse_named(file: &str, text: &str, extra: usize) -> Result<Vec<NamedNumber>, String> {
    let mut out: Vec<NamedNumber> = Vec::new();
    for (ln, line) in lines(text) {
        let at = format!("{file}:{ln}");
        let (words, description) = split_words(line, 2 + extra);
        if words.len() < 2 + extra {
            return Err(format!("{at}: expected {} columns", 2 + extra));
        }
        let number = parse_num(words[0])
            .filter(|n| *n >= 0)
            .ok_or(format!("{at}: bad number `{}`", words[0]))? as u64;
        let name = words[1].to_string();
        if out.iter().any(|n| n.number == number || n.name == name) {
            return Err(format!("{at}: `{name}` ({number:#x}) is defined twice"));
        }
        out.push(NamedNumber {
            number,
            name,
            extra: words[2..].iter().map(|s| s.to_string()).collect(),
            description,
        });
    }
    Ok(out)
}

/// Parses `costs`: classes first, then (after the second header) extra events.
pub fn parse_costs(file: &str, text: &str) -> Result<(Vec<CostRow>, Vec<CostRow>), String> {
    let mut classes = Vec::new();
    let mut events = Vec::new();
    let mut in_events = false;
    for (ln, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with("# event") {
            in_events = true;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (words, description) = split_words(line, 2);
        let cycles = words
            .get(1)
            .and_then(|w| parse_num(w))
            .filter(|n| *n >= 0)
            .ok_or(format!(
                "{file}:{}: expected `name cycles description`",
                ln + 1
            ))?;
        let entry = (words[0].to_string(), cycles as u64, description);
        if in_events {
            events.push(entry);
        } else {
            classes.push(entry);
        }
    }
    Ok((classes, events))
}

/// Reads and validates every table. `read` returns a file's text by name.
pub fn load(
    read: &dyn Fn(&str) -> Result<String, String>,
    files: &[String],
) -> Result<Tables, String> {
    let mut t = Tables {
        operands: parse_operands("operands", &read("operands")?)?,
        ..Tables::default()
    };
    let (classes, events) = parse_costs(COST_CLASSES_FILE, &read(COST_CLASSES_FILE)?)?;
    t.cost_classes = classes;
    t.cost_events = events;
    for f in files {
        t.encodings
            .extend(parse_encodings(f, &read(f)?, &t.operands, &t.cost_classes)?);
    }
    check_overlaps(&t.encodings)?;
    t.aliases = parse_aliases("aliases", &read("aliases")?, &t.encodings)?;
    t.csrs = parse_named("csrs", &read("csrs")?, 2)?;
    t.causes = parse_named("causes", &read("causes")?, 0)?;
    t.syscalls = parse_named("syscalls", &read("syscalls")?, 0)?;
    t.errnos = parse_named("errno", &read("errno")?, 0)?;
    Ok(t)
}
