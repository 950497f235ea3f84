# use-after-munmap: a page is mapped, used, unmapped, and touched again: the load must end
# the process with a segmentation fault (exit 139) in every mode that can unmap a page.
# mmu-modes: segmented linear sv32 sv39 sv48 sv57
# expect-exit: 139
    .text
    .globl _start
_start:
    li a0, 0
    li a1, 4096
    li a2, 3
    li a3, 0x22
    li a4, -1
    li a5, 0
    li a7, 222
    ecall
    li t0, -4096
    bgeu a0, t0, fail
    mv s0, a0
    li t0, 42
    sw t0, 16(s0)
    la a0, label_before
    call print_str
    lw a0, 16(s0)
    call print_int
    call print_nl
    mv a0, s0
    li a1, 4096
    li a7, 215
    ecall
    bnez a0, fail
    la a0, label_after
    call print_str
    lw a0, 16(s0)
    call print_int
    call print_nl
    li a0, 0
    j exit

fail:
    la a0, label_fail
    call print_str
    li a0, 1
    j exit

    .section .rodata
label_before:
    .asciz "before munmap: "
label_after:
    .asciz "unmapped; loading from it again\n"
label_fail:
    .asciz "mmap misbehaved\n"

# print_str, print_int, print_hex, print_nl, exit
    .include "lib/runtime.s"
