//! Segmented translation (OSTEP's segmentation): the top bits of a 32-bit VA select one of 2,
//! 4 or 8 segment registers; the rest is the offset, checked against the segment's bound and
//! flags. A grows-down segment (a stack) takes OSTEP's negative offset: offset − segment span,
//! valid while its size is at most the bound, and PA = base + negative offset, so `base` is
//! the segment's top.
//!
//! Checks, in order: the VA fits 32 bits, the segment is valid, the offset is within bound,
//! the flags allow the access.

use crate::access::AccessKind;
use crate::fault::TranslateReason;
use crate::regs::{MmuRegs, SEG_GROWS_DOWN, SEG_R, SEG_VALID, SEG_W, SEG_X};

/// Width of the segmented address space, on RV32 and RV64 alike.
pub const SEGMENT_VA_BITS: u32 = 32;

/// The segment `va` selects among `count` (2, 4 or 8), and its offset within the segment span.
#[inline]
pub fn select(va: u64, count: u32) -> (u8, u64) {
    let select_bits = count.max(2).trailing_zeros();
    let span_bits = SEGMENT_VA_BITS - select_bits;
    ((va >> span_bits) as u8 & 7, va & ((1u64 << span_bits) - 1))
}

/// Translates `va` through the segment registers in `regs`: the PA and segment number.
pub fn translate(
    va: u64,
    kind: AccessKind,
    regs: &MmuRegs,
    count: u32,
) -> Result<(u64, u8), TranslateReason> {
    if va >> SEGMENT_VA_BITS != 0 {
        return Err(TranslateReason::BeyondSegmentSpace { va });
    }
    let (segment, offset) = select(va, count);
    let i = usize::from(segment);
    let flags = regs.atsegflags.get(i).copied().unwrap_or(0);
    let base = regs.atsegbase.get(i).copied().unwrap_or(0);
    let bound = regs.atsegbound.get(i).copied().unwrap_or(0);
    if flags & SEG_VALID == 0 {
        return Err(TranslateReason::SegmentInvalid { segment });
    }
    let pa = if flags & SEG_GROWS_DOWN != 0 {
        let span = 1u64 << (SEGMENT_VA_BITS - count.max(2).trailing_zeros());
        let negative = span - offset;
        if negative > bound {
            return Err(TranslateReason::SegmentOutOfBounds {
                segment,
                offset: negative,
                bound,
                grows_down: true,
            });
        }
        base.checked_sub(negative)
            .ok_or(TranslateReason::BaseOverflow { va, base })?
    } else {
        if offset >= bound {
            return Err(TranslateReason::SegmentOutOfBounds {
                segment,
                offset,
                bound,
                grows_down: false,
            });
        }
        base.checked_add(offset)
            .ok_or(TranslateReason::BaseOverflow { va, base })?
    };
    let needed = match kind {
        AccessKind::Fetch => SEG_X,
        AccessKind::Load => SEG_R,
        AccessKind::Store => SEG_W,
    };
    if flags & needed == 0 {
        return Err(TranslateReason::SegmentProtection { segment, kind });
    }
    Ok((pa, segment))
}
