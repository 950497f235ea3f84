	.option pic
