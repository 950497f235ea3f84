# fib: Fibonacci numbers F(0)..F(46), iteratively (F(46) is the largest that fits in a
# signed 32-bit word). The exit status is F(12) = 144.
# expect-exit: 144
    .text
    .globl _start
_start:
    li s0, 0
    li s1, 0
    li s2, 1
    li s4, 0
next:
    la a0, label_f
    call print_str
    mv a0, s0
    call print_int
    la a0, label_eq
    call print_str
    mv a0, s1
    call print_int
    call print_nl
    li t0, 12
    bne s0, t0, skip
    mv s4, s1
skip:
    add t0, s1, s2
    mv s1, s2
    mv s2, t0
    addi s0, s0, 1
    li t0, 47
    blt s0, t0, next
    mv a0, s4
    j exit

    .section .rodata
label_f:
    .asciz "F("
label_eq:
    .asciz ") = "

# print_str, print_int, print_hex, print_nl, exit
    .include "lib/runtime.s"
