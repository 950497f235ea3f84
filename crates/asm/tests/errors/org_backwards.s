	.data
	.byte 1, 2
	.org 1
