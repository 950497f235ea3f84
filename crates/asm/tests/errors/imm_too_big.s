	addi a0, a0, 2048
