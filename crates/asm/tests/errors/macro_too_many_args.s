	.macro m a
	nop \a
	.endm
	m 1, 2
