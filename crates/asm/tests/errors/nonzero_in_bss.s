	.bss
	.word 5
