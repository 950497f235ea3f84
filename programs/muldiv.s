# muldiv: the M extension's corner cases that give the same 32-bit results at both widths:
# division by zero, the overflow MIN / -1, signs of quotients and remainders, products.
# Each line prints the operation, its operands and the low 32 bits of the result in hex.
# expect-exit: 0
    .text
    .globl _start
_start:
    la s0, cases
    la s1, cases_end
next_case:
    bgeu s0, s1, finished
    lw s2, 0(s0)
    lw s3, 4(s0)
    lw s4, 8(s0)
    mv a0, s3
    call print_hex
    la a0, space
    call print_str
    mv a0, s4
    call print_hex
    la a0, arrow
    call print_str
    li t0, 0
    beq s2, t0, do_mul
    li t0, 1
    beq s2, t0, do_div
    j do_rem
do_mul:
    la a0, name_mul
    call print_str
    mul a0, s3, s4
    j show
do_div:
    la a0, name_div
    call print_str
    div a0, s3, s4
    j show
do_rem:
    la a0, name_rem
    call print_str
    rem a0, s3, s4
show:
    call print_hex
    call print_nl
    addi s0, s0, 12
    j next_case
finished:
    li a0, 0
    j exit

    .section .rodata
space:
    .asciz " "
arrow:
    .asciz " -> "
name_mul:
    .asciz "mul "
name_div:
    .asciz "div "
name_rem:
    .asciz "rem "

    .data
    .align 2
# (operation: 0 mul, 1 div, 2 rem; a; b)
cases:
    .word 1, 7, 0
    .word 1, -7, 0
    .word 1, 0, 0
    .word 2, 7, 0
    .word 2, -7, 0
    .word 1, 0x80000000, -1
    .word 2, 0x80000000, -1
    .word 1, 7, 2
    .word 1, -7, 2
    .word 1, 7, -2
    .word 1, -7, -2
    .word 2, 7, 2
    .word 2, -7, 2
    .word 2, 7, -2
    .word 2, -7, -2
    .word 1, 0x7fffffff, 1
    .word 1, 0x80000000, 1
    .word 1, 0x80000000, 2
    .word 2, 0x80000000, 3
    .word 0, 0x7fffffff, 2
    .word 0, 0x80000000, -1
    .word 0, -1, -1
    .word 0, 0x12345678, 0x9abcdef0
    .word 0, 65536, 65536
    .word 0, -3, 5
cases_end:

# print_str, print_int, print_hex, print_nl, exit
    .include "lib/runtime.s"
