	slli a0, a0, %lo(4)
