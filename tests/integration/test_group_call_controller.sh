#!/usr/bin/env bash
# A group call on network, through the group controller, with the real client: `mcgk kms
# serve`, `mcgk gms serve`, four `mcgk client run` (u1..u3 in group alpha, u4 only in bravo)
# for provisioning and GMK delivery; `mcgk controller serve --group alpha`; `mcgk client
# listen --controller` for u2, u3 and u4 (each registers its identity with the controller);
# `mcgk client call --controller` from u1 (the GSK message in the SDP offer of its INVITE):
#   - R-002-17: the caller gets 100 Trying, 183 and the 200 from the controller;
#   - R-002-18: every member's INVITE carries the caller's offer octet for octet;
#   - R-002-19: the members' answers (and the controller's) carry no key-mgmt;
#   - R-002-12, R-002-23: members extract the GSK under the group's GMK and decrypt all the
#     media under it; the non-member answers all the same but decrypts nothing.
# Usage: bash test_group_call_controller.sh path/to/mcgk
set -u

. "$(dirname "$0")/../../scripts/loopback.sh"
lb_init group-call-ctl "$@"

if ! "$MCGK" controller serve --help >/dev/null 2>&1 ||
    ! "$MCGK" client call --help 2>/dev/null | grep -q -- --controller; then
    echo "skip: this mcgk has no 'controller serve' or 'client call --controller'"
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
for i in 1 2 3 4; do
    lb_kms_user "$(user $i)" "$T/tokens/$i.tok"
done
lb_kms_serve

G=(--data-dir "$T/gms" --log-level warn)
lb_gms_init $GMS
"$MCGK" gms group create $GA --name Alpha "${G[@]}" >/dev/null || die "alpha"
"$MCGK" gms group create $GB --name Bravo "${G[@]}" >/dev/null || die "bravo"
"$MCGK" gms member add $GA --range "sip:u%d@example.org:1-3" --token-dir "$T/tokens" \
    "${G[@]}" >/dev/null || die "members alpha"
"$MCGK" gms member add $GB "$(user 4)" "${G[@]}" >/dev/null || die "member bravo"
"$MCGK" gms serve "${G[@]}" --sip 127.0.0.1:0 --https 127.0.0.1:0 --tls-cert "$T/tls.crt" \
    --tls-key "$T/tls.key" --port-file "$T/gms.port" --t1-ms 50 --retry-base-ms 200 \
    --retry-cap-ms 1000 2>>"$T/gms.log" &
PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$T/gms.port" ] && break; sleep 0.1; done
[ -s "$T/gms.port" ] || die "gms serve did not start: $(tail -5 "$T/gms.log")"
GMS_SIP="sip:127.0.0.1:$(awk '/^sip/{print $2}' "$T/gms.port")"

for i in 1 2 3 4; do
    "$MCGK" client run --user "$(user "$i")" --kms "$KMS_URL" --token "$T/tokens/$i.tok" \
        --cacert "$T/tls.crt" --gms $GMS --gms-sip "$GMS_SIP" --listen 127.0.0.1:0 --t1-ms 50 \
        --workers 1 --receiver-cache 2 --data-dir "$T/c$i" >>"$T/c$i.out" 2>>"$T/c$i.log" &
    PIDS+=($!)
done
for i in 1 2 3 4; do
    for _ in $(seq 1 300); do grep -q 'event=registered' "$T/c$i.log" 2>/dev/null && break; sleep 0.1; done
    grep -q 'event=registered' "$T/c$i.log" || die "client u$i did not register: $(tail -3 "$T/c$i.log")"
done
rotate() { # out [options]
    local out=$1
    shift
    "$MCGK" gms gmk rotate "${G[@]}" "$@" --wait --timeout 60 >"$out" 2>"$out.err" ||
        die "gmk rotate $*: $(tail -3 "$out.err")"
}
rotate "$T/r1" --groups $GA --text "alpha"
K1=$(sed -n 's/^key_id = \([0-9a-f]*\) (media)/\1/p' "$T/r1")
rotate "$T/r2" --groups $GB --text "bravo"
[ -n "$K1" ] || die "rotation: $(cat "$T/r1")"

