	add a0
	foo
	addi a0, a0, 9999
	.bogus
