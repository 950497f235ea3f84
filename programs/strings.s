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

# print_str, print_int, print_hex, print_nl, exit
    .include "lib/runtime.s"
