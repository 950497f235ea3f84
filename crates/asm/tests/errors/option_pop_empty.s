	.option pop
