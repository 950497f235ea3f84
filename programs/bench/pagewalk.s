# pagewalk: the page-walking loop of the speed targets (issue 8). It grows the heap by
# 64 MiB with brk, then sweeps it in rounds of 64 passes; pass p touches one word in every
# 4 KiB page at offset 64 * p (a load, an add, a store: 6 instructions per page), so every
# access lands on a different page than the one before, and the 64 passes of a round touch
# 64 different cache lines of each page. 160 rounds are about a billion instructions.
# It prints a checksum of the values it stored.
#
# Only 32-bit data operations, so RV32 and RV64 print the same bytes. Tests shorten the run
# by replacing the ROUNDS and HEAP lines (tests/all/fastpath_bench.rs).
# expect-exit: 0
    .equ ROUNDS, 160
    .equ HEAP, 0x4000000
    .equ SYS_BRK, 214
    .text
    .globl _start
_start:
    li a0, 0
    li a7, SYS_BRK
    ecall
    li t0, 4095
    add s0, a0, t0
    li t0, -4096
    and s0, s0, t0
    li s6, HEAP
    add a0, s0, s6
    mv s9, a0
    li a7, SYS_BRK
    ecall
    bltu a0, s9, no_memory

    li s1, ROUNDS
    li s5, 0
    li s7, 4096
round:
    li s2, 0
pass:
    add t0, s0, s2
    add t3, t0, s6
touch:
    lw t2, 0(t0)
    add t2, t2, s2
    sw t2, 0(t0)
    add s5, s5, t2
    add t0, t0, s7
    bne t0, t3, touch
    addi s2, s2, 64
    blt s2, s7, pass
    addi s1, s1, -1
    bnez s1, round

    la a0, label_checksum
    call print_str
    mv a0, s5
    call print_hex
    call print_nl
    li a0, 0
    j exit

no_memory:
    la a0, label_no_memory
    call print_str
    li a0, 1
    j exit

    .section .rodata
label_checksum:
    .asciz "pagewalk checksum "
label_no_memory:
    .asciz "brk refused 64 MiB\n"

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
