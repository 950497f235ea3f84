# matrix: the same sum over a 256 x 1024 matrix of words, traversed row-major and then
# column-major. Each row is 1024 words, exactly one 4 KiB page, so the row-major loop reads
# 1024 words of one page before it moves on (one TLB miss per page at most), while the
# column-major loop steps to the next page on every read: 256 pages in a cycle, more than
# the 64-entry L1 data TLB of the `modern` preset holds, so every read misses L1. Both sums
# are the same; the cycles are not.
#
#   atlas run programs/timing/matrix.s                       # modern: L1 misses, L2 hits
#   atlas run --preset teaching programs/timing/matrix.s     # 4-entry TLB, no L2: a walk per read
#   atlas run --profile 3 programs/timing/matrix.s           # which load misses
#
# The matrix (1 MiB) comes from brk and is filled row-major (a[i][j] = i + j) before either
# timed sum. Only 32-bit data operations, so one source serves RV32 and RV64.
# output: matrix.expected
# output: matrix.teaching.expected --preset teaching
# output: matrix.rv32.expected --xlen 32
# expect-exit: 0
    .equ ROWS, 256
    .equ COLS, 1024
    .equ ROW_BYTES, 4096
    .equ SYS_BRK, 214
    .text
    .globl _start
_start:
    # s0 = the matrix, on the heap's first page boundary
    li a0, 0
    li a7, SYS_BRK
    ecall
    li t0, ROW_BYTES - 1
    add s0, a0, t0
    li t0, -ROW_BYTES
    and s0, s0, t0
    li t0, ROWS * ROW_BYTES
    add a0, s0, t0
    mv s1, a0
    li a7, SYS_BRK
    ecall
    bltu a0, s1, no_memory

    # fill: a[i][j] = i + j
    mv t1, s0
    li t2, 0                # i
fill_row:
    li t3, 0                # j
fill_col:
    add t4, t2, t3
    sw t4, 0(t1)
    addi t1, t1, 4
    addi t3, t3, 1
    li t0, COLS
    bltu t3, t0, fill_col
    addi t2, t2, 1
    li t0, ROWS
    bltu t2, t0, fill_row

    # row-major: for i, for j: sum += a[i][j]
    rdcycle s5
    li s2, 0
    mv t1, s0
    li t2, ROWS
row_i:
    li t3, COLS
row_j:
    lw t4, 0(t1)
    add s2, s2, t4
    addi t1, t1, 4
    addi t3, t3, -1
    bnez t3, row_j
    addi t2, t2, -1
    bnez t2, row_i
    rdcycle s6
    sub s6, s6, s5
    la a0, label_row
    mv a1, s2
    mv a2, s6
    call report

    # column-major: for j, for i: sum += a[i][j]
    rdcycle s5
    li s2, 0
    mv t5, s0               # &a[0][j]
    li t3, COLS
col_j:
    mv t1, t5
    li t2, ROWS
col_i:
    lw t4, 0(t1)
    add s2, s2, t4
    li t0, ROW_BYTES
    add t1, t1, t0
    addi t2, t2, -1
    bnez t2, col_i
    addi t5, t5, 4
    addi t3, t3, -1
    bnez t3, col_j
    rdcycle s6
    sub s6, s6, s5
    la a0, label_col
    mv a1, s2
    mv a2, s6
    call report
    li a0, 0
    call exit

no_memory:
    la a0, label_no_memory
    call print_str
    li a0, 1
    call exit

# report(a0 = label, a1 = sum, a2 = cycles): "LABEL sum S, C cycles (P.PP per element)"
report:
    mv s9, ra
    mv s10, a1
    mv s11, a2
    call print_str
    la a0, label_sum
    call print_str
    mv a0, s10
    call print_int
    la a0, label_comma
    call print_str
    mv a0, s11
    call print_int
    la a0, label_cycles
    call print_str
    # cycles per element in hundredths: cycles * 100 / (ROWS * COLS), by shifting:
    # cycles * 25 / 65536
    li t0, 25
    mul t0, s11, t0
    srli t1, t0, 16
    li t2, 100
    divu a0, t1, t2
    call print_int
    la a0, label_point
    call print_str
    li t2, 100
    remu t1, t1, t2
    li t2, 10
    divu a0, t1, t2
    call print_int
    li t2, 10
    remu a0, t1, t2
    call print_int
    la a0, label_per
    call print_str
    mv ra, s9
    ret

    .section .rodata
label_row:
    .asciz "row-major    "
label_col:
    .asciz "column-major "
label_sum:
    .asciz "sum "
label_comma:
    .asciz ", "
label_cycles:
    .asciz " cycles ("
label_point:
    .asciz "."
label_per:
    .asciz " per element)\n"
label_no_memory:
    .asciz "brk: no memory for the matrix\n"

# print_str, print_int, print_hex, print_nl, exit
    .include "../lib/runtime.s"
