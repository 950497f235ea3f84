# strings: byte loads and stores: length, reverse in place, upper case, compare, copy.
# The exit status is the length of the copied string.
# expect-exit: 26
    .text
    .globl _start
_start:
    la a0, text
    call strlen
    mv s0, a0
    la a0, label_len
    call print_str
    mv a0, s0
    call print_int
    call print_nl

    la a0, text
    call print_str
    call print_nl
    la a0, text
    call reverse
    la a0, text
    call print_str
    call print_nl
    la a0, text
    call upper
    la a0, text
    call print_str
    call print_nl

    la a0, word_a
    la a1, word_b
    call strcmp
    call sign_print
    la a0, word_b
    la a1, word_a
    call strcmp
    call sign_print
    la a0, word_a
    la a1, word_a
    call strcmp
    call sign_print

    la a0, copy
    la a1, alphabet
    call strcpy
    la a0, copy
    call print_str
    call print_nl
    la a0, copy
    call strlen
    j exit

# strlen(a0) -> a0
strlen:
    mv t0, a0
strlen_loop:
    lbu t1, 0(t0)
    beqz t1, strlen_done
    addi t0, t0, 1
    j strlen_loop
strlen_done:
    sub a0, t0, a0
    ret

# reverse(a0): reverses a string in place
reverse:
    addi sp, sp, -16
    sw ra, 12(sp)
    sw s0, 8(sp)
    mv s0, a0
    call strlen
    add t1, s0, a0
    addi t1, t1, -1
    mv t0, s0
reverse_loop:
    bgeu t0, t1, reverse_done
    lbu t2, 0(t0)
    lbu t3, 0(t1)
    sb t3, 0(t0)
    sb t2, 0(t1)
    addi t0, t0, 1
    addi t1, t1, -1
    j reverse_loop
reverse_done:
    lw s0, 8(sp)
    lw ra, 12(sp)
    addi sp, sp, 16
    ret

# upper(a0): ASCII lower case to upper case, in place
upper:
    lbu t0, 0(a0)
    beqz t0, upper_done
    li t1, 97
    blt t0, t1, upper_next
    li t1, 122
    bgt t0, t1, upper_next
    addi t0, t0, -32
    sb t0, 0(a0)
upper_next:
    addi a0, a0, 1
    j upper
upper_done:
    ret

# strcmp(a0, a1) -> negative, zero or positive
strcmp:
    lbu t0, 0(a0)
    lbu t1, 0(a1)
    bne t0, t1, strcmp_diff
    beqz t0, strcmp_diff
    addi a0, a0, 1
    addi a1, a1, 1
    j strcmp
strcmp_diff:
    sub a0, t0, t1
    ret

# strcpy(a0 = dst, a1 = src)
strcpy:
    lbu t0, 0(a1)
    sb t0, 0(a0)
    addi a0, a0, 1
    addi a1, a1, 1
    bnez t0, strcpy
    ret

# sign_print(a0): prints "<", "=" or ">" for the sign of a0, and a newline
sign_print:
    addi sp, sp, -16
    sw ra, 12(sp)
    la t0, lt
    bltz a0, sign_go
    la t0, eq
    beqz a0, sign_go
    la t0, gt
sign_go:
    mv a0, t0
    call print_str
    lw ra, 12(sp)
    addi sp, sp, 16
    ret

    .section .rodata
label_len:
    .asciz "length: "
word_a:
    .asciz "apple"
word_b:
    .asciz "apricot"
alphabet:
    .asciz "abcdefghijklmnopqrstuvwxyz"
lt:
    .asciz "<\n"
eq:
    .asciz "=\n"
gt:
    .asciz ">\n"

    .data
text:
    .asciz "The quick brown fox jumps over the lazy dog"

    .bss
copy:
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
