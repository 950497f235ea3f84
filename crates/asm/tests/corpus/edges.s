# Corner cases checked against GNU as: absolute jump targets, cross-section differences,
# truncation in data, unusual operand spellings, alignment in every section kind.
        .text
        .globl  _start
_start:
        beq     a0, a1, _start
        jal     ra, 0x10000
        jr      4(a0)
        jalr    a0, 0(a1)
        csrrs   a0, 0x300, a1
        csrrc   a0, 0xfff, zero
        csrrw   zero, satp, a0
        lui     a0, %hi(in_data)
        addi    a0, a0, %lo(in_data)
        lui     a1, %hi(-8)
        lw      a1, %lo(-8)(a1)
        li      a2, 5
        li      a3, (1 << 31) - 1
        li      a4, -(1 << 31)
        li      a5, 0xfff
        li      a6, -0x801
        li      a7, 0x7ff << 12
        addi    x0, x0, 0
        add     x31, x30, x29
        slli    a0, a0, 0
        srai    a0, a0, 0x1f
        sltiu   a0, a0, -1
        fence   r, r
        fence   io, rw
        .byte   1
        .balign 4
        nop
        .p2align 5
end_text:

        .section .rodata
        .byte   0x1ff & 0xff, 256 & 0xff
        .balign 4
        .word   end_text - _start, in_data - _start
        .half   0xffff
        .p2align 4

        .data
        .word   in_data_end - in_data
in_data:
        .byte   -128, 127
        .string "a", "b"
        .asciz  ""
        .ascii  "\t\\\"\0\101\x7f"
in_data_end:
        .equ    in_data_size, in_data_end - in_data
        .word   in_data_size
        .align  3
        .dword  -1, in_data
        .quad   0x8000000000000000

        .section .text.odd, "ax"
        .byte   1, 2, 3
        .section .text.after, "ax"
        nop
        .byte   4
        .section .text.last
        ebreak

        .section .data.org
org_base:
        .byte   1
        .org    8
        .byte   2
        .org    org_base + 12, 0x5a
        .byte   3
        .pushsection .rodata
        .byte   0x61
        .pushsection .data.pushed
        .byte   0x62
        .popsection
        .byte   0x63
        .popsection
        .byte   4
        .section .rodata
        .byte   0x64
        .previous
        .byte   5
        .previous
        .byte   0x65
        .byte   6
        . = . + 3
        .byte   7
