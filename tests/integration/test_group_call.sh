#!/usr/bin/env bash
# A group call protected with SRTP under the GMK the clients hold, with real daemons on
# loopback: `mcgk kms serve`, `mcgk gms serve`, five `mcgk client run` (u1..u4 in group
# alpha, u5 only in bravo); a GMK distributed, u4 removed from alpha while its client is
# down (rekey on removal: u4 keeps only the old GMK), then a media + floor-control pair.
# Then `mcgk client listen` for every client and `mcgk client call` from members, on a
# multicast group on loopback (and once unicast):
#   - R-003-37: two callers at once, each under its own key (MKI = GMK-ID || its GUK-ID);
#     every member decrypts every packet of both;
#   - R-001-33 / R-001-24: the removed member (old GMK only) and a non-member decrypt
#     nothing, every packet counted as rejected (unknown-key-id);
#   - R-004-12 / R-004-13: floor control (RTCP APP "MCPT") under the floor-control GMK,
#     media under the media GMK;
#   - R-003-34: after the old GMK is revoked, the removed member's call under it is
#     refused by the members as revoked; tampered and replayed packets are counted as
#     srtp-auth and replay;
#   - R-002-09/19/20/23 (and R-002-10/15): off network, the caller broadcasts a signed
#     GSK message under the group's GMK; members extract the GSK and decrypt the media
#     under it, the removed member and the non-member cannot;
#   - no key bytes in any log.
# Usage: bash test_group_call.sh path/to/mcgk
set -u

. "$(dirname "$0")/../../scripts/loopback.sh"
lb_init group-call "$@"

if ! "$MCGK" gms serve --help >/dev/null 2>&1 || ! "$MCGK" client call --help >/dev/null 2>&1; then
    echo "skip: this mcgk has no 'gms serve' or 'client call'"
    exit 0
fi

KMS_URI=kms.example.org
GMS=sip:gms@example.org
GA=sip:alpha@example.org
GB=sip:bravo@example.org
user() { echo "sip:u$1@example.org"; }
lb_multicast_media

# ---- KMS, GMS, clients -------------------------------------------------------------------
lb_tls_cert
lb_kms_init $KMS_URI
lb_kms_user $GMS "$T/gms.tok" gms
mkdir -m 700 "$T/tokens"
for i in 1 2 3 4 5; do
    lb_kms_user "$(user $i)" "$T/tokens/$i.tok"
done
lb_kms_serve

G=(--data-dir "$T/gms" --log-level warn)
lb_gms_init $GMS
"$MCGK" gms group create $GA --name Alpha --rekey-on-removal "${G[@]}" >/dev/null || die "alpha"
"$MCGK" gms group create $GB --name Bravo "${G[@]}" >/dev/null || die "bravo"
"$MCGK" gms member add $GA --range "sip:u%d@example.org:1-4" --token-dir "$T/tokens" \
    "${G[@]}" >/dev/null || die "members alpha"
"$MCGK" gms member add $GB "$(user 5)" "${G[@]}" >/dev/null || die "member bravo"
"$MCGK" gms serve "${G[@]}" --sip 127.0.0.1:0 --https 127.0.0.1:0 --tls-cert "$T/tls.crt" \
    --tls-key "$T/tls.key" --port-file "$T/gms.port" --t1-ms 50 --retry-base-ms 200 \
    --retry-cap-ms 1000 2>>"$T/gms.log" &
PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$T/gms.port" ] && break; sleep 0.1; done
[ -s "$T/gms.port" ] || die "gms serve did not start: $(tail -5 "$T/gms.log")"
GMS_SIP="sip:127.0.0.1:$(awk '/^sip/{print $2}' "$T/gms.port")"

