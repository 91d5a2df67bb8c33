/* spawn_floor.c: the floor under `forklab spawn-cost`. Times spawn+wait of PROGRAM N times
 * through one bare interface and nothing else: no pipe, no signal mask, no status report,
 * only the system call (or glibc's posix_spawn) and waitpid between two clock readings.
 *
 * Usage:  spawn_floor MODE N MIB [PROGRAM]
 *   MODE     fork         fork(), the child execve()s
 *            vfork        vfork(), the child execve()s
 *            clone-vfork  clone(CLONE_VM|CLONE_VFORK) on a static stack, the child execve()s
 *            posix_spawn  glibc's posix_spawn(3), no attributes
 *            fork-only    fork(), the child _exit(0)s at once (no exec: the cost of the copy)
 *   N        spawns to time (at least 1)
 *   MIB      resident memory the parent dirties first (every page written), as
 *            `forklab spawn-cost --parent-mib` does
 *   PROGRAM  what the child runs, by path, no arguments (default /bin/true)
 *
 * Prints one line on stdout:  MODE MIB median_us p10_us p90_us
 * Each figure is the sorted sample at index floor(N*q), as forklab's own statistics take it.
 * Exit status 0; 1 if a spawn failed or a child did not exit 0 (its exec failed); 2 usage.
 *
 * Build:  cc -O2 -Wl,-z,now -o spawn_floor spawn_floor.c   (the bench scripts do this)
 * -z now binds every library call at start-up, so no child pays the dynamic linker's lazy
 * binding of execve or _exit, which the parent itself never calls. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum mode { MODE_FORK, MODE_VFORK, MODE_CLONE_VFORK, MODE_POSIX_SPAWN, MODE_FORK_ONLY };

static const char *const mode_names[] = {
    [MODE_FORK] = "fork",
    [MODE_VFORK] = "vfork",
    [MODE_CLONE_VFORK] = "clone-vfork",
    [MODE_POSIX_SPAWN] = "posix_spawn",
    [MODE_FORK_ONLY] = "fork-only",
};

/* What the child execs; set once, before any timing. */
static char *program_argv[2];

/* The clone-vfork child's stack: the parent is suspended until the child execs or exits, so
 * one stack serves every spawn. */
static char clone_stack[64 * 1024] __attribute__((aligned(16)));

static _Noreturn void usage(void)
{
    fputs("usage: spawn_floor fork|vfork|clone-vfork|posix_spawn|fork-only N MIB [PROGRAM]\n",
          stderr);
    exit(2);
}

static long parse_number(const char *text, long min)
{
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno || end == text || *end || value < min)
        usage();
    return value;
}

static int parse_mode(const char *text)
{
    for (size_t i = 0; i < sizeof mode_names / sizeof mode_names[0]; i++)
        if (strcmp(text, mode_names[i]) == 0)
            return (int)i;
    usage();
    return -1;
}

/* Holds MIB MiB of private anonymous memory, one write per page so every page is resident. */
static void dirty_memory(long mib)
{
    if (mib == 0)
        return;
    size_t len = (size_t)mib << 20, page = (size_t)sysconf(_SC_PAGESIZE);
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("spawn_floor: mmap");
        exit(1);
    }
    for (size_t off = 0; off < len; off += page)
        p[off] = 1;
}

static int exec_program(void *unused)
{
    (void)unused;
    execve(program_argv[0], program_argv, environ);
    _exit(127);
}

/* One child of the chosen kind; its pid, or -1 with errno set. */
static pid_t spawn(enum mode mode)
{
    pid_t pid;
    switch (mode) {
    case MODE_FORK:
        pid = fork();
        if (pid == 0)
            exec_program(NULL);
        return pid;
    case MODE_VFORK:
        pid = vfork();
        if (pid == 0)
            exec_program(NULL);
        return pid;
    case MODE_CLONE_VFORK:
        return clone(exec_program, clone_stack + sizeof clone_stack,
                     CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
    case MODE_POSIX_SPAWN: {
        int err = posix_spawn(&pid, program_argv[0], NULL, NULL, program_argv, environ);
        if (err) {
            errno = err;
            return -1;
        }
        return pid;
    }
    case MODE_FORK_ONLY:
        pid = fork();
        if (pid == 0)
            _exit(0);
        return pid;
    }
    return -1;
}

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double quantile_us(const int64_t *sorted, long n, double q)
{
    long i = (long)(n * q);
    return sorted[i < n ? i : n - 1] / 1e3;
}

int main(int argc, char *argv[])
{
    if (argc < 4 || argc > 5)
        usage();
    enum mode mode = (enum mode)parse_mode(argv[1]);
    long n = parse_number(argv[2], 1);
    long mib = parse_number(argv[3], 0);
    program_argv[0] = argc == 5 ? argv[4] : "/bin/true";

    int64_t *samples = calloc((size_t)n, sizeof *samples);
    if (!samples) {
        perror("spawn_floor: calloc");
        return 1;
    }
    dirty_memory(mib);
    for (long i = 0; i < n; i++) {
        int status;
        int64_t start = now_ns();
        pid_t pid = spawn(mode);
        if (pid < 0 || waitpid(pid, &status, 0) != pid) {
            fprintf(stderr, "spawn_floor: %s: %s\n", pid < 0 ? mode_names[mode] : "waitpid",
                    strerror(errno));
            return 1;
        }
        samples[i] = now_ns() - start;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "spawn_floor: %s did not exit 0 (status %#x)\n", program_argv[0],
                    status);
            return 1;
        }
    }
    qsort(samples, (size_t)n, sizeof *samples, by_value);
    printf("%s %ld %.1f %.1f %.1f\n", mode_names[mode], mib, quantile_us(samples, n, 0.5),
           quantile_us(samples, n, 0.1), quantile_us(samples, n, 0.9));
    return 0;
}
