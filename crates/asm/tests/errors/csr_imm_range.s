	csrwi sscratch, 32
