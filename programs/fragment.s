# fragment: the heap (brk) and anonymous mappings grow in turns, 16 KiB at a time, six
# rounds, each new part filled with a known word; then every word is added up again. In
# segmented mode the heap and mmap segments leapfrog each other in physical memory: each
# growth is blocked by the other segment, which is relocated and leaves a hole behind. In
# a small memory (crates/os/tests/segmented_fragment.rs, --phys-mem 320K) with worst or
# next fit a growth then finds no hole large enough while the free bytes together suffice,
# so the OS compacts memory. The output is the same in every mode: relocation and
# compaction must preserve every byte.
# expect-exit: 0
    .equ SYS_BRK, 214
    .equ SYS_MMAP, 222
    .equ STEP, 16384
    .text
    .globl _start
_start:
    li a0, 0
    li a7, SYS_BRK
    ecall
    mv s0, a0
    mv s1, a0
    li a0, 1
    call heap_grow_fill
    li a0, 101
    call map_fill
    mv s4, a0
    li a0, 2
    call heap_grow_fill
    li a0, 102
    call map_fill
    mv s5, a0
    li a0, 3
    call heap_grow_fill
    li a0, 103
    call map_fill
    mv s6, a0
    li a0, 4
    call heap_grow_fill
    li a0, 104
    call map_fill
    mv s7, a0
    li a0, 5
    call heap_grow_fill
    li a0, 105
    call map_fill
    mv s8, a0
    li a0, 6
    call heap_grow_fill
    li a0, 106
    call map_fill
    mv s9, a0

    la a0, label_heap
    call print_str
    mv a0, s0
    sub a1, s1, s0
    call sum_words
    call print_int
    call print_nl
    la a0, label_maps
    call print_str
    mv a0, s4
    call sum_map
    mv a0, s5
    call sum_map
    mv a0, s6
    call sum_map
    mv a0, s7
    call sum_map
    mv a0, s8
    call sum_map
    mv a0, s9
    call sum_map
    call print_nl
    li a0, 0
    j exit

# heap_grow_fill(a0 = word): moves the break up by STEP and fills the new part with the word
heap_grow_fill:
    mv t5, a0
    li t0, STEP
    add a0, s1, t0
    li a7, SYS_BRK
    ecall
    li t0, STEP
    add t0, s1, t0
    bne a0, t0, fail
    mv t1, s1
    mv s1, a0
.Lhg_fill:
    sw t5, 0(t1)
    addi t1, t1, 4
    bltu t1, s1, .Lhg_fill
    ret

# map_fill(a0 = word) -> a0 = a new STEP-byte anonymous mapping filled with the word
map_fill:
    mv t5, a0
    li a0, 0
    li a1, STEP
    li a2, 3
    li a3, 0x22
    li a4, -1
    li a5, 0
    li a7, SYS_MMAP
    ecall
    li t0, -4096
    bgeu a0, t0, fail
    mv t1, a0
    li t2, STEP
    add t2, a0, t2
.Lmf_fill:
    sw t5, 0(t1)
    addi t1, t1, 4
    bltu t1, t2, .Lmf_fill
    ret

# sum_words(a0 = address, a1 = bytes) -> a0 = the 32-bit sum of the words
sum_words:
    add t2, a0, a1
    li t3, 0
.Lsw_loop:
    bgeu a0, t2, .Lsw_done
    lw t0, 0(a0)
    add t3, t3, t0
    addi a0, a0, 4
    j .Lsw_loop
.Lsw_done:
    mv a0, t3
    ret

# sum_map(a0 = mapping): prints the sum of its words and a space
sum_map:
    mv t6, ra
    li a1, STEP
    call sum_words
    call print_int
    la a0, space
    call print_str
    mv ra, t6
    ret

fail:
    la a0, label_fail
    call print_str
    li a0, 1
    j exit

    .section .rodata
label_heap:
    .asciz "heap words sum to "
label_maps:
    .asciz "mapping sums: "
label_fail:
    .asciz "brk or mmap failed\n"
space:
    .asciz " "

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
