start:
	nop
start:
	nop
