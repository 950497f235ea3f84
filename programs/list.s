# list: a brk-based bump allocator builds a 10,000-node singly linked list on the heap,
# walks it, reverses it in place, walks it again, and gives the heap back with brk.
# Nodes are 8 bytes (value, next) with 32-bit pointers: the heap sits below 2 GiB in every
# layout, so lw/sw hold a pointer at both widths.
# expect-exit: 0
    .equ SYS_BRK, 214
    .equ NODES, 10000
    .text
    .globl _start
_start:
    li a0, 0
    li a7, SYS_BRK
    ecall
    mv s0, a0               # heap start
    addi s1, a0, 7
    andi s1, s1, -8         # bump pointer
    mv s2, a0               # current break
    li s3, 0                # list head
    li s4, 0                # i
    li s5, NODES
    li s6, 0                # brk calls that grew the heap
build:
    addi t0, s1, 8
    bleu t0, s2, place
    li t1, 4096             # grow the break by a page
    add a0, s2, t1
    li a7, SYS_BRK
    ecall
    li t1, 4096
    add t1, s2, t1
    bne a0, t1, fail
    mv s2, a0
    addi s6, s6, 1
    j build
place:
    li t1, 7
    mul t1, s4, t1
    sw t1, 0(s1)            # value = 7 * i
    sw s3, 4(s1)            # next = head
    mv s3, s1
    addi s1, s1, 8
    addi s4, s4, 1
    blt s4, s5, build

    la a0, label_grew
    call print_str
    mv a0, s6
    call print_int
    call print_nl
    call walk

    # reverse in place
    li t0, 0                # previous
    mv t1, s3               # current
reverse:
    beqz t1, reversed
    lw t2, 4(t1)
    sw t0, 4(t1)
    mv t0, t1
    mv t1, t2
    j reverse
reversed:
    mv s3, t0
    la a0, label_reversed
    call print_str
    lw a0, 0(s3)
    call print_int
    la a0, label_comma
    call print_str
    lw t0, 4(s3)
    lw a0, 0(t0)
    call print_int
    la a0, label_comma
    call print_str
    lw t0, 4(s3)
    lw t0, 4(t0)
    lw a0, 0(t0)
    call print_int
    call print_nl
    call walk

    # give the heap back
    mv a0, s0
    li a7, SYS_BRK
    ecall
    bne a0, s0, fail
    la a0, label_released
    call print_str
    li a0, 0
    j exit

# walk(): prints the node count and the sum of the values of the list at s3
walk:
    mv s7, ra
    li s8, 0                # count
    li s9, 0                # sum
    mv t0, s3
.Lwalk_loop:
    beqz t0, .Lwalk_done
    lw t1, 0(t0)
    add s9, s9, t1
    addi s8, s8, 1
    lw t0, 4(t0)
    j .Lwalk_loop
.Lwalk_done:
    la a0, label_nodes
    call print_str
    mv a0, s8
    call print_int
    la a0, label_sum
    call print_str
    mv a0, s9
    call print_int
    call print_nl
    mv ra, s7
    ret

fail:
    la a0, label_fail
    call print_str
    li a0, 1
    j exit

    .section .rodata
label_grew:
    .asciz "heap grown page by page, brk calls: "
label_nodes:
    .asciz "nodes: "
label_sum:
    .asciz ", sum of values: "
label_reversed:
    .asciz "reversed, first values: "
label_comma:
    .asciz ", "
label_released:
    .asciz "heap released with brk\n"
label_fail:
    .asciz "brk misbehaved\n"

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
