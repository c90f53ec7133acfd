#!/usr/bin/env bash
# `mcgk client run` against the real `mcgk gms serve` (and `mcgk kms serve`), on
# loopback - the client's view (test_gms_e2e.sh has the GMS's):
#   - R-001-23 / R-000-23: rotations with activation times; the client uses the
#     active GMK with the latest activation, a pending one takes over when its time
#     comes (`mcgk client keys --at`);
#   - kill -9 while storing: the client dies after writing but before COMMIT; the
#     GMS gets no answer and retries; until the client is back it holds the old
#     state, whole; restarted, it stores the GMK and the GMS records the 200;
#   - kill -9 between COMMIT and the 200: the retry is answered 200 without a
#     second copy;
#   - a restarted client (keys in its store) re-registers and keeps receiving;
#   - R-003-27..32: a pull-only GMK fetched with --pull-interval and recorded;
#   - R-001-33 with a real removal: the GMK of the group is deleted, the one
#     shared with the group the member stays in is kept.
# Usage: bash test_client_gms.sh path/to/mcgk
# No pipefail: checks are `producer | grep -q PAT`, and grep -q exits at the first
# match, so the producer may die of SIGPIPE; the check must be grep's verdict.
set -u

. "$(dirname "$0")/../../scripts/loopback.sh"
lb_init client-gms "$@"

if ! "$MCGK" gms serve --help >/dev/null 2>&1; then
    echo "skip: this mcgk has no 'gms serve'"
    exit 0
fi

KMS_URI=kms.example.org
GMS=sip:gms@example.org
ALICE=sip:alice@example.org
GA=sip:group-a@example.org
GB=sip:group-b@example.org

lb_tls_cert
K=(--data-dir "$T/kms")
lb_kms_init $KMS_URI
"$MCGK" kms user add $GMS --role gms "${K[@]}" --token-out "$T/gms.tok" >/dev/null 2>&1 || die "gms"
"$MCGK" kms user add $ALICE "${K[@]}" --token-out "$T/alice.tok" >/dev/null 2>&1 || die "alice"
lb_kms_serve

G=(--data-dir "$T/gms")
lb_gms_init $GMS
"$MCGK" gms group create $GA --name "Crew A" "${G[@]}" >/dev/null 2>&1 || die "group A"
"$MCGK" gms group create $GB --name "Crew B" "${G[@]}" >/dev/null 2>&1 || die "group B"
"$MCGK" gms member add $GA $ALICE "${G[@]}" --token-out "$T/alice.gms.tok" >/dev/null 2>&1 ||
    die "member A"
"$MCGK" gms member add $GB $ALICE "${G[@]}" >/dev/null 2>&1 || die "member B"
"$MCGK" gms serve "${G[@]}" --sip 127.0.0.1:0 --https 127.0.0.1:0 --tls-cert "$T/tls.crt" \
    --tls-key "$T/tls.key" --port-file "$T/gms.port" --t1-ms 50 --retry-base-ms 200 \
    --retry-cap-ms 1000 2>>"$T/gms.log" &
PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$T/gms.port" ] && break; sleep 0.1; done
[ -s "$T/gms.port" ] || die "gms serve did not start: $(tail -5 "$T/gms.log")"
GMS_SIP="sip:127.0.0.1:$(awk '/^sip/{print $2}' "$T/gms.port")"
GMS_URL="https://127.0.0.1:$(awk '/^https/{print $2}' "$T/gms.port")"

A="$T/c-alice"
CLIENT_PID=
# PULL: the pull options of the next start. The crash starts run without them:
# a periodic pull at start commits too, and would fire the crash hook before the
# client has even registered (the crash under test is the NOTIFY's).
PULL=(--pull-interval 1)
start_client() { # [env...]
    local before=0
    [ -f "$A.log" ] && before=$(grep -c 'event=registered' "$A.log")
    env "$@" "$MCGK" client run --user $ALICE --kms "$KMS_URL" --token "$T/alice.tok" \
        --cacert "$T/tls.crt" --gms $GMS --gms-sip "$GMS_SIP" --gms-url "$GMS_URL" \
        --gms-token "$T/alice.gms.tok" "${PULL[@]}" --listen 127.0.0.1:0 --t1-ms 50 \
        --data-dir "$A" --workers 2 >>"$A.out" 2>>"$A.log" &
    CLIENT_PID=$!
    PIDS+=("$CLIENT_PID")
    for _ in $(seq 1 300); do
        [ "$(grep -c 'event=registered' "$A.log" 2>/dev/null)" -gt "$before" ] && return 0
        sleep 0.1
    done
    die "client did not register in 30 s: $(tail -5 "$A.log")"
}
stop_client() {
    kill -TERM "$CLIENT_PID" 2>/dev/null
    { wait "$CLIENT_PID"; } 2>/dev/null
    local rc=$?
    local keep=()
    for p in "${PIDS[@]}"; do [ "$p" != "$CLIENT_PID" ] && keep+=("$p"); done
    PIDS=("${keep[@]+"${keep[@]}"}")
    return $rc
}
keys() { "$MCGK" client keys --data-dir "$A" "$@" 2>&1; }
rotate() { # out [options]
    local out=$1
    shift
    "$MCGK" gms gmk rotate "${G[@]}" "$@" >"$out" 2>"$out.err"
}
key_of() { sed -n 's/^key_id = \([0-9a-f]*\) (media)/\1/p' "$1"; }
wait_keys() { # pattern [keys options] -> 0 when keys output matches within 20 s
    local pat=$1
    shift
    for _ in $(seq 1 100); do
        keys "$@" | grep -q -- "$pat" && return 0
        sleep 0.2
    done
    return 1
}
member_status() { # job
    "$MCGK" gms status --job "$1" --member $ALICE "${G[@]}" 2>/dev/null | awk 'NR>1'
}

