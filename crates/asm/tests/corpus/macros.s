# .macro with parameters, defaults, keyword arguments, \@, nesting and .include.
        .include "defs.inc"
        .macro  push reg
        addi    sp, sp, -8
        sw      \reg, 0(sp)
        .endm
        .macro  pop reg
        lw      \reg, 0(sp)
        addi    sp, sp, 8
        .endm
        .macro  load_const reg, value=42
        li      \reg, \value
        .endm
        .macro  twice a, b
        \a      \b
        \a      \b
        .endm
        .macro  label_here
loop\@:
        j       loop\@
        .endm
        .macro  outer r
        .macro  inner_\r
        mv      \r, zero
        .endm
        inner_\r
        .endm

        .text
        .globl  _start
_start:
        push    ra
        push    s0
        load_const a0
        load_const a1, 7
        load_const value=-3, reg=a2
        twice   nop
        label_here
        label_here
        outer   t0
        pop     s0
        pop     ra
        li      a0, DEFS_VALUE
        exit_with a0
        .data
        .word   DEFS_VALUE; .word 2 ; .byte 3
        .macro  sized_store reg, size=4
        .if     \size == 8
        sd      \reg, 0(sp)
        .else
        .if     \size == 2
        sh      \reg, 0(sp)
        .else
        sw      \reg, 0(sp)
        .endif
        .endif
        .endm
        .text
        sized_store a0
        sized_store a1, 2
