	nop a0
