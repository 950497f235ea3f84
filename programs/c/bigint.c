/* bigint: 64-bit arithmetic (on RV32 through libgcc's multi-word helpers): factorials,
 * powers, a modular exponent, 64-bit division and a checksum. */
/* expect-exit: 0 */
#include <stdint.h>
#include <stdio.h>

static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m)
{
    uint64_t r = 0;
    a %= m;
    while (b) {
        if (b & 1)
            r = (r + a) % m;
        a = (a * 2) % m;
        b >>= 1;
    }
    return r;
}

static uint64_t powmod(uint64_t base, uint64_t e, uint64_t m)
{
    uint64_t r = 1;
    while (e) {
        if (e & 1)
            r = mulmod(r, base, m);
        base = mulmod(base, base, m);
        e >>= 1;
    }
    return r;
}

int main(void)
{
    uint64_t f = 1;
    for (int i = 1; i <= 20; i++) {
        f *= (uint64_t)i;
        if (i % 5 == 0)
            printf("%d! = %llu\n", i, (unsigned long long)f);
    }
    int64_t x = -9000000000LL;
    printf("%lld / 7 = %lld, %% 7 = %lld\n", (long long)x, (long long)(x / 7),
           (long long)(x % 7));
    uint64_t big = 0xfedcba9876543210ULL;
    printf("%llx / 12345 = %llx rem %llu\n", (unsigned long long)big,
           (unsigned long long)(big / 12345), (unsigned long long)(big % 12345));
    printf("2^61-1 prime test: 3^(p-1) mod p = %llu\n",
           (unsigned long long)powmod(3, (1ULL << 61) - 2, (1ULL << 61) - 1));
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < 100000; i++) {
        h ^= i & 0xff;
        h *= 16777619u;
    }
    printf("fnv checksum %08x\n", (unsigned)h);
    int32_t a = -7, b = 2;
    printf("int32: %d %d %d %d\n", (int)(a / b), (int)(a % b), (int)(a >> 1), (int)((uint32_t)a >> 28));
    return 0;
}
