//! Base-bounds translation (OSTEP's dynamic relocation): one bounded-address check and an add.

use crate::fault::TranslateReason;

/// PA = `base` + `va` if `va` < `bound`.
#[inline]
pub fn translate(va: u64, base: u64, bound: u64) -> Result<u64, TranslateReason> {
    if va >= bound {
        return Err(TranslateReason::OutOfBounds { va, bound });
    }
    base.checked_add(va)
        .ok_or(TranslateReason::BaseOverflow { va, base })
}