# ---- the group controller ------------------------------------------------------------------
# answer policy all: the caller's 200 comes once every member has answered, so every member
# holds the GSK before the first media packet
"$MCGK" controller serve --group $GA --sip-listen 127.0.0.1:0 --port-file "$T/ctl.port" \
    --answer-policy all --answer-timeout-ms 5000 --t1-ms 100 --log-level debug \
    >"$T/ctl.out" 2>>"$T/ctl.log" &
PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$T/ctl.port" ] && break; sleep 0.05; done
[ -s "$T/ctl.port" ] || die "controller did not start: $(cat "$T/ctl.log")"
CTL="sip:127.0.0.1:$(head -1 "$T/ctl.port" | tr -dc 0-9)"

# ---- the call ------------------------------------------------------------------------------
LPIDS=()
for i in 2 3 4; do
    # u3 is not told the media address: it hears the call where the offer says
    where=(--media "$MEDIA")
    [ $i = 3 ] && where=()
    "$MCGK" client listen $GA --identity "$(user $i)" --data-dir "$T/c$i" "${where[@]}" \
        --controller "$CTL" --t1-ms 100 --offer-dir "$T/offers-$i" --seconds 30 --idle-ms 1500 \
        >"$T/l$i.out" 2>"$T/l$i.err" &
    LPIDS+=($!)
done
for i in 2 3 4; do
    for _ in $(seq 1 100); do grep -q 'event=listening' "$T/l$i.err" 2>/dev/null && break; sleep 0.05; done
    grep -q 'event=listening' "$T/l$i.err" || die "listener u$i did not start: $(cat "$T/l$i.err")"
    grep -q "event=registered .* status=200 result=ok" "$T/l$i.err" ||
        die "u$i did not register with the controller: $(cat "$T/l$i.err")"
done
"$MCGK" client call $GA --identity "$(user 1)" --data-dir "$T/c1" --media "$MEDIA" \
    --controller "$CTL" --t1-ms 100 --offer-file "$T/caller.sdp" --seconds 1 2>"$T/call.err" ||
    die "call: $(cat "$T/call.err")"
for p in "${LPIDS[@]}"; do wait "$p" || bad "listener exit status" "$?"; done

val() { sed -n "s/^$2 = //p" "$T/$1.out"; }
expect() { # test name field want
    local got
    got=$(val "$2" "$3")
    [ "$got" = "$4" ] || { bad "$1" "$2: $3 = '$got', want '$4' // $(tr '\n' ' ' <"$T/$2.out")"; return 1; }
}
GSK_ID=$(sed -n 's/.*event=call-done.* gsk_id=\([^ ]*\).*/\1/p' "$T/call.err")

# the offer's m=/c= lines say where the call is: u3 (no --media) joined there before answering
test_media_address_from_the_offer() {
    local t=$FUNCNAME
    grep -q "event=media-joined media=$MEDIA from=offer" "$T/l3.err" &&
        [ "$(val l3 media)" = "$MEDIA" ] && [ "$(val l3 decrypted)" = 50 ] ||
        { bad $t "$(grep media "$T/l3.err") // $(tr '\n' ' ' <"$T/l3.out")"; return; }
    ok $t
}

# R-002-17: the controller acknowledged the caller (100, 183) and answered 200, no key-mgmt
test_R_002_17_caller_gets_100_183_200() {
    local t=$FUNCNAME x
    x=$(cat "$T/call.err")
    grep -q "event=provisional status=100 " <<<"$x" && grep -q "event=provisional status=18[0-9] " <<<"$x" &&
        grep -q "event=answered status=200 result=ok key_mgmt=no" <<<"$x" &&
        grep -q "event=call-done .* packets=50 .* sip_status=200 " <<<"$x" &&
        grep -q "event=bye status=200 result=ok" <<<"$x" ||
        { bad $t "$x"; return; }
    ok $t
}

# R-002-18: each member's INVITE carried the caller's offer, the MIKEY message included,
# octet for octet
test_R_002_18_offers_byte_identical() {
    local t=$FUNCNAME
    grep -q "^a=key-mgmt:mikey " "$T/caller.sdp" || { bad $t "caller offer: $(cat "$T/caller.sdp")"; return; }
    for i in 2 3 4; do
        [ "$(ls "$T/offers-$i" | wc -l)" = 1 ] && cmp -s "$T/caller.sdp" "$T/offers-$i/offer-1.sdp" ||
            { bad $t "u$i: $(ls "$T/offers-$i")"; return; }
    done
    ok $t
}

