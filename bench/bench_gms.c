/*
 * The gms suite of mcgk-bench: the rekey of a group until every member has
 * confirmed, with the real daemons (bench/gms_rekey.sh: KMS, GMS, client
 * processes holding many identities each, all on loopback). Groups of 1,000
 * and 10,000 members (--quick: 200), and 10,000 members answered by sipp (the GMS's
 * own throughput, without the clients' cryptography). Reported per run:
 *   rekey_<N>[_gms_only]             the whole rekey, microseconds (no counterpart: "-")
 *   rekey_<N>[_gms_only]_per_member  microseconds per member
 * and, as '#' lines: members per second, the GMS's peak memory (VmHWM) and CPU
 * time. Target (issue 5): 10,000 members confirmed in <= 10 s on 2 cores.
 *
 * The script sits beside this file; the mcgk binary beside mcgk-bench.
 * Secrets: none here (the script's test KMS and tokens live in a temporary
 * directory that it removes).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static int sibling(const char *of, const char *name, char *out, size_t cap)
{
    const char *slash = strrchr(of, '/');
    size_t dl = slash != NULL ? (size_t)(slash - of) : 0;
    int n = snprintf(out, cap, "%.*s/%s", (int)dl, of, name);
    return n > 0 && (size_t)n < cap;
}

static void rekey(const char *script, const char *mcgk, int members, const char *mode)
{
    char cmd[3 * PATH_MAX], line[512] = "", op[64];
    const char *tag = strcmp(mode, "sipp") == 0 ? "_gms_only" : "";
    snprintf(cmd, sizeof cmd, "bash '%s' '%s' %d 4 %s", script, mcgk, members, mode);
    FILE *p = popen(cmd, "r");
    if (p == NULL) {
        bench_fail("gms_rekey.sh: cannot start");
        return;
    }
    char buf[512];
    while (fgets(buf, sizeof buf, p) != NULL)
        if (strncmp(buf, "members=", 8) == 0)
            snprintf(line, sizeof line, "%s", buf);
    int rc = pclose(p);
    double secs = 0, per_s = 0, cpu = 0;
    long hwm = 0;
    int n = 0, confirmed = 0, failed = 0;
    if (sscanf(line, "members=%d seconds=%lf members_per_s=%lf gms_vmhwm_kb=%ld gms_cpu_s=%lf "
                     "confirmed=%d failed=%d",
               &n, &secs, &per_s, &hwm, &cpu, &confirmed, &failed) != 7) {
        bench_fail("gms_rekey.sh: no result line");
        return;
    }
    snprintf(op, sizeof op, "rekey_%d%s", members, tag);
    bench_report(op, secs * 1e6, -1.0);
    snprintf(op, sizeof op, "rekey_%d%s_per_member", members, tag);
    bench_report(op, secs * 1e6 / members, -1.0);
    printf("# rekey %d members (%s): %.2f s, %.0f members/s, GMS peak memory %ld KiB, GMS CPU "
           "%.2f s, confirmed %d, failed %d%s\n",
           members, strcmp(mode, "sipp") == 0 ? "GMS only, sipp answers" : "real clients", secs,
           per_s, hwm, cpu, confirmed, failed, rc != 0 ? " (INCOMPLETE)" : "");
    if (rc != 0)
        bench_fail("gms rekey: not every member confirmed");
}

static void run_gms(const bench_opts *o)
{
    char script[PATH_MAX], self[PATH_MAX], mcgk[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0 || !sibling(__FILE__, "gms_rekey.sh", script, sizeof script)) {
        bench_fail("gms: cannot locate the script");
        return;
    }
    self[n] = '\0';
    if (!sibling(self, "mcgk", mcgk, sizeof mcgk) || access(mcgk, X_OK) != 0 ||
        access(script, R_OK) != 0) {
        printf("# gms: skipped (needs %s and %s)\n", mcgk, script);
        return;
    }
    printf("# GMS rekey until every member confirmed: KMS + GMS + 4 client processes, "
           "loopback\n");
    fflush(stdout);
    if (o->quick) {
        rekey(script, mcgk, 200, "clients");
        return;
    }
    rekey(script, mcgk, 1000, "clients");
    rekey(script, mcgk, 10000, "clients");
    if (system("command -v sipp >/dev/null 2>&1") == 0)
        rekey(script, mcgk, 10000, "sipp");
}

BENCH_SUITE("gms", "none", run_gms)
