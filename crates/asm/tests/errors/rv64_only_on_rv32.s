# xlen 32
	ld a0, 0(sp)
