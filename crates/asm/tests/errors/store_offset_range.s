	sw a0, 4096(sp)
