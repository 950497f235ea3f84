# Every pseudo-instruction (RV32 and RV64 common forms) and every real instruction form.
        .text
        .globl  _start
_start:
        nop
        li      a0, 0
        li      a0, -1
        li      a0, 2047
        li      a0, -2048
        li      a0, 2048
        li      a0, 0x12345678
        li      a0, -0x80000000
        la      a1, data_word
        lla     a2, data_word
        mv      a3, a4
        not     a3, a4
        neg     a3, a4
        seqz    a3, a4
        snez    a3, a4
        sltz    a3, a4
        sgtz    a3, a4
        zext.b  a3, a4
        sext.b  a3, a4
        sext.h  a3, a4
        zext.h  a3, a4
        sgt     a3, a4, a5
        sgtu    a3, a4, a5
1:      beqz    a0, 1b
        bnez    a0, 1f
        blez    a0, 1b
        bgez    a0, 1f
        bltz    a0, 1b
        bgtz    a0, 1f
1:      bgt     a0, a1, 1b
        ble     a0, a1, 1f
        bgtu    a0, a1, 1b
        bleu    a0, a1, 1f
1:      beq     a0, a1, 1b
        bne     a0, a1, far
        blt     a0, a1, far
        bge     a0, a1, far
        bltu    a0, a1, far
        bgeu    a0, a1, far
        j       1b
        jal     far
        jal     t0, far
        jr      t0
        jalr    t0
        jalr    ra, t0
        jalr    ra, t0, 8
        jalr    ra, 12(t0)
        jalr    ra, (t0)
        jalr    -4(t0)
        ret
        call    far
        tail    far
        jump    far, t3
        lb      a0, data_word
        lh      a0, data_word
        lw      a0, data_word
        lbu     a0, data_word
        lhu     a0, data_word
        sb      a0, data_word, t0
        sh      a0, data_word, t1
        sw      a0, data_word, t2
        csrr    a0, cycle
        csrr    a0, 0xc01
        csrw    sscratch, a0
        csrs    sstatus, a1
        csrc    sstatus, a2
        csrwi   sscratch, 5
        csrsi   sstatus, 31
        csrci   sstatus, 1
        csrw    sscratch, 7
        rdcycle a0
        rdtime  a1
        rdinstret a2
        fence
        fence   rw, w
        fence   iorw, iorw
        fence   i, o
        fence.i
        sfence.vma
        sfence.vma a0
        sfence.vma a0, a1
        unimp
far:
        lui     a0, 0xfffff
        auipc   a0, 0
        addi    a0, a0, -1
        slti    a0, a1, 5
        sltiu   a0, a1, 5
        xori    a0, a1, -5
        ori     a0, a1, 5
        andi    a0, a1, 5
        slli    a0, a1, 31
        srli    a0, a1, 1
        srai    a0, a1, 7
        add     a0, a1, a2
        sub     a0, a1, a2
        sll     a0, a1, a2
        slt     a0, a1, a2
        sltu    a0, a1, a2
        xor     a0, a1, a2
        srl     a0, a1, a2
        sra     a0, a1, a2
        or      a0, a1, a2
        and     a0, a1, a2
        add     a0, a1, 12
        and     a0, a1, 12
        mul     a0, a1, a2
        mulh    a0, a1, a2
        mulhsu  a0, a1, a2
        mulhu   a0, a1, a2
        div     a0, a1, a2
        divu    a0, a1, a2
        rem     a0, a1, a2
        remu    a0, a1, a2
        lb      a0, 0(a1)
        lh      a0, -2(a1)
        lw      a0, 2047(a1)
        lbu     a0, -2048(a1)
        lhu     a0, (a1)
        sb      a0, 0(a1)
        sh      a0, 2(a1)
        sw      a0, 4(a1)
        csrrw   a0, sscratch, a1
        csrrs   a0, sstatus, a1
        csrrc   a0, sstatus, zero
        csrrwi  a0, sscratch, 0
        csrrsi  a0, sstatus, 2
        csrrci  a0, sstatus, 4
        csrrw   a0, sscratch, 3
        ecall
        ebreak
        sret
        mret
        wfi
        add     x1, x2, x3
        add     zero, ra, sp
        add     gp, tp, fp
        add     s0, s1, s11
        add     t3, t4, t6

        .data
data_word:
        .word   42
