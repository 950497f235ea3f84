	mv a0, r5
