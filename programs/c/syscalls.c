/*
 * The Linux system calls picolibc needs, made with ecall (numbers in a7, arguments in
 * a0..a2, result in a0, negative errno on failure), and the standard streams.
 *
 * The numbers are Linux's asm-generic ones, the same as the isa/syscalls table.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

enum { SYS_READ = 63, SYS_WRITE = 64, SYS_EXIT_GROUP = 94, SYS_BRK = 214 };

static long syscall3(long number, long arg0, long arg1, long arg2)
{
    register long a0 __asm__("a0") = arg0;
    register long a1 __asm__("a1") = arg1;
    register long a2 __asm__("a2") = arg2;
    register long a7 __asm__("a7") = number;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
    return a0;
}

static long result(long r)
{
    if (r < 0 && r > -4096) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

ssize_t write(int fd, const void *buf, size_t count)
{
    return result(syscall3(SYS_WRITE, fd, (long)buf, (long)count));
}

ssize_t read(int fd, void *buf, size_t count)
{
    return result(syscall3(SYS_READ, fd, (long)buf, (long)count));
}

/* stdout is buffered: one write per line (or per full buffer), not per character. */
static char out_buf[1024];
static size_t out_len;

static void flush_stdout(void)
{
    size_t done = 0;
    while (done < out_len) {
        long n = syscall3(SYS_WRITE, 1, (long)(out_buf + done), (long)(out_len - done));
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    out_len = 0;
}

static int stdout_put(char c, FILE *file)
{
    (void)file;
    out_buf[out_len++] = c;
    if (c == '\n' || out_len == sizeof out_buf)
        flush_stdout();
    return (unsigned char)c;
}

static int stdout_flush(FILE *file)
{
    (void)file;
    flush_stdout();
    return 0;
}

static int stderr_put(char c, FILE *file)
{
    (void)file;
    flush_stdout();
    syscall3(SYS_WRITE, 2, (long)&c, 1);
    return (unsigned char)c;
}

static int stdin_get(FILE *file)
{
    unsigned char c;
    (void)file;
    flush_stdout();
    return syscall3(SYS_READ, 0, (long)&c, 1) == 1 ? c : EOF;
}

static FILE stdin_file = FDEV_SETUP_STREAM(NULL, stdin_get, NULL, _FDEV_SETUP_READ);
static FILE stdout_file = FDEV_SETUP_STREAM(stdout_put, NULL, stdout_flush, _FDEV_SETUP_WRITE);
static FILE stderr_file = FDEV_SETUP_STREAM(stderr_put, NULL, NULL, _FDEV_SETUP_WRITE);

FILE *const stdin = &stdin_file;
FILE *const stdout = &stdout_file;
FILE *const stderr = &stderr_file;

void _exit(int status)
{
    flush_stdout();
    for (;;)
        syscall3(SYS_EXIT_GROUP, status, 0, 0);
}

/* The heap grows with the raw Linux brk call, which returns the new break on success and
 * the old one on failure. */
void *sbrk(ptrdiff_t increment)
{
    static char *current;
    if (current == NULL)
        current = (char *)syscall3(SYS_BRK, 0, 0, 0);
    char *old = current;
    char *wanted = old + increment;
    char *got = (char *)syscall3(SYS_BRK, (long)wanted, 0, 0);
    if (got != wanted) {
        errno = ENOMEM;
        return (void *)-1;
    }
    current = got;
    return old;
}
