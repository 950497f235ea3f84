	.section .mysection, "aw"