start_client

# R-001-23: the GMK with the latest activation time is used; a pending one waits
test_R_001_23_activation_with_real_gms() {
    local now
    now=$(date +%s)
    rotate "$T/r1" --groups $GA --activate-at $((now - 60)) --wait --timeout 30 ||
        { bad "$FUNCNAME" "rotate 1: $(cat "$T/r1.err")"; return; }
    rotate "$T/r2" --groups $GA --activate-at $((now - 30)) --wait --timeout 30 ||
        { bad "$FUNCNAME" "rotate 2"; return; }
    rotate "$T/r3" --groups $GA --activate-at $((now + 3600)) --wait --timeout 30 ||
        { bad "$FUNCNAME" "rotate 3"; return; }
    K1=$(key_of "$T/r1")
    K2=$(key_of "$T/r2")
    K3=$(key_of "$T/r3")
    keys | grep -q "^group identity=\"$ALICE\" group=\"$GA\" state=member .* media=$K2 " ||
        { bad "$FUNCNAME" "current: $(keys | grep '^group')"; return; }
    keys | grep "gmk_id=$K3 " | grep -q "status=pending" || { bad "$FUNCNAME" "K3 not pending"; return; }
    keys --at $((now + 3700)) | grep -q "group=\"$GA\" .* media=$K3 " ||
        { bad "$FUNCNAME" "K3 does not take over"; return; }
    ok "$FUNCNAME"
}

# R-000-23: equal activation times: the GMK of the later I_MESSAGE
test_R_000_23_latest_message_with_real_gms() {
    local at
    at=$(($(date +%s) - 10))
    rotate "$T/r4" --groups $GB --activate-at $at --wait --timeout 30 || { bad "$FUNCNAME" "rotate"; return; }
    sleep 1
    rotate "$T/r5" --groups $GB --activate-at $at --wait --timeout 30 || { bad "$FUNCNAME" "rotate"; return; }
    keys | grep -q "group=\"$GB\" .* media=$(key_of "$T/r5") " && ok "$FUNCNAME" ||
        bad "$FUNCNAME" "$(keys | grep "group=\"$GB\"")"
}

# kill -9 while storing: old state intact; after the restart the GMS's retry lands
test_kill_while_storing_with_real_gms() {
    stop_client || { bad "$FUNCNAME" "stop"; return; }
    local before
    before=$(keys | sort)
    PULL=()
    start_client MCGK_TEST_CRASH=client-commit
    PULL=(--pull-interval 1)
    local pid=$CLIENT_PID
    rotate "$T/r6" --groups $GA --text "after the crash" || { bad "$FUNCNAME" "rotate"; return; }
    local k
    k=$(key_of "$T/r6")
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    { wait "$pid"; } 2>/dev/null
    local rc=$?
    [ $rc -eq 137 ] || { bad "$FUNCNAME" "client exit $rc, want SIGKILL"; return; }
    [ "$(keys | sort)" = "$before" ] || { bad "$FUNCNAME" "state changed by the crash"; return; }
    start_client
    wait_keys "gmk_id=$k " || { bad "$FUNCNAME" "not stored after the restart"; return; }
    local j
    j=$(sed -n 's/^job = //p' "$T/r6")
    for _ in $(seq 1 100); do member_status "$j" | grep -q confirmed && break; sleep 0.2; done
    member_status "$j" | grep -q confirmed || { bad "$FUNCNAME" "GMS: $(member_status "$j")"; return; }
    [ "$(keys | grep -c "gmk_id=$k ")" = 1 ] || { bad "$FUNCNAME" "copies"; return; }
    ok "$FUNCNAME"
}

