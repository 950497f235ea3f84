/* mmap: anonymous mappings straight from the raw Linux calls (no libc wrapper): a table
 * of squares in a fresh mapping, a hinted second mapping, mprotect to read-only, munmap,
 * and the -EINVAL of a mapping that is neither private nor shared. */
/* expect-exit: 0 */
#include <stdio.h>

#define SYS_MUNMAP 215
#define SYS_MMAP 222
#define SYS_MPROTECT 226
#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_PRIVATE 0x02
#define MAP_ANONYMOUS 0x20

static long syscall6(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
    register long r0 __asm__("a0") = a0;
    register long r1 __asm__("a1") = a1;
    register long r2 __asm__("a2") = a2;
    register long r3 __asm__("a3") = a3;
    register long r4 __asm__("a4") = a4;
    register long r5 __asm__("a5") = a5;
    register long r7 __asm__("a7") = nr;
    __asm__ volatile("ecall"
                     : "+r"(r0)
                     : "r"(r1), "r"(r2), "r"(r3), "r"(r4), "r"(r5), "r"(r7)
                     : "memory");
    return r0;
}

static void *map(void *hint, unsigned long len)
{
    long r = syscall6(SYS_MMAP, (long)hint, (long)len, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return (r < 0 && r > -4096) ? NULL : (void *)r;
}

int main(void)
{
    const unsigned long len = 64 * 1024;
    unsigned *squares = map(NULL, len);
    if (squares == NULL) {
        printf("mmap failed\n");
        return 1;
    }
    unsigned n = len / sizeof *squares, zeros = 0;
    for (unsigned i = 0; i < n; i++)
        zeros += squares[i] == 0;
    for (unsigned i = 0; i < n; i++)
        squares[i] = i * i;
    unsigned long long sum = 0;
    for (unsigned i = 0; i < n; i++)
        sum += squares[i];
    printf("%u of %u words were zero; sum of squares %llu\n", zeros, n, sum);

    char *second = map(squares, 4096);
    if (second == NULL || second == (char *)squares) {
        printf("second mapping overlapped the first\n");
        return 1;
    }
    for (int i = 0; i < 4096; i++)
        second[i] = (char)('a' + i % 26);
    printf("second mapping starts with %.26s\n", second);

    long r = syscall6(SYS_MPROTECT, (long)squares, len, PROT_READ, 0, 0, 0);
    printf("mprotect read-only: %ld, squares[1000] = %u\n", r, squares[1000]);
    r = syscall6(SYS_MUNMAP, (long)squares, len, 0, 0, 0, 0);
    long r2 = syscall6(SYS_MUNMAP, (long)second, 4096, 0, 0, 0, 0);
    printf("munmap: %ld %ld\n", r, r2);
    r = syscall6(SYS_MMAP, 0, 4096, PROT_READ, MAP_ANONYMOUS, -1, 0);
    printf("mmap without MAP_PRIVATE: %ld\n", r);
    return 0;
}
