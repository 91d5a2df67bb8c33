/* The forwarding workload of bench/init.py: on each SIGTERM, writes CLOCK_MONOTONIC (8 bytes,
 * nanoseconds) to stdout from the handler; first writes 8 zero bytes to say it is ready.
 * Any other signal's default action ends it. */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void stamp(int sig) {
    (void)sig;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    (void)!write(1, &ns, sizeof ns);
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = stamp;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, NULL);
    uint64_t ready = 0;
    (void)!write(1, &ready, sizeof ready);
    for (;;) pause();
}
