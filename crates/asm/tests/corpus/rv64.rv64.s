# RV64-only instructions and pseudo-instructions.
        .text
        .globl  _start
_start:
        ld      a0, 8(a1)
        lwu     a0, 4(a1)
        sd      a0, -8(a1)
        ld      a0, data
        lwu     a1, data
        sd      a0, data, t0
        addiw   a0, a1, -1
        slli    a0, a1, 63
        srli    a0, a1, 32
        srai    a0, a1, 40
        slliw   a0, a1, 31
        srliw   a0, a1, 1
        sraiw   a0, a1, 2
        addw    a0, a1, a2
        subw    a0, a1, a2
        sllw    a0, a1, a2
        srlw    a0, a1, a2
        sraw    a0, a1, a2
        mulw    a0, a1, a2
        divw    a0, a1, a2
        divuw   a0, a1, a2
        remw    a0, a1, a2
        remuw   a0, a1, a2
        negw    a0, a1
        sext.w  a0, a1
        zext.w  a0, a1
        addw    a0, a1, 5
        li      a0, 0x123456789abcdef0
        li      a0, -0x8000000000000000
        li      a0, 0x7fffffffffffffff
        li      a0, 0x100000000
        .data
        .p2align 3
data:   .dword  1
