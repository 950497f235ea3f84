# intmix: the integer loop of the speed targets (issue 8): add, xor, a rotate, mul and a
# data-dependent branch, 13 or 14 instructions per iteration, 100 million iterations (about
# 1.35 billion instructions). It prints a checksum of its three state words and how many
# times the branch fell through.
#
# Every operation whose result feeds the checksum is one whose low 32 bits depend only on the
# low 32 bits of its inputs (add, xor, and, slli, mul, ori), and the right shift of the rotate
# reads a value masked to 32 bits first, so RV32 and RV64 print the same bytes.
# Tests shorten the run by replacing the ITERATIONS line (tests/all/fastpath_bench.rs).
# expect-exit: 0
    .equ ITERATIONS, 100000000
    .text
    .globl _start
_start:
    li s0, ITERATIONS
    li s2, 0x12345678
    li s3, 0x9e3779b9
    li s4, 1
    li s5, 0
    li s1, 0xffffffff
mix:
    add s2, s2, s3
    xor s3, s3, s2
    and t0, s3, s1
    slli t1, t0, 13
    srli t0, t0, 19
    or s3, t1, t0
    mul s4, s4, s2
    ori s4, s4, 1
    xor s2, s2, s4
    andi t2, s3, 4
    beqz t2, 1f
    addi s5, s5, 1
1:
    addi s0, s0, -1
    bnez s0, mix

    la a0, label_checksum
    call print_str
    xor a0, s2, s3
    xor a0, a0, s4
    call print_hex
    la a0, label_count
    call print_str
    mv a0, s5
    call print_int
    call print_nl
    li a0, 0
    j exit

    .section .rodata
label_checksum:
    .asciz "intmix checksum "
label_count:
    .asciz ", branch fell through "

# print_str, print_int, print_hex, print_nl, exit
    .include "../lib/runtime.s"
