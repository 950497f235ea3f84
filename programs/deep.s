# deep: recursion 20,000 calls deep with 64-byte frames (1,280,000 bytes of stack), so a
# paged OS must grow the stack on faults below it, page after page.
# expect-exit: 0
    .equ DEPTH, 20000
    .text
    .globl _start
_start:
    li a0, DEPTH
    call sum_down
    mv s0, a0
    la a0, label_sum
    call print_str
    mv a0, s0
    call print_int
    call print_nl
    la a0, label_again
    call print_str
    li a0, DEPTH
    call sum_down
    call print_int
    call print_nl
    li a0, 0
    j exit

# sum_down(n) = n + sum_down(n - 1), sum_down(0) = 0, in a 64-byte frame that it fills
sum_down:
    addi sp, sp, -64
    sw ra, 0(sp)
    sw a0, 4(sp)
    sw a0, 60(sp)
    beqz a0, .Lsd_zero
    addi a0, a0, -1
    call sum_down
    lw t0, 60(sp)
    add a0, a0, t0
    j .Lsd_out
.Lsd_zero:
    li a0, 0
.Lsd_out:
    lw ra, 0(sp)
    addi sp, sp, 64
    ret

    .section .rodata
label_sum:
    .asciz "sum of 0..20000 computed 20000 calls deep: "
label_again:
    .asciz "again, on the grown stack: "

# print_str, print_int, print_hex, print_nl, exit
    .include "lib/runtime.s"
