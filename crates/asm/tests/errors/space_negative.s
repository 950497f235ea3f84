	.space -4
