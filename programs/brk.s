# brk: the heap through the raw Linux brk call: query, grow by 64 KiB, use it, shrink,
# and a request that must fail (it returns the old break unchanged).
# expect-exit: 0
    .equ SYS_BRK, 214
    .text
    .globl _start
_start:
    li a0, 0
    li a7, SYS_BRK
    ecall
    mv s0, a0
    li t0, 65536
    add a0, s0, t0
    li a7, SYS_BRK
    ecall
    mv s1, a0
    sub t0, s1, s0
    li t1, 65536
    bne t0, t1, fail
    la a0, label_grew
    call print_str

    # fill the new heap with 3*i and add it up
    addi s2, s0, 3
    andi s2, s2, -4
    li t0, 0
    li t1, 16383
    mv t2, s2
fill:
    slli t3, t0, 1
    add t3, t3, t0
    sw t3, 0(t2)
    addi t2, t2, 4
    addi t0, t0, 1
    blt t0, t1, fill
    li s3, 0
    mv t2, s2
    li t0, 0
add_up:
    lw t3, 0(t2)
    add s3, s3, t3
    addi t2, t2, 4
    addi t0, t0, 1
    blt t0, t1, add_up
    la a0, label_sum
    call print_str
    mv a0, s3
    call print_int
    call print_nl

    # brk(0) reports the current break
    li a0, 0
    li a7, SYS_BRK
    ecall
    bne a0, s1, fail
    la a0, label_query
    call print_str

    # shrink to one page above the start
    li t0, 4096
    add a0, s0, t0
    li a7, SYS_BRK
    ecall
    li t0, 4096
    add t0, s0, t0
    bne a0, t0, fail
    mv s1, a0
    la a0, label_shrunk
    call print_str

    # an impossible request returns the current break
    li a0, -4096
    li a7, SYS_BRK
    ecall
    bne a0, s1, fail
    la a0, label_refused
    call print_str
    li a0, 0
    j exit
fail:
    la a0, label_fail
    call print_str
    li a0, 1
    j exit

    .section .rodata
label_grew:
    .asciz "heap grew by 65536 bytes\n"
label_sum:
    .asciz "sum of the heap words: "
label_query:
    .asciz "brk(0) returns the current break\n"
label_shrunk:
    .asciz "heap shrank\n"
label_refused:
    .asciz "an impossible brk returns the old break\n"
label_fail:
    .asciz "brk misbehaved\n"

# print_str, print_int, print_hex, print_nl, exit
    .include "lib/runtime.s"
