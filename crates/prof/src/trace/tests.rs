use super::*;
use proptest::prelude::*;

fn header() -> TraceHeader {
    TraceHeader {
        xlen_bits: 64,
        mmu_mode: "sv39".to_string(),
        program: "hello".to_string(),
    }
}

fn record(kind: AccessKind, pc: u64, va: u64, pa: u64, size: u8, resolved: Resolution) -> Record {
    Record {
        kind,
        pc,
        va,
        pa,
        size,
        resolved,
        mapping: Mapping::START,
    }
}

fn encode(header: &TraceHeader, records: &[Record]) -> Vec<u8> {
    let mut writer = TraceWriter::new(Vec::new(), header).unwrap();
    for r in records {
        writer.write(r).unwrap();
    }
    assert_eq!(writer.records_written(), records.len() as u64);
    writer.finish().unwrap()
}

/// Reads everything: the records before the first error, and that error.
fn decode(bytes: &[u8]) -> (Vec<Record>, Option<TraceError>) {
    let reader = match TraceReader::new(bytes) {
        Ok(reader) => reader,
        Err(e) => return (Vec::new(), Some(e)),
    };
    let mut records = Vec::new();
    for item in reader {
        match item {
            Ok(r) => records.push(r),
            Err(e) => return (records, Some(e)),
        }
    }
    (records, None)
}

fn sample_records() -> Vec<Record> {
    use AccessKind::*;
    let walk = Resolution::Walk {
        depth: 3,
        pwc_hits: 2,
    };
    vec![
        record(Fetch, 0x10074, 0x10074, 0x8001_0074, 4, Resolution::L1),
        record(Load, 0x10074, 0x7fff_fff0, 0x8020_0ff0, 8, Resolution::L1),
        record(Fetch, 0x10078, 0x10078, 0x8001_0078, 4, Resolution::L1),
        record(Store, 0x10078, 0x7fff_fff8, 0x8020_0ff8, 8, walk),
        record(Load, 0x10078, 0x7fff_fff8, 0x8020_0ff8, 3, walk),
    ]
}

#[test]
fn encodes_the_documented_bytes() {
    let bytes = encode(&header(), &sample_records());
    let mut expected = Vec::new();
    expected.extend_from_slice(b"ATLASTRC");
    expected.extend_from_slice(&[2, 0, 0, 0]);
    expected.extend_from_slice(&[
        64, 4, b's', b'v', b'3', b'9', 5, b'h', b'e', b'l', b'l', b'o',
    ]);
    // fetch: size 4, VA = PC; PC delta 0x10070 (zigzag 0x200e0, u32 varint); resolution L1;
    // PA - VA delta 0x8000_0000 (zigzag 0x1_0000_0000, u64 varint).
    expected.extend_from_slice(&[0x28, 0xfc, 0xe0, 0x00, 0x02, 0x00, 0x01]);
    expected.extend_from_slice(&[0xfd, 0, 0, 0, 0, 1, 0, 0, 0]);
    // load: size 8, same PC; resolution L1; VA delta 0x7fff_fff0; PA - VA delta 0x20_1000.
    expected.extend_from_slice(&[
        0x1d, 0x01, 0xfc, 0xe0, 0xff, 0xff, 0xff, 0xfc, 0x00, 0x20, 0x40, 0x00,
    ]);
    // fetch: everything predicted.
    expected.push(0xf8);
    // store from a new PC, so a fresh data stream: walk (depth 3, 2 PWC hits);
    // VA delta 0x7fff_fff8; PA - VA delta 0x20_1000.
    expected.extend_from_slice(&[
        0x1e, 0x03, 0x03, 0x02, 0xfc, 0xf0, 0xff, 0xff, 0xff, 0xfc, 0x00, 0x20, 0x40, 0x00,
    ]);
    // load of 3 bytes by the same PC: explicit size, walk again; the stream predicts
    // 0x7fff_fff8 + stride 0x7fff_fff8, so VA delta -0x7fff_fff8 (zigzag 0xffff_ffef).
    expected.extend_from_slice(&[0x51, 0x13, 0x03, 0x02, 0x03, 0xfc, 0xef, 0xff, 0xff, 0xff]);
    // end marker, 5 records.
    expected.extend_from_slice(&[0x03, 0x05]);
    assert_eq!(bytes, expected);
}

