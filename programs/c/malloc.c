/* malloc: the heap through picolibc's malloc on sbrk on brk: a linked list, realloc growth,
 * calloc zeroing, a large block, and free. */
/* expect-exit: 0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
    struct node *next;
    int value;
};

int main(void)
{
    struct node *head = NULL;
    for (int i = 1; i <= 1000; i++) {
        struct node *n = malloc(sizeof *n);
        if (n == NULL) {
            printf("malloc failed\n");
            return 1;
        }
        n->value = i * i;
        n->next = head;
        head = n;
    }
    long sum = 0;
    int count = 0;
    while (head != NULL) {
        struct node *next = head->next;
        sum += head->value;
        count++;
        free(head);
        head = next;
    }
    printf("list of %d nodes, sum of squares %ld\n", count, sum);

    int *grow = NULL;
    size_t cap = 0;
    for (int i = 0; i < 5000; i++) {
        if ((size_t)i == cap) {
            cap = cap ? cap * 2 : 4;
            grow = realloc(grow, cap * sizeof *grow);
            if (grow == NULL) {
                printf("realloc failed\n");
                return 1;
            }
        }
        grow[i] = i;
    }
    long total = 0;
    for (int i = 0; i < 5000; i++)
        total += grow[i];
    printf("realloc grew to %zu ints, total %ld\n", cap, total);
    free(grow);

    unsigned char *zeros = calloc(4096, 1);
    int nonzero = 0;
    for (int i = 0; i < 4096; i++)
        nonzero += zeros[i] != 0;
    printf("calloc: %d non-zero bytes\n", nonzero);
    free(zeros);

    size_t big = 4u << 20;
    char *block = malloc(big);
    if (block == NULL) {
        printf("4 MiB malloc failed\n");
        return 1;
    }
    memset(block, 'x', big);
    block[big - 1] = 'y';
    printf("4 MiB block: first %c, last %c\n", block[0], block[big - 1]);
    free(block);
    return 0;
}
