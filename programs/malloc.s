# malloc: a small allocator on top of brk, printing what it does. The heap is an implicit
# list of blocks, each an 8-byte header (size in bytes including the header, then 1 if
# allocated, 0 if free) and its payload; sizes are multiples of 8.
#   - malloc(n) needs n + 8 bytes rounded up to 8 and takes the FIRST free block that is
#     large enough; when the rest is 16 bytes or more it SPLITS the block and leaves the
#     rest free; when nothing fits it grows the heap with brk by whole pages and merges
#     the new space with a free block at the end.
#   - free(p) marks the block free and COALESCES it with a free next and a free previous
#     block, so holes do not stay split into pieces too small to use.
# Offsets are printed relative to the heap's start, so the output is the same at both
# widths and in every MMU mode.
#
#   atlas run programs/malloc.s
#   atlas run --mmu segmented programs/malloc.s    # the heap segment grows with each brk
# expect-exit: 0
    .equ SYS_BRK, 214
    .equ PAGE, 4096
    .text
    .globl _start
_start:
    # s0 = the heap's start (page-aligned), s1 = the heap's size in bytes
    li a0, 0
    li a7, SYS_BRK
    ecall
    li t0, PAGE - 1
    add s0, a0, t0
    li t0, -PAGE
    and s0, s0, t0
    mv a0, s0
    li a7, SYS_BRK
    ecall
    li s1, 0

    li a0, 100
    call malloc
    mv s2, a0               # a
    li a0, 200
    call malloc
    mv s3, a0               # b
    li a0, 300
    call malloc
    mv s4, a0               # c
    mv a0, s3
    call free               # a hole between a and c
    li a0, 50
    call malloc
    mv s5, a0               # d: first fit, in b's hole
    mv a0, s2
    call free               # a: its next (d) is in use
    mv a0, s5
    call free               # d: merges with a before it and the rest of b's hole after it
    li a0, 5000
    call malloc             # nothing fits: the heap grows
    mv s6, a0               # e
    li a0, 280
    call malloc             # first fit: the hole at offset 0
    mv a0, s4
    call free
    mv a0, s6
    call free
    call show_heap
    li a0, 0
    call exit

# malloc(a0 = bytes): returns the payload's offset from the heap's start
malloc:
    mv s11, ra
    mv s10, a0
    la a0, label_malloc
    call print_str
    mv a0, s10
    call print_int
    la a0, label_close
    call print_str
    # s9 = needed = round_up(bytes + 8, 8)
    addi s9, s10, 15
    andi s9, s9, -8
.Lm_search:
    li t1, 0                # offset of the block looked at
.Lm_walk:
    bgeu t1, s1, .Lm_grow
    add t2, s0, t1
    lw t3, 0(t2)            # size
    lw t4, 4(t2)            # allocated?
    bnez t4, .Lm_next
    bgeu t3, s9, .Lm_found
.Lm_next:
    add t1, t1, t3
    j .Lm_walk
.Lm_grow:
    # grow by whole pages: round_up(needed, PAGE)
    li t0, PAGE - 1
    add s8, s9, t0
    li t0, -PAGE
    and s8, s8, t0
    add a0, s0, s1
    add a0, a0, s8
    mv s7, a0
    li a7, SYS_BRK
    ecall
    bltu a0, s7, no_memory
    add t2, s0, s1          # the new space is one free block
    sw s8, 0(t2)
    sw zero, 4(t2)
    mv s7, s1
    add s1, s1, s8
    la a0, label_grow
    call print_str
    mv a0, s8
    call print_int
    la a0, label_to
    call print_str
    mv a0, s1
    call print_int
    la a0, label_semicolon
    call print_str
    mv a0, s7
    call merge_with_previous
    j .Lm_search
.Lm_found:
    mv s7, t1
    mv s8, t3
    li t0, 1
    sw t0, 4(t2)
    la a0, label_first_fit
    call print_str
    mv a0, s7
    call print_int
    add t2, s0, s7
    sub t5, s8, s9          # the rest of the block
    li t0, 16
    bltu t5, t0, .Lm_whole
    sw s9, 0(t2)            # split: this block keeps `needed`, the rest is free
    add t6, t2, s9
    sw t5, 0(t6)
    sw zero, 4(t6)
    mv s8, t5
    la a0, label_split
    call print_str
    mv a0, s9
    call print_int
    la a0, label_plus
    call print_str
    mv a0, s8
    call print_int
    la a0, label_free_paren
    call print_str
    j .Lm_done
