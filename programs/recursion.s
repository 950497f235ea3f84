# recursion: call frames on the stack: factorial, Fibonacci and Ackermann, recursively.
# The exit status is fact(5) = 120.
# expect-exit: 120
    .text
    .globl _start
_start:
    li s0, 0
next_fact:
    la a0, label_fact
    call print_str
    mv a0, s0
    call print_int
    la a0, label_eq
    call print_str
    mv a0, s0
    call fact
    call print_int
    call print_nl
    addi s0, s0, 1
    li t0, 13
    blt s0, t0, next_fact

    la a0, label_fib
    call print_str
    li a0, 20
    call fib
    call print_int
    call print_nl

    la a0, label_ack
    call print_str
    li a0, 2
    li a1, 3
    call ack
    call print_int
    call print_nl

    li a0, 5
    call fact
    j exit

# fact(a0) = a0! (recursive)
fact:
    addi sp, sp, -16
    sw ra, 12(sp)
    sw s0, 8(sp)
    mv s0, a0
    li a0, 1
    beqz s0, fact_done
    addi a0, s0, -1
    call fact
    mul a0, a0, s0
fact_done:
    lw s0, 8(sp)
    lw ra, 12(sp)
    addi sp, sp, 16
    ret

# fib(a0): naive doubly recursive Fibonacci
fib:
    li t0, 2
    blt a0, t0, fib_base
    addi sp, sp, -16
    sw ra, 12(sp)
    sw s0, 8(sp)
    sw s1, 4(sp)
    mv s0, a0
    addi a0, s0, -1
    call fib
    mv s1, a0
    addi a0, s0, -2
    call fib
    add a0, a0, s1
    lw s1, 4(sp)
    lw s0, 8(sp)
    lw ra, 12(sp)
    addi sp, sp, 16
fib_base:
    ret

# ack(a0 = m, a1 = n): Ackermann's function
ack:
    addi sp, sp, -16
    sw ra, 12(sp)
    sw s0, 8(sp)
    mv s0, a0
    bnez s0, ack_m
    addi a0, a1, 1
    j ack_done
ack_m:
    bnez a1, ack_mn
    addi a0, s0, -1
    li a1, 1
    call ack
    j ack_done
ack_mn:
    addi a1, a1, -1
    call ack
    mv a1, a0
    addi a0, s0, -1
    call ack
ack_done:
    lw s0, 8(sp)
    lw ra, 12(sp)
    addi sp, sp, 16
    ret

    .section .rodata
label_fact:
    .asciz "fact("
label_eq:
    .asciz ") = "
label_fib:
    .asciz "fib(20) = "
label_ack:
    .asciz "ack(2, 3) = "

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
