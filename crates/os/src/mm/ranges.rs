//! Mappings as disjoint half-open ranges `start → end` (the base-bounds and segmented
//! address spaces keep no per-page state, so a map of ranges is all they need).

use std::collections::BTreeMap;

/// Whether `[start, end)` overlaps none of `ranges`.
pub(super) fn is_free(ranges: &BTreeMap<u64, u64>, start: u64, end: u64) -> bool {
    match ranges.range(..end).next_back() {
        Some((_, &e)) => e <= start,
        None => true,
    }
}

/// Removes `[start, end)` from `ranges`, splitting those that straddle it.
pub(super) fn remove(ranges: &mut BTreeMap<u64, u64>, start: u64, end: u64) {
    let hit: Vec<(u64, u64)> = ranges
        .range(..end)
        .filter(|(_, &e)| e > start)
        .map(|(&s, &e)| (s, e))
        .collect();
    for (s, e) in hit {
        ranges.remove(&s);
        if s < start {
            ranges.insert(s, start);
        }
        if e > end {
            ranges.insert(end, e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removal_splits_straddling_ranges_and_frees_the_hole() {
        let mut r = BTreeMap::from([(0x1000, 0x5000), (0x8000, 0x9000)]);
        assert!(!is_free(&r, 0x4000, 0x6000));
        assert!(is_free(&r, 0x5000, 0x8000));
        remove(&mut r, 0x2000, 0x3000);
        assert_eq!(
            r,
            BTreeMap::from([(0x1000, 0x2000), (0x3000, 0x5000), (0x8000, 0x9000)])
        );
        assert!(is_free(&r, 0x2000, 0x3000));
        remove(&mut r, 0x4000, 0x8800);
        assert_eq!(
            r,
            BTreeMap::from([(0x1000, 0x2000), (0x3000, 0x4000), (0x8800, 0x9000)])
        );
    }
}
