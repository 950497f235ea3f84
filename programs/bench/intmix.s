# intmix: the integer loop of the speed targets (issue 8): add, xor, a rotate, mul and a
# data-dependent branch, 13 or 14 instructions per iteration, 100 million iterations (about
# 1.35 billion instructions). It prints a checksum of its three state words and how many
# times the branch fell through.
#
# Every operation whose result feeds the checksum is one whose low 32 bits depend only on the
# low 32 bits of its inputs (add, xor, and, slli, mul, ori), and the right shift of the rotate
# reads a value masked to 32 bits first, so RV32 and RV64 print the same bytes.
# Tests shorten the run by replacing the ITERATIONS line (tests/all/fastpath_bench.rs).
# expect-exit: 0
    .equ ITERATIONS, 100000000
    .text
    .globl _start
_start:
    li s0, ITERATIONS
    li s2, 0x12345678
    li s3, 0x9e3779b9
    li s4, 1
    li s5, 0
    li s1, 0xffffffff
mix:
    add s2, s2, s3
    xor s3, s3, s2
    and t0, s3, s1
    slli t1, t0, 13
    srli t0, t0, 19
    or s3, t1, t0
    mul s4, s4, s2
    ori s4, s4, 1
    xor s2, s2, s4
    andi t2, s3, 4
    beqz t2, 1f
    addi s5, s5, 1
1:
    addi s0, s0, -1
    bnez s0, mix

    la a0, label_checksum
    call print_str
    xor a0, s2, s3
    xor a0, a0, s4
    call print_hex
    la a0, label_count
    call print_str
    mv a0, s5
    call print_int
    call print_nl
    li a0, 0
    j exit

    .section .rodata
label_checksum:
    .asciz "intmix checksum "
label_count:
    .asciz ", branch fell through "

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
