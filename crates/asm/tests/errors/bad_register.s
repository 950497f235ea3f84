	add a0, a1, x32
