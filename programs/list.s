# list: a brk-based bump allocator builds a 10,000-node singly linked list on the heap,
# walks it, reverses it in place, walks it again, and gives the heap back with brk.
# Nodes are 8 bytes (value, next) with 32-bit pointers: the heap sits below 2 GiB in every
# layout, so lw/sw hold a pointer at both widths.
# expect-exit: 0
    .equ SYS_BRK, 214
    .equ NODES, 10000
    .text
    .globl _start
_start:
    li a0, 0
    li a7, SYS_BRK
    ecall
    mv s0, a0               # heap start
    addi s1, a0, 7
    andi s1, s1, -8         # bump pointer
    mv s2, a0               # current break
    li s3, 0                # list head
    li s4, 0                # i
    li s5, NODES
    li s6, 0                # brk calls that grew the heap
build:
    addi t0, s1, 8
    bleu t0, s2, place
    li t1, 4096             # grow the break by a page
    add a0, s2, t1
    li a7, SYS_BRK
    ecall
    li t1, 4096
    add t1, s2, t1
    bne a0, t1, fail
    mv s2, a0
    addi s6, s6, 1
    j build
place:
    li t1, 7
    mul t1, s4, t1
    sw t1, 0(s1)            # value = 7 * i
    sw s3, 4(s1)            # next = head
    mv s3, s1
    addi s1, s1, 8
    addi s4, s4, 1
    blt s4, s5, build

    la a0, label_grew
    call print_str
    mv a0, s6
    call print_int
    call print_nl
    call walk

    # reverse in place
    li t0, 0                # previous
    mv t1, s3               # current
reverse:
    beqz t1, reversed
    lw t2, 4(t1)
    sw t0, 4(t1)
    mv t0, t1
    mv t1, t2
    j reverse
reversed:
    mv s3, t0
    la a0, label_reversed
    call print_str
    lw a0, 0(s3)
    call print_int
    la a0, label_comma
    call print_str
    lw t0, 4(s3)
    lw a0, 0(t0)
    call print_int
    la a0, label_comma
    call print_str
    lw t0, 4(s3)
    lw t0, 4(t0)
    lw a0, 0(t0)
    call print_int
    call print_nl
    call walk

    # give the heap back
    mv a0, s0
    li a7, SYS_BRK
    ecall
    bne a0, s0, fail
    la a0, label_released
    call print_str
    li a0, 0
    j exit

# walk(): prints the node count and the sum of the values of the list at s3
walk:
    mv s7, ra
    li s8, 0                # count
    li s9, 0                # sum
    mv t0, s3
.Lwalk_loop:
    beqz t0, .Lwalk_done
    lw t1, 0(t0)
    add s9, s9, t1
    addi s8, s8, 1
    lw t0, 4(t0)
    j .Lwalk_loop
.Lwalk_done:
    la a0, label_nodes
    call print_str
    mv a0, s8
    call print_int
    la a0, label_sum
    call print_str
    mv a0, s9
    call print_int
    call print_nl
    mv ra, s7
    ret

fail:
    la a0, label_fail
    call print_str
    li a0, 1
    j exit

    .section .rodata
label_grew:
    .asciz "heap grown page by page, brk calls: "
label_nodes:
    .asciz "nodes: "
label_sum:
    .asciz ", sum of values: "
label_reversed:
    .asciz "reversed, first values: "
label_comma:
    .asciz ", "
label_released:
    .asciz "heap released with brk\n"
label_fail:
    .asciz "brk misbehaved\n"

# print_str, print_int, print_hex, print_nl, exit
    .include "lib/runtime.s"
