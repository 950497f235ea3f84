# sort: insertion sort of a word array in place, then a check that it is ordered.
# expect-exit: 0
    .text
    .globl _start
_start:
    la a0, label_before
    call print_str
    call print_array
    la s0, array
    la s1, array_end
    addi s2, s0, 4
outer:
    bgeu s2, s1, sorted
    lw t0, 0(s2)
    addi t1, s2, -4
inner:
    bltu t1, s0, insert
    lw t2, 0(t1)
    ble t2, t0, insert
    sw t2, 4(t1)
    addi t1, t1, -4
    j inner
insert:
    sw t0, 4(t1)
    addi s2, s2, 4
    j outer
sorted:
    la a0, label_after
    call print_str
    call print_array
    # verify: exit 1 if any neighbour pair is out of order
    la s0, array
    la s1, array_end
    addi s1, s1, -4
check:
    bgeu s0, s1, ok
    lw t0, 0(s0)
    lw t1, 4(s0)
    bgt t0, t1, bad
    addi s0, s0, 4
    j check
ok:
    la a0, label_ok
    call print_str
    li a0, 0
    j exit
bad:
    li a0, 1
    j exit

# print_array(): the array, space-separated, then a newline
print_array:
    addi sp, sp, -16
    sw ra, 12(sp)
    sw s0, 8(sp)
    la s0, array
print_next:
    lw a0, 0(s0)
    call print_int
    la a0, space
    call print_str
    addi s0, s0, 4
    la t0, array_end
    bltu s0, t0, print_next
    call print_nl
    lw s0, 8(sp)
    lw ra, 12(sp)
    addi sp, sp, 16
    ret

    .section .rodata
label_before:
    .asciz "before: "
label_after:
    .asciz "after:  "
label_ok:
    .asciz "sorted\n"
space:
    .asciz " "

    .data
    .align 2
array:
    .word 42, -5, 17, 0, 99, -2147483648, 3, 3, 2147483647, -1, 1000, 8, 256, -77, 12, 5
array_end:

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
