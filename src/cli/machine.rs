//! The machine-configuration options shared by `atlas run`, `atlas explain` and `atlas trace
//! replay`: a preset, then TLB and page-walk-cache overrides.
//!
//! ```text
//! --preset teaching|modern        start from a preset (default: modern)
//! --itlb  SPEC                    L1 instruction TLB
//! --dtlb  SPEC                    L1 data TLB
//! --stlb  SPEC                    unified L2 TLB (STLB)
//! --pwc   LEVEL=SPEC              page-walk cache for the pointers read at LEVEL (1 to 4);
//!                                 repeatable
//! --no-pwc                        no page-walk caches (applied before any --pwc)
//!
//! SPEC = none | ENTRIES[xWAYS][:POLICY]
//!   ENTRIES  total entries; WAYS ways per set (default: ENTRIES, fully associative);
//!            ENTRIES must be a multiple of WAYS (sets = ENTRIES / WAYS)
//!   POLICY   lru | plru | fifo | random | lfu (default: the preset's policy for it, else lru)
//! ```
//!
//! Examples: `--dtlb 64x4:lru` (16 sets of 4 ways), `--itlb 8` (8 entries, fully
//! associative), `--stlb 1536x12:plru`, `--stlb none`, `--pwc 1=32x4`.

use atlas_mmu::{Geometry, MmuConfig, PolicyKind};

/// A TLB or page-walk-cache shape as given on the command line; `None` removes it.
pub type Spec = Option<GeometrySpec>;

/// `ENTRIES[xWAYS][:POLICY]` parsed, before the preset supplies a default policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GeometrySpec {
    /// Number of sets.
    pub sets: u32,
    /// Ways per set.
    pub ways: u32,
    /// Replacement policy, if given.
    pub policy: Option<PolicyKind>,
}

impl GeometrySpec {
    /// The geometry, taking the policy from `inherited` when the spec names none.
    fn resolve(self, inherited: Option<Geometry>) -> Geometry {
        let policy = self
            .policy
            .or(inherited.map(|g| g.policy))
            .unwrap_or(PolicyKind::Lru);
        Geometry::new(self.sets, self.ways, policy)
    }
}

/// The machine options, flattened into each subcommand that builds a machine.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct MachineArgs {
    /// Machine preset: `teaching` (tiny fully associative TLBs, no STLB, no PWC) or `modern`
    /// (64-entry 4-way L1 TLBs, 1536-entry 12-way STLB, PWCs). Default: modern.
    #[arg(long, value_name = "NAME", value_parser = parse_preset)]
    pub preset: Option<MmuConfig>,
    /// L1 instruction TLB: `none` or ENTRIES[xWAYS][:POLICY], e.g. `64x4:plru`.
    #[arg(long, value_name = "SPEC", value_parser = parse_spec)]
    pub itlb: Option<Spec>,
    /// L1 data TLB: `none` or ENTRIES[xWAYS][:POLICY].
    #[arg(long, value_name = "SPEC", value_parser = parse_spec)]
    pub dtlb: Option<Spec>,
    /// Unified L2 TLB: `none` or ENTRIES[xWAYS][:POLICY].
    #[arg(long, value_name = "SPEC", value_parser = parse_spec)]
    pub stlb: Option<Spec>,
    /// Page-walk cache of one level: LEVEL=SPEC (LEVEL 1 to 4), repeatable.
    #[arg(long, value_name = "LEVEL=SPEC", value_parser = parse_pwc)]
    pub pwc: Vec<(usize, Spec)>,
    /// No page-walk caches (before any --pwc).
    #[arg(long)]
    pub no_pwc: bool,
}

impl MachineArgs {
    /// The MMU configuration these options describe, checked. Any override renames the
    /// configuration `PRESET+custom`.
    pub fn config(&self) -> Result<MmuConfig, String> {
        let mut config = self.preset.clone().unwrap_or_default();
        let overridden =
            self.itlb.is_some() || self.dtlb.is_some() || self.stlb.is_some() || self.no_pwc;
        let overridden = overridden || !self.pwc.is_empty();
        for (slot, spec) in [
            (&mut config.l1i, self.itlb),
            (&mut config.l1d, self.dtlb),
            (&mut config.l2, self.stlb),
        ] {
            if let Some(spec) = spec {
                *slot = spec.map(|g| g.resolve(*slot));
            }
        }
        if self.no_pwc {
            config.pwc = [None; 4];
        }
        for &(level, spec) in &self.pwc {
            if let Some(slot) = level.checked_sub(1).and_then(|i| config.pwc.get_mut(i)) {
                *slot = spec.map(|g| g.resolve(*slot));
            }
        }
        if overridden {
            config.name = format!("{}+custom", config.name);
        }
        config.validate()?;
        Ok(config)
    }
}

/// Parses a preset name.
pub fn parse_preset(s: &str) -> Result<MmuConfig, String> {
    MmuConfig::preset(s).ok_or_else(|| {
        format!(
            "unknown preset `{s}` (expected one of: {})",
            MmuConfig::PRESETS.join(", ")
        )
    })
}

