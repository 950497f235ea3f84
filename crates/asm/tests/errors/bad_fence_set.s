	fence rw, x