#[test]
fn round_trips_the_sample_and_its_header() {
    let bytes = encode(&header(), &sample_records());
    let reader = TraceReader::new(bytes.as_slice()).unwrap();
    assert_eq!(reader.header(), &header());
    let (records, error) = decode(&bytes);
    assert_eq!(records, sample_records());
    assert_eq!(error.map(|e| e.to_string()), None);
}

#[test]
fn round_trips_every_resolution_and_extreme_addresses() {
    use AccessKind::*;
    let resolutions = [
        Resolution::FastPath,
        Resolution::L1,
        Resolution::L2,
        Resolution::Walk {
            depth: 0,
            pwc_hits: 0,
        },
        Resolution::Walk {
            depth: 255,
            pwc_hits: 255,
        },
        Resolution::NoTranslation,
        Resolution::BaseBounds,
        Resolution::Segment,
        Resolution::Fault,
    ];
    let mut records = Vec::new();
    for (i, resolved) in resolutions.into_iter().enumerate() {
        let i = i as u64;
        records.push(record(Fetch, u64::MAX - i, u64::MAX - i, i, 4, resolved));
        records.push(record(Load, 0, u64::MAX, 0, 0, resolved));
        records.push(record(Store, i << 60, 1 << 63, u64::MAX, 255, resolved));
        records.push(record(Load, 7, 6, 5, 2, resolved));
    }
    let bytes = encode(&header(), &records);
    let (decoded, error) = decode(&bytes);
    assert_eq!(error.map(|e| e.to_string()), None);
    assert_eq!(decoded, records);
}

#[test]
fn empty_trace_is_header_and_end_marker() {
    let h = TraceHeader {
        xlen_bits: 32,
        mmu_mode: String::new(),
        program: String::new(),
    };
    let bytes = encode(&h, &[]);
    assert_eq!(
        bytes,
        [b"ATLASTRC".as_slice(), &[2, 0, 0, 0, 32, 0, 0, 0x03, 0x00]].concat()
    );
    let reader = TraceReader::new(bytes.as_slice()).unwrap();
    assert_eq!(reader.header(), &h);
    assert_eq!(reader.count(), 0);
}

/// An array-sum loop as a paged run would trace it: per iteration one fetch per
/// instruction, an array load walking forward through 4 KiB pages (a walk on each new page),
/// and a store to a stack slot.
fn array_sum_loop(iterations: u64) -> Vec<Record> {
    use AccessKind::*;
    let code = 0x10074u64;
    let array = 0x11000u64;
    let stack_slot = 0x7fff_ffe8u64;
    // Frames are scattered, as a frame allocator hands them out.
    let frame = |va: u64| ((va >> 12).wrapping_mul(0x9e37) & 0xffff) << 12 | (va & 0xfff);
    let mut out = Vec::new();
    for i in 0..iterations {
        let fetch = |n: u64, resolved| {
            let pc = code + 4 * n;
            record(Fetch, pc, pc, frame(pc), 4, resolved)
        };
        let first = if i == 0 {
            Resolution::Walk {
                depth: 3,
                pwc_hits: 0,
            }
        } else {
            Resolution::FastPath
        };
        out.push(fetch(0, first));
        let va = array + 4 * i;
        let resolved = if va & 0xfff == 0 {
            Resolution::Walk {
                depth: 3,
                pwc_hits: 2,
            }
        } else {
            Resolution::L1
        };
        out.push(record(Load, code, va, frame(va), 4, resolved));
        out.push(fetch(1, Resolution::FastPath));
        out.push(fetch(2, Resolution::FastPath));
        out.push(record(
            Store,
            code + 8,
            stack_slot,
            frame(stack_slot),
            8,
            Resolution::L1,
        ));
        out.push(fetch(3, Resolution::FastPath));
        out.push(fetch(4, Resolution::FastPath));
        out.push(fetch(5, Resolution::FastPath));
    }
    out
}

#[test]
fn realistic_loop_costs_about_one_byte_per_record() {
    let records = array_sum_loop(10_000);
    assert_eq!(records.len(), 80_000);
    let bytes = encode(&header(), &records);
    let header_bytes = 8 + 4 + 12;
    let body = bytes.len() - header_bytes;
    assert_eq!(body, 90_135);
    // 1.13 bytes per record, far under the 8-byte budget.
    assert_eq!(body * 100 / records.len(), 112);
    let (decoded, error) = decode(&bytes);
    assert_eq!(error.map(|e| e.to_string()), None);
    assert_eq!(decoded, records);
}

