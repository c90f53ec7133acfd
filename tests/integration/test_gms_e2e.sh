#!/usr/bin/env bash
# End to end with real daemons on loopback: `mcgk kms serve`, `mcgk gms serve`, and
# `mcgk client run` processes (one with one identity, two with ten identities each,
# two misconfigured ones). What is checked is what the GMS does and records:
#   every member holds the GMK the GMS rotated (push), a GMK distributed by pull
#   is held and its result recorded (R-003-26..31), a wrong-signer / wrong-group
#   notification is refused by the client and the GMS shows the client's error
#   member by member (R-001-19/20, R-003-18/23), revocation by SIP (R-003-34/35),
#   removal (the member loses the key, the others get a new one: R-001-24/25/33),
#   a media + floor-control pair (R-004-13), one GMK for two groups (R-001-06/07).
# Usage: bash test_gms_e2e.sh path/to/mcgk
# No pipefail: checks are `producer | grep -q PAT`, and grep -q exits at the first
# match, so the producer may die of SIGPIPE; the check must be grep's verdict.
set -u

. "$(dirname "$0")/../../scripts/loopback.sh"
lb_init gms-e2e "$@"
check() {
    local name=$1
    shift
    if "$@" >"$T/check.out" 2>&1; then ok "$name"; else bad "$name" "$(tail -5 "$T/check.out")"; fi
}

KMS_URI=kms.example.org
GMS=sip:gms@example.org
EVIL=sip:evil-gms@example.org
GA=sip:group-a@example.org
GB=sip:group-b@example.org
D=example.org
N=20

lb_tls_cert

# ---- KMS ---------------------------------------------------------------------------------
K=(--data-dir "$T/kms")
lb_kms_init $KMS_URI
"$MCGK" kms user add $GMS --role gms "${K[@]}" --token-out "$T/gms.tok" >/dev/null 2>&1 || die "user gms"
mkdir -m 700 "$T/tok"
for u in alice mallory grace; do
    "$MCGK" kms user add sip:$u@$D "${K[@]}" --token-out "$T/tok/$u.tok" >/dev/null 2>&1 || die "user $u"
done
for i in $(seq 1 $N); do
    "$MCGK" kms user add sip:u$i@$D "${K[@]}" --token-out "$T/tok/$i.tok" >/dev/null 2>&1 || die "user u$i"
done
lb_kms_serve

# ---- GMS ---------------------------------------------------------------------------------
G=(--data-dir "$T/gms")
lb_gms_init $GMS
"$MCGK" gms group create $GA --name "Crew A" --rekey-on-removal "${G[@]}" >/dev/null 2>&1 || die "group A"
"$MCGK" gms group create $GB --name "Crew B" "${G[@]}" >/dev/null 2>&1 || die "group B"
for u in alice mallory grace; do
    "$MCGK" gms member add $GA sip:$u@$D "${G[@]}" --token-out "$T/tok/$u.gms.tok" >/dev/null 2>&1 || die "member $u"
done
"$MCGK" gms member add $GB sip:alice@$D "${G[@]}" >/dev/null 2>&1 || die "member alice B"
"$MCGK" gms member add $GA --range "sip:u%d@$D:1-$N" --token-dir "$T/tok" "${G[@]}" >"$T/bulk.out" 2>&1 ||
    die "bulk add: $(cat "$T/bulk.out")"
check "bulk add: $N members, tokens in DIR/N.gms.tok" bash -c "grep -q 'added = $N' '$T/bulk.out' && [ -s '$T/tok/$N.gms.tok' ]"

rm -f "$T/gms.port"
"$MCGK" gms serve "${G[@]}" --sip 127.0.0.1:0 --https 127.0.0.1:0 --tls-cert "$T/tls.crt" \
    --tls-key "$T/tls.key" --port-file "$T/gms.port" --retry-base-ms 200 --retry-cap-ms 2000 \
    --log-level debug 2>>"$T/gms.log" &
