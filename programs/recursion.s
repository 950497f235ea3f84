# recursion: call frames on the stack: factorial, Fibonacci and Ackermann, recursively.
# The exit status is fact(5) = 120.
# expect-exit: 120
    .text
    .globl _start
_start:
    li s0, 0
next_fact:
    la a0, label_fact
    call print_str
    mv a0, s0
    call print_int
    la a0, label_eq
    call print_str
    mv a0, s0
    call fact
    call print_int
    call print_nl
    addi s0, s0, 1
    li t0, 13
    blt s0, t0, next_fact

    la a0, label_fib
    call print_str
    li a0, 20
    call fib
    call print_int
    call print_nl

    la a0, label_ack
    call print_str
    li a0, 2
    li a1, 3
    call ack
    call print_int
    call print_nl

    li a0, 5
    call fact
    j exit

# fact(a0) = a0! (recursive)
fact:
    addi sp, sp, -16
    sw ra, 12(sp)
    sw s0, 8(sp)
    mv s0, a0
    li a0, 1
    beqz s0, fact_done
    addi a0, s0, -1
    call fact
    mul a0, a0, s0
fact_done:
    lw s0, 8(sp)
    lw ra, 12(sp)
    addi sp, sp, 16
    ret

# fib(a0): naive doubly recursive Fibonacci
fib:
    li t0, 2
    blt a0, t0, fib_base
    addi sp, sp, -16
    sw ra, 12(sp)
    sw s0, 8(sp)
    sw s1, 4(sp)
    mv s0, a0
    addi a0, s0, -1
    call fib
    mv s1, a0
    addi a0, s0, -2
    call fib
    add a0, a0, s1
    lw s1, 4(sp)
    lw s0, 8(sp)
    lw ra, 12(sp)
    addi sp, sp, 16
fib_base:
    ret

# ack(a0 = m, a1 = n): Ackermann's function
ack:
    addi sp, sp, -16
    sw ra, 12(sp)
    sw s0, 8(sp)
    mv s0, a0
    bnez s0, ack_m
    addi a0, a1, 1
    j ack_done
ack_m:
    bnez a1, ack_mn
    addi a0, s0, -1
    li a1, 1
    call ack
    j ack_done
ack_mn:
    addi a1, a1, -1
    call ack
    mv a1, a0
    addi a0, s0, -1
    call ack
ack_done:
    lw s0, 8(sp)
    lw ra, 12(sp)
    addi sp, sp, 16
    ret

    .section .rodata
label_fact:
    .asciz "fact("
label_eq:
    .asciz ") = "
label_fib:
    .asciz "fib(20) = "
label_ack:
    .asciz "ack(2, 3) = "

# print_str, print_int, print_hex, print_nl, exit
    .include "lib/runtime.s"
