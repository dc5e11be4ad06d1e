/* kopia-webhook command line: serve, check, review, gen-certs, version.
 * Parses flags and hands off to the shell modules; the only place that exits. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "version") == 0) {
        printf("kopia-webhook %s\n", KW_VERSION);
        return 0;
    }
    fprintf(stderr, "usage: kopia-webhook serve|check|review|gen-certs|version ...\n");
    return 2;
}
