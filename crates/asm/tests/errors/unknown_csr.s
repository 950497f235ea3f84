	csrr a0, mstatusx
