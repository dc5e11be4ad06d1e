/* Whole-file reads (include/kw/server/readfile.h): what the server reads is
 * a regular file or refused at once, never waited on (a FIFO without a
 * writer, a directory, a character device); the size limit; streams for the
 * commands. Every read here must return: criterion's timeout catches a
 * hang. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kw/server/readfile.h"

static char dir[64], path[128];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/kwread-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(readfile, .init = setup, .fini = teardown, .timeout = 10);

static const char *at(const char *name)
{
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return path;
}

static void write_file(const char *p, const char *text)
{
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

/* Reads `p` in regular mode, expecting a refusal with exactly `want`. */
static void expect_refused(const char *p, const char *want)
{
    char err[256] = "";
    size_t len = 99;
    cr_expect_null(kw_read_file(p, KW_READ_REGULAR, 1024, &len, err, sizeof(err)));
    cr_expect_str_eq(err, want);
    cr_expect_eq(len, 99, "len_out was written on failure");
}

Test(readfile, a_regular_file_is_read_whole)
{
    write_file(at("a.yaml"), "logLevel: debug\n");
    char err[256] = "";
    size_t len = 0;
    char *buf = kw_read_file(path, KW_READ_REGULAR, 1024, &len, err, sizeof(err));
    cr_assert_not_null(buf, "%s", err);
    cr_expect_eq(len, 16);
    cr_expect_str_eq(buf, "logLevel: debug\n");
    free(buf);

    write_file(at("empty"), "");
    buf = kw_read_file(path, KW_READ_REGULAR, 1024, &len, err, sizeof(err));
    cr_assert_not_null(buf, "%s", err);
    cr_expect_eq(len, 0);
    cr_expect_str_eq(buf, "");
    free(buf);
}

Test(readfile, the_limit_is_inclusive)
{
    write_file(at("ten"), "0123456789");
    char err[256] = "";
    size_t len = 0;
    char *buf = kw_read_file(path, KW_READ_REGULAR, 10, &len, err, sizeof(err));
    cr_assert_not_null(buf, "%s", err);
    cr_expect_eq(len, 10);
    free(buf);
    char want[256];
    snprintf(want, sizeof(want), "%s: larger than 9 bytes", path);
    cr_expect_null(kw_read_file(path, KW_READ_REGULAR, 9, &len, err, sizeof(err)));
    cr_expect_str_eq(err, want);
}

Test(readfile, a_fifo_is_refused_at_once)
{
    cr_assert_eq(mkfifo(at("fifo.crt"), 0600), 0);
    char want[256];
    snprintf(want, sizeof(want), "%s is not a regular file (a FIFO)", path);
    expect_refused(path, want);

    /* A symbolic link to it: the target is what counts. */
    char link[128];
    snprintf(link, sizeof(link), "%s/link.crt", dir);
    cr_assert_eq(symlink(path, link), 0);
    snprintf(want, sizeof(want), "%s is not a regular file (a FIFO)", link);
    expect_refused(link, want);
}

Test(readfile, a_directory_and_a_device_are_refused)
{
    char want[256];
    snprintf(want, sizeof(want), "%s is not a regular file (a directory)", dir);
    expect_refused(dir, want);
    expect_refused("/dev/zero", "/dev/zero is not a regular file (a character device)");
    snprintf(want, sizeof(want), "cannot read %s: No such file or directory", at("none"));
    expect_refused(path, want);
}

Test(readfile, streams_are_read_in_stream_mode)
{
    char err[256] = "";
    size_t len = 0;
    /* /dev/zero never ends: the limit stops it. */
    cr_expect_null(kw_read_file("/dev/zero", KW_READ_STREAM, 100000, &len, err, sizeof(err)));
    cr_expect_str_eq(err, "/dev/zero: larger than 100000 bytes");

    /* A FIFO with a writer. */
    cr_assert_eq(mkfifo(at("fifo"), 0600), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int fd = open(path, O_WRONLY);
        _exit(fd >= 0 && write(fd, "kind: ConfigMap\n", 16) == 16 ? 0 : 1);
    }
    char *buf = kw_read_file(path, KW_READ_STREAM, 1024, &len, err, sizeof(err));
    cr_assert_not_null(buf, "%s", err);
    cr_expect_str_eq(buf, "kind: ConfigMap\n");
    free(buf);
    int st;
    cr_expect_eq(waitpid(pid, &st, 0), pid);
}
