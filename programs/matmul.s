# matmul: 4x4 integer matrix product C = A * B with word loads, multiplies and stores;
# prints C and its trace (the exit status is the trace modulo 256, 126).
# expect-exit: 126
    .equ N, 4
    .text
    .globl _start
_start:
    li s0, 0
row:
    li s1, 0
col:
    li t0, 0
    li t1, 0
dot:
    # t0 += A[s0][t1] * B[t1][s1]
    slli t2, s0, 2
    add t2, t2, t1
    slli t2, t2, 2
    la t3, mat_a
    add t3, t3, t2
    lw t4, 0(t3)
    slli t2, t1, 2
    add t2, t2, s1
    slli t2, t2, 2
    la t3, mat_b
    add t3, t3, t2
    lw t5, 0(t3)
    mul t4, t4, t5
    add t0, t0, t4
    addi t1, t1, 1
    li t2, N
    blt t1, t2, dot
    slli t2, s0, 2
    add t2, t2, s1
    slli t2, t2, 2
    la t3, mat_c
    add t3, t3, t2
    sw t0, 0(t3)
    addi s1, s1, 1
    li t2, N
    blt s1, t2, col
    addi s0, s0, 1
    blt s0, t2, row

    la s0, mat_c
    li s1, 0
    li s2, 0
print_row:
    li s3, 0
print_col:
    lw a0, 0(s0)
    call print_int
    la a0, space
    call print_str
    addi s0, s0, 4
    addi s3, s3, 1
    li t0, N
    blt s3, t0, print_col
    call print_nl
    addi s1, s1, 1
    li t0, N
    blt s1, t0, print_row
    # trace
    la t0, mat_c
    lw a0, 0(t0)
    lw t1, 20(t0)
    add a0, a0, t1
    lw t1, 40(t0)
    add a0, a0, t1
    lw t1, 60(t0)
    add a0, a0, t1
    mv s4, a0
    la a0, label_trace
    call print_str
    mv a0, s4
    call print_int
    call print_nl
    andi a0, s4, 255
    j exit

    .section .rodata
space:
    .asciz " "
label_trace:
    .asciz "trace "

    .data
    .align 2
mat_a:
    .word 1, 2, 3, 4
    .word 5, 6, 7, 8
    .word 9, 10, 11, 12
    .word 13, 14, 15, 16
mat_b:
    .word 2, 0, -1, 3
    .word 1, 1, 0, -2
    .word 0, 4, 5, 1
    .word -3, 2, 1, 0

    .bss
    .align 2
mat_c:
    .space 64

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
