	.macro m reg
	addi \reg, \reg, 5000
	.endm
	m a0
