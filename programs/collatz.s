# collatz: the start below 10000 with the longest Collatz chain, and its length.
# expect-exit: 0
    .text
    .globl _start
_start:
    li s0, 1
    li s1, 0
    li s2, 0
    li s3, 10000
try:
    mv t0, s0
    li t1, 1
step:
    li t2, 1
    beq t0, t2, chain_end
    andi t2, t0, 1
    beqz t2, even
    slli t2, t0, 1
    add t0, t0, t2
    addi t0, t0, 1
    j counted
even:
    srli t0, t0, 1
counted:
    addi t1, t1, 1
    j step
chain_end:
    ble t1, s2, not_longer
    mv s1, s0
    mv s2, t1
not_longer:
    addi s0, s0, 1
    blt s0, s3, try
    la a0, label_start
    call print_str
    mv a0, s1
    call print_int
    call print_nl
    la a0, label_len
    call print_str
    mv a0, s2
    call print_int
    call print_nl
    li a0, 0
    j exit

    .section .rodata
label_start:
    .asciz "longest chain below 10000 starts at "
label_len:
    .asciz "chain length "

# print_str, print_int, print_hex, print_nl, exit
    .include "lib/runtime.s"
