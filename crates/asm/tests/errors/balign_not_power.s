	.balign 12