declare -A CPID
start_client() { # i
    local i=$1
    "$MCGK" client run --user "$(user "$i")" --kms "$KMS_URL" --token "$T/tokens/$i.tok" \
        --cacert "$T/tls.crt" --gms $GMS --gms-sip "$GMS_SIP" --listen 127.0.0.1:0 --t1-ms 50 \
        --workers 1 --receiver-cache 2 --data-dir "$T/c$i" >>"$T/c$i.out" 2>>"$T/c$i.log" &
    CPID[$i]=$!
    PIDS+=($!)
}
for i in 1 2 3 4 5; do start_client $i; done
for i in 1 2 3 4 5; do
    for _ in $(seq 1 300); do grep -q 'event=registered' "$T/c$i.log" 2>/dev/null && break; sleep 0.1; done
    grep -q 'event=registered' "$T/c$i.log" || die "client u$i did not register: $(tail -3 "$T/c$i.log")"
done

rotate() { # out [options]
    local out=$1
    shift
    "$MCGK" gms gmk rotate "${G[@]}" "$@" --wait --timeout 60 >"$out" 2>"$out.err" ||
        die "gmk rotate $*: $(tail -3 "$out.err")"
}
key_of() { sed -n "s/^key_id = \([0-9a-f]*\) ($2)/\1/p" "$1"; }
guk_of() { # i gmk-id -> the GUK-ID client i holds for that GMK
    "$MCGK" client keys --data-dir "$T/c$1" 2>/dev/null |
        sed -n "s/^gmk .* gmk_id=$2 guk_id=\([0-9a-f]*\) .*/\1/p"
}

rotate "$T/r1" --groups $GA --text "alpha 1"
K1=$(key_of "$T/r1" media)
rotate "$T/r2" --groups $GB --text "bravo 1"
KB=$(key_of "$T/r2" media)
# u4's client is down when it is removed: it keeps the old GMK (as a device that ignores
# the removal would); the rekey on removal goes to u1..u3 only
kill -TERM "${CPID[4]}" && wait "${CPID[4]}" 2>/dev/null
"$MCGK" gms member remove $GA "$(user 4)" "${G[@]}" --wait --timeout 60 >"$T/rm" 2>"$T/rm.err" ||
    die "member remove: $(tail -3 "$T/rm.err")"
K2=$(sed -n 's/^key_id = \([0-9a-f]*\).*/\1/p' "$T/rm")
[ -n "$K2" ] || die "no rekey on removal: $(cat "$T/rm")"
# R-004-13: a media + floor-control pair in one procedure, for the members left
rotate "$T/r3" --groups $GA --floor-control --text "alpha call"
K3=$(key_of "$T/r3" media)
F3=$(key_of "$T/r3" floor-control)
[ -n "$K3" ] && [ -n "$F3" ] || die "rotation: $(cat "$T/r3")"
for i in 1 2 3; do
    "$MCGK" client keys --data-dir "$T/c$i" 2>/dev/null |
        grep -q "group=\"$GA\" state=member .* media=$K3 floor_control=$F3" ||
        die "u$i does not use $K3/$F3: $("$MCGK" client keys --data-dir "$T/c$i")"
done
"$MCGK" client keys --data-dir "$T/c4" 2>/dev/null | grep -q "gmk_id=$K1 " || die "u4 lost $K1"

# ---- calls ----------------------------------------------------------------------------------
# listen NAME i [options]: a listener in the background; waits until it is ready
LPIDS=()
listen() {
    local name=$1 i=$2
    shift 2
    "$MCGK" client listen $GA --identity "$(user "$i")" --data-dir "$T/c$i" --media "$MEDIA" \
        --seconds 30 --idle-ms 1500 "$@" >"$T/$name.out" 2>"$T/$name.err" &
    LPIDS+=($!)
    for _ in $(seq 1 100); do grep -q 'event=listening' "$T/$name.err" 2>/dev/null && return; sleep 0.05; done
    die "listener $name did not start: $(cat "$T/$name.err")"
}
wait_listeners() {
    local rc
    for p in "${LPIDS[@]}"; do
        wait "$p"
        rc=$?
        [ $rc -eq 0 ] || bad "listener exit status" "$rc"
    done
    LPIDS=()
}
call() { # name i [options] -> its stderr in $T/name.err
    local name=$1 i=$2
    shift 2
    "$MCGK" client call $GA --identity "$(user "$i")" --data-dir "$T/c$i" --media "$MEDIA" \
        --seconds 1 "$@" 2>"$T/$name.err"
}
val() { sed -n "s/^$2 = //p" "$T/$1.out"; }          # name field
field() { sed -n "s/.*event=call-done.* $2=\([^ ]*\).*/\1/p" "$T/$1.err"; }
expect() { # test name field want
    local got
    got=$(val "$2" "$3")
    [ "$got" = "$4" ] || { bad "$1" "$2: $3 = '$got', want '$4' // $(tr '\n' ' ' <"$T/$2.out")"; return 1; }
}

