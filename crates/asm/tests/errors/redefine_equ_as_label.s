	.equ x, 1
x:
