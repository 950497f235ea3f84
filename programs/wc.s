# wc: standard input through the read syscall: copies it to stdout in upper case, then
# counts its bytes and lines (like `wc -c -l`). The tests feed it programs/wc.stdin.
# The exit status is the number of lines.
# expect-exit: 4
    .text
    .globl _start
_start:
    li s1, 0
    li s2, 0
read_more:
    li a0, 0
    la a1, chunk
    li a2, 64
    li a7, 63
    ecall
    blez a0, done
    add s1, s1, a0
    mv s3, a0
    la t0, chunk
    add t1, t0, a0
scan:
    bgeu t0, t1, write_chunk
    lbu t2, 0(t0)
    li t3, 10
    bne t2, t3, not_newline
    addi s2, s2, 1
not_newline:
    li t3, 97
    blt t2, t3, next_byte
    li t3, 122
    bgt t2, t3, next_byte
    addi t2, t2, -32
    sb t2, 0(t0)
next_byte:
    addi t0, t0, 1
    j scan
write_chunk:
    li a0, 1
    la a1, chunk
    mv a2, s3
    li a7, 64
    ecall
    j read_more
done:
    la a0, label_bytes
    call print_str
    mv a0, s1
    call print_int
    la a0, label_lines
    call print_str
    mv a0, s2
    call print_int
    call print_nl
    mv a0, s2
    j exit

    .section .rodata
label_bytes:
    .asciz "bytes: "
label_lines:
    .asciz ", lines: "

    .bss
chunk:
    .space 64

# print_str, print_int, print_hex, print_nl, exit
    .include "lib/runtime.s"