# run 1: u1 (with floor control) and u2 talk at once; everybody listens
for i in 1 2 3 4 5; do listen "l1-$i" $i; done
call a1 1 --floor &
CA=$!
call a2 2
wait $CA || die "call u1: $(cat "$T/a1.err")"
wait_listeners
grep -q "event=call-done" "$T/a2.err" || die "call u2: $(cat "$T/a2.err")"
SSRC1=$(field a1 ssrc)
SSRC2=$(field a2 ssrc)

# R-003-37: each sender under its own key; every member decrypts both
test_R_003_37_two_senders_every_member_decrypts() {
    local t=$FUNCNAME g1 g2
    g1=$(guk_of 1 "$K3")
    g2=$(guk_of 2 "$K3")
    [ -n "$g1" ] && [ "$g1" != "$g2" ] || { bad $t "GUK-IDs '$g1' '$g2'"; return; }
    [ "$(field a1 gmk_id)" = "$K3" ] && [ "$(field a1 guk_id)" = "$g1" ] &&
        [ "$(field a2 guk_id)" = "$g2" ] && [ "$(field a1 packets)" = 50 ] ||
        { bad $t "callers: $(cat "$T/a1.err" "$T/a2.err")"; return; }
    for i in 1 2 3; do
        expect $t "l1-$i" received 100 && expect $t "l1-$i" decrypted 100 &&
            expect $t "l1-$i" rejected 0 || return
        grep -q "^sender ssrc=$SSRC1 key=gmk key_id=$K3 guk_id=$g1 received=50 decrypted=50 rejected=0 " "$T/l1-$i.out" &&
            grep -q "^sender ssrc=$SSRC2 key=gmk key_id=$K3 guk_id=$g2 received=50 decrypted=50 rejected=0 " "$T/l1-$i.out" ||
            { bad $t "u$i senders: $(grep ^sender "$T/l1-$i.out")"; return; }
    done
    ok $t
}

# R-001-33, R-001-24: the removed member (holds only the old GMK) and a non-member (holds
# bravo's) decrypt nothing; every packet is counted as rejected
test_R_001_33_removed_member_and_non_member_decrypt_nothing() {
    local t=$FUNCNAME
    for i in 4 5; do
        expect $t "l1-$i" received 100 && expect $t "l1-$i" decrypted 0 &&
            expect $t "l1-$i" rejected 100 && expect $t "l1-$i" rejected.unknown-key-id 100 &&
            expect $t "l1-$i" rtcp.decrypted 0 && expect $t "l1-$i" rtcp.rejected 2 || return
    done
    "$MCGK" client keys --data-dir "$T/c5" 2>/dev/null | grep -q "gmk_id=$KB " ||
        { bad $t "u5 holds no bravo key: the non-member case is void"; return; }
    ok $t
}

# R-004-12, R-004-13: floor control under the floor-control GMK, media under the media GMK
test_R_004_12_R_004_13_floor_control_under_second_gmk() {
    local t=$FUNCNAME
    [ "$K3" != "$F3" ] || { bad $t "one GMK-ID"; return; }
    [ "$(field a1 floor_gmk_id)" = "$F3" ] && [ "$(field a1 rtcp)" = 2 ] ||
        { bad $t "caller: $(cat "$T/a1.err")"; return; }
    for i in 1 2 3; do
        expect $t "l1-$i" rtcp.decrypted 2 && expect $t "l1-$i" floor.request 1 &&
            expect $t "l1-$i" floor.release 1 || return
        grep -q "^sender ssrc=$SSRC1 key=gmk key_id=$K3 .* rtcp_key_id=$F3 rtcp_received=2 rtcp_decrypted=2" "$T/l1-$i.out" ||
            { bad $t "u$i: $(grep ^sender "$T/l1-$i.out")"; return; }
    done
    ok $t
}