#[test]
fn writer_rejects_headers_the_format_cannot_hold() {
    let bad_xlen = TraceHeader {
        xlen_bits: 16,
        ..header()
    };
    let err = TraceWriter::new(Vec::new(), &bad_xlen).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid trace header field xlen_bits: 16 is neither 32 nor 64"
    );
    let long = TraceHeader {
        program: "p".repeat(MAX_HEADER_FIELD + 1),
        ..header()
    };
    let err = TraceWriter::new(Vec::new(), &long).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid trace header field program: 4097 bytes long; the limit is 4096"
    );
    let longest = TraceHeader {
        program: "p".repeat(MAX_HEADER_FIELD),
        mmu_mode: "m".repeat(MAX_HEADER_FIELD),
        ..header()
    };
    let bytes = encode(&longest, &sample_records());
    assert_eq!(
        TraceReader::new(bytes.as_slice()).unwrap().header(),
        &longest
    );
}

#[test]
fn wrong_magic_and_wrong_version_are_named() {
    let mut bytes = encode(&header(), &sample_records());
    bytes[0] = b'X';
    let (_, err) = decode(&bytes);
    assert_eq!(
        err.unwrap().to_string(),
        "not an Atlas trace file: it starts with [58, 54, 4c, 41, 53, 54, 52, 43], not \"ATLASTRC\""
    );
    let mut bytes = encode(&header(), &sample_records());
    bytes[8] = 1;
    let (_, err) = decode(&bytes);
    assert_eq!(
        err.unwrap().to_string(),
        "trace format version 1 is not supported (this build reads version 2)"
    );
}

#[test]
fn truncation_anywhere_is_reported_as_truncation() {
    let full = encode(&header(), &sample_records());
    for cut in 0..full.len() {
        let (records, err) = decode(&full[..cut]);
        let err = err.unwrap_or_else(|| panic!("cut at {cut} read as complete"));
        assert!(
            matches!(err, TraceError::Truncated { .. }),
            "cut at {cut}: {err}"
        );
        assert!(records.len() <= 5);
        assert_eq!(records[..], sample_records()[..records.len()]);
    }
    let (_, err) = decode(&full[..5]);
    assert_eq!(
        err.unwrap().to_string(),
        "trace file ends early at byte 5 in the header (cut short, or the run did not finish writing it)"
    );
    // Cut inside the store record (index 3): it starts at byte 53.
    let (records, err) = decode(&full[..54]);
    assert_eq!(records.len(), 3);
    assert_eq!(
        err.unwrap().to_string(),
        "trace file ends early at byte 54 in entry 3 (cut short, or the run did not finish writing it)"
    );
    // Cut exactly before the end marker: all records, then the missing marker.
    let (records, err) = decode(&full[..full.len() - 2]);
    assert_eq!(records, sample_records());
    assert_eq!(
        err.unwrap().to_string(),
        "trace file ends early at byte 77 at the end marker (cut short, or the run did not finish writing it)"
    );
}

#[test]
fn damaged_end_markers_and_reserved_bits_are_corrupt() {
    let full = encode(&header(), &sample_records());
    let mut trailing = full.clone();
    trailing.push(0);
    let (records, err) = decode(&trailing);
    assert_eq!(records.len(), 5);
    assert_eq!(
        err.unwrap().to_string(),
        "corrupt trace file at byte 79 at the end marker: bytes follow the end marker"
    );

    let mut miscount = full.clone();
    let last = miscount.len() - 1;
    miscount[last] = 4;
    let (_, err) = decode(&miscount);
    assert_eq!(
        err.unwrap().to_string(),
        "corrupt trace file at byte 77 at the end marker: the end marker counts 4 entries but the file holds 5"
    );

    let mut control = full.clone();
    control[last - 1] = 0x0b;
    let (_, err) = decode(&control);
    assert_eq!(
        err.unwrap().to_string(),
        "corrupt trace file at byte 77 at the end marker: unknown control byte 0x0b"
    );

    // The first record's resolution byte is at offset 30 (after its flags and PC delta).
    let mut reserved = full.clone();
    reserved[30] = 0x41;
    let (_, err) = decode(&reserved);
    assert_eq!(
        err.unwrap().to_string(),
        "corrupt trace file at byte 24 in entry 0: reserved bits set in resolution byte 0x41"
    );
    let mut tag = full;
    tag[30] = 0x0c;
    let (_, err) = decode(&tag);
    assert_eq!(
        err.unwrap().to_string(),
        "corrupt trace file at byte 24 in entry 0: unknown resolution tag 12"
    );
}