# R-002-19: every member answered 200 without key-mgmt; the controller saw the same
test_R_002_19_answers_without_key_mgmt() {
    local t=$FUNCNAME x
    for i in 2 3 4; do
        grep -q "event=invite n=1 .* key_mgmt=yes .* status=200 answer_key_mgmt=no" "$T/l$i.err" ||
            { bad $t "u$i: $(grep event=invite "$T/l$i.err")"; return; }
        expect $t "l$i" sip.invites 1 && expect $t "l$i" sip.answered 1 && expect $t "l$i" sip.byes 1 || return
    done
    x=$(grep "event=member-answer" "$T/ctl.log")
    [ "$(grep -c "status=200 result=ok key_mgmt=no" <<<"$x")" = 3 ] && ! grep -q "key_mgmt=yes" <<<"$x" ||
        { bad $t "controller: $x"; return; }
    grep -q "event=call-ended .* answered=3 " "$T/ctl.log" || { bad $t "$(grep call- "$T/ctl.log")"; return; }
    ok $t
}

# R-002-12, R-002-23: members take the GSK from the offer and decrypt all the media under it
test_R_002_23_members_decrypt_under_gsk() {
    local t=$FUNCNAME
    [ -n "$GSK_ID" ] && [ "$GSK_ID" != - ] || { bad $t "caller: $(cat "$T/call.err")"; return; }
    for i in 2 3; do
        expect $t "l$i" gsk.accepted 1 && expect $t "l$i" received 50 &&
            expect $t "l$i" decrypted 50 && expect $t "l$i" rejected 0 || return
        grep -q "^sender ssrc=.* key=gsk key_id=$GSK_ID guk_id=$GSK_ID received=50 decrypted=50 " "$T/l$i.out" ||
            { bad $t "u$i: $(grep ^sender "$T/l$i.out")"; return; }
        grep -q "event=gsk gsk_id=$GSK_ID gmk_id=$K1 initiator=\"$(user 1)\"" "$T/l$i.err" ||
            { bad $t "u$i log: $(cat "$T/l$i.err")"; return; }
    done
    ok $t
}

# the non-member answered all the same (the controller learns nothing) but cannot open the GSK
test_non_member_answers_but_decrypts_nothing() {
    local t=$FUNCNAME
    expect $t l4 gsk.accepted 0 && expect $t l4 gsk.rejected.unknown-key-id 1 &&
        expect $t l4 received 50 && expect $t l4 decrypted 0 && expect $t l4 rejected 50 || return
    grep -q "event=invite .* gsk=unknown-key-id status=200" "$T/l4.err" ||
        { bad $t "$(grep event=invite "$T/l4.err")"; return; }
    ok $t
}

# (SIP Call-IDs are random hex: not keys)
# a call for a group the controller does not serve is refused (404): exit 1, no media
test_wrong_group_refused() {
    local t=$FUNCNAME rc
    "$MCGK" client call $GB --identity "$(user 4)" --data-dir "$T/c4" --media "$MEDIA" \
        --controller "$CTL" --t1-ms 100 --seconds 1 2>"$T/call4.err"
    rc=$?
    [ $rc = 1 ] && grep -q "event=answered status=404 result=peer" "$T/call4.err" &&
        ! grep -q "event=call-done" "$T/call4.err" || { bad $t "rc=$rc $(cat "$T/call4.err")"; return; }
    ok $t
}

test_no_key_bytes_in_logs() {
    local x
    x=$(cat "$T"/*.err "$T"/*.log | sed 's/call_id="[^"]*"//g')
    if grep -qiE "[0-9a-f]{32}" <<<"$x"; then
        bad "$FUNCNAME" "$(grep -iE "[0-9a-f]{32}" <<<"$x" | head -3)"
    else
        ok "$FUNCNAME"
    fi
}

test_R_002_17_caller_gets_100_183_200
test_media_address_from_the_offer
test_R_002_18_offers_byte_identical
test_R_002_19_answers_without_key_mgmt
test_R_002_23_members_decrypt_under_gsk
test_non_member_answers_but_decrypts_nothing
test_wrong_group_refused
test_no_key_bytes_in_logs

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