/// Parses `none` or `ENTRIES[xWAYS][:POLICY]`.
pub fn parse_spec(s: &str) -> Result<Spec, String> {
    if s == "none" {
        return Ok(None);
    }
    let (shape, policy) = match s.split_once(':') {
        Some((shape, name)) => {
            let policy = PolicyKind::parse(name).ok_or_else(|| {
                let names: Vec<&str> = PolicyKind::ALL.iter().map(|p| p.name()).collect();
                format!(
                    "unknown replacement policy `{name}` (expected one of: {})",
                    names.join(", ")
                )
            })?;
            (shape, Some(policy))
        }
        None => (s, None),
    };
    let number = |t: &str| -> Result<u32, String> {
        t.parse::<u32>().ok().filter(|&n| n > 0).ok_or_else(|| {
            format!("`{s}`: expected none or ENTRIES[xWAYS][:POLICY], e.g. 64x4:lru")
        })
    };
    let (entries, ways) = match shape.split_once('x') {
        Some((e, w)) => (number(e)?, number(w)?),
        None => {
            let e = number(shape)?;
            (e, e)
        }
    };
    if entries % ways != 0 {
        return Err(format!(
            "`{s}`: {entries} entries are not a whole number of sets of {ways} ways"
        ));
    }
    Ok(Some(GeometrySpec {
        sets: entries / ways,
        ways,
        policy,
    }))
}

/// Parses `LEVEL=SPEC` for `--pwc`.
pub fn parse_pwc(s: &str) -> Result<(usize, Spec), String> {
    let (level, spec) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: expected LEVEL=SPEC, e.g. 1=32x4:lru"))?;
    let level = level
        .parse::<usize>()
        .ok()
        .filter(|l| (1..=4).contains(l))
        .ok_or_else(|| format!("`{s}`: the PWC level must be 1, 2, 3 or 4"))?;
    Ok((level, parse_spec(spec)?))
}

/// One line per structure describing `config`, for reports: e.g. `dtlb 16x4 plru`.
pub fn describe(config: &MmuConfig) -> String {
    let shape = |g: Option<Geometry>| match g {
        Some(g) => format!("{}x{} {}", g.sets, g.ways, g.policy.name()),
        None => "none".to_string(),
    };
    let pwcs: Vec<String> = config
        .pwc
        .iter()
        .enumerate()
        .filter_map(|(i, g)| g.map(|g| format!("L{}:{}", i + 1, shape(Some(g)))))
        .collect();
    format!(
        "{}: itlb {}, dtlb {}, stlb {}, pwc {}",
        config.name,
        shape(config.l1i),
        shape(config.l1d),
        shape(config.l2),
        if pwcs.is_empty() {
            "none".to_string()
        } else {
            pwcs.join(" ")
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(f: impl FnOnce(&mut MachineArgs)) -> MachineArgs {
        let mut a = MachineArgs::default();
        f(&mut a);
        a
    }

    #[test]
    fn specs_parse_into_sets_and_ways() {
        let spec = |sets, ways, policy| Ok(Some(GeometrySpec { sets, ways, policy }));
        assert_eq!(parse_spec("64x4:lru"), spec(16, 4, Some(PolicyKind::Lru)));
        assert_eq!(parse_spec("8"), spec(1, 8, None));
        assert_eq!(parse_spec("1536x12"), spec(128, 12, None));
        assert_eq!(parse_spec("none"), Ok(None));
        assert_eq!(
            parse_spec("10x4"),
            Err("`10x4`: 10 entries are not a whole number of sets of 4 ways".to_string())
        );
        assert_eq!(
            parse_spec("0"),
            Err("`0`: expected none or ENTRIES[xWAYS][:POLICY], e.g. 64x4:lru".to_string())
        );
        assert_eq!(
            parse_spec("4:mru"),
            Err(
                "unknown replacement policy `mru` (expected one of: lru, plru, fifo, random, lfu)"
                    .to_string()
            )
        );
        assert_eq!(
            parse_pwc("2=4x4"),
            Ok((
                2,
                Some(GeometrySpec {
                    sets: 1,
                    ways: 4,
                    policy: None
                })
            ))
        );
        assert_eq!(
            parse_pwc("5=4"),
            Err("`5=4`: the PWC level must be 1, 2, 3 or 4".to_string())
        );
    }

    #[test]
    fn overrides_apply_over_the_preset() {
        assert_eq!(MachineArgs::default().config(), Ok(MmuConfig::modern()));
        let custom = args(|a| {
            a.preset = Some(MmuConfig::teaching());
            a.dtlb = Some(parse_spec("8x2").expect("valid"));
            a.stlb = Some(parse_spec("32x4:fifo").expect("valid"));
            a.pwc = vec![parse_pwc("1=4").expect("valid")];
        })
        .config()
        .expect("valid");
        assert_eq!(custom.name, "teaching+custom");
        assert_eq!(custom.l1d, Some(Geometry::new(4, 2, PolicyKind::Lru)));
        assert_eq!(custom.l2, Some(Geometry::new(8, 4, PolicyKind::Fifo)));
        assert_eq!(custom.pwc[0], Some(Geometry::new(1, 4, PolicyKind::Lru)));
        let modern = args(|a| {
            a.itlb = Some(parse_spec("32x8").expect("valid"));
            a.no_pwc = true;
        })
        .config()
        .expect("valid");
        // The preset's policy carries over when the spec names none.
        assert_eq!(modern.l1i, Some(Geometry::new(4, 8, PolicyKind::TreePlru)));
        assert_eq!(modern.pwc, [None; 4]);
        assert_eq!(
            describe(&modern),
            "modern+custom: itlb 4x8 plru, dtlb 16x4 plru, stlb 128x12 plru, pwc none"
        );
    }
}