#[test]
fn bad_header_fields_are_corrupt_not_allocations() {
    let mut prefix = Vec::new();
    prefix.extend_from_slice(b"ATLASTRC");
    prefix.extend_from_slice(&[2, 0, 0, 0]);
    // xlen 64, then a string length of 2^62 (u64 varint).
    let mut huge = prefix.clone();
    huge.extend_from_slice(&[64, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0x40]);
    let (_, err) = decode(&huge);
    assert_eq!(
        err.unwrap().to_string(),
        "corrupt trace file at byte 12 in the header: a length field exceeds the header size limit"
    );
    let mut xlen = prefix.clone();
    xlen.extend_from_slice(&[16, 0, 0, 0x03, 0x00]);
    let (_, err) = decode(&xlen);
    assert_eq!(
        err.unwrap().to_string(),
        "corrupt trace file at byte 12 in the header: xlen 16 is neither 32 nor 64"
    );
    let mut utf8 = prefix;
    utf8.extend_from_slice(&[32, 1, 0xff, 0, 0x03, 0x00]);
    let (_, err) = decode(&utf8);
    assert!(matches!(
        err,
        Some(TraceError::Corrupt {
            offset: 12,
            place: TracePlace::Header,
            ..
        })
    ));
}

/// xorshift64*, so the fuzz inputs are the same on every run.
fn next_random(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

#[test]
fn random_bytes_and_bit_flips_never_panic() {
    let valid = encode(&header(), &array_sum_loop(50));
    let mut state = 0x1234_5678_9abc_def0u64;
    let mut outcomes = [0usize; 3];
    for round in 0..3000 {
        let bytes = if round % 2 == 0 {
            // A valid prefix (so the record decoder is reached) followed by noise.
            let len = (next_random(&mut state) % 200) as usize;
            let mut b = valid[..24].to_vec();
            b.extend((0..len).map(|_| next_random(&mut state) as u8));
            b
        } else {
            let mut b = valid.clone();
            for _ in 0..1 + next_random(&mut state) % 4 {
                let at = (next_random(&mut state) % b.len() as u64) as usize;
                b[at] ^= 1 << (next_random(&mut state) % 8);
            }
            b
        };
        let (records, err) = decode(&bytes);
        assert!(records.len() <= bytes.len());
        match err {
            None => outcomes[0] += 1,
            Some(TraceError::Truncated { .. }) => outcomes[1] += 1,
            Some(_) => outcomes[2] += 1,
        }
    }
    assert_eq!(outcomes.iter().sum::<usize>(), 3000);
    // Flips inside deltas often still decode (to other addresses); nothing panics.
    assert_eq!(outcomes, [399, 25, 2576]);
}

#[test]
fn dump_prints_one_documented_line_per_record() {
    assert_eq!(
        dump_line(&record(
            AccessKind::Load,
            0x10074,
            0x7fff_fff0,
            0x7fff_fff0,
            8,
            Resolution::NoTranslation
        )),
        "L 10074 7ffffff0 7ffffff0 8"
    );
    let bytes = encode(&header(), &sample_records());
    let mut out = Vec::new();
    let n = dump(TraceReader::new(bytes.as_slice()).unwrap(), &mut out).unwrap();
    assert_eq!(n, 5);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "I 10074 10074 80010074 4\n\
         L 10074 7ffffff0 80200ff0 8\n\
         I 10078 10078 80010078 4\n\
         S 10078 7ffffff8 80200ff8 8\n\
         L 10078 7ffffff8 80200ff8 3\n"
    );
}

#[test]
fn dump_stops_at_the_first_error_after_printing_what_it_read() {
    let bytes = encode(&header(), &sample_records());
    let mut out = Vec::new();
    let err = dump(
        TraceReader::new(&bytes[..bytes.len() - 2]).unwrap(),
        &mut out,
    )
    .unwrap_err();
    assert!(matches!(
        err,
        TraceError::Truncated {
            place: TracePlace::End,
            ..
        }
    ));
    assert_eq!(String::from_utf8(out).unwrap().lines().count(), 5);
}

#[test]
fn resolution_names() {
    let names: Vec<_> = [
        Resolution::FastPath,
        Resolution::L1,
        Resolution::L2,
        Resolution::Walk {
            depth: 1,
            pwc_hits: 0,
        },
        Resolution::NoTranslation,
        Resolution::BaseBounds,
        Resolution::Segment,
        Resolution::Fault,
    ]
    .iter()
    .map(|r| r.name())
    .collect();
    assert_eq!(
        names,
        [
            "fast-path",
            "l1",
            "l2",
            "walk",
            "bare",
            "base-bounds",
            "segment",
            "fault"
        ]
    );
}

