	slli a0, a0, 64
