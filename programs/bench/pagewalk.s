# pagewalk: the page-walking loop of the speed targets (issue 8). It grows the heap by
# 64 MiB with brk, then sweeps it in rounds of 64 passes; pass p touches one word in every
# 4 KiB page at offset 64 * p (a load, an add, a store: 6 instructions per page), so every
# access lands on a different page than the one before, and the 64 passes of a round touch
# 64 different cache lines of each page. 160 rounds are about a billion instructions.
# It prints a checksum of the values it stored.
#
# Only 32-bit data operations, so RV32 and RV64 print the same bytes. Tests shorten the run
# by replacing the ROUNDS and HEAP lines (tests/all/fastpath_bench.rs).
# expect-exit: 0
    .equ ROUNDS, 160
    .equ HEAP, 0x4000000
    .equ SYS_BRK, 214
    .text
    .globl _start
_start:
    li a0, 0
    li a7, SYS_BRK
    ecall
    li t0, 4095
    add s0, a0, t0
    li t0, -4096
    and s0, s0, t0
    li s6, HEAP
    add a0, s0, s6
    mv s9, a0
    li a7, SYS_BRK
    ecall
    bltu a0, s9, no_memory

    li s1, ROUNDS
    li s5, 0
    li s7, 4096
round:
    li s2, 0
pass:
    add t0, s0, s2
    add t3, t0, s6
touch:
    lw t2, 0(t0)
    add t2, t2, s2
    sw t2, 0(t0)
    add s5, s5, t2
    add t0, t0, s7
    bne t0, t3, touch
    addi s2, s2, 64
    blt s2, s7, pass
    addi s1, s1, -1
    bnez s1, round

    la a0, label_checksum
    call print_str
    mv a0, s5
    call print_hex
    call print_nl
    li a0, 0
    j exit

no_memory:
    la a0, label_no_memory
    call print_str
    li a0, 1
    j exit

    .section .rodata
label_checksum:
    .asciz "pagewalk checksum "
label_no_memory:
    .asciz "brk refused 64 MiB\n"

# print_str, print_int, print_hex, print_nl, exit
    .include "../lib/runtime.s"
