# xlen 32
	slli a0, a0, 32
