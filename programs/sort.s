# sort: insertion sort of a word array in place, then a check that it is ordered.
# expect-exit: 0
    .text
    .globl _start
_start:
    la a0, label_before
    call print_str
    call print_array
    la s0, array
    la s1, array_end
    addi s2, s0, 4
outer:
    bgeu s2, s1, sorted
    lw t0, 0(s2)
    addi t1, s2, -4
inner:
    bltu t1, s0, insert
    lw t2, 0(t1)
    ble t2, t0, insert
    sw t2, 4(t1)
    addi t1, t1, -4
    j inner
insert:
    sw t0, 4(t1)
    addi s2, s2, 4
    j outer
sorted:
    la a0, label_after
    call print_str
    call print_array
    # verify: exit 1 if any neighbour pair is out of order
    la s0, array
    la s1, array_end
    addi s1, s1, -4
check:
    bgeu s0, s1, ok
    lw t0, 0(s0)
    lw t1, 4(s0)
    bgt t0, t1, bad
    addi s0, s0, 4
    j check
ok:
    la a0, label_ok
    call print_str
    li a0, 0
    j exit
bad:
    li a0, 1
    j exit

# print_array(): the array, space-separated, then a newline
print_array:
    addi sp, sp, -16
    sw ra, 12(sp)
    sw s0, 8(sp)
    la s0, array
print_next:
    lw a0, 0(s0)
    call print_int
    la a0, space
    call print_str
    addi s0, s0, 4
    la t0, array_end
    bltu s0, t0, print_next
    call print_nl
    lw s0, 8(sp)
    lw ra, 12(sp)
    addi sp, sp, 16
    ret

    .section .rodata
label_before:
    .asciz "before: "
label_after:
    .asciz "after:  "
label_ok:
    .asciz "sorted\n"
space:
    .asciz " "

    .data
    .align 2
array:
    .word 42, -5, 17, 0, 99, -2147483648, 3, 3, 2147483647, -1, 1000, 8, 256, -77, 12, 5
array_end:

# print_str, print_int, print_hex, print_nl, exit
    .include "lib/runtime.s"
