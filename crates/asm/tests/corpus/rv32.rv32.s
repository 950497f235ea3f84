# RV32-only pseudo-instructions.
        .attribute arch, "rv32im_zicsr"
        .text
        .globl  _start
_start:
        rdcycleh   a0
        rdtimeh    a1
        rdinstreth a2
        csrr       a3, cycleh
        li         a0, 0xffffffff
        li         a0, 0x80000000
        slli       a0, a1, 31
