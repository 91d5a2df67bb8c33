/* race_floor.c: the floor under `forklab race --measure stdout --format tlpi`. The article's
 * who-runs-first loop (spawn_children.c, after TLPI) with nothing but system calls: for each
 * trial j, fork(); the child writes "j child\n" and _exit()s; the parent writes "j parent\n"
 * and waits for the child before the next trial. Each line is one write(2) to stdout, which
 * nothing buffers, so the order of the two lines is the order in which the two processes
 * first ran after the fork. Both lines are formatted before the fork, so after it each side
 * makes one system call before its line is out.
 *
 * Usage:  race_floor N > lines.txt  (N trials, at least 1)
 * Prints "elapsed S s" on stderr: the wall time of the loop.
 * Exit status 0; 1 if a fork, a write or a wait failed; 2 usage.
 *
 * Build:  cc -O2 -Wl,-z,now -o race_floor race_floor.c   (bench/race.py does this)
 * -z now binds every library call at start-up, so no child pays the dynamic linker's lazy
 * binding of _exit, which the parent itself never calls. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Writes "J WHO\n" into line (room for any long and WHO); returns its length. */
static size_t format_line(char *line, long j, const char *who)
{
    char digits[24];
    size_t n = 0, len = 0;
    do
        digits[n++] = (char)('0' + j % 10);
    while ((j /= 10) > 0);
    while (n > 0)
        line[len++] = digits[--n];
    line[len++] = ' ';
    for (; *who; who++)
        line[len++] = *who;
    line[len++] = '\n';
    return len;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int fail(const char *what)
{
    fprintf(stderr, "race_floor: %s: %s\n", what, strerror(errno));
    return 1;
}

int main(int argc, char *argv[])
{
    char *end;
    long trials = argc == 2 ? strtol(argv[1], &end, 10) : 0;
    if (argc != 2 || *end || trials < 1) {
        fputs("usage: race_floor N > lines.txt\n", stderr);
        return 2;
    }
    double start = now_s();
    for (long j = 0; j < trials; j++) {
        char child_line[40], parent_line[40];
        size_t child_len = format_line(child_line, j, "child");
        size_t parent_len = format_line(parent_line, j, "parent");
        pid_t pid = fork();
        if (pid < 0)
            return fail("fork");
        if (pid == 0)
            _exit(write(STDOUT_FILENO, child_line, child_len) == (ssize_t)child_len ? 0 : 1);
        if (write(STDOUT_FILENO, parent_line, parent_len) != (ssize_t)parent_len)
            return fail("write");
        int status;
        if (waitpid(pid, &status, 0) != pid)
            return fail("waitpid");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "race_floor: trial %ld: the child could not write its line\n", j);
            return 1;
        }
    }
    fprintf(stderr, "elapsed %.6f s\n", now_s() - start);
    return 0;
}