.Lm_whole:
    la a0, label_whole
    call print_str
    add t2, s0, s7
    lw a0, 0(t2)
    call print_int
    la a0, label_paren
    call print_str
.Lm_done:
    addi a0, s7, 8
    mv ra, s11
    ret

# free(a0 = payload offset)
free:
    mv s11, ra
    addi s10, a0, -8        # the block's offset
    la a0, label_free
    call print_str
    mv a0, s10
    call print_int
    la a0, label_close
    call print_str
    add t2, s0, s10
    sw zero, 4(t2)
    # the next block, if free
    lw t3, 0(t2)
    add t1, s10, t3
    bgeu t1, s1, .Lf_previous
    add t4, s0, t1
    lw t5, 4(t4)
    bnez t5, .Lf_previous
    lw t5, 0(t4)
    add t3, t3, t5
    sw t3, 0(t2)
    la a0, label_merge_next
    call print_str
.Lf_previous:
    mv a0, s10
    call merge_with_previous
    mv s10, a0
    la a0, label_now
    call print_str
    mv a0, s10
    call print_int
    la a0, label_size
    call print_str
    add t2, s0, s10
    lw a0, 0(t2)
    call print_int
    call print_nl
    mv ra, s11
    ret

# merge_with_previous(a0 = offset of a free block): merges it into the block before it if
# that one is free (printing so) and returns the offset of the resulting block
merge_with_previous:
    mv t6, a0
    li t1, 0
.Lp_walk:
    add t2, s0, t1
    lw t3, 0(t2)
    add t4, t1, t3
    beq t4, t6, .Lp_found
    bgeu t4, t6, .Lp_none
    mv t1, t4
    j .Lp_walk
.Lp_found:
    lw t5, 4(t2)
    bnez t5, .Lp_none
    add t4, s0, t6
    lw t5, 0(t4)
    add t3, t3, t5
    sw t3, 0(t2)
    mv t6, t1
    mv s7, ra
    la a0, label_merge_previous
    call print_str
    mv ra, s7
.Lp_none:
    mv a0, t6
    ret

# show_heap(): every block's offset, size and state
show_heap:
    mv s11, ra
    la a0, label_heap
    call print_str
    li s10, 0
.Ls_walk:
    bgeu s10, s1, .Ls_done
    la a0, label_indent
    call print_str
    mv a0, s10
    call print_int
    la a0, label_size
    call print_str
    add t2, s0, s10
    lw a0, 0(t2)
    call print_int
    add t2, s0, s10
    lw t0, 4(t2)
    la a0, label_state_free
    beqz t0, 1f
    la a0, label_state_used
1:
    call print_str
    add t2, s0, s10
    lw t0, 0(t2)
    add s10, s10, t0
    j .Ls_walk
.Ls_done:
    mv ra, s11
    ret

no_memory:
    la a0, label_no_memory
    call print_str
    li a0, 1
    call exit

    .section .rodata
label_malloc:
    .asciz "malloc("
label_free:
    .asciz "free(block "
label_close:
    .asciz "): "
label_grow:
    .asciz "no fit, brk grows the heap by "
label_to:
    .asciz " to "
label_semicolon:
    .asciz "; "
label_first_fit:
    .asciz "first fit: block at "
label_split:
    .asciz ", split "
label_plus:
    .asciz " + "
label_free_paren:
    .asciz " free\n"
label_whole:
    .asciz ", whole block ("
label_paren:
    .asciz ")\n"
label_merge_next:
    .asciz "merged with the next block; "
label_merge_previous:
    .asciz "merged with the previous block; "
label_now:
    .asciz "free block at "
label_size:
    .asciz ", size "
label_heap:
    .asciz "heap:\n"
label_indent:
    .asciz "  block at "
label_state_free:
    .asciz " free\n"
label_state_used:
    .asciz " in use\n"
label_no_memory:
    .asciz "brk: out of memory\n"

# print_str, print_int, print_hex, print_nl, exit
    .include "lib/runtime.s"
