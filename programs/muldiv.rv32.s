# muldiv.rv32: the M extension at XLEN = 32: high products (mulh, mulhsu, mulhu) and
# unsigned division and remainder, on edge values. RV32 only.
# expect-exit: 0
    .attribute arch, "rv32im"   # selects the width without --xlen
    .text
    .globl _start
_start:
    la s0, operands
    la s1, operands_end
next_pair:
    bgeu s0, s1, finished
    lw s2, 0(s0)
    lw s3, 4(s0)
    mv a0, s2
    call print_hex
    la a0, space
    call print_str
    mv a0, s3
    call print_hex
    call print_nl
    mulh a0, s2, s3
    call show
    mulhsu a0, s2, s3
    call show
    mulhu a0, s2, s3
    call show
    divu a0, s2, s3
    call show
    remu a0, s2, s3
    call show
    call print_nl
    addi s0, s0, 8
    j next_pair
finished:
    li a0, 0
    j exit

# show(a0): two spaces, the value in hex
show:
    addi sp, sp, -16
    sw ra, 12(sp)
    sw a0, 8(sp)
    la a0, space2
    call print_str
    lw a0, 8(sp)
    call print_hex
    lw ra, 12(sp)
    addi sp, sp, 16
    ret

    .section .rodata
space:
    .asciz " "
space2:
    .asciz "  "

    .data
    .align 2
operands:
    .word 0x80000000, 0x80000000
    .word 0x80000000, 0xffffffff
    .word 0xffffffff, 0xffffffff
    .word 0x7fffffff, 0x7fffffff
    .word 0xffffffff, 0
    .word 0x12345678, 0x9abcdef0
    .word 0xfffffffe, 3
    .word 0, 0
operands_end:

# ---- runtime (the same in every program): print_str, print_int, print_hex, print_nl ----
# Only 32-bit data operations, so one source serves RV32 and RV64.
    .text
# print_str(a0 = address of a NUL-terminated string)
print_str:
    mv a1, a0
    li a2, 0
.Lps_len:
    add t0, a1, a2
    lbu t0, 0(t0)
    beqz t0, .Lps_write
    addi a2, a2, 1
    j .Lps_len
.Lps_write:
    li a0, 1
    li a7, 64
    ecall
    ret

# print_int(a0 = signed 32-bit value, sign-extended): decimal
print_int:
    la t1, numbuf_end
    mv t2, a0
    bgez a0, .Lpi_digits
    neg t2, a0
.Lpi_digits:
    li t4, 10
.Lpi_loop:
    remu t3, t2, t4
    divu t2, t2, t4
    addi t3, t3, 48
    addi t1, t1, -1
    sb t3, 0(t1)
    bnez t2, .Lpi_loop
    bgez a0, .Lpi_write
    li t3, 45
    addi t1, t1, -1
    sb t3, 0(t1)
.Lpi_write:
    la a2, numbuf_end
    sub a2, a2, t1
    mv a1, t1
    li a0, 1
    li a7, 64
    ecall
    ret

# print_hex(a0): "0x" and the low 32 bits as 8 hex digits
print_hex:
    la t1, numbuf
    li t2, 48
    sb t2, 0(t1)
    li t2, 120
    sb t2, 1(t1)
    addi t1, t1, 2
    li t3, 28
    la t4, hexdigits
.Lph_loop:
    srl t2, a0, t3
    andi t2, t2, 15
    add t2, t4, t2
    lbu t2, 0(t2)
    sb t2, 0(t1)
    addi t1, t1, 1
    addi t3, t3, -4
    bgez t3, .Lph_loop
    la a1, numbuf
    li a2, 10
    li a0, 1
    li a7, 64
    ecall
    ret

# print_nl(): a newline
print_nl:
    la a0, newline
    j print_str

# exit(a0)
exit:
    li a7, 93
    ecall

    .section .rodata
hexdigits:
    .ascii "0123456789abcdef"
newline:
    .asciz "\n"

    .bss
numbuf:
    .space 16
numbuf_end:
    .space 16
