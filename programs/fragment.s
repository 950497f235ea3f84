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

# print_str, print_int, print_hex, print_nl, exit
    .include "lib/runtime.s"
