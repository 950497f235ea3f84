# matmul: 4x4 integer matrix product C = A * B with word loads, multiplies and stores;
# prints C and its trace (the exit status is the trace modulo 256, 126).
# expect-exit: 126
    .equ N, 4
    .text
    .globl _start
_start:
    li s0, 0
row:
    li s1, 0
col:
    li t0, 0
    li t1, 0
dot:
    # t0 += A[s0][t1] * B[t1][s1]
    slli t2, s0, 2
    add t2, t2, t1
    slli t2, t2, 2
    la t3, mat_a
    add t3, t3, t2
    lw t4, 0(t3)
    slli t2, t1, 2
    add t2, t2, s1
    slli t2, t2, 2
    la t3, mat_b
    add t3, t3, t2
    lw t5, 0(t3)
    mul t4, t4, t5
    add t0, t0, t4
    addi t1, t1, 1
    li t2, N
    blt t1, t2, dot
    slli t2, s0, 2
    add t2, t2, s1
    slli t2, t2, 2
    la t3, mat_c
    add t3, t3, t2
    sw t0, 0(t3)
    addi s1, s1, 1
    li t2, N
    blt s1, t2, col
    addi s0, s0, 1
    blt s0, t2, row

    la s0, mat_c
    li s1, 0
    li s2, 0
print_row:
    li s3, 0
print_col:
    lw a0, 0(s0)
    call print_int
    la a0, space
    call print_str
    addi s0, s0, 4
    addi s3, s3, 1
    li t0, N
    blt s3, t0, print_col
    call print_nl
    addi s1, s1, 1
    li t0, N
    blt s1, t0, print_row
    # trace
    la t0, mat_c
    lw a0, 0(t0)
    lw t1, 20(t0)
    add a0, a0, t1
    lw t1, 40(t0)
    add a0, a0, t1
    lw t1, 60(t0)
    add a0, a0, t1
    mv s4, a0
    la a0, label_trace
    call print_str
    mv a0, s4
    call print_int
    call print_nl
    andi a0, s4, 255
    j exit

    .section .rodata
space:
    .asciz " "
label_trace:
    .asciz "trace "

    .data
    .align 2
mat_a:
    .word 1, 2, 3, 4
    .word 5, 6, 7, 8
    .word 9, 10, 11, 12
    .word 13, 14, 15, 16
mat_b:
    .word 2, 0, -1, 3
    .word 1, 1, 0, -2
    .word 0, 4, 5, 1
    .word -3, 2, 1, 0

    .bss
    .align 2
mat_c:
    .space 64

# print_str, print_int, print_hex, print_nl, exit
    .include "lib/runtime.s"
