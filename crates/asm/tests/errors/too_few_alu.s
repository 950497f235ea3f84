	sub a0