GMS_PID=$!
PIDS+=("$GMS_PID")
for _ in $(seq 1 100); do [ -s "$T/gms.port" ] && break; sleep 0.1; done
[ -s "$T/gms.port" ] || die "gms serve did not start: $(tail -5 "$T/gms.log")"
GMS_SIP="sip:127.0.0.1:$(awk '/^sip/{print $2}' "$T/gms.port")"
GMS_URL="https://127.0.0.1:$(awk '/^https/{print $2}' "$T/gms.port")"

# ---- clients -------------------------------------------------------------------------------
C=(--kms "$KMS_URL" --cacert "$T/tls.crt" --gms-sip "$GMS_SIP" --gms-url "$GMS_URL" --listen 127.0.0.1:0 --workers 2)
start_client() { # name [client run options...]
    local name=$1
    shift
    "$MCGK" client run "${C[@]}" --data-dir "$T/c-$name" --port-file "$T/c-$name.port" "$@" \
        >>"$T/c-$name.out" 2>>"$T/c-$name.log" &
    PIDS+=($!)
}
start_client alice --user sip:alice@$D --token "$T/tok/alice.tok" --gms-token "$T/tok/alice.gms.tok" \
    --gms $GMS --group "$GA=$GMS,$GB=$GMS" --pull-interval 1
start_client r1 --user-range "sip:u%d@$D:1-10" --token-dir "$T/tok" --gms $GMS --group "$GA=$GMS"
start_client r2 --user-range "sip:u%d@$D:11-$N" --token-dir "$T/tok" --gms $GMS --group "$GA=$GMS"
# mallory trusts another GMS only (a wrong signer); grace's profile gives group A to another GMS
start_client mallory --user sip:mallory@$D --token "$T/tok/mallory.tok" --gms $EVIL --group "$GA=$EVIL"
start_client grace --user sip:grace@$D --token "$T/tok/grace.tok" --gms $GMS --group "$GA=$EVIL"
# every identity registered?
for _ in $(seq 1 300); do
    n=$(cat "$T"/c-*.log 2>/dev/null | grep -c 'event=registered')
    [ "$n" -ge $((N + 3)) ] && break
    sleep 0.1
done
check "every client identity registered with the GMS ($((N + 3)))" test "$n" -ge $((N + 3))

job_of() { sed -n 's/^job = //p' "$1"; }
holds() { # client identity gmk_id
    "$MCGK" client keys --data-dir "$T/c-$1" --identity "$2" 2>/dev/null | grep -q "gmk_id=$3"
}
status_line() { "$MCGK" gms status --job "$1" --member "$2" "${G[@]}" | awk 'NR>1'; }

# ---- push ----------------------------------------------------------------------------------
"$MCGK" gms gmk rotate --groups $GA --text "crew A" "${G[@]}" --wait --timeout 60 >"$T/r1.out" 2>"$T/r1.err"
J1=$(job_of "$T/r1.out")
K1=$(sed -n 's/^key_id = \([0-9a-f]*\) (media)/\1/p' "$T/r1.out")
check "rotate: $N + 1 members confirmed" grep -q "confirmed $((N + 1)) failed 2 " "$T/r1.err"
ALL=1
for i in $(seq 1 $N); do
    c=r1
    [ "$i" -gt 10 ] && c=r2
    holds $c sip:u$i@$D "$K1" || { ALL=0; echo "u$i lacks $K1"; }
done
holds alice sip:alice@$D "$K1" || ALL=0
check "every member holds the rotated GMK $K1 (client keys)" test $ALL = 1
check "R-001-19/R-003-18: a wrong-signer notification is refused; the GMS shows the client's error" \
    bash -c "grep -q 'failed sip:mallory@$D .*status 403 .*not-authorised' '$T/r1.err'"
check "R-001-19: a wrong-group notification is refused; the GMS shows it member by member" \
    bash -c "'$MCGK' gms status --failed --data-dir '$T/gms' | grep -q 'sip:grace@$D .*failed .*403 .*not-authorised'"
check "the refusing clients hold nothing" bash -c "! '$MCGK' client keys --data-dir '$T/c-mallory' | grep -q $K1"

