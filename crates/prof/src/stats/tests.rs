use super::*;

fn sample() -> (RunFacts, MmuConfig, MmuStats) {
    let mut mmu = MmuStats {
        translations: [100, 30, 10],
        ..MmuStats::default()
    };
    mmu.l1i.accesses = [100, 0, 0];
    mmu.l1i.hits = [96, 0, 0];
    mmu.l1i.misses = [4, 0, 0];
    mmu.l1d.accesses = [0, 30, 10];
    mmu.l1d.hits = [0, 25, 9];
    mmu.l1d.misses = [0, 5, 1];
    mmu.walks[2][3] = 10;
    mmu.pte_reads = 30;
    mmu.pte_reads_by_level = [10, 10, 10, 0, 0];
    mmu.ad_writes = 2;
    mmu.cycles.l1 = 140;
    mmu.cycles.pte_reads = 300;
    mmu.cycles.ad_writes = 20;
    let facts = RunFacts {
        program: "p.s".to_string(),
        xlen: 64,
        instructions: 100,
        cycles_total: 600,
        cycles_translation: 460,
        syscalls: 1,
        os_cycles: 50,
        os_faults: 3,
        minor_faults: 2,
        page_table_bytes: Some(12288),
        frames_in_use: None,
        host_seconds: 0.5,
    };
    (facts, MmuConfig::teaching(), mmu)
}

#[test]
fn stats_are_consistent_and_render_aligned() {
    let (facts, config, mmu) = sample();
    let stats = RunStats::new(&facts, &config, &mmu);
    assert_eq!(stats.cycles.other, 140);
    assert_eq!(stats.translation.walks.count, 10);
    assert_eq!(stats.translation.walks.cycles, 320);
    assert_eq!(stats.translation.l1_hits, 130);
    assert_eq!(stats.tlbs.stlb, None);
    let dtlb = stats.tlbs.dtlb.as_ref().expect("teaching has a DTLB");
    assert_eq!((dtlb.total.accesses, dtlb.total.misses), (40, 6));
    assert_eq!(dtlb.load.mpki, 50.0);
    assert_eq!(
        stats.render(),
        "atlas: run report
  machine                      teaching
  instructions            100
  cycles                  600
  CPI                   6.000
  translation cycles      460  76.67% of all cycles
  other cycles            140
  OS cycles                50  1 syscalls, 3 faults (2 minor)
  page-table bytes     12,288
  frames in use           n/a
  host time           0.500 s  0.0 MIPS

  translation              count  cycles   share
  -----------------------  -----  ------  ------
  L1 TLB lookups             140     140  30.43%
  L2 TLB lookups               0       0   0.00%
  walks (PWC + PTE reads)     10     300  65.22%
  A/D write-backs              2      20   4.35%
  base-bounds                          0   0.00%
  segments                             0   0.00%
  flushes                      0       0   0.00%
  faults                       0       0   0.00%
  walks by PTEs read: 10 x3
  PTE reads 30: level 2 10, level 1 10, level 0 10
  PWC hits: level 1 0/0, level 2 0/0, level 3 0/0, level 4 0/0

  tlb   kind   accesses  hits  misses  hit rate   MPKI
  ----  -----  --------  ----  ------  --------  -----
  ITLB  fetch       100    96       4    96.00%  40.00
  ITLB  total       100    96       4    96.00%  40.00
  DTLB  load         30    25       5    83.33%  50.00
  DTLB  store        10     9       1    90.00%  10.00
  DTLB  total        40    34       6    85.00%  60.00
"
    );
}

#[test]
fn json_has_the_documented_keys() {
    let (facts, config, mmu) = sample();
    let json = RunStats::new(&facts, &config, &mmu)
        .to_json()
        .expect("serializable");
    let value: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(value["schema_version"], 1);
    assert_eq!(value["machine"]["itlb"]["entries"], 4);
    assert_eq!(value["machine"]["stlb"], serde_json::Value::Null);
    assert_eq!(value["cycles"]["translation"], 460);
    assert_eq!(value["translation"]["walks"]["by_depth"][3], 10);
    assert_eq!(value["tlbs"]["dtlb"]["store"]["misses"], 1);
    assert_eq!(value["os"]["frames_in_use"], serde_json::Value::Null);
    // Top-level keys appear in the documented order.
    let keys: Vec<&str> = json
        .lines()
        .filter_map(|l| l.strip_prefix("  \""))
        .filter_map(|l| l.split('"').next())
        .collect();
    assert_eq!(
        keys,
        [
            "schema_version",
            "program",
            "xlen",
            "machine",
            "instructions",
            "cycles",
            "cpi",
            "translation_share",
            "translation",
            "tlbs",
            "os",
            "host"
        ]
    );
}
