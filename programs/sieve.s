# sieve: the sieve of Eratosthenes over a byte array in .bss: the primes below 100 and
# the number of primes below 10000.
# expect-exit: 0
    .equ LIMIT, 10000
    .text
    .globl _start
_start:
    la s0, composite
    li s1, 2
    li s2, LIMIT
mark_outer:
    mul t0, s1, s1
    bge t0, s2, count
    add t1, s0, s1
    lbu t1, 0(t1)
    bnez t1, next_p
mark_inner:
    bge t0, s2, next_p
    add t1, s0, t0
    li t2, 1
    sb t2, 0(t1)
    add t0, t0, s1
    j mark_inner
next_p:
    addi s1, s1, 1
    j mark_outer
count:
    la a0, label_small
    call print_str
    li s1, 2
    li s3, 0
count_loop:
    bge s1, s2, done
    add t1, s0, s1
    lbu t1, 0(t1)
    bnez t1, count_next
    addi s3, s3, 1
    li t0, 100
    bge s1, t0, count_next
    mv a0, s1
    call print_int
    la a0, space
    call print_str
count_next:
    addi s1, s1, 1
    j count_loop
done:
    call print_nl
    la a0, label_count
    call print_str
    mv a0, s3
    call print_int
    call print_nl
    li a0, 0
    j exit

    .section .rodata
label_small:
    .asciz "primes below 100: "
label_count:
    .asciz "primes below 10000: "
space:
    .asciz " "

    .bss
composite:
    .space LIMIT

# print_str, print_int, print_hex, print_nl, exit
    .include "lib/runtime.s"
