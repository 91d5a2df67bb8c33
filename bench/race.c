/* race.c: the who-runs-first loop as the article's program runs it (spawn_children, after
 * TLPI's fork_whos_on_first): standard output unbuffered, and for each trial j a fork after
 * which the child prints "j child" with printf and leaves with _exit, while the parent prints
 * "j parent" and reaps the child before the next trial. The order of the two lines is the
 * order in which the two processes first got to their printf.
 *
 * This is the yardstick `forklab race --measure stdout --format tlpi` is held to: the same
 * output, made the way C programs usually make it (stdio, a plain -O2 build with the linker's
 * default lazy binding). race_floor.c is the same loop with nothing but system calls.
 *
 * Usage:  race N > lines.txt        (N trials, at least 1)
 * Prints "elapsed S s" on stderr: the wall time of the loop.
 * Exit status 0; 1 if a fork or a wait failed; 2 usage.
 *
 * Build:  cc -O2 -o race race.c   (bench/race.py does this) */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec + now.tv_nsec / 1e9;
}

int main(int argc, char *argv[])
{
    char *rest;
    long trials = argc == 2 ? strtol(argv[1], &rest, 10) : 0;
    if (argc != 2 || *rest != '\0' || trials < 1) {
        fputs("usage: race N > lines.txt\n", stderr);
        return 2;
    }
    setbuf(stdout, NULL); /* every printf is one write, as soon as it is made */
    double started = seconds();
    for (long j = 0; j < trials; j++) {
        switch (fork()) {
        case -1:
            perror("race: fork");
            return 1;
        case 0:
            printf("%ld child\n", j);
            _exit(EXIT_SUCCESS);
        default:
            printf("%ld parent\n", j);
            if (wait(NULL) == -1) {
                perror("race: wait");
                return 1;
            }
        }
    }
    fprintf(stderr, "elapsed %.6f s\n", seconds() - started);
    return 0;
}
