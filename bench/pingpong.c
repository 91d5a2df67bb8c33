/* pingpong.c: the floor under one long echo connection on loopback. A server process and a
 * client process, nothing but blocking system calls: the client writes SIZE bytes, the
 * server reads them and writes them back, the client reads them back; again and again until
 * TOTAL bytes have made the trip. No checking, no event loop, no threads: what the kernel's
 * loopback and scheduler allow for round trips of this size.
 *
 * Usage:  pingpong SIZE TOTAL [split|same|free]
 *   split: server on CPU 0, client on CPU 1 (the default); same: both on CPU 0;
 *   free: wherever the scheduler puts them.
 * Prints "pingpong SIZE TOTAL PLACEMENT seconds GB/s" (GB = 10^9 bytes, one way).
 *
 * Build:  cc -O2 -Wl,-z,now -o pingpong pingpong.c   (bench/echo.py does this) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
        die("sched_setaffinity");
}

/* Reads exactly len bytes (or dies). */
static void read_all(int fd, char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = read(fd, buf, len);
        if (n <= 0)
            die("read");
        buf += n;
        len -= (size_t)n;
    }
}

static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n <= 0)
            die("write");
        buf += n;
        len -= (size_t)n;
    }
}

static void serve(int listener, size_t size, int cpu)
{
    if (cpu >= 0)
        pin(cpu);
    int fd = accept(listener, NULL, NULL);
    if (fd < 0)
        die("accept");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char *buf = malloc(size);
    for (;;) {
        ssize_t n = read(fd, buf, size);
        if (n == 0)
            _exit(0);
        if (n < 0)
            die("server read");
        write_all(fd, buf, (size_t)n);
    }
}

int main(int argc, char *argv[])
{
    if (argc < 3) {
        fputs("usage: pingpong SIZE TOTAL [split|same|free]\n", stderr);
        return 2;
    }
    size_t size = strtoul(argv[1], NULL, 10), total = strtoull(argv[2], NULL, 10);
    const char *placement = argc > 3 ? argv[3] : "split";
    int server_cpu = strcmp(placement, "free") == 0 ? -1 : 0;
    int client_cpu = strcmp(placement, "split") == 0 ? 1 : server_cpu;
    if (size == 0 || total < size) {
        fputs("pingpong: SIZE must be at least 1 and TOTAL at least SIZE\n", stderr);
        return 2;
    }
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    if (bind(listener, (struct sockaddr *)&addr, len) != 0 || listen(listener, 1) != 0 ||
        getsockname(listener, (struct sockaddr *)&addr, &len) != 0)
        die("listen");
    pid_t server = fork();
    if (server == 0)
        serve(listener, size, server_cpu);
    if (client_cpu >= 0)
        pin(client_cpu);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0)
        die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char *out = malloc(size), *in = malloc(size);
    memset(out, 'x', size);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t done = 0; done + size <= total; done += size) {
        write_all(fd, out, size);
        read_all(fd, in, size);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    shutdown(fd, SHUT_WR);
    waitpid(server, NULL, 0);
    double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("pingpong %zu %zu %s %.3f %.3f\n", size, total, placement, s, (double)(total / size * size) / s / 1e9);
    return 0;
}
