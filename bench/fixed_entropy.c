/* Fixed entropy for the instruction-count gate's valgrind process.
 *
 * Loaded with LD_PRELOAD into `python -m cnnbench.bench.counts_child` only. It
 * replaces glibc's getrandom() and getentropy() with a fixed stream (a 64-bit
 * linear congruential generator, Knuth's MMIX constants), so that every
 * Random() CPython seeds itself while torch is imported draws the same state in
 * every process. Without it the heap's history differed between processes and
 * with it the allocators' share of each count, by up to 4e-3; with it two
 * processes count exactly the same instructions. Never load it anywhere
 * that needs real randomness.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <sys/types.h>

static unsigned long long state = 0x9E3779B97F4A7C15ULL;

static unsigned char next_byte(void) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned char)(state >> 56);
}

ssize_t getrandom(void *buf, size_t n, unsigned int flags) {
    (void)flags;
    unsigned char *p = buf;
    for (size_t i = 0; i < n; i++) p[i] = next_byte();
    return (ssize_t)n;
}

int getentropy(void *buf, size_t n) {
    getrandom(buf, n, 0);
    return 0;
}

/* The counting process looks this up to record that the stream was fixed. */
int cnnbench_fixed_entropy(void) { return 1; }
