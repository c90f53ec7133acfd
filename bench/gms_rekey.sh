#!/usr/bin/env bash
# Rekey benchmark of the GMS (issue 5 "Fast"): one GMK rotated for a group of N members
# until every member has confirmed, with the real daemons on loopback - `mcgk kms serve`,
# `mcgk gms serve`, and PROCS `mcgk client run` processes holding N/PROCS identities each
# (every client opens its I_MESSAGE with the full checklist and stores the GMK before it
# answers 200).
#
#   usage: bench/gms_rekey.sh path/to/mcgk N [PROCS] [clients|sipp]
#
# Mode "sipp" measures the GMS alone: the members are N registrations of one sipp
# (Debian sip-tester) that answers every NOTIFY 200 at once, so that the figure is the
# GMS's own throughput (build + sign + send + record), not the clients'.
#
# Set-up (not timed): KMS users, GMS init, bulk member add, client provisioning and
# registration; the GMS is restarted just before the rotation so that its peak memory
# (VmHWM) is the rekey's. Timed: `mcgk gms gmk rotate --wait` from start to the last
# confirmation. Prints one line:
#   members=N seconds=S members_per_s=R gms_vmhwm_kb=K gms_cpu_s=C confirmed=N failed=F
# and exits 1 when not every member confirmed.
set -uo pipefail

N=${2:?usage: $0 path/to/mcgk N [PROCS] [clients|sipp]}
PROCS=${3:-4}
MODE=${4:-clients}
. "$(dirname "$0")/../scripts/loopback.sh"
lb_init gms-bench "$1"
die() { echo "gms_rekey: $*" >&2; exit 1; }
note() { echo "# $*" >&2; }

D=example.org
GMS=sip:gms@$D
GA=sip:bench@$D

lb_tls_cert
K=(--data-dir "$T/kms")
lb_kms_init kms.$D
lb_kms_user $GMS "$T/gms.tok" gms
mkdir -m 700 "$T/tok"
if [ "$MODE" = clients ]; then
    note "set-up: $N KMS users"
    seq 1 "$N" | xargs -P 4 -I{} "$MCGK" kms user add "sip:u{}@$D" "${K[@]}" \
        --token-out "$T/tok/{}.tok" >/dev/null 2>&1
    [ -s "$T/tok/$N.tok" ] || die "kms user add"
fi
lb_kms_serve

G=(--data-dir "$T/gms")
lb_gms_init $GMS
"$MCGK" gms group create $GA "${G[@]}" >/dev/null 2>&1 || die "group"
"$MCGK" gms member add $GA --range "sip:u%d@$D:1-$N" --token-dir "$T/tok" "${G[@]}" \
    >/dev/null 2>&1 || die "bulk add"

SIP_PORT=$((30000 + RANDOM % 20000))
start_gms() {
    rm -f "$T/gms.started"
    "$MCGK" gms serve "${G[@]}" --sip 127.0.0.1:$SIP_PORT --no-provision --retry-base-ms 500 \
        --retry-cap-ms 4000 --max-attempts 100 2>>"$T/gms.log" &
    GMS_PID=$!
    PIDS+=("$GMS_PID")
    for _ in $(seq 1 100); do
        [ "$(grep -c event=listening "$T/gms.log")" -ge "$1" ] && return 0
        sleep 0.1
    done
    die "gms serve did not start"
}
start_gms 1

if [ "$MODE" = sipp ]; then
    command -v sipp >/dev/null || die "sipp not installed"
    SC=$(dirname "$(readlink -f "$0")")/../tests/integration/sipp
    UAS_PORT=$((SIP_PORT + 1))
    out=$(sipp -sf "$SC/gms_uas_ok.xml" -i 127.0.0.1 -p $UAS_PORT -m 100000000 -bg -nostdin 2>&1)
    UAS=$(printf '%s' "$out" | sed -n 's/.*PID=\[\([0-9]*\)\].*/\1/p')
    [ -n "$UAS" ] || die "sipp uas: $out"
    PIDS+=("$UAS")
    note "set-up: $N sipp registrations"
    { echo SEQUENTIAL; for i in $(seq 1 "$N"); do echo "u$i;$D;$UAS_PORT"; done; } >"$T/reg.csv"
    sipp -sf "$SC/gms_register.xml" -inf "$T/reg.csv" -i 127.0.0.1 -p 0 -m "$N" -r 2000 \
        127.0.0.1:$SIP_PORT -timeout 120s -nostdin >/dev/null 2>&1 || die "sipp register"
else
    note "set-up: $PROCS client processes provision and register $N identities"
    PER=$((N / PROCS))
    for p in $(seq 0 $((PROCS - 1))); do
        lo=$((p * PER + 1))
        hi=$(((p + 1) * PER))
        [ "$p" = $((PROCS - 1)) ] && hi=$N
        "$MCGK" client run --user-range "sip:u%d@$D:$lo-$hi" --token-dir "$T/tok" \
            --kms "$KMS_URL" --cacert "$T/tls.crt" --gms $GMS --group "$GA=$GMS" \
            --gms-sip "sip:127.0.0.1:$SIP_PORT" --listen 127.0.0.1:0 --workers 1 \
            --data-dir "$T/c$p" >/dev/null 2>>"$T/c$p.log" &
        PIDS+=($!)
    done
    for _ in $(seq 1 7200); do
        n=$(cat "$T"/c*.log 2>/dev/null | grep -c 'event=registered')
        [ "$n" -ge "$N" ] && break
        sleep 0.5
    done
    [ "$n" -ge "$N" ] || die "only $n of $N identities registered"
fi
note "set-up: the membership notices settle"
for _ in $(seq 1 7200); do
    # (no "| grep -q": with pipefail a SIGPIPE would end the wait early)
    [ -z "$("$MCGK" gms status "${G[@]}" --state pending)$("$MCGK" gms status "${G[@]}" --state sent)" ] && break
    sleep 0.5
done

# a fresh GMS process for the rotation (bindings are restored from the store)
kill -TERM "$GMS_PID"
wait "$GMS_PID" 2>/dev/null
start_gms 2

note "timed: rotate for $N members until every member confirmed"
T0=$(date +%s.%N)
"$MCGK" gms gmk rotate --groups $GA "${G[@]}" --wait >"$T/rot.out" 2>"$T/rot.err"
RC=$?
T1=$(date +%s.%N)
HWM=$(awk '/^VmHWM/{print $2}' "/proc/$GMS_PID/status")
CPU=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$GMS_PID/stat")
J=$(sed -n 's/^job = //p' "$T/rot.out")
LINE=$("$MCGK" gms status --job "$J" "${G[@]}" | head -1)
C=$(echo "$LINE" | sed -n 's/.* confirmed \([0-9]*\) .*/\1/p')
F=$(echo "$LINE" | sed -n 's/.* failed \([0-9]*\) .*/\1/p')
awk -v n="$N" -v a="$T0" -v b="$T1" -v h="$HWM" -v c="$CPU" -v ok="${C:-0}" -v f="${F:-0}" \
    'BEGIN { s = b - a; printf "members=%d seconds=%.2f members_per_s=%.0f gms_vmhwm_kb=%d gms_cpu_s=%s confirmed=%d failed=%d\n", n, s, n / s, h, c, ok, f }'
[ "$RC" = 0 ] && [ "${C:-0}" = "$N" ]
