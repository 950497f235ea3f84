# xlen 32
	ld a0, sym
sym: .word 0
