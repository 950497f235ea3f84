# hello: the smallest complete program: write a line, exit 0.
# expect-exit: 0
    .text
    .globl _start
_start:
    la a0, message
    call print_str
    li a0, 0
    j exit

    .section .rodata
message:
    .asciz "Hello, world!\n"

# print_str, print_int, print_hex, print_nl, exit
    .include "lib/runtime.s"
