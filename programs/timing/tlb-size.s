# tlb-size: the TLB-measurement homework of OSTEP's chapter 19 ("Paging: Faster
# Translations"), done on Atlas. For NUMPAGES = 1, 2, 4, ... 8192 it reads one word in each
# of NUMPAGES consecutive pages (stride 4096), over and over, times the reads with
# `rdcycle` and prints the cycles per access. While the pages fit in the L1 data TLB every
# read hits; past its reach each read misses L1 and hits the L2 TLB (a step up); past the
# L2's reach each read walks the page table (a bigger step).
#
#   atlas run programs/timing/tlb-size.s                     # modern: 64-entry L1, 1536-entry L2
#   atlas run --dtlb 32 programs/timing/tlb-size.s           # L1 reach 32 pages: step at 64
#   atlas run --stlb 512x4 programs/timing/tlb-size.s        # L2 reach 512 pages: step at 1024
#   atlas run --preset teaching programs/timing/tlb-size.s   # 4-entry L1, no L2: walks from 8
#   atlas run --mmu sv57 --no-pwc programs/timing/tlb-size.s # a walk reads all five levels
#   atlas run --mmu segmented programs/timing/tlb-size.s     # no TLB: no steps
#
# Each size first makes one untimed pass (demand paging faults the pages in and the TLBs
# reach their steady state), then times max(2, 16384 / NUMPAGES) passes. The heap (32 MiB)
# comes from brk. The smallest sizes pay the pass loop's own overhead over few reads, so
# their numbers start higher and fall towards the L1-hit cost.
#
# Only 32-bit data operations, so one source serves RV32 and RV64. With the modern
# preset's page-walk caches a walk reads one PTE at either width, so both print the same
# numbers; with --no-pwc they differ (80 cycles at 8192 pages with Sv32's two PTE reads,
# 110 with Sv39's three).
# output: tlb-size.expected
# output: tlb-size.dtlb32.expected --dtlb 32
# output: tlb-size.stlb512.expected --stlb 512x4
# output: tlb-size.teaching.expected --preset teaching
# output: tlb-size.rv32.expected --xlen 32
# output: tlb-size.bare.expected --mmu bare
# output: tlb-size.segmented.expected --mmu segmented
# output: tlb-size.sv57-no-pwc.expected --mmu sv57 --no-pwc
# expect-exit: 0
    .equ MAXPAGES, 8192
    .equ PAGE, 4096
    .equ ACCESSES, 16384
    .equ SYS_BRK, 214
    .text
    .globl _start
_start:
    # s0 = the heap's first page; grow the heap by MAXPAGES pages
    li a0, 0
    li a7, SYS_BRK
    ecall
    li t0, PAGE - 1
    add s0, a0, t0
    li t0, -PAGE
    and s0, s0, t0
    li t0, MAXPAGES * PAGE
    add a0, s0, t0
    mv s1, a0
    li a7, SYS_BRK
    ecall
    bltu a0, s1, no_memory

    la a0, label_header
    call print_str
    li s7, PAGE
    la s8, sizes            # s8 walks the table of sizes
size:
    lw s4, 0(s8)            # s4 = NUMPAGES
    # one untimed pass over the NUMPAGES pages
    mv t1, s0
    mv t2, s4
warm:
    lw t3, 0(t1)
    add t1, t1, s7
    addi t2, t2, -1
    bnez t2, warm

    # s3 = passes = max(2, ACCESSES / NUMPAGES)
    li t0, ACCESSES
    divu s3, t0, s4
    li t0, 2
    bgeu s3, t0, 1f
    li s3, 2
1:
    mv t0, s3
    rdcycle s5
pass:
    mv t1, s0
    mv t2, s4
touch:
    lw t3, 0(t1)
    add t1, t1, s7
    addi t2, t2, -1
    bnez t2, touch
    addi t0, t0, -1
    bnez t0, pass
    rdcycle s6

    # cycles per access in hundredths: (s6 - s5) * 100 / (passes * NUMPAGES)
    sub s6, s6, s5
    li t0, 100
    mul s6, s6, t0
    mul t1, s3, s4
    divu s6, s6, t1

    mv a0, s4
    li a1, 8
    call print_padded
    li a0, 100
    divu a0, s6, a0
    li a1, 9
    call print_padded
    la a0, label_point
    call print_str
    li t0, 100
    remu t0, s6, t0
    li t1, 10
    divu a0, t0, t1
    call print_digit
    li t0, 10
    remu a0, s6, t0
    call print_digit
    call print_nl

    addi s8, s8, 4
    la t0, sizes_end
    bltu s8, t0, size
    li a0, 0
    call exit

no_memory:
    la a0, label_no_memory
    call print_str
    li a0, 1
    call exit

    .section .rodata
# The sizes measured, in pages (at most MAXPAGES); a test swaps this line for sizes on
# either side of each TLB's reach.
sizes:
    .word 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192
sizes_end:
label_header:
    .asciz "   pages  cycles per access\n"
label_point:
    .asciz "."
label_no_memory:
    .asciz "brk: no memory for 8192 pages\n"

    .text
# print_padded(a0 = unsigned value, a1 = width): decimal, right-aligned with spaces
print_padded:
    la t1, numbuf_end
    mv t2, a0
    li t4, 10
.Lpp_digits:
    remu t3, t2, t4
    divu t2, t2, t4
    addi t3, t3, 48
    addi t1, t1, -1
    sb t3, 0(t1)
    addi a1, a1, -1
    bnez t2, .Lpp_digits
    li t3, 32
.Lpp_pad:
    blez a1, .Lpp_write
    addi t1, t1, -1
    sb t3, 0(t1)
    addi a1, a1, -1
    j .Lpp_pad
.Lpp_write:
    la a2, numbuf_end
    sub a2, a2, t1
    mv a1, t1
    li a0, 1
    li a7, 64
    ecall
    ret

# print_digit(a0 = 0..9)
print_digit:
    la a1, numbuf
    addi a0, a0, 48
    sb a0, 0(a1)
    li a2, 1
    li a0, 1
    li a7, 64
    ecall
    ret

# print_str, print_int, print_hex, print_nl, exit
    .include "../lib/runtime.s"
