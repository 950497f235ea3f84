# misaligned: loads and stores at addresses that are not multiples of their size. Linux
# (and Atlas) perform them for user programs; Atlas counts and charges each one.
# expect-exit: 0
    .text
    .globl _start
_start:
    la s0, buffer
    li t0, 0x11223344
    sw t0, 1(s0)
    li t0, 0x5566
    sh t0, 5(s0)
    li t0, 0x778899aa
    sw t0, 7(s0)
    li s1, 0
dump:
    add t0, s0, s1
    lw a0, 0(t0)
    call print_hex
    la a0, space
    call print_str
    add t0, s0, s1
    lh a0, 0(t0)
    call print_hex
    la a0, space
    call print_str
    add t0, s0, s1
    lhu a0, 0(t0)
    call print_hex
    call print_nl
    addi s1, s1, 1
    li t0, 9
    blt s1, t0, dump
    li a0, 0
    j exit

    .section .rodata
space:
    .asciz " "

    .data
    .align 2
buffer:
    .space 16

# print_str, print_int, print_hex, print_nl, exit
    .include "lib/runtime.s"