# R-003-34: the old GMK revoked; the removed member, whose client never heard of the removal
# or the revocation, talks under it: members refuse every packet as revoked. Meanwhile u2
# sends 3 tampered and 2 repeated packets: srtp-auth and replay.
test_R_003_34_revoked_gmk_refused_tamper_replay_counted() {
    local t=$FUNCNAME
    "$MCGK" gms gmk revoke "$K1" "${G[@]}" --wait --timeout 60 >"$T/rv" 2>&1 ||
        { bad $t "revoke: $(cat "$T/rv")"; return; }
    for i in 1 2 3; do
        for _ in $(seq 1 50); do
            "$MCGK" client keys --data-dir "$T/c$i" 2>/dev/null | grep -q "gmk_id=$K1 .*status=revoked" && break
            sleep 0.1
        done
    done
    for i in 1 3; do listen "l2-$i" $i; done
    call b4 4 &
    local c4=$!
    call b2 2 --tamper 3 --duplicate 2
    wait $c4
    wait_listeners
    [ "$(field b4 gmk_id)" = "$K1" ] || { bad $t "u4 did not use $K1: $(cat "$T/b4.err")"; return; }
    for i in 1 3; do
        # 50 from u4 (revoked) + 52 from u2: 47 decrypted, 3 srtp-auth, 2 replay
        expect $t "l2-$i" received 102 && expect $t "l2-$i" decrypted 47 &&
            expect $t "l2-$i" rejected.revoked 50 && expect $t "l2-$i" rejected.srtp-auth 3 &&
            expect $t "l2-$i" rejected.replay 2 || return
    done
    ok $t
}

# R-002-09, R-002-19, R-002-20, R-002-23 (R-002-10, R-002-15: signed): off network u3
# broadcasts a signed GSK message under the group's GMK in the session announcement and
# talks under the GSK; members extract the GSK and decrypt; the removed member and the
# non-member find no GMK for the key identifier and decrypt nothing
test_R_002_19_R_002_23_gsk_broadcast() {
    local t=$FUNCNAME
    for i in 1 2 4 5; do listen "l3-$i" $i --require-signature; done
    call g3 3 --gsk --sign --floor || { bad $t "call: $(cat "$T/g3.err")"; return; }
    wait_listeners
    local gid
    gid=$(field g3 gsk_id)
    [ -n "$gid" ] && [ "$gid" != - ] && [ "$(field g3 announcements)" = 3 ] ||
        { bad $t "caller: $(cat "$T/g3.err")"; return; }
    for i in 1 2; do
        expect $t "l3-$i" gsk.accepted 1 && expect $t "l3-$i" gsk.duplicate 2 &&
            expect $t "l3-$i" decrypted 50 && expect $t "l3-$i" rejected 0 &&
            expect $t "l3-$i" rtcp.decrypted 2 || return
        grep -q "^sender ssrc=.* key=gsk key_id=$gid guk_id=$gid received=50 decrypted=50 .* rtcp_key_id=$F3 " "$T/l3-$i.out" ||
            { bad $t "u$i: $(grep ^sender "$T/l3-$i.out")"; return; }
        grep -q "event=gsk gsk_id=$gid gmk_id=$K3 initiator=\"$(user 3)\" signed=yes" "$T/l3-$i.err" ||
            { bad $t "u$i log: $(cat "$T/l3-$i.err")"; return; }
    done
    for i in 4 5; do
        expect $t "l3-$i" gsk.accepted 0 && expect $t "l3-$i" gsk.rejected.unknown-key-id 3 &&
            expect $t "l3-$i" decrypted 0 && expect $t "l3-$i" rejected.unknown-key-id 50 || return
    done
    ok $t
}