# kill -9 after COMMIT, before the 200: the retry is answered 200; one copy
test_kill_before_answer_with_real_gms() {
    stop_client
    PULL=()
    start_client MCGK_TEST_CRASH=client-reply
    PULL=(--pull-interval 1)
    local pid=$CLIENT_PID
    rotate "$T/r7" --groups $GB || { bad "$FUNCNAME" "rotate"; return; }
    local k j
    k=$(key_of "$T/r7")
    j=$(sed -n 's/^job = //p' "$T/r7")
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    { wait "$pid"; } 2>/dev/null
    keys | grep -q "gmk_id=$k " || { bad "$FUNCNAME" "committed GMK lost"; return; }
    start_client
    for _ in $(seq 1 100); do member_status "$j" | grep -q confirmed && break; sleep 0.2; done
    member_status "$j" | grep -q confirmed || { bad "$FUNCNAME" "GMS: $(member_status "$j")"; return; }
    [ "$(keys | grep -c "gmk_id=$k ")" = 1 ] && ok "$FUNCNAME" || bad "$FUNCNAME" "copies"
}

# R-003-27..32: a GMK distributed only by pull reaches the client's periodic pull
test_R_003_27_R_003_32_pull_with_real_gms() {
    # the GMS serves a group's newest GMKs (by activation): make this one the newest
    rotate "$T/r8" --groups $GB --pull --activate-at "$(date +%s)" || { bad "$FUNCNAME" "rotate"; return; }
    local k j
    k=$(key_of "$T/r8")
    j=$(sed -n 's/^job = //p' "$T/r8")
    wait_keys "gmk_id=$k " || { bad "$FUNCNAME" "not pulled"; return; }
    for _ in $(seq 1 100); do member_status "$j" | grep -q confirmed && break; sleep 0.2; done
    member_status "$j" | grep -q confirmed && grep -q "event=result-sent .*result=200" "$A.log" &&
        ok "$FUNCNAME" || bad "$FUNCNAME" "GMS: $(member_status "$j")"
}

# R-001-33: removed from B: B's own GMKs go, a GMK shared with A stays
test_R_001_33_removal_with_real_gms() {
    rotate "$T/r9" --groups $GA,$GB --wait --timeout 30 || { bad "$FUNCNAME" "rotate shared"; return; }
    local shared only_b
    shared=$(key_of "$T/r9")
    only_b=$(key_of "$T/r7")
    keys | grep -q "gmk_id=$only_b " || { bad "$FUNCNAME" "precondition"; return; }
    "$MCGK" gms member remove $GB $ALICE "${G[@]}" --wait --timeout 30 >"$T/rm.out" 2>&1
    wait_keys "group=\"$GB\" state=removed" || { bad "$FUNCNAME" "not told: $(keys | grep '^group')"; return; }
    keys | grep -q "gmk_id=$only_b " && { bad "$FUNCNAME" "B's GMK kept"; return; }
    keys | grep -q "gmk_id=$shared " || { bad "$FUNCNAME" "shared GMK deleted"; return; }
    grep -q "gmk_id=$only_b .*action=deleted" "$A.log" && ok "$FUNCNAME" || bad "$FUNCNAME" "log"
}

test_clean_stop() {
    stop_client && ok "$FUNCNAME" || bad "$FUNCNAME" "exit status"
    grep -qiE "[0-9a-f]{32}" "$A.log" && bad "no key-like hex in the client log" "found" ||
        ok "no key-like hex in the client log"
}

# a stopped client unregisters (REGISTER Expires: 0): the GMS does not send into the
# void, it waits for the member (not-registered, never given up on)
test_unregister_on_stop() {
    grep -q "event=unregistered identities=1 answered=1" "$A.log" ||
        { bad "$FUNCNAME" "no unregistration: $(tail -3 "$A.log")"; return; }
    rotate "$T/r10" --groups $GA || { bad "$FUNCNAME" "rotate"; return; }
    local j
    j=$(sed -n 's/^job = //p' "$T/r10")
    for _ in $(seq 1 50); do member_status "$j" | grep -q "pending .*not-registered" && break; sleep 0.2; done
    member_status "$j" | grep -q "pending .*not-registered" && ok "$FUNCNAME" ||
        bad "$FUNCNAME" "GMS: $(member_status "$j")"
}

test_R_001_23_activation_with_real_gms
test_R_000_23_latest_message_with_real_gms
test_kill_while_storing_with_real_gms
test_kill_before_answer_with_real_gms
test_R_003_27_R_003_32_pull_with_real_gms
test_R_001_33_removal_with_real_gms
test_clean_stop
test_unregister_on_stop

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
