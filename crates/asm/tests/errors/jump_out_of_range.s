	j far
	.space 0x100000
far:
	nop
