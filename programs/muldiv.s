# muldiv: the M extension's corner cases that give the same 32-bit results at both widths:
# division by zero, the overflow MIN / -1, signs of quotients and remainders, products.
# Each line prints the operation, its operands and the low 32 bits of the result in hex.
# expect-exit: 0
    .text
    .globl _start
_start:
    la s0, cases
    la s1, cases_end
next_case:
    bgeu s0, s1, finished
    lw s2, 0(s0)
    lw s3, 4(s0)
    lw s4, 8(s0)
    mv a0, s3
    call print_hex
    la a0, space
    call print_str
    mv a0, s4
    call print_hex
    la a0, arrow
    call print_str
    li t0, 0
    beq s2, t0, do_mul
    li t0, 1
    beq s2, t0, do_div
    j do_rem
do_mul:
    la a0, name_mul
    call print_str
    mul a0, s3, s4
    j show
do_div:
    la a0, name_div
    call print_str
    div a0, s3, s4
    j show
do_rem:
    la a0, name_rem
    call print_str
    rem a0, s3, s4
show:
    call print_hex
    call print_nl
    addi s0, s0, 12
    j next_case
finished:
    li a0, 0
    j exit

    .section .rodata
space:
    .asciz " "
arrow:
    .asciz " -> "
name_mul:
    .asciz "mul "
name_div:
    .asciz "div "
name_rem:
    .asciz "rem "

    .data
    .align 2
# (operation: 0 mul, 1 div, 2 rem; a; b)
cases:
    .word 1, 7, 0
    .word 1, -7, 0
    .word 1, 0, 0
    .word 2, 7, 0
    .word 2, -7, 0
    .word 1, 0x80000000, -1
    .word 2, 0x80000000, -1
    .word 1, 7, 2
    .word 1, -7, 2
    .word 1, 7, -2
    .word 1, -7, -2
    .word 2, 7, 2
    .word 2, -7, 2
    .word 2, 7, -2
    .word 2, -7, -2
    .word 1, 0x7fffffff, 1
    .word 1, 0x80000000, 1
    .word 1, 0x80000000, 2
    .word 2, 0x80000000, 3
    .word 0, 0x7fffffff, 2
    .word 0, 0x80000000, -1
    .word 0, -1, -1
    .word 0, 0x12345678, 0x9abcdef0
    .word 0, 65536, 65536
    .word 0, -3, 5
cases_end:

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
