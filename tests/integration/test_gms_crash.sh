#!/usr/bin/env bash
# Crash safety of the GMS (docs/architecture.md "State that must survive a crash";
# issue 5 "Correct"): a GMK is rotated for a group of N members (default 1,000
# identities served by 4 `mcgk client run` processes), the GMS is killed with
# SIGKILL in the middle of the distribution and started again. Checked:
#   - every member ends with the right GMK (the GMS store says confirmed for all,
#     and every client identity holds that GMK-ID);
#   - no member that had confirmed before the kill is sent the GMK again (the
#     confirmed set is read from the store right after the kill; the restarted
#     GMS's NOTIFY log lines must not name any of them);
#   - the rows that were in flight are resumed ("event=resumed").
# Usage: bash test_gms_crash.sh path/to/mcgk     (MCGK_CRASH_N overrides N)
# No pipefail: checks are `producer | grep -q PAT`, and grep -q exits at the first
# match, so the producer may die of SIGPIPE; the check must be grep's verdict.
set -u

. "$(dirname "$0")/../../scripts/loopback.sh"
lb_init gms-crash "$@"
N=${MCGK_CRASH_N:-1000}
[ -n "${MCGK_TEST_QUICK:-}" ] && N=${MCGK_CRASH_N:-200}
PROCS=4

KMS_URI=kms.example.org
GMS=sip:gms@example.org
GA=sip:crew@example.org
D=example.org

lb_tls_cert

K=(--data-dir "$T/kms")
lb_kms_init $KMS_URI
"$MCGK" kms user add $GMS --role gms "${K[@]}" --token-out "$T/gms.tok" >/dev/null 2>&1 || die "user gms"
mkdir -m 700 "$T/tok"
# N KMS users (4 in parallel; the KMS store serialises the writes)
seq 1 "$N" | xargs -P 4 -I{} "$MCGK" kms user add "sip:u{}@$D" "${K[@]}" \
    --token-out "$T/tok/{}.tok" >/dev/null 2>&1
[ -s "$T/tok/$N.tok" ] || die "kms user add"
lb_kms_serve

G=(--data-dir "$T/gms")
lb_gms_init $GMS
"$MCGK" gms group create $GA "${G[@]}" >/dev/null 2>&1 || die "group"
"$MCGK" gms member add $GA --range "sip:u%d@$D:1-$N" --token-dir "$T/tok" "${G[@]}" >/dev/null 2>&1 ||
    die "bulk add"

SIP_PORT=$((30000 + RANDOM % 20000))
start_gms() { # log file
    "$MCGK" gms serve "${G[@]}" --sip 127.0.0.1:$SIP_PORT --retry-base-ms 300 \
        --retry-cap-ms 2000 --max-attempts 100 --log-level debug --no-provision 2>>"$1" &
    GMS_PID=$!
    PIDS+=("$GMS_PID")
    for _ in $(seq 1 100); do grep -q event=listening "$1" 2>/dev/null && break; sleep 0.1; done
    grep -q event=listening "$1" || die "gms serve did not start: $(tail -3 "$1")"
}
start_gms "$T/gms1.log"

# the clients: N identities in PROCS processes
PER=$((N / PROCS))
for p in $(seq 0 $((PROCS - 1))); do
    lo=$((p * PER + 1))
    hi=$(((p + 1) * PER))
    [ $p = $((PROCS - 1)) ] && hi=$N
    "$MCGK" client run --user-range "sip:u%d@$D:$lo-$hi" --token-dir "$T/tok" --kms "$KMS_URL" \
        --cacert "$T/tls.crt" --gms $GMS --group "$GA=$GMS" --gms-sip "sip:127.0.0.1:$SIP_PORT" \
        --listen 127.0.0.1:0 --workers 1 --data-dir "$T/c$p" >/dev/null 2>>"$T/c$p.log" &
    PIDS+=($!)
done
# wait for the registrations (the GMS stores each binding)
for _ in $(seq 1 1200); do
    n=$(cat "$T"/c*.log 2>/dev/null | grep -c 'event=registered')
    [ "$n" -ge "$N" ] && break
    sleep 0.25
