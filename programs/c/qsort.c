/* qsort: sorting integers and strings with qsort, and finding them with bsearch. */
/* expect-exit: 0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_value(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int main(void)
{
    int values[200];
    unsigned seed = 12345;
    for (int i = 0; i < 200; i++) {
        seed = seed * 1103515245u + 12345u;
        values[i] = (int)(seed >> 8) % 10000 - 5000;
    }
    qsort(values, 200, sizeof values[0], by_value);
    for (int i = 1; i < 200; i++) {
        if (values[i - 1] > values[i]) {
            printf("not sorted at %d\n", i);
            return 1;
        }
    }
    printf("smallest %d, largest %d, median %d\n", values[0], values[199], values[100]);
    for (int i = 0; i < 10; i++)
        printf("%d ", values[i * 20]);
    printf("\n");
    int key = values[137];
    int *found = bsearch(&key, values, 200, sizeof values[0], by_value);
    printf("bsearch(%d) found %s\n", key, found && *found == key ? "it" : "nothing");

    const char *words[] = {"pear", "apple", "fig", "banana", "cherry", "date", "elderberry",
                           "grape", "kiwi", "lemon"};
    size_t n = sizeof words / sizeof words[0];
    qsort(words, n, sizeof words[0], by_string);
    for (size_t i = 0; i < n; i++)
        printf("%s%s", words[i], i + 1 < n ? ", " : "\n");
    const char *want = "fig";
    const char **hit = bsearch(&want, words, n, sizeof words[0], by_string);
    printf("fig is word %d\n", hit ? (int)(hit - words) : -1);
    return 0;
}
