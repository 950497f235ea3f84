_start:
	beqz a0, far
	.space 8192
far:
	ret
