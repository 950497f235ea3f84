# sum: loops and memory: 1+2+...+100, and the sum of a word array in .data.
# expect-exit: 0
    .text
    .globl _start
_start:
    li s0, 0
    li s1, 1
    li s2, 100
loop:
    add s0, s0, s1
    addi s1, s1, 1
    ble s1, s2, loop
    la a0, label_gauss
    call print_str
    mv a0, s0
    call print_int
    call print_nl

    la s1, array
    la s2, array_end
    li s0, 0
sum_array:
    lw t0, 0(s1)
    add s0, s0, t0
    addi s1, s1, 4
    bltu s1, s2, sum_array
    la a0, label_array
    call print_str
    mv a0, s0
    call print_int
    call print_nl
    li a0, 0
    j exit

    .section .rodata
label_gauss:
    .asciz "sum 1..100 = "
label_array:
    .asciz "sum of array = "

    .data
    .align 2
array:
    .word 3, -7, 1000, 123456, -99999, 42, 0, 17, -1, 2147483647, -2147483647
array_end:

# print_str, print_int, print_hex, print_nl, exit
    .include "lib/runtime.s"