# unicast: a listener bound to a port, a caller sending to it; --packets stops it
test_unicast_and_packet_count() {
    local t=$FUNCNAME port=$((${MEDIA##*:} + 1))
    "$MCGK" client listen $GA --identity "$(user 1)" --data-dir "$T/c1" --media "127.0.0.1:$port" \
        --seconds 20 --packets 50 --json >"$T/u.out" 2>"$T/u.err" &
    local lp=$!
    for _ in $(seq 1 100); do grep -q 'event=listening' "$T/u.err" 2>/dev/null && break; sleep 0.05; done
    "$MCGK" client call $GA --identity "$(user 2)" --data-dir "$T/c2" --media "127.0.0.1:$port" \
        --seconds 1 2>"$T/u-call.err" || { bad $t "call: $(cat "$T/u-call.err")"; return; }
    wait $lp || { bad $t "listener: $(cat "$T/u.err")"; return; }
    grep -q '"received": 50, "decrypted": 50, "rejected": 0' "$T/u.out" ||
        { bad $t "$(cat "$T/u.out")"; return; }
    if command -v jq >/dev/null 2>&1; then
        [ "$(jq -r '.senders[0].key_id' "$T/u.out")" = "$K3" ] || { bad $t "json: $(cat "$T/u.out")"; return; }
    fi
    ok $t
}

# R-003-34 while listening: a listener that has cached a sender's key under K3 reloads the
# store each second; once K3 is revoked it drops that key, and the same sender (its client
# down, so it never heard of the revocation) talking under K3 again is refused as revoked
test_R_003_34_revocation_reaches_a_running_listener() {
    local t=$FUNCNAME
    kill -TERM "${CPID[2]}" && wait "${CPID[2]}" 2>/dev/null
    "$MCGK" client listen $GA --identity "$(user 3)" --data-dir "$T/c3" --media "$MEDIA" \
        --seconds 40 --idle-ms 0 --packets 100 >"$T/l4.out" 2>"$T/l4.err" &
    local lp=$!
    for _ in $(seq 1 100); do grep -q 'event=listening' "$T/l4.err" 2>/dev/null && break; sleep 0.05; done
    call r1 2 || { bad $t "call 1: $(cat "$T/r1.err")"; return; }
    [ "$(field r1 gmk_id)" = "$K3" ] || { bad $t "call 1 not under $K3"; return; }
    "$MCGK" gms gmk revoke "$K3" "${G[@]}" >"$T/rv3" 2>&1 || { bad $t "revoke: $(cat "$T/rv3")"; return; }
    for _ in $(seq 1 150); do grep -q "event=key-dropped key_id=$K3" "$T/l4.err" && break; sleep 0.1; done
    grep -q "event=key-dropped key_id=$K3" "$T/l4.err" || { bad $t "not dropped: $(cat "$T/l4.err")"; return; }
    call r2 2 || { bad $t "call 2: $(cat "$T/r2.err")"; return; }
    [ "$(field r2 gmk_id)" = "$K3" ] || { bad $t "call 2 not under $K3"; return; }
    wait $lp
    expect $t l4 received 100 && expect $t l4 decrypted 50 && expect $t l4 rejected.revoked 50 &&
        expect $t l4 keys_dropped 1 || return
    ok $t
}

# not a member: no key to send under
test_non_member_cannot_call() {
    local t=$FUNCNAME out
    out=$(call n5 5; echo "rc=$?")
    grep -q "rc=1" <<<"$out" && grep -q "error: not-found" "$T/n5.err" && ok $t ||
        bad $t "$out $(cat "$T/n5.err")"
}

test_no_key_bytes_in_logs() {
    if cat "$T"/*.err "$T"/*.log | grep -qiE "[0-9a-f]{32}"; then
        bad "$FUNCNAME" "$(cat "$T"/*.err "$T"/*.log | grep -iE "[0-9a-f]{32}" | head -3)"
    else
        ok "$FUNCNAME"
    fi
}

test_R_003_37_two_senders_every_member_decrypts
test_R_001_33_removed_member_and_non_member_decrypt_nothing
test_R_004_12_R_004_13_floor_control_under_second_gmk
test_R_003_34_revoked_gmk_refused_tamper_replay_counted
test_R_002_19_R_002_23_gsk_broadcast
test_unicast_and_packet_count
test_R_003_34_revocation_reaches_a_running_listener
test_non_member_cannot_call
test_no_key_bytes_in_logs

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
