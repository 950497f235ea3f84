	.equ a, b
	.equ b, a
	.word a
