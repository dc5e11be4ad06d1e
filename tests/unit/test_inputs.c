/* The inputs of `check` expanded into files (kw_inputs_add): a directory's
 * manifests recursively, sorted byte-wise by path, hidden entries and links
 * to directories skipped (no loop), links to files kept; files, "-" and
 * missing paths passed through; a directory without manifests refused. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kw/server/inputs.h"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/kwinputs-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(inputs, .init = setup, .fini = teardown);

static void make_file(const char *rel)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs("a: 1\n", f);
    fclose(f);
}

static void make_dir(const char *rel)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    cr_assert_eq(mkdir(path, 0700), 0, "%s", path);
}

static void make_link(const char *target, const char *rel)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    cr_assert_eq(symlink(target, path), 0, "%s", path);
}

Test(inputs, a_directory_is_walked_sorted_without_hidden_entries_or_directory_links)
{
    make_dir("apps");
    make_dir("apps/a");
    make_dir(".git");
    make_file("apps/a/x.yml");
    make_file("apps/a.yaml");
    make_file("apps/B.json");
    make_file("apps/notes.txt");
    make_file("apps/.hidden.yaml");
    make_file(".git/config.yaml");
    make_link(dir, "apps/loop");                     /* a directory: not followed */
    make_link("a.yaml", "apps/linked.yaml");         /* a file: read */
    make_link("nowhere.yaml", "apps/dangling.yaml"); /* skipped */
    struct kw_input_files files = {0};
    char err[256] = "";
    cr_assert_eq(kw_inputs_add(&files, dir, err, sizeof(err)), 0, "%s", err);
    const char *want[] = {"apps/B.json", "apps/a.yaml", "apps/a/x.yml", "apps/linked.yaml"};
    cr_assert_eq(files.len, 4, "%zu files", files.len);
    for (size_t i = 0; i < 4; i++) {
        char path[256];
        snprintf(path, sizeof(path), "%s/%s", dir, want[i]);
        cr_expect_str_eq(files.paths[i], path);
    }
    kw_inputs_free(&files);
}

Test(inputs, files_stdin_and_missing_paths_pass_through_in_order)
{
    make_dir("d");
    make_file("d/z.yaml");
    make_file("one.txt");
    char one[128], d[128];
    snprintf(one, sizeof(one), "%s/one.txt", dir);
    snprintf(d, sizeof(d), "%s/d/", dir);
    struct kw_input_files files = {0};
    char err[256] = "";
    cr_assert_eq(kw_inputs_add(&files, one, err, sizeof(err)), 0);
    cr_assert_eq(kw_inputs_add(&files, "-", err, sizeof(err)), 0);
    cr_assert_eq(kw_inputs_add(&files, "/nonexistent/x.yaml", err, sizeof(err)), 0);
    cr_assert_eq(kw_inputs_add(&files, d, err, sizeof(err)), 0);
    cr_assert_eq(files.len, 4);
    cr_expect_str_eq(files.paths[0], one);
    cr_expect_str_eq(files.paths[1], "-");
    cr_expect_str_eq(files.paths[2], "/nonexistent/x.yaml");
    char z[160];
    snprintf(z, sizeof(z), "%s/d/z.yaml", dir); /* no doubled '/' */
    cr_expect_str_eq(files.paths[3], z);
    kw_inputs_free(&files);
}

Test(inputs, a_directory_without_manifests_is_an_error)
{
    make_dir("empty");
    make_dir("empty/sub");
    make_file("empty/sub/readme.txt");
    char path[128];
    snprintf(path, sizeof(path), "%s/empty", dir);
    struct kw_input_files files = {0};
    char err[256] = "";
    cr_assert_eq(kw_inputs_add(&files, path, err, sizeof(err)), -1);
    cr_expect_str_eq(err, "no .yaml, .yml or .json files in this directory");
    cr_expect_eq(files.len, 0);
    kw_inputs_free(&files);
}
