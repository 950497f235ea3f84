/*
 * Start-up glue for C programs on Atlas and qemu-user.
 *
 * The loader (Linux, qemu-user, Atlas) leaves argc, argv and envp on the stack as Linux's
 * execve does. picolibc's own crt0 would move sp to a linker-script stack and call
 * main(0, NULL), so programs are linked with -nostartfiles and this _start instead:
 * set gp and tp (picolibc keeps errno in TLS), run constructors, call
 * main(argc, argv, envp) and exit with its result.
 */
#if __riscv_xlen == 64
#define LOAD_REG ld
#define REG_SHIFT 3
#else
#define LOAD_REG lw
#define REG_SHIFT 2
#endif

    .section .text.init.enter, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    la tp, __tls_base
    LOAD_REG s0, 0(sp)              /* argc */
    addi s1, sp, 1 << REG_SHIFT     /* argv */
    addi s2, s0, 1
    slli s2, s2, REG_SHIFT
    add s2, s2, s1                  /* envp = argv + argc + 1 */
    andi sp, sp, -16
    call __libc_init_array
    mv a0, s0
    mv a1, s1
    mv a2, s2
    call main
    call exit
    .size _start, . - _start
