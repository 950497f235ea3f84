	la a0, nowhere
