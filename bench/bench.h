/*
 * bench.h - the shared frame of mcgk-bench: a registry of suites, a timer, medians,
 * and one report line per operation (stdout and <csv-dir>/<suite>.csv).
 *
 * Adding a suite: write bench/bench_<topic>.c with
 *
 *     static void run_topic(const bench_opts *o)
 *     {
 *         double m = bench_time_op(my_mcgk_op, &ctx, o, NULL);
 *         bench_report("imessage_create", m, -1.0);   // no counterpart: -1
 *     }
 *     BENCH_SUITE("topic", "wolfssl", run_topic)
 *
 * and nothing else: CMake globs every bench/ source into mcgk-bench and the suite registers
 * itself before main() runs. Its figures go to <csv-dir>/topic.csv with the columns
 * op,mcgk_us,<other>_us,ratio. Suites run in name order.
 *
 * Timings: CLOCK_MONOTONIC around each single call, after o->warmup untimed calls;
 * the reported figure is the median of o->calls calls, in microseconds.
 */
#ifndef MCGK_BENCH_H
#define MCGK_BENCH_H

#include <stddef.h>

typedef struct bench_opts {
    int quick;  /* --quick: fewer calls */
    int calls;  /* timed calls per operation (odd, >= 31 unless --quick) */
    int warmup; /* untimed calls before timing */
} bench_opts;

typedef void (*bench_suite_fn)(const bench_opts *o);

/* Registers a suite; other_name names the comparison column ("wolfssl"). */
void bench_register(const char *name, const char *other_name, bench_suite_fn fn);

#define BENCH_SUITE(name, other_name, fn)                                       \
    __attribute__((constructor)) static void bench_register_##fn(void)          \
    {                                                                           \
        bench_register((name), (other_name), (fn));                             \
    }

/* Microseconds from CLOCK_MONOTONIC. */
double bench_now_us(void);

/* Median of n samples (sorts them in place); 0 when n == 0. */
double bench_median(double *samples, size_t n);

/* One call of the operation under test; i counts calls from 0 (use it to rotate
 * inputs). Returns 0 on success, non-zero when the operation failed. */
typedef int (*bench_op_fn)(void *ctx, size_t i);

/*
 * Runs fn o->warmup times untimed, then o->calls times timed one by one, and returns
 * the median in microseconds; the call index keeps counting across warm-up and timed
 * calls. Returns -1 (and prints the failure) when a call fails; *failed is then set
 * when failed is not NULL, and mcgk-bench exits with status 1 at the end.
 */
double bench_time_op(const char *what, bench_op_fn fn, void *ctx, const bench_opts *o,
                     int *failed);

/* Reports a failure outside bench_time_op (e.g. a suite's set-up): printed on stderr;
 * mcgk-bench then exits with status 1. */
void bench_fail(const char *what);

/*
 * Prints "op=<op> mcgk_us=<m> <other>_us=<w> ratio=<m/w>" and appends the same figures
 * to the current suite's CSV. A negative figure means "not measured" and prints "-".
 */
void bench_report(const char *op, double mcgk_us, double other_us);

#endif
