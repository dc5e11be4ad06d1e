/* Test support: running a function in a child process and keeping what it
 * writes to stderr, for code whose failure ends the process (abort()). */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kwtest.h"

int kwt_run_child(void (*fn)(void *), void *arg, char *out, size_t cap)
{
    int fds[2];
    if (cap == 0 || pipe(fds) != 0)
        return -1;
    out[0] = '\0';
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], STDERR_FILENO);
        close(fds[1]);
        fn(arg);
        _exit(0);
    }
    close(fds[1]);
    size_t len = 0;
    for (;;) {
        char buf[4096];
        ssize_t n = read(fds[0], buf, sizeof(buf));
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n && len + 1 < cap; i++)
            out[len++] = buf[i];
    }
    out[len] = '\0';
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        ;
    return status;
}