fn arb_resolution() -> impl Strategy<Value = Resolution> {
    prop_oneof![
        Just(Resolution::FastPath),
        Just(Resolution::L1),
        Just(Resolution::L2),
        (any::<u8>(), any::<u8>())
            .prop_map(|(depth, pwc_hits)| Resolution::Walk { depth, pwc_hits }),
        Just(Resolution::NoTranslation),
        Just(Resolution::BaseBounds),
        Just(Resolution::Segment),
        Just(Resolution::Fault),
    ]
}

fn arb_record() -> impl Strategy<Value = Record> {
    let kind = prop_oneof![
        Just(AccessKind::Fetch),
        Just(AccessKind::Load),
        Just(AccessKind::Store)
    ];
    (
        kind,
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        any::<u8>(),
        arb_resolution(),
        (any::<u16>(), 0u8..64, any::<bool>(), any::<bool>()),
    )
        .prop_map(
            |(kind, pc, va, pa, size, resolved, (asid, page_shift, global, dirty))| Record {
                kind,
                pc,
                va,
                pa,
                size,
                resolved,
                mapping: Mapping {
                    asid,
                    page_shift,
                    global,
                    dirty,
                },
            },
        )
}

proptest! {
    #[test]
    fn any_record_sequence_round_trips(records in proptest::collection::vec(arb_record(), 0..64)) {
        let bytes = encode(&header(), &records);
        let (decoded, error) = decode(&bytes);
        prop_assert_eq!(error.map(|e| e.to_string()), None);
        prop_assert_eq!(decoded, records);
    }
}

#[test]
fn flushes_are_kept_in_order_and_skipped_by_the_access_iterator() {
    use AccessKind::*;
    let a = record(Fetch, 0x1000, 0x1000, 0x8000_1000, 4, Resolution::L1);
    let b = record(Fetch, 0x1004, 0x1004, 0x8000_1004, 4, Resolution::L1);
    let flushes = [
        Flush {
            va: None,
            asid: None,
        },
        Flush {
            va: Some(0x7fff_f000),
            asid: None,
        },
        Flush {
            va: None,
            asid: Some(3),
        },
        Flush {
            va: Some(u64::MAX),
            asid: Some(u16::MAX),
        },
    ];
    let mut writer = TraceWriter::new(Vec::new(), &header()).unwrap();
    writer.write(&a).unwrap();
    for f in &flushes {
        writer.write_flush(f).unwrap();
    }
    writer.write(&b).unwrap();
    assert_eq!(writer.records_written(), 2);
    let bytes = writer.finish().unwrap();
    // The flushes, after the header (24 bytes) and the first fetch (1 + 3 + 1 + 9 bytes).
    assert_eq!(
        bytes[38..],
        [
            0x07, 0x00, // everything
            0x07, 0x01, 0xfc, 0x00, 0xf0, 0xff, 0x7f, // one page
            0x07, 0x02, 0x03, // one address space
            0x07, 0x03, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfb, 0xff,
            0xff, // both
            0xf8, // the second fetch, fully predicted across the flushes
            0x03, 0x06, // end: 6 entries
        ]
    );
    let entries: Vec<Entry> = TraceReader::new(bytes.as_slice())
        .unwrap()
        .entries()
        .map(Result::unwrap)
        .collect();
    let mut expected = vec![Entry::Access(a)];
    expected.extend(flushes.iter().map(|f| Entry::Flush(*f)));
    expected.push(Entry::Access(b));
    assert_eq!(entries, expected);
    let mut reader = TraceReader::new(bytes.as_slice()).unwrap();
    assert_eq!(
        reader.by_ref().map(Result::unwrap).collect::<Vec<_>>(),
        [a, b]
    );
    assert_eq!(reader.records_read(), 2);

    let (_, err) = decode(&bytes[..43]);
    assert_eq!(
        err.unwrap().to_string(),
        "trace file ends early at byte 43 in entry 2 (cut short, or the run did not finish writing it)"
    );
    let mut reserved = bytes.clone();
    reserved[41] = 0x04;
    let (_, err) = decode(&reserved);
    assert_eq!(
        err.unwrap().to_string(),
        "corrupt trace file at byte 40 in entry 2: reserved bits set in flush byte 0x04"
    );
}
