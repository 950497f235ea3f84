# xlen 32
	sext.w a0, a1
