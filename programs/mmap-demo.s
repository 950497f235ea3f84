# mmap-demo: a walkthrough of mmap, mprotect and munmap, one step per line:
#   1. mmap 4 anonymous pages, read and write: the OS returns a page-aligned address and
#      the pages read as zero (a paged OS maps each on its first touch: a minor fault);
#   2. write a word into each page and sum them back;
#   3. mprotect the second page read-only: it still reads (a store would fault: see
#      programs/store-to-text.s and programs/segv.s);
#   4. munmap the third page, then mmap one page with the hole's address as a hint: the
#      OS puts the new mapping in the hole, and it reads as zero, not as the old value;
#   5. arguments the OS refuses: an unaligned munmap, a zero-length mmap and mprotect
#      with unknown protection bits (-22 is -EINVAL);
#   6. munmap everything.
#
#   atlas run programs/mmap-demo.s          # report: minor faults, flushes (one per unmapped page)
#   atlas run --mmu bare programs/mmap-demo.s    # the same output with no protection at all
#
# Addresses stay in registers (at RV64 they are above 4 GiB); only 32-bit data operations,
# so the output is the same at both widths and in every mode.
# expect-exit: 0
    .equ SYS_MMAP, 222
    .equ SYS_MUNMAP, 215
    .equ SYS_MPROTECT, 226
    .equ PROT_READ, 1
    .equ PROT_RW, 3
    .equ MAP_PRIVATE_ANON, 0x22
    .equ PAGE, 4096
    .text
    .globl _start
_start:
    # 1. s0 = mmap(0, 4 pages, RW, PRIVATE|ANONYMOUS, -1, 0)
    li a0, 0
    li a1, 4 * PAGE
    li a2, PROT_RW
    li a3, MAP_PRIVATE_ANON
    li a4, -1
    li a5, 0
    li a7, SYS_MMAP
    ecall
    li t0, -PAGE
    bgeu a0, t0, fail
    mv s0, a0
    la a0, label_step1
    call print_str
    li t0, PAGE - 1
    and a0, s0, t0
    call print_int
    la a0, label_first_words
    call print_str
    li s1, 0
    mv t1, s0
    li t2, 4
1:
    lw t0, 0(t1)
    or s1, s1, t0
    li t0, PAGE
    add t1, t1, t0
    addi t2, t2, -1
    bnez t2, 1b
    mv a0, s1
    call print_int
    call print_nl

    # 2. page i holds 111 * (i + 1) in its first word
    mv t1, s0
    li t2, 1
2:
    li t0, 111
    mul t0, t0, t2
    sw t0, 0(t1)
    li t0, PAGE
    add t1, t1, t0
    addi t2, t2, 1
    li t0, 4
    bleu t2, t0, 2b
    call sum_pages
    mv s1, a0
    la a0, label_step2
    call print_str
    mv a0, s1
    call print_int
    call print_nl

    # 3. mprotect(second page, PAGE, PROT_READ)
    li t0, PAGE
    add a0, s0, t0
    li a1, PAGE
    li a2, PROT_READ
    li a7, SYS_MPROTECT
    ecall
    mv s1, a0
    la a0, label_step3
    call print_str
    mv a0, s1
    call print_int
    la a0, label_still_reads
    call print_str
    li t0, PAGE
    add t0, s0, t0
    lw a0, 0(t0)
    call print_int
    call print_nl

    # 4. munmap(third page), then mmap(hint = the hole, one page)
    li t0, 2 * PAGE
    add s2, s0, t0
    mv a0, s2
    li a1, PAGE
    li a7, SYS_MUNMAP
    ecall
    mv s1, a0
    la a0, label_step4
    call print_str
    mv a0, s1
    call print_int
    mv a0, s2
    li a1, PAGE
    li a2, PROT_RW
    li a3, MAP_PRIVATE_ANON
    li a4, -1
    li a5, 0
    li a7, SYS_MMAP
    ecall
    mv s3, a0
    la a0, label_in_hole
    call print_str
    la a0, label_yes
    beq s3, s2, 4f
    la a0, label_no
4:
    call print_str
    la a0, label_reads
    call print_str
    lw a0, 0(s3)
    call print_int
    call print_nl

    # 5. refused arguments
    la a0, label_step5
    call print_str
    addi a0, s0, 12
    li a1, PAGE
    li a7, SYS_MUNMAP
    ecall
    call print_int
    la a0, label_comma
    call print_str
    li a0, 0
    li a1, 0
    li a2, PROT_RW
    li a3, MAP_PRIVATE_ANON
    li a4, -1
    li a5, 0
    li a7, SYS_MMAP
    ecall
    call print_int
    la a0, label_comma
    call print_str
    mv a0, s0
    li a1, PAGE
    li a2, 0x100
    li a7, SYS_MPROTECT
    ecall
    call print_int
    call print_nl

    # 6. munmap(all four pages)
    mv a0, s0
    li a1, 4 * PAGE
    li a7, SYS_MUNMAP
    ecall
    mv s1, a0
    la a0, label_step6
    call print_str
    mv a0, s1
    call print_int
    call print_nl
    li a0, 0
    call exit

# sum_pages(): the sum of the first words of the four pages at s0
sum_pages:
    li a0, 0
    mv t1, s0
    li t2, 4
1:
    lw t0, 0(t1)
    add a0, a0, t0
    li t0, PAGE
    add t1, t1, t0
    addi t2, t2, -1
    bnez t2, 1b
    ret

fail:
    la a0, label_fail
    call print_str
    li a0, 1
    call exit

    .section .rodata
label_step1:
    .asciz "1. mmap 4 pages: offset in page "
label_first_words:
    .asciz ", first words OR-ed together "
label_step2:
    .asciz "2. wrote 111, 222, 333, 444; sum read back "
label_step3:
    .asciz "3. mprotect page 2 read-only: "
label_still_reads:
    .asciz ", it still reads "
label_step4:
    .asciz "4. munmap page 3: "
label_in_hole:
    .asciz ", a new mapping hinted at the hole lands there: "
label_yes:
    .asciz "yes"
label_no:
    .asciz "no"
label_reads:
    .asciz ", reads "
label_step5:
    .asciz "5. refused (munmap unaligned, mmap of 0 bytes, mprotect with unknown bits): "
label_comma:
    .asciz ", "
label_step6:
    .asciz "6. munmap all 4 pages: "
label_fail:
    .asciz "mmap failed\n"

# print_str, print_int, print_hex, print_nl, exit
    .include "lib/runtime.s"
