# store-to-text: a store to the program's own code must end the process with a
# segmentation fault (exit 139) in every mode that protects text (R-X).
# mmu-modes: linear sv32 sv39 sv48 sv57
# expect-exit: 139
    .text
    .globl _start
_start:
    la a0, label_store
    call print_str
    la t0, _start
    sw zero, 0(t0)
    la a0, label_survived
    call print_str
    li a0, 0
    j exit

    .section .rodata
label_store:
    .asciz "storing to the text segment\n"
label_survived:
    .asciz "the store succeeded\n"

# print_str, print_int, print_hex, print_nl, exit
    .include "lib/runtime.s"
