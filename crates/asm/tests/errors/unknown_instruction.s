	move a0, a1
