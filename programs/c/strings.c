/* strings: the <string.h> and <ctype.h> functions and number parsing. */
/* expect-exit: 0 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    char buf[128];
    strcpy(buf, "Hello");
    strcat(buf, ", ");
    strncat(buf, "world!", 16);
    printf("%s (%zu)\n", buf, strlen(buf));
    printf("strcmp: %d %d %d\n", strcmp("abc", "abd") < 0, strcmp("b", "a") > 0,
           strcmp("same", "same"));
    printf("strncmp: %d\n", strncmp("prefix-one", "prefix-two", 7));
    printf("strchr: %s\n", strchr(buf, 'o'));
    printf("strrchr: %s\n", strrchr(buf, 'o'));
    printf("strstr: %s\n", strstr(buf, "wor"));
    printf("strspn %zu strcspn %zu\n", strspn("aaabbc", "ab"), strcspn("hello world", " "));

    char moved[32] = "0123456789";
    memmove(moved + 2, moved, 8);
    printf("memmove: %s\n", moved);
    memset(moved, '-', 3);
    printf("memset: %s\n", moved);
    char copy[16];
    memcpy(copy, "copied", 7);
    printf("memcpy: %s, memcmp %d\n", copy, memcmp(copy, "copier", 6) < 0);

    char line[] = "split these,words;by  separators";
    for (char *tok = strtok(line, " ,;"); tok != NULL; tok = strtok(NULL, " ,;"))
        printf("<%s>", tok);
    printf("\n");

    char shout[] = "Quiet Words 123";
    for (char *p = shout; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    printf("%s\n", shout);

    printf("atoi %d, strtol %ld, hex %ld, strtoul %lu\n", atoi("-1234"),
           strtol("  987xyz", NULL, 10), strtol("0x7fff", NULL, 16),
           strtoul("4000000000", NULL, 10));
    char *end;
    long v = strtol("42rest", &end, 10);
    printf("strtol stopped at \"%s\" after %ld\n", end, v);
    return 0;
}