done
[ "$n" -ge "$N" ] && ok "$N identities registered ($PROCS client processes)" || die "only $n of $N registered"
# the "add" jobs of the bulk add (no GMK yet) settle first
for _ in $(seq 1 600); do
    # (no "| grep -q": with pipefail a SIGPIPE would end the wait early)
    [ -z "$("$MCGK" gms status "${G[@]}" --state pending)$("$MCGK" gms status "${G[@]}" --state sent)" ] && break
    sleep 0.5
done

# ---- rotate, and kill -9 in the middle -------------------------------------------------------
"$MCGK" gms gmk rotate --groups $GA "${G[@]}" >"$T/rot.out" 2>/dev/null || die "rotate"
J=$(sed -n 's/^job = //p' "$T/rot.out")
KEY=$(sed -n 's/^key_id = \([0-9a-f]*\).*/\1/p' "$T/rot.out")
confirmed() { "$MCGK" gms status --job "$J" --state confirmed "${G[@]}" | awk 'NR>1{print $3}'; }
# wait until a good part, but not all, has confirmed
TARGET=$((N / 4))
for _ in $(seq 1 600); do
    c=$("$MCGK" gms status --job "$J" "${G[@]}" | head -1 | sed -n 's/.* confirmed \([0-9]*\) .*/\1/p')
    [ "${c:-0}" -ge "$TARGET" ] && break
    sleep 0.05
done
kill -KILL "$GMS_PID"
wait "$GMS_PID" 2>/dev/null
confirmed | sort >"$T/confirmed-before"
NB=$(wc -l <"$T/confirmed-before")
if [ "$NB" -gt 0 ] && [ "$NB" -lt "$N" ]; then
    ok "killed with SIGKILL mid-distribution: $NB of $N confirmed"
else
    bad "kill mid-distribution" "$NB of $N confirmed at the kill"
fi
grep 'event=notify ' "$T/gms1.log" | grep -c "job=$J " >"$T/sent-before"

# ---- restart ----------------------------------------------------------------------------------
start_gms "$T/gms2.log"
check_resumed=$(grep -c 'event=resumed' "$T/gms2.log")
[ "$check_resumed" -ge 1 ] && ok "the restarted GMS resumed the rows in flight" || bad "resume" "no resumed line"
for _ in $(seq 1 1200); do
    line=$("$MCGK" gms status --job "$J" "${G[@]}" | head -1)
    c=$(echo "$line" | sed -n 's/.* confirmed \([0-9]*\) .*/\1/p')
    [ "${c:-0}" -ge "$N" ] && break
    sleep 0.25
done
[ "${c:-0}" = "$N" ] && ok "after the restart every member confirmed ($line)" || bad "all confirmed" "$line"

# every client identity holds the GMK
HOLD=0
for p in $(seq 0 $((PROCS - 1))); do
    h=$("$MCGK" client keys --data-dir "$T/c$p" 2>/dev/null | grep -c "^gmk .*gmk_id=$KEY ")
    HOLD=$((HOLD + h))
done
[ "$HOLD" = "$N" ] && ok "every member holds the right GMK $KEY ($HOLD)" || bad "members holding $KEY" "$HOLD of $N"

# nobody who had confirmed before the kill was sent it again
grep 'event=notify ' "$T/gms2.log" | grep "job=$J " | sed -n 's/.* member="\([^"]*\)".*/\1/p' |
    sort -u >"$T/sent-after"
AGAIN=$(comm -12 "$T/confirmed-before" "$T/sent-after" | wc -l)
[ "$AGAIN" = 0 ] && ok "no member that confirmed before the kill was sent the GMK again ($(wc -l <"$T/sent-after") sent after the restart)" ||
    bad "re-sent to confirmed members" "$AGAIN: $(comm -12 "$T/confirmed-before" "$T/sent-after" | head -3)"
FAILED=$("$MCGK" gms status --job "$J" --failed "${G[@]}" | awk 'NR>1' | wc -l)
[ "$FAILED" = 0 ] && ok "no delivery failed" || bad "failed deliveries" "$FAILED"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
