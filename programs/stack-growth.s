# stack-growth: recursion 64 calls deep with 1 KiB frames. Every call stores into the
# bottom of its new frame, so every fourth call touches a page the stack has never used;
# a paged OS takes the fault below the stack, sees it is within the stack's 8 MiB limit and
# maps a zeroed page (a "stack growth" in the run report). The program prints its depth
# each time another 4 KiB of stack is in use, and the sum the calls return.
#
#   atlas run --mmu sv39 programs/stack-growth.s    # report: "... N stack growths ..."
#   atlas run --mmu bare programs/stack-growth.s    # bare: the stack is all there; 0 growths
#
# Depths are counted from the first frame, not from page boundaries, so the output is the
# same at both widths and in every mode. Only the return address (a code address below
# 2 GiB) and small integers are kept in memory, with 32-bit stores.
# expect-exit: 0
    .equ DEPTH, 64
    .equ FRAME, 1024
    .text
    .globl _start
_start:
    li a0, 1
    call descend
    mv s0, a0
    la a0, label_sum
    call print_str
    mv a0, s0
    call print_int
    call print_nl
    li a0, 0
    call exit

# descend(a0 = depth): returns depth + (depth + 1) + ... + DEPTH
descend:
    addi sp, sp, -FRAME
    sw ra, 0(sp)
    sw a0, 4(sp)
    andi t0, a0, 3
    bnez t0, 1f
    # another 4 KiB of stack in use: print the depth
    la a0, label_depth
    call print_str
    lw a0, 4(sp)
    call print_int
    la a0, label_kib
    call print_str
    lw a0, 4(sp)
    srli a0, a0, 2
    slli a0, a0, 2
    call print_int
    la a0, label_used
    call print_str
1:
    lw a0, 4(sp)
    li t0, DEPTH
    bgeu a0, t0, 2f
    addi a0, a0, 1
    call descend
    lw t0, 4(sp)
    add a0, a0, t0
2:
    lw ra, 0(sp)
    addi sp, sp, FRAME
    ret

    .section .rodata
label_depth:
    .asciz "depth "
label_kib:
    .asciz ": "
label_used:
    .asciz " KiB of stack in use\n"
label_sum:
    .asciz "the calls returned "

# print_str, print_int, print_hex, print_nl, exit
    .include "lib/runtime.s"
