	andi a0, a0, -2049
