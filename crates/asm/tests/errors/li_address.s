_start:
	li a0, _start
