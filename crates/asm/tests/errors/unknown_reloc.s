	lui a0, %high(x)
