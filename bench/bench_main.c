/*
 * mcgk-bench: runs every registered suite (bench/bench_*.c) and reports one line per
 * operation, mcgk beside a reference implementation in the same process, with the
 * figures also written as CSV. See bench.h for the frame and how to add a suite.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bench.h"

#define MAX_SUITES 32

typedef struct suite {
    const char *name;
    const char *other;
    bench_suite_fn fn;
} suite;

static suite suites[MAX_SUITES];
static size_t n_suites;

static const suite *current;
static FILE *csv;
static int any_failed;

void bench_register(const char *name, const char *other_name, bench_suite_fn fn)
{
    if (n_suites == MAX_SUITES) {
        fprintf(stderr, "mcgk-bench: too many suites (max %d), %s ignored\n", MAX_SUITES, name);
        return;
    }
    suites[n_suites].name = name;
    suites[n_suites].other = other_name;
    suites[n_suites].fn = fn;
    n_suites++;
}

double bench_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *samples, size_t n)
{
    if (n == 0)
        return 0.0;
    qsort(samples, n, sizeof *samples, cmp_double);
    if (n % 2 == 1)
        return samples[n / 2];
    return (samples[n / 2 - 1] + samples[n / 2]) / 2.0;
}

double bench_time_op(const char *what, bench_op_fn fn, void *ctx, const bench_opts *o,
                     int *failed)
{
    size_t i = 0;
    for (int w = 0; w < o->warmup; w++, i++) {
        if (fn(ctx, i) != 0)
            goto fail;
    }
    double *t = malloc((size_t)o->calls * sizeof *t);
    if (t == NULL)
        goto fail;
    for (int c = 0; c < o->calls; c++, i++) {
        double t0 = bench_now_us();
        int rc = fn(ctx, i);
        double t1 = bench_now_us();
        if (rc != 0) {
            free(t);
            goto fail;
        }
        t[c] = t1 - t0;
    }
    double m = bench_median(t, (size_t)o->calls);
    free(t);
    return m;
fail:
    fprintf(stderr, "mcgk-bench: %s failed at call %zu\n", what, i);
    any_failed = 1;
    if (failed)
        *failed = 1;
    return -1.0;
}

void bench_fail(const char *what)
{
    fprintf(stderr, "mcgk-bench: %s\n", what);
    any_failed = 1;
}

static void fmt_us(char *buf, size_t cap, double us)
{
    if (us < 0)
        snprintf(buf, cap, "-");
    else
        snprintf(buf, cap, "%.1f", us);
}

void bench_report(const char *op, double mcgk_us, double other_us)
{
    char m[32], w[32], r[32];
    fmt_us(m, sizeof m, mcgk_us);
    fmt_us(w, sizeof w, other_us);
    if (mcgk_us >= 0 && other_us > 0)
        snprintf(r, sizeof r, "%.2f", mcgk_us / other_us);
    else
        snprintf(r, sizeof r, "-");
    const char *other = current ? current->other : "other";
    printf("op=%s mcgk_us=%s %s_us=%s ratio=%s\n", op, m, other, w, r);
    fflush(stdout);
    if (csv != NULL) {
        fprintf(csv, "%s,%s,%s,%s\n", op, mcgk_us >= 0 ? m : "", other_us >= 0 ? w : "",
                strcmp(r, "-") ? r : "");
        fflush(csv);
    }
}

static void cpu_model(char *out, size_t cap)
{
    snprintf(out, cap, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL)
        return;
    char line[512];
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "model name", 10) == 0) {
            char *colon = strchr(line, ':');
            if (colon != NULL) {
                colon++;
                while (*colon == ' ' || *colon == '\t')
                    colon++;
                colon[strcspn(colon, "\n")] = '\0';
                snprintf(out, cap, "%s", colon);
            }
            break;
        }
    }
    fclose(f);
}

static int cpu_count(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL)
        return 0;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "processor", 9) == 0)
            n++;
    fclose(f);
    return n;
}

static void usage(FILE *to)
{
    fprintf(to,
            "usage: mcgk-bench [--csv DIR] [--quick] [--calls N] [--only SUITE] [--list]\n"
            "\n"
            "Times mcgk beside a reference implementation (wolfSSL for the crypto suite)\n"
            "in one process and prints one line per operation:\n"
            "  op=<name> mcgk_us=<median> wolfssl_us=<median> ratio=<mcgk/wolfssl>\n"
            "Each figure is the median of N single calls (CLOCK_MONOTONIC), in\n"
            "microseconds, after untimed warm-up calls.\n"
            "\n"
            "  --csv DIR     also write DIR/<suite>.csv (op,mcgk_us,<other>_us,ratio);\n"
            "                DIR is created if missing (make bench: --csv build/bench)\n"
            "  --quick       fewer calls (7 per operation, 1 warm-up): a smoke run\n"
            "  --calls N     timed calls per operation (default 31, at least 1)\n"
            "  --only SUITE  run one suite (see --list)\n"
            "  --list        list the suites and exit\n"
            "  --help        this text\n");
}

static int suite_cmp(const void *a, const void *b)
{
    return strcmp(((const suite *)a)->name, ((const suite *)b)->name);
}

int main(int argc, char **argv)
{
    const char *csv_dir = NULL, *only = NULL;
    bench_opts o = {0, 31, 3};
    int calls_set = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--csv") == 0 && i + 1 < argc) {
            csv_dir = argv[++i];
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else if (strcmp(argv[i], "--calls") == 0 && i + 1 < argc) {
            char *end = NULL;
            long n = strtol(argv[++i], &end, 10);
            if (end == NULL || *end != '\0' || n < 1 || n > 100000) {
                fprintf(stderr, "mcgk-bench: --calls needs a number in 1..100000\n");
                return 2;
            }
            o.calls = (int)n;
            calls_set = 1;
        } else if (strcmp(argv[i], "--quick") == 0) {
            o.quick = 1;
        } else if (strcmp(argv[i], "--list") == 0) {
            qsort(suites, n_suites, sizeof suites[0], suite_cmp);
            for (size_t s = 0; s < n_suites; s++)
                printf("%s (vs %s)\n", suites[s].name, suites[s].other);
            return 0;
        } else {
            fprintf(stderr, "mcgk-bench: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (o.quick) {
        if (!calls_set)
            o.calls = 7;
        o.warmup = 1;
    }
    if (csv_dir != NULL && mkdir(csv_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "mcgk-bench: cannot create %s: %s\n", csv_dir, strerror(errno));
        return 1;
    }

    char cpu[256];
    cpu_model(cpu, sizeof cpu);
    printf("# mcgk-bench: cpu=\"%s\" cpus=%d calls=%d warmup=%d%s\n", cpu, cpu_count(), o.calls,
           o.warmup, o.quick ? " (quick)" : "");

    qsort(suites, n_suites, sizeof suites[0], suite_cmp);
    int ran = 0;
    for (size_t s = 0; s < n_suites; s++) {
        if (only != NULL && strcmp(only, suites[s].name) != 0)
            continue;
        current = &suites[s];
        if (csv_dir != NULL) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s.csv", csv_dir, suites[s].name);
            csv = fopen(path, "w");
            if (csv == NULL) {
                fprintf(stderr, "mcgk-bench: cannot write %s: %s\n", path, strerror(errno));
                return 1;
            }
            fprintf(csv, "op,mcgk_us,%s_us,ratio\n", suites[s].other);
        }
        printf("# suite %s (mcgk vs %s)\n", suites[s].name, suites[s].other);
        suites[s].fn(&o);
        if (csv != NULL) {
            fclose(csv);
            csv = NULL;
        }
        current = NULL;
        ran++;
    }
    if (ran == 0) {
        fprintf(stderr, "mcgk-bench: no suite %s\n", only ? only : "registered");
        return 2;
    }
    return any_failed ? 1 : 0;
}
