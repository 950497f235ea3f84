	.irp r, a0, a1