# ---- pull ----------------------------------------------------------------------------------
"$MCGK" gms gmk rotate --groups $GB --pull --text "crew B by pull" "${G[@]}" >"$T/r2.out" 2>&1
J2=$(job_of "$T/r2.out")
K2=$(sed -n 's/^key_id = \([0-9a-f]*\) (media)/\1/p' "$T/r2.out")
for _ in $(seq 1 100); do status_line "$J2" sip:alice@$D | grep -q confirmed && break; sleep 0.2; done
check "R-003-26/R-003-28/R-003-29/R-003-31: a GMK distributed by pull: alice pulled, validated and posted 200" \
    bash -c "'$MCGK' gms status --job $J2 --member sip:alice@$D --data-dir '$T/gms' | grep -q confirmed"
check "alice holds the pulled GMK $K2" holds alice sip:alice@$D "$K2"

# ---- one GMK for two groups, and a media + floor-control pair --------------------------------
"$MCGK" gms gmk rotate --groups $GA,$GB --floor-control "${G[@]}" --wait --timeout 60 >"$T/r3.out" 2>"$T/r3.err"
K3=$(sed -n 's/^key_id = \([0-9a-f]*\) (media)/\1/p' "$T/r3.out")
K3F=$(sed -n 's/^key_id = \([0-9a-f]*\) (floor-control)/\1/p' "$T/r3.out")
check "R-004-13: the pair arrived in one procedure (alice holds both)" \
    bash -c "'$MCGK' client keys --data-dir '$T/c-alice' | grep -q 'gmk_id=$K3F .*use=floor-control'"
check "R-001-06/07: alice's GMK serves both groups" \
    bash -c "'$MCGK' client keys --data-dir '$T/c-alice' | grep 'gmk_id=$K3 ' | grep -q 'groups=.*group-a.*group-b\|groups=.*group-b.*group-a'"
check "u1's copy lists only the group it is in" \
    bash -c "'$MCGK' client keys --data-dir '$T/c-r1' --identity sip:u1@$D | grep 'gmk_id=$K3 ' | grep -q 'groups=.$GA. '"

# ---- revocation ----------------------------------------------------------------------------
"$MCGK" gms gmk revoke "$K1" "${G[@]}" --wait --timeout 60 >"$T/rv.out" 2>"$T/rv.err"
check "R-003-34/35: revocation pushed and confirmed by every member" grep -q "confirmed $((N + 1)) failed 2 " "$T/rv.err"
check "alice marks $K1 revoked" bash -c "'$MCGK' client keys --data-dir '$T/c-alice' | grep 'gmk_id=$K1 ' | grep -q status=revoked"

# ---- removal -------------------------------------------------------------------------------
"$MCGK" gms member remove $GA sip:u1@$D "${G[@]}" --wait --timeout 60 >"$T/rm.out" 2>"$T/rm.err"
JK=$(sed -n 's/^rekey_job = //p' "$T/rm.out")
K4=$(sed -n 's/^key_id = \([0-9a-f]*\) (media)/\1/p' "$T/rm.out")
JN=$(sed -n 's/^notice_job = //p' "$T/rm.out")
for _ in $(seq 1 100); do status_line "$JN" sip:u1@$D | grep -q confirmed && break; sleep 0.2; done
check "R-001-25: u1 was told (notice confirmed)" bash -c "'$MCGK' gms status --job $JN --data-dir '$T/gms' | grep -q 'sip:u1@$D .*confirmed'"
check "R-001-33: u1 lost the group's GMKs" bash -c "! '$MCGK' client keys --data-dir '$T/c-r1' --identity sip:u1@$D | grep -q 'gmk_id=$K3 '"
check "R-001-24: the others got the new GMK $K4" holds r1 sip:u2@$D "$K4"
check "... and u1 did not" bash -c "! '$MCGK' client keys --data-dir '$T/c-r1' --identity sip:u1@$D | grep -q 'gmk_id=$K4'"
check "alice keeps the pair's GMK for group B (R-001-33: still used by another group)" \
    bash -c "'$MCGK' client keys --data-dir '$T/c-alice' | grep -q 'gmk_id=$K3 '"

check "no key bytes or tokens in the GMS log" bash -c "! grep -qF \"\$(cat '$T/tok/alice.gms.tok')\" '$T/gms.log'"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
