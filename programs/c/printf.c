/* printf: integer, string and character conversions with widths, precision and flags. */
/* expect-exit: 7 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int main(void)
{
    printf("Hello from C, %s!\n", "Atlas");
    printf("[%d] [%i] [%u] [%x] [%X] [%o]\n", -42, 42, 3000000000u, 0xbeef, 0xbeef, 8);
    printf("[%5d] [%-5d] [%05d] [%+d] [% d]\n", 42, 42, 42, 42, 42);
    printf("[%10s] [%-10s] [%.3s] [%c%c%c]\n", "right", "left", "truncate", 'a', 'b', 'c');
    printf("[%ld] [%lu] [%lx]\n", -123456789L, 123456789UL, 0xdeadbeefUL);
    printf("[%lld] [%llu] [%llx]\n", -9000000000000000000LL, 18000000000000000000ULL,
           0x0123456789abcdefULL);
    printf("[%#x] [%#o] [%%] [%*d] [%-*d]\n", 255, 8, 6, 7, 6, 7);
    printf("[%hhd] [%hd] [%zu] [%td]\n", (signed char)-1, (short)-2, sizeof(int64_t),
           (ptrdiff_t)-3);
    int n = printf("%s", "count me\n");
    printf("printf returned %d\n", n);
    char buf[32];
    int m = snprintf(buf, sizeof buf, "%d-%d-%d", 1, 22, 333);
    printf("snprintf: \"%s\" (%d)\n", buf, m);
    return 7;
}
