	.rept 2
	addi a0, a0, 5000
	.endr
