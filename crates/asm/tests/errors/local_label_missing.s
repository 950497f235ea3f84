	j 1b
