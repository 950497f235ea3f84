# sparse: fourteen one-page mappings spread evenly across the whole address space (the
# hints are multiples of the stack top / 16), each written once and read back. The pages
# together are 56 KiB; what differs is the page table that maps them. A linear table
# has an entry for every page of the address space whether it is used or not (1 MiB at
# RV32), a multi-level table only has the tables on the paths to used pages. The run
# report shows both:
#
#   atlas run --xlen 32 --mmu linear programs/sparse.s    # "linear table 1048576 bytes ..."
#   atlas run --xlen 32 --mmu sv32 programs/sparse.s      # page-table bytes: a frame per 4 MiB used
#   atlas run --mmu sv39 programs/sparse.s                # a table per level on each path
#
# Segmentation fares worse still: the mmap segment must span every page it maps, so the
# first distant page asks for a segment reaching out to it, and mmap returns -ENOMEM
# (`atlas run --mmu segmented programs/sparse.s` prints "mmap refused a page", exit 1).
#
# Only 32-bit data operations and no address kept in memory, so it prints the same bytes
# at both widths and in every other mode (where a hint cannot be honoured the OS picks
# another place, which changes nothing printed).
# mmu-modes: bare base-bounds linear sv32 sv39 sv48 sv57
# expect-exit: 0
    .equ PAGES, 14
    .equ SYS_MMAP, 222
    .equ PROT_RW, 3
    .equ MAP_PRIVATE_ANON, 0x22
    .text
    .globl _start
_start:
    # s1 = spacing = (stack top / 16) rounded down to a page
    srli s1, sp, 4
    li t0, -4096
    and s1, s1, t0
    li s2, 1                # i
    li s3, 0                # sum of what was read back
    li s4, 0                # mappings made
map_one:
    mul a0, s1, s2
    li a1, 4096
    li a2, PROT_RW
    li a3, MAP_PRIVATE_ANON
    li a4, -1
    li a5, 0
    li a7, SYS_MMAP
    ecall
    li t0, -4096
    bgeu a0, t0, refused
    # a fresh page reads zero; write i * 1000 near its middle and read it back
    lw t1, 2044(a0)
    bnez t1, not_zero
    li t1, 1000
    mul t1, t1, s2
    sw t1, 2044(a0)
    lw t2, 2044(a0)
    add s3, s3, t2
    addi s4, s4, 1
    addi s2, s2, 1
    li t0, PAGES
    bleu s2, t0, map_one

    la a0, label_mapped
    call print_str
    mv a0, s4
    call print_int
    la a0, label_sum
    call print_str
    mv a0, s3
    call print_int
    call print_nl
    li a0, 0
    call exit

refused:
    la a0, label_refused
    call print_str
    li a0, 1
    call exit
not_zero:
    la a0, label_not_zero
    call print_str
    li a0, 1
    call exit

    .section .rodata
label_mapped:
    .asciz "pages mapped across the address space: "
label_sum:
    .asciz ", sum read back: "
label_refused:
    .asciz "mmap refused a page\n"
label_not_zero:
    .asciz "a fresh page did not read zero\n"

# print_str, print_int, print_hex, print_nl, exit
    .include "lib/runtime.s"
