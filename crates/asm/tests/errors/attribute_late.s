	nop
	.attribute arch, "rv32im"
