	li a0, LATER
	.equ LATER, 5
