# muldiv.rv64: the M extension at XLEN = 64 on edge values: 64-bit high products and
# unsigned division, and the RV64 word operations (mulw, divw, divuw, remw, remuw, addw,
# subw, sllw, srlw, sraw) whose 32-bit results are sign-extended. RV64 only.
# expect-exit: 0
    .attribute arch, "rv64im"   # selects the width without --xlen
    .text
    .globl _start
_start:
    la s0, operands
    la s1, operands_end
next_pair:
    bgeu s0, s1, finished
    ld s2, 0(s0)
    ld s3, 8(s0)
    mv a0, s2
    call print_hex64
    la a0, space
    call print_str
    mv a0, s3
    call print_hex64
    call print_nl
    mul a0, s2, s3
    call show
    mulh a0, s2, s3
    call show
    mulhsu a0, s2, s3
    call show
    mulhu a0, s2, s3
    call show
    call print_nl
    div a0, s2, s3
    call show
    divu a0, s2, s3
    call show
    rem a0, s2, s3
    call show
    remu a0, s2, s3
    call show
    call print_nl
    mulw a0, s2, s3
    call show
    divw a0, s2, s3
    call show
    divuw a0, s2, s3
    call show
    remw a0, s2, s3
    call show
    remuw a0, s2, s3
    call show
    call print_nl
    addw a0, s2, s3
    call show
    subw a0, s2, s3
    call show
    sllw a0, s2, s3
    call show
    srlw a0, s2, s3
    call show
    sraw a0, s2, s3
    call show
    call print_nl
    addi s0, s0, 16
    j next_pair
finished:
    li a0, 0
    j exit

# show(a0): two spaces, the value in 64-bit hex
show:
    addi sp, sp, -16
    sd ra, 8(sp)
    sd a0, 0(sp)
    la a0, space2
    call print_str
    ld a0, 0(sp)
    call print_hex64
    ld ra, 8(sp)
    addi sp, sp, 16
    ret

# print_hex64(a0): "0x" and 16 hex digits
print_hex64:
    la t1, hexbuf
    li t3, 60
    la t4, hexdigits
.Lph64_loop:
    srl t2, a0, t3
    andi t2, t2, 15
    add t2, t4, t2
    lbu t2, 0(t2)
    sb t2, 2(t1)
    addi t1, t1, 1
    addi t3, t3, -4
    bgez t3, .Lph64_loop
    la a1, hexbuf
    li t0, 48
    sb t0, 0(a1)
    li t0, 120
    sb t0, 1(a1)
    li a2, 18
    li a0, 1
    li a7, 64
    ecall
    ret

    .section .rodata
space:
    .asciz " "
space2:
    .asciz "  "

    .data
    .align 3
operands:
    .dword 0x8000000000000000, 0xffffffffffffffff
    .dword 0x8000000000000000, 0x8000000000000000
    .dword 0xffffffffffffffff, 0xffffffffffffffff
    .dword 0x7fffffffffffffff, 2
    .dword 0x123456789abcdef0, 0
    .dword 0xffffffff80000000, 0xffffffffffffffff
    .dword 0x0000000180000000, 0x00000000ffffffff
    .dword 0x00000000fffffffe, 0x0000000000000021
    .dword 0x7fffffff00000001, 0x800000000000001f
operands_end:

    .bss
hexbuf:
    .space 24

# print_str, print_int, print_hex, print_nl, exit
    .include "lib/runtime.s"
