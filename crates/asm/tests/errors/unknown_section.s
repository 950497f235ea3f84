	.section .sdata
