/* The reaping workload of bench/init.py: N children, each of which forks a grandchild and
 * exits at once, so that N short-lived orphans go to the init above (PID 1 or a subreaper).
 * The children are reaped here; the grandchildren are the init's to reap. Exits once every
 * grandchild has exited (end-of-file on a pipe they all hold), so the init's final reaping
 * pass finds them all. Usage: init_orphans N */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 2000;
    int held[2];
    if (pipe(held) != 0) { perror("pipe"); return 2; }
    for (int i = 0; i < n; i++) {
        pid_t child = fork();
        if (child < 0) { perror("fork"); return 2; }
        if (child == 0) {
            if (fork() < 0) _exit(2);
            _exit(0); /* the grandchild (fork returned 0) exits at once too */
        }
        if (waitpid(child, NULL, 0) != child) { perror("waitpid"); return 2; }
    }
    close(held[1]);
    char byte;
    while (read(held[0], &byte, 1) > 0) {}
    return 0;
}
