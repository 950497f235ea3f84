here:
	addi a0, a0, %pcrel_lo(here)
