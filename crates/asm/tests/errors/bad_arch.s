	.attribute arch, "x86"
