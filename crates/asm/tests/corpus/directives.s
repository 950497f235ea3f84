# Every directive the assembler accepts, in forms GNU as accepts too.
        .file   "directives.s"
        .ident  "atlas corpus"
        .option norvc
        .option push
        .option rvc
        .option pop
        .option norelax
        .option relax
        .option norelax
        .attribute stack_align, 16
        .globl  _start
        .global helper
        .type   _start, @function
        .type   helper, %function
        .type   table, @object

        .equ    COUNT, 4
        .set    SHIFT, 3
        .eqv    MASK, 0xff
        WIDTH = COUNT * 2
        .set    SHIFT, SHIFT + 1

        .text
_start:
        li      a0, COUNT
        li      a1, WIDTH
        li      a2, SHIFT
        li      a3, MASK
        addi    a4, a0, (1 << 4) + 3
        addi    a5, a0, -'A'
        ori     a6, a0, 0x7f & ~0x10
        xori    a7, a0, 10 % 3
        andi    t0, a0, 100 / 7
        slli    t1, a0, 2 * 3 - 1
        srai    t2, a0, 64 >> 3
        li      t3, 'a' | 0x20
        li      t4, '\n'
        li      t5, 017
        li      t6, 0b1011
        .align  2
        .p2align 3
        nop
        .balign 16
        .align  4, 0
helper:
        ret
        .size   helper, . - helper
        .size   _start, helper - _start
        .p2align 2,,8
        .balign 8,,2
        .text.end:

        .section .rodata
        .balign 8
table:  .byte   1, 2, 3, -1, 255, 'z'
        .half   0x1234, -2
        .short  7
        .2byte  0xbeef
        .align  2
        .word   0xdeadbeef, table, end_of_text - _start
        .long   -1
        .4byte  COUNT << 20
        .p2align 3
        .dword  0x0123456789abcdef
        .quad   table + 8
        .8byte  -2
        .ascii  "plain\t", "two"
        .asciz  "zero-terminated\\\"\x41\101"
        .string "also terminated"
        .zero   3
        .space  5, 0xaa
        .skip   2
        .size   table, . - table

        .data
        .balign 4
counter: .word  0
        .byte   1
        .align  3, 0x5a
pointer: .dword counter
        .space  9
        .word   . - counter

        .section .data.more, "aw", @progbits
        .half   1, 2, 3

        .section .text.tail, "ax"
end_of_text:
        ebreak

        .bss
        .balign 16
buffer: .space  64
        .zero   3
        .section .bss.more
        .skip   5

        .section .rodata.rept
        .rept   3
        .byte   7
        .rept   2
        .half   0x1234
        .endr
        .endr
        .rept   0
        .word   1
        .endr
        .fill   3, 2, 0x1234
        .fill   2, 8, -1
        .fill   4
        .fill   2, 3, 0xabcdef
        .text
        .rept   2
        addi    a0, a0, 1
        .endr

        .data
        .if     COUNT == 4
        .byte   0x11
        .else
        .byte   0x22
        .endif
        .if     COUNT - 4
        .byte   0x33
        .if     1
        .byte   0x44
        .endif
        .else
        .byte   0x55
        .endif
        .ifdef  COUNT
        .byte   0x66
        .endif
        .ifndef NO_SUCH_SYMBOL
        .byte   0x77
        .endif
        .ifdef  NO_SUCH_SYMBOL
        .byte   0x88
        .endif
        .ifeq   COUNT - 4
        .byte   0x99
        .endif
        .ifne   0
        .byte   0xaa
        .else
        .byte   0xbb
        .endif
        .byte   1 <= 2 - 5, 1 + 1 == 2, 3 < 2 || 2 >= 2, 0 || 1 && 0, 5 <> 4, 2 > 1, 1 != 1
