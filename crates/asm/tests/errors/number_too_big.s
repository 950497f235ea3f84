	li a0, 0x1ffffffffffffffff
