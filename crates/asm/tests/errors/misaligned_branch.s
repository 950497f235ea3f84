	bne a0, zero, . + 3
