# stack-growth: recursion 64 calls deep with 1 KiB frames. Every call stores into the
# bottom of its new frame, so every fourth call touches a page the stack has never used;
# a paged OS takes the fault below the stack, sees it is within the stack's 8 MiB limit and
# maps a zeroed page (a "stack growth" in the run report). The program prints its depth
# each time another 4 KiB of stack is in use, and the sum the calls return.
#
#   atlas run --mmu sv39 programs/stack-growth.s    # report: "... N stack growths ..."
#   atlas run --mmu bare programs/stack-growth.s    # bare: the stack is all there; 0 growths
#
# Depths are counted from the first frame, not from page boundaries, so the output is the
# same at both widths and in every mode. Only the return address (a code address below
# 2 GiB) and small integers are kept in memory, with 32-bit stores.
# expect-exit: 0
    .equ DEPTH, 64
    .equ FRAME, 1024
    .text
    .globl _start
_start:
    li a0, 1
    call descend
    mv s0, a0
    la a0, label_sum
    call print_str
    mv a0, s0
    call print_int
    call print_nl
    li a0, 0
    call exit

# descend(a0 = depth): returns depth + (depth + 1) + ... + DEPTH
descend:
    addi sp, sp, -FRAME
    sw ra, 0(sp)
    sw a0, 4(sp)
    andi t0, a0, 3
    bnez t0, 1f
    # another 4 KiB of stack in use: print the depth
    la a0, label_depth
    call print_str
    lw a0, 4(sp)
    call print_int
    la a0, label_kib
    call print_str
    lw a0, 4(sp)
    srli a0, a0, 2
    slli a0, a0, 2
    call print_int
    la a0, label_used
    call print_str
1:
    lw a0, 4(sp)
    li t0, DEPTH
    bgeu a0, t0, 2f
    addi a0, a0, 1
    call descend
    lw t0, 4(sp)
    add a0, a0, t0
2:
    lw ra, 0(sp)
    addi sp, sp, FRAME
    ret

    .section .rodata
label_depth:
    .asciz "depth "
label_kib:
    .asciz ": "
label_used:
    .asciz " KiB of stack in use\n"
label_sum:
    .asciz "the calls returned "

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
