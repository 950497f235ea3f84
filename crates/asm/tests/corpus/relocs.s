# %hi %lo %pcrel_hi %pcrel_lo in every operand position they may take.
        .text
        .globl  _start
_start:
        lui     a0, %hi(value)
        addi    a0, a0, %lo(value)
        lui     a1, %hi(value + 0x800)
        lw      a2, %lo(value)(a1)
        sw      a2, %lo(value)(a1)
        lui     a3, %hi(-1)
        addi    a3, a3, %lo(-1)
        lui     a4, %hi(0x12345fff)
        addi    a4, a4, %lo(0x12345fff)
.Lpcrel0:
        auipc   a0, %pcrel_hi(value)
        addi    a0, a0, %pcrel_lo(.Lpcrel0)
.Lpcrel1:
        auipc   a1, %pcrel_hi(value + 4)
        lw      a1, %pcrel_lo(.Lpcrel1)(a1)
        sw      a1, %pcrel_lo(.Lpcrel1)(a1)
2:      auipc   t0, %pcrel_hi(_start)
        jalr    ra, %pcrel_lo(2b)(t0)
        jalr    ra, t0, %lo(value)
        lui     t1, %hi(far_rodata)
        ld_or_lw:
        lbu     t1, %lo(far_rodata)(t1)
        .rept_free:
        beq     a0, a1, .
        jal     zero, . + 8
        nop
        .section .rodata
far_rodata:
        .word   value - _start
        .data
        .word   0, 1
value:  .word   7
        .word   hi_free_label - value
hi_free_label = value + 16
