# memsweep: the memory loop of the speed figures (issue 8): a 64 KiB array (16 pages, all of
# them held in the modern preset's L1 data TLB and in the translation fast path) swept word
# by word in 10,000 passes. Pass p adds p to every word (a load, an add, a store: 6
# instructions per word), so every access is a TLB hit and the loop's cost is the
# interpreter's or the native code's own, with exact counts either way. About a billion
# instructions. It prints a checksum of the values it stored.
#
# Only 32-bit data operations, so RV32 and RV64 print the same bytes. Tests shorten the run
# by replacing the PASSES line (tests/all/fastpath.rs).
# expect-exit: 0
    .equ PASSES, 10000
    .equ BYTES, 0x10000
    .text
    .globl _start
_start:
    la s0, array
    li s6, BYTES
    add s6, s0, s6
    li s1, PASSES
    li s2, 0
    li s5, 0
pass:
    mv t0, s0
sweep:
    lw t2, 0(t0)
    add t2, t2, s2
    sw t2, 0(t0)
    add s5, s5, t2
    addi t0, t0, 4
    bne t0, s6, sweep
    addi s2, s2, 1
    addi s1, s1, -1
    bnez s1, pass

    la a0, label_checksum
    call print_str
    mv a0, s5
    call print_hex
    call print_nl
    li a0, 0
    j exit

    .section .rodata
label_checksum:
    .asciz "memsweep checksum "

    .bss
    .balign 4096
array:
    .zero BYTES

# print_str, print_int, print_hex, print_nl, exit
    .include "../lib/runtime.s"
