	.text
	.rept 3
