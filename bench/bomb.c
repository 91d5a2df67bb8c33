/* The article's fork bombs in C, for bench/jail.py and bench/guard.py.
 *
 *   bomb fork         for (;;) fork();
 *   bomb vfork-exec   for (;;) if (vfork() == 0) execl(argv[0], argv[0], "vfork-exec", 0);
 *
 * A bomb run bare takes the machine down, so this one refuses to start unless it is safe:
 * not root, and inside a cgroup (v1 pids hierarchy or v2) whose pids.max is a number.
 * Start it only through `forklab jail --pids-max N` or the benchmark scripts.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Whether pids.max of the cgroup named by one /proc/self/cgroup line is a number. */
static int capped_line(const char *line)
{
    const char *first = strchr(line, ':');
    const char *second = first ? strchr(first + 1, ':') : NULL;
    if (!second)
        return 0;
    char controllers[256];
    size_t n = (size_t)(second - first - 1);
    if (n >= sizeof controllers)
        return 0;
    memcpy(controllers, first + 1, n);
    controllers[n] = '\0';
    const char *root;
    if (n == 0)
        root = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 ? "/sys/fs/cgroup"
                                                                      : "/sys/fs/cgroup/unified";
    else if (strstr(controllers, "pids"))
        root = "/sys/fs/cgroup/pids";
    else
        return 0;
    char path[4096];
    char group[2048];
    snprintf(group, sizeof group, "%s", second + 1);
    group[strcspn(group, "\n")] = '\0';
    snprintf(path, sizeof path, "%s%s/pids.max", root, group);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char value[64] = "";
    int ok = fgets(value, sizeof value, f) && value[0] >= '0' && value[0] <= '9';
    fclose(f);
    return ok;
}

static int capped(void)
{
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (!f)
        return 0;
    char line[2304];
    int ok = 0;
    while (!ok && fgets(line, sizeof line, f))
        ok = capped_line(line);
    fclose(f);
    return ok;
}

int main(int argc, char *argv[])
{
    if (argc != 2 || (strcmp(argv[1], "fork") && strcmp(argv[1], "vfork-exec"))) {
        fprintf(stderr, "usage: %s fork|vfork-exec (only inside a pids-capped cgroup)\n", argv[0]);
        return 2;
    }
    if (getuid() == 0 || geteuid() == 0 || !capped()) {
        fprintf(stderr, "bomb: refusing: run only as a non-root user inside a cgroup with a "
                        "pids.max cap\n");
        return 2;
    }
    if (strcmp(argv[1], "fork") == 0)
        for (;;)
            fork();
    for (;;)
        if (vfork() == 0) {
            execl(argv[0], argv[0], "vfork-exec", (char *)0);
            _exit(127);
        }
}
