# status: a message on stderr and a non-zero exit status (the guest's status is Atlas's).
# expect-exit: 42
    .text
    .globl _start
_start:
    li a0, 2
    la a1, message
    li a2, 16
    li a7, 64
    ecall
    li a0, 42
    li a7, 93
    ecall

    .section .rodata
message:
    .ascii "this is stderr.\n"
