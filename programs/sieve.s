# sieve: the sieve of Eratosthenes over a byte array in .bss: the primes below 100 and
# the number of primes below 10000.
# expect-exit: 0
    .equ LIMIT, 10000
    .text
    .globl _start
_start:
    la s0, composite
    li s1, 2
    li s2, LIMIT
mark_outer:
    mul t0, s1, s1
    bge t0, s2, count
    add t1, s0, s1
    lbu t1, 0(t1)
    bnez t1, next_p
mark_inner:
    bge t0, s2, next_p
    add t1, s0, t0
    li t2, 1
    sb t2, 0(t1)
    add t0, t0, s1
    j mark_inner
next_p:
    addi s1, s1, 1
    j mark_outer
count:
    la a0, label_small
    call print_str
    li s1, 2
    li s3, 0
count_loop:
    bge s1, s2, done
    add t1, s0, s1
    lbu t1, 0(t1)
    bnez t1, count_next
    addi s3, s3, 1
    li t0, 100
    bge s1, t0, count_next
    mv a0, s1
    call print_int
    la a0, space
    call print_str
count_next:
    addi s1, s1, 1
    j count_loop
done:
    call print_nl
    la a0, label_count
    call print_str
    mv a0, s3
    call print_int
    call print_nl
    li a0, 0
    j exit

    .section .rodata
label_small:
    .asciz "primes below 100: "
label_count:
    .asciz "primes below 10000: "
space:
    .asciz " "

    .bss
composite:
    .space LIMIT

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
