use super::*;

fn render<const N: usize>(
    events: &[&str; N],
    rows: Vec<(&str, &str, u32, [u64; N])>,
) -> (String, [u64; N]) {
    let mut out = Vec::new();
    let totals = write_profile(&mut out, "programs/hello.s", events, rows).unwrap();
    (String::from_utf8(out).unwrap(), totals)
}

#[test]
fn writes_the_documented_layout_with_name_compression() {
    let rows = vec![
        ("hello.s", "main", 7, [3, 9, 1]),
        ("lib.s", "helper", 2, [1, 4, 0]),
        ("hello.s", "loop", 12, [40, 80, 2]),
        ("hello.s", "main", 5, [1, 1, 0]),
        ("hello.s", "main", 7, [2, 2, 1]),
        ("lib.s", "main", 9, [1, 1, 0]),
        ("hello.s", "main", 8, [0, 0, 0]),
    ];
    let (text, totals) = render(&["Ir", "Cycles", "DTLBMiss"], rows);
    assert_eq!(totals, [48, 97, 4]);
    assert_eq!(
        text,
        "# callgrind format\n\
         version: 1\n\
         creator: atlas\n\
         cmd: programs/hello.s\n\
         positions: line\n\
         events: Ir Cycles DTLBMiss\n\
         summary: 48 97 4\n\
         \n\
         fl=(1) hello.s\n\
         fn=(1) loop\n\
         12 40 80 2\n\
         fn=(2) main\n\
         5 1 1 0\n\
         7 5 11 2\n\
         \n\
         fl=(2) lib.s\n\
         fn=(3) helper\n\
         2 1 4 0\n\
         fn=(2)\n\
         9 1 1 0\n\
         \n\
         totals: 48 97 4\n"
    );
}

#[test]
fn an_empty_profile_still_has_header_and_zero_totals() {
    let (text, totals) = render(&["Ir"], Vec::new());
    assert_eq!(totals, [0]);
    assert_eq!(
        text,
        "# callgrind format\nversion: 1\ncreator: atlas\ncmd: programs/hello.s\npositions: line\n\
         events: Ir\nsummary: 0\n\ntotals: 0\n"
    );
}

#[test]
fn hostile_names_cannot_break_lines() {
    let (text, _) = render(&["Ir"], vec![("", "evil\nfn=(9) x", 1, [1])]);
    assert_eq!(
        text.lines().skip(7).collect::<Vec<_>>(),
        [
            "",
            "fl=(1) ???",
            "fn=(1) evil?fn=(9) x",
            "1 1",
            "",
            "totals: 1"
        ]
    );
}

#[test]
fn bad_event_lists_are_refused() {
    let err = |events: &[&str; 2]| {
        write_profile(
            Vec::new(),
            "x",
            events,
            Vec::<(&str, &str, u32, [u64; 2])>::new(),
        )
        .unwrap_err()
        .to_string()
    };
    assert_eq!(
        err(&["Ir", "TLB miss"]),
        "invalid callgrind event list: event name \"TLB miss\" is not a letter followed by letters, digits or _"
    );
    assert_eq!(
        err(&["Ir", "1st"]),
        "invalid callgrind event list: event name \"1st\" is not a letter followed by letters, digits or _"
    );
    assert_eq!(
        err(&["Ir", "Ir"]),
        "invalid callgrind event list: event name \"Ir\" appears twice"
    );
    let none = write_profile(
        Vec::new(),
        "x",
        &[],
        Vec::<(&str, &str, u32, [u64; 0])>::new(),
    )
    .unwrap_err();
    assert_eq!(none.to_string(), "invalid callgrind event list: no events");
    assert_eq!(DEFAULT_EVENTS.len(), 7);
    assert_eq!(
        validate_events(&DEFAULT_EVENTS).map_err(|e| e.to_string()),
        Ok(())
    );
}

#[test]
fn totals_that_overflow_are_an_error() {
    let rows = vec![("a.s", "f", 1, [u64::MAX, 1]), ("a.s", "g", 1, [1, 1])];
    let err = write_profile(Vec::new(), "x", &["Ir", "Cycles"], rows).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the total of callgrind event Ir does not fit in 64 bits"
    );
}

/// Source text for the sample's files: one plain line per source line.
fn sample_source(name: &str, lines: u32) -> String {
    (1..=lines)
        .map(|n| format!("    {name} source line {n}\n"))
        .collect()
}

/// Writes a sample profile and the sources it points at into `$ATLAS_CALLGRIND_SAMPLE_DIR`
/// (default: a folder under the system temp dir), for `.ci/callgrind-check`, which runs
/// `callgrind_annotate` on it.
#[test]
#[ignore = "run by .ci/callgrind-check"]
fn write_sample() {
    let dir = std::env::var_os("ATLAS_CALLGRIND_SAMPLE_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("atlas-callgrind-sample"));
    std::fs::create_dir_all(dir.join("lib")).unwrap();
    std::fs::write(dir.join("hello.s"), sample_source("hello", 40)).unwrap();
    std::fs::write(dir.join("lib/util.s"), sample_source("util", 12)).unwrap();
    let rows = vec![
        ("hello.s", "_start", 3, [1, 5, 1, 0, 1, 42, 1]),
        ("hello.s", "_start", 4, [1, 1, 0, 1, 1, 38, 1]),
        (
            "hello.s",
            "main",
            10,
            [4_000_000_123, 9_000_000_000, 0, 2, 0, 77, 0],
        ),
        (
            "hello.s",
            "main",
            11,
            [4_000_000_123, 4_000_000_200, 0, 1_234_567, 3, 1_000, 2],
        ),
        ("hello.s", "main", 12, [17, 17, 0, 0, 0, 0, 0]),
        ("hello.s", "loop", 30, [123_456, 234_567, 1, 99, 9, 900, 0]),
        ("hello.s", "loop", 31, [123_456, 123_456, 0, 0, 0, 0, 0]),
        ("hello.s", "main", 10, [5, 5, 0, 0, 0, 0, 0]),
        ("lib/util.s", "memcpy", 2, [1_000, 3_000, 1, 250, 4, 400, 0]),
        ("lib/util.s", "memcpy", 3, [1_000, 1_000, 0, 0, 0, 0, 0]),
        ("lib/util.s", "main", 12, [2, 2, 0, 0, 0, 0, 0]),
        ("lib/util.s", "memcpy", 5, [0, 0, 0, 0, 0, 0, 0]),
    ];
    let file = std::fs::File::create(dir.join("profile.callgrind")).unwrap();
    let totals = write_profile(file, "programs/hello.s --mmu sv39", &DEFAULT_EVENTS, rows).unwrap();
    assert_eq!(
        totals,
        [8_000_249_184, 13_000_362_253, 3, 1_234_919, 18, 2_457, 4]
    );
}
