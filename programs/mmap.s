# mmap: anonymous private mappings: fresh pages read as zero, a written mapping is summed
# back, mprotect makes a page read-only (reads still work), munmap and a MAP_FIXED
# remapping give a fresh zero page, and bad arguments return -EINVAL (-22).
# Mapping addresses stay in registers (at RV64 they are above 4 GiB).
# expect-exit: 0
    .equ SYS_MMAP, 222
    .equ SYS_MUNMAP, 215
    .equ SYS_MPROTECT, 226
    .equ PROT_READ, 1
    .equ PROT_RW, 3
    .equ MAP_PRIVATE_ANON, 0x22
    .equ MAP_FIXED_PRIVATE_ANON, 0x32
    .text
    .globl _start
_start:
    # s0 = mmap(0, 3 pages, RW, PRIVATE|ANONYMOUS, -1, 0)
    li a0, 0
    li a1, 12288
    li a2, PROT_RW
    li a3, MAP_PRIVATE_ANON
    li a4, -1
    li a5, 0
    li a7, SYS_MMAP
    ecall
    li t0, -4096
    bgeu a0, t0, fail
    andi t0, a0, 2047
    bnez t0, fail
    mv s0, a0
    la a0, label_mapped
    call print_str

    # fresh pages are zero: the first word and the last
    lw t0, 0(s0)
    li t1, 12284
    add t1, s0, t1
    lw t1, 0(t1)
    or t0, t0, t1
    bnez t0, fail
    la a0, label_zero
    call print_str

    # word i = i over the three pages, then the sum
    li t0, 0
    mv t1, s0
    li t2, 3072
fill:
    sw t0, 0(t1)
    addi t0, t0, 1
    addi t1, t1, 4
    blt t0, t2, fill
    li t0, 0
    li s1, 0
    mv t1, s0
add_up:
    lw t3, 0(t1)
    add s1, s1, t3
    addi t0, t0, 1
    addi t1, t1, 4
    blt t0, t2, add_up
    la a0, label_sum
    call print_str
    mv a0, s1
    call print_int
    call print_nl

    # the middle page becomes read-only; reading it still works
    li t0, 4096
    add a0, s0, t0
    li a1, 4096
    li a2, PROT_READ
    li a7, SYS_MPROTECT
    ecall
    bnez a0, fail
    li t0, 4096
    add t0, s0, t0
    lw a0, 4(t0)
    mv s2, a0
    la a0, label_protected
    call print_str
    mv a0, s2
    call print_int
    call print_nl

    # unmap the last page, map a fresh one at the same address with MAP_FIXED
    li t0, 8192
    add a0, s0, t0
    li a1, 4096
    li a7, SYS_MUNMAP
    ecall
    bnez a0, fail
    li t0, 8192
    add s3, s0, t0
    mv a0, s3
    li a1, 4096
    li a2, PROT_RW
    li a3, MAP_FIXED_PRIVATE_ANON
    li a4, -1
    li a5, 0
    li a7, SYS_MMAP
    ecall
    bne a0, s3, fail
    lw t0, 8(s3)
    bnez t0, fail
    la a0, label_fixed
    call print_str

    # errors: no MAP_PRIVATE, a zero length, a misaligned munmap, unknown mprotect bits
    li a0, 0
    li a1, 4096
    li a2, PROT_RW
    li a3, 0x20
    li a4, -1
    li a5, 0
    li a7, SYS_MMAP
    ecall
    mv s4, a0
    li a0, 0
    li a1, 0
    li a2, PROT_RW
    li a3, MAP_PRIVATE_ANON
    li a4, -1
    li a5, 0
    li a7, SYS_MMAP
    ecall
    mv s5, a0
    addi a0, s0, 1
    li a1, 4096
    li a7, SYS_MUNMAP
    ecall
    mv s6, a0
    mv a0, s0
    li a1, 4096
    li a2, 0x100
    li a7, SYS_MPROTECT
    ecall
    mv s7, a0
    la a0, label_errors
    call print_str
    mv a0, s4
    call print_int
    la a0, label_comma
    call print_str
    mv a0, s5
    call print_int
    la a0, label_comma
    call print_str
    mv a0, s6
    call print_int
    la a0, label_comma
    call print_str
    mv a0, s7
    call print_int
    call print_nl

    # unmap everything
    mv a0, s0
    li a1, 12288
    li a7, SYS_MUNMAP
    ecall
    bnez a0, fail
    la a0, label_unmapped
    call print_str
    li a0, 0
    j exit

fail:
    la a0, label_fail
    call print_str
    li a0, 1
    j exit

    .section .rodata
label_mapped:
    .asciz "mapped 3 pages\n"
label_zero:
    .asciz "fresh pages read as zero\n"
label_sum:
    .asciz "sum of 3072 words: "
label_protected:
    .asciz "read-only page still reads: "
label_fixed:
    .asciz "MAP_FIXED remapped a fresh zero page\n"
label_errors:
    .asciz "errors: "
label_comma:
    .asciz ", "
label_unmapped:
    .asciz "unmapped\n"
label_fail:
    .asciz "mmap misbehaved\n"

# print_str, print_int, print_hex, print_nl, exit
    .include "lib/runtime.s"
