# muldiv.rv32: the M extension at XLEN = 32: high products (mulh, mulhsu, mulhu) and
# unsigned division and remainder, on edge values. RV32 only.
# expect-exit: 0
    .attribute arch, "rv32im"   # selects the width without --xlen
    .text
    .globl _start
_start:
    la s0, operands
    la s1, operands_end
next_pair:
    bgeu s0, s1, finished
    lw s2, 0(s0)
    lw s3, 4(s0)
    mv a0, s2
    call print_hex
    la a0, space
    call print_str
    mv a0, s3
    call print_hex
    call print_nl
    mulh a0, s2, s3
    call show
    mulhsu a0, s2, s3
    call show
    mulhu a0, s2, s3
    call show
    divu a0, s2, s3
    call show
    remu a0, s2, s3
    call show
    call print_nl
    addi s0, s0, 8
    j next_pair
finished:
    li a0, 0
    j exit

# show(a0): two spaces, the value in hex
show:
    addi sp, sp, -16
    sw ra, 12(sp)
    sw a0, 8(sp)
    la a0, space2
    call print_str
    lw a0, 8(sp)
    call print_hex
    lw ra, 12(sp)
    addi sp, sp, 16
    ret

    .section .rodata
space:
    .asciz " "
space2:
    .asciz "  "

    .data
    .align 2
operands:
    .word 0x80000000, 0x80000000
    .word 0x80000000, 0xffffffff
    .word 0xffffffff, 0xffffffff
    .word 0x7fffffff, 0x7fffffff
    .word 0xffffffff, 0
    .word 0x12345678, 0x9abcdef0
    .word 0xfffffffe, 3
    .word 0, 0
operands_end:

# print_str, print_int, print_hex, print_nl, exit
    .include "lib/runtime.s"
