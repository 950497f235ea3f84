# segv: an expected fault. The program prints a line, then loads a word through a null
# pointer. The paged OS maps nothing at page 0, so the load faults, the OS cannot serve
# it, and the run ends like a Linux segmentation fault: exit status 139 and a fault report
# on stderr saying where, what and why (here for sv39):
#
#   $ atlas run -q programs/segv.s
#   loading a word through a null pointer
#   atlas: guest fault: load page fault
#     pc:          0x10010 <_start+0x10> at programs/segv.s:26
#     instruction: 00002503  lw	a0,0(zero)
#     address:     0x0
#     reason:      load page fault: 4-byte load at 0x0: page fault: PTE at level 0 not valid
#     mmu mode:    sv39
#     os:          no mapping for 0x0
#
# Bare mode has no protection at all (address 0 is physical memory and reads fine), and
# base-bounds and segmented modes place their regions from address 0, so the program
# faults in the paged modes only.
# mmu-modes: linear sv32 sv39 sv48 sv57
# expect-exit: 139
    .text
    .globl _start
_start:
    la a0, label_before
    call print_str
    lw a0, 0(zero)
    la a0, label_after
    call print_str
    li a0, 0
    call exit

    .section .rodata
label_before:
    .asciz "loading a word through a null pointer\n"
label_after:
    .asciz "the load did not fault\n"

# print_str, print_int, print_hex, print_nl, exit
    .include "lib/runtime.s"
