#!/usr/bin/env bash
# Integration test of the group controller (issue 6; docs/controller.md) with
# real processes on 127.0.0.1: `mcgk controller serve`, members registered by
# `mcgk sip answer` and by sipp (an independent SIP peer), and a caller
# `mcgk sip invite` whose SDP offer holds an a=key-mgmt:mikey line:
#   R-002-17  the caller gets 100 and 183 (no body), then 200 (answer without
#             key-mgmt);
#   R-002-18  every member gets the caller's SDP octet for octet (mcgk members
#             keep it in a file; sipp's message log has the key-mgmt line);
#   R-002-19  the members' answers and the controller's carry no key-mgmt;
# then the failures: a member refusing (486 + Warning), a member never
# answering (CANCELed at the end of the window), policy "all"; no members
# (480); the caller CANCELing; a members file (listed members only, a static
# member); BYE from the caller reaching every member.
# Usage: bash test_controller.sh path/to/mcgk
# No pipefail: checks are `producer | grep -q PAT` (see scripts/loopback.sh users).
set -u

. "$(dirname "$0")/../../scripts/loopback.sh"
lb_init ctl-it "$@"
HERE=$(cd "$(dirname "$0")" && pwd)
SC=$HERE/sipp

command -v sipp >/dev/null || die "sipp not installed (apt install sip-tester; scripts/install-deps)"
cd "$T" || die "no temp dir" # sipp writes its logs into the working directory

# controller_bg NAME ARGS... : sets CPID, CPORT. Logs at debug to NAME.err.
controller_bg() {
    local name=$1
    shift
    rm -f "$T/$name.port"
    "$MCGK" controller serve --port-file "$T/$name.port" --t1-ms 50 --log-level debug "$@" \
        >"$T/$name.out" 2>"$T/$name.err" &
    CPID=$!
    PIDS+=("$CPID")
    lb_file_ready "$T/$name.port" || die "controller ($name) did not start: $(cat "$T/$name.err")"
    CPORT=$(tr -d '\n' <"$T/$name.port")
}

# member_bg NAME AOR ARGS... : an mcgk member registered with the controller; sets MPID.
member_bg() {
    local name=$1 aor=$2
    shift 2
    "$MCGK" sip answer --registrar "sip:127.0.0.1:$CPORT" --aor "$aor" --t1-ms 50 \
        --offer-dir "$T/$name.offers" --timeout-s 25 "$@" >"$T/$name.out" 2>"$T/$name.err" &
    MPID=$!
    PIDS+=("$MPID")
    lb_wait_line "$T/$name.out" "registered status=200" ||
        die "member $name did not register: $(cat "$T/$name.out" "$T/$name.err")"
}

# caller NAME ARGS... : the caller, in the foreground; its exit status in RC.
caller() {
    local name=$1
    shift
    "$MCGK" sip invite --to "sip:group1@127.0.0.1:$CPORT" --aor sip:group1@example.org \
        --from sip:alice@example.org --sdp-file "$T/offer.sdp" --t1-ms 50 "$@" \
        >"$T/$name.out" 2>"$T/$name.err"
    RC=$?
}

cat >"$T/offer.sdp" <<'EOF'
v=0
o=alice 2890844526 2890844526 IN IP4 127.0.0.1
s=group call
c=IN IP4 127.0.0.1
t=0 0
a=key-mgmt:mikey AQQFgAAfSrZ6AAAAAAAAAAAAAAAKAhMCf5ESOf5qDx8g5KbEiTIa3zaSzPQ9aQ0AAQECAAAACQsAAAAAOA==
m=audio 49170 RTP/SAVP 0
a=rtpmap:0 PCMU/8000
EOF
KEYLINE=$(grep '^a=key-mgmt' "$T/offer.sdp")

# ---- 1. R-002-17 / 18 / 19: three mcgk members and sipp; policy "first" -------------
name=fanout_R-002-17_R-002-18_R-002-19
controller_bg ctl1 --group sip:group1@example.org --answer-timeout-ms 5000
for m in bob carol dave; do
    member_bg "$m" "sip:$m@example.org" --ring --count 1
    eval "PID_$m=$MPID"
done
UAS=$(lb_free_udp_port) || die "no free port"
sipp -sf "$SC/ctl_member_uas.xml" -i 127.0.0.1 -p "$UAS" -m 1 -timeout 20s -timeout_error \
    -nostdin -trace_msg -message_file "$T/sipp_member.msg" -trace_err \
    -error_file "$T/sipp_member.errors" >"$T/sipp_member.out" 2>&1 &
SIPP_UAS=$!
PIDS+=("$SIPP_UAS")
lb_wait_udp_bound "$UAS" || die "sipp member did not start: $(cat "$T/sipp_member.out")"
UAC=$(lb_free_udp_port)
sipp -sf "$SC/register_uac.xml" -i 127.0.0.1 -p "$UAC" -m 1 -timeout 10s -timeout_error -nostdin \
    -key aor erin -key contact_port "$UAS" "127.0.0.1:$CPORT" >"$T/sipp_reg.out" 2>&1
rc_reg=$?
caller call1 --hold-ms 300
rc_call=$RC
rcs=""
for m in bob carol dave; do
    eval "lb_wait_pid \$PID_$m 10"
    rcs="$rcs $m=$?"
done
lb_wait_pid "$SIPP_UAS" 10; rc_sipp=$?
why=""
[ $rc_reg -eq 0 ] || why="$why sipp-register=$rc_reg"
[ $rc_call -eq 0 ] || why="$why caller=$rc_call"
[ "$rcs" = " bob=0 carol=0 dave=0" ] || why="$why members:$rcs"
[ $rc_sipp -eq 0 ] || why="$why sipp-member=$rc_sipp"
x=$(cat "$T/call1.out")
# R-002-17: 100 then 183, no body, then 200 whose answer has no key-mgmt
grep -q 'provisional status=100 body_len=0 key_mgmt=no' <<<"$x" || why="$why no-100"
grep -q 'provisional status=183 body_len=0 key_mgmt=no' <<<"$x" || why="$why no-183"
grep -q 'final status=200 result=ok body_len=[1-9][0-9]* key_mgmt=no' <<<"$x" || why="$why final"
grep -q 'bye status=200 result=ok' <<<"$x" || why="$why bye"
# R-002-18: each mcgk member got the caller's offer, octet for octet; sipp the key-mgmt line
for m in bob carol dave; do
    cmp -s "$T/offer.sdp" "$T/$m.offers/offer-1.sdp" || why="$why $m-offer-differs"
    grep -q 'invite n=1 .*from="sip:group1@example.org" .*key_mgmt=yes answered=200' "$T/$m.out" ||
        why="$why $m-invite"
    grep -q '^bye call_id=' "$T/$m.out" || why="$why $m-no-bye"
done
grep -qxF -- "$KEYLINE" <(tr -d '\r' <"$T/sipp_member.msg" | sed 's/^[[:space:]]*//') ||
    why="$why sipp-key-mgmt-line"
# R-002-19: no member answer carried key-mgmt; the controller counted all four
c=$(cat "$T/ctl1.err")
grep -q 'event=member-answer .*status=200 .*key_mgmt=no' <<<"$c" || why="$why member-answer-log"
grep -q 'event=member-answer .*key_mgmt=yes' <<<"$c" && why="$why member-answer-key-mgmt"
grep -q 'event=call-fanout .*members=4 sent=4 failed=0' <<<"$c" || why="$why fanout-log"
grep -q 'event=call-answered .*caller="sip:alice@example.org" status=200 members=4 .*key_mgmt=yes' \
    <<<"$c" || why="$why answered-log"
grep -q 'event=call-ended .*result=ok caller_status=200 members=4 reached=4 answered=4 refused=0' \
    <<<"$c" || why="$why ended-log"
if [ -z "$why" ]; then ok "$name"; else bad "$name" "$why; $(tail -5 "$T/ctl1.err")"; fi

# ---- 2. one fan-out per call --------------------------------------------------------------
# (the controller took exactly one INVITE per call: one fan-out line per call)
name=one_fanout_per_call
n=$(grep -c 'event=call-fanout' "$T/ctl1.err")
if [ "$n" -eq 1 ]; then ok "$name"; else bad "$name" "fan-outs=$n"; fi

# ---- 3. failures, policy "all": one accepts, one refuses 486, one never answers ----------
name=refuse_and_timeout_policy_all
kill -TERM "$CPID" 2>/dev/null # ctl1's members are gone; a fresh controller
controller_bg ctl2 --group sip:group1@example.org --answer-policy all --answer-timeout-ms 1500
member_bg ok1 sip:frank@example.org --count 1
P_OK=$MPID
member_bg busy sip:grace@example.org --answer 486 --warning "busy elsewhere" --count 1
P_BUSY=$MPID
member_bg mute sip:heidi@example.org --answer 0 --count 1
P_MUTE=$MPID
t0=$(date +%s%N)
caller call2 --hold-ms 100
rc_call=$RC
t1=$(date +%s%N)
lb_wait_pid "$P_OK" 10; r1=$?
lb_wait_pid "$P_BUSY" 10; r2=$?
lb_wait_pid "$P_MUTE" 10; r3=$?
why=""
[ $rc_call -eq 0 ] || why="$why caller=$rc_call"
[ "$r1 $r2 $r3" = "0 0 0" ] || why="$why members=$r1,$r2,$r3"
x=$(cat "$T/call2.out")
grep -q 'final status=200 result=ok' <<<"$x" || why="$why final"
# policy all: the 200 waited for the window (1.5 s)
[ $(((t1 - t0) / 1000000)) -ge 1400 ] || why="$why too-early=$(((t1 - t0) / 1000000))ms"
grep -q '^cancel call_id=' "$T/mute.out" || why="$why mute-not-cancelled"
grep -q 'answered=486' "$T/busy.out" || why="$why busy"
c=$(cat "$T/ctl2.err")
grep -q 'event=call-answered .*members=3 reached=3 answered=1 refused=1 timeout=1 unreachable=0' \
    <<<"$c" || why="$why answered-log"
grep -q 'event=call-ended .*result=ok .*answered=1 refused=1 timeout=1' <<<"$c" || why="$why ended-log"
if [ -z "$why" ]; then ok "$name"; else bad "$name" "$why; $(grep event=call "$T/ctl2.err")"; fi

# ---- 4. no members registered: 480 "no members registered" ---------------------------
kill -TERM "$CPID" 2>/dev/null # ctl2 still lists its members: a fresh controller
name=no_members_480
controller_bg ctl3 --group sip:group1@example.org --answer-timeout-ms 3000
caller call4
x=$(cat "$T/call4.out")
if [ $RC -eq 1 ] && grep -q 'final status=480 result=peer .*warning="no members registered"' <<<"$x" &&
    grep -q 'event=call-refused .*status=480 result=ctl-no-members' "$T/ctl3.err"; then
    ok "$name"
else
    bad "$name" "rc=$RC; $x"
fi

# ---- 5. nobody accepts: 480 + Warning -----------------------------------------------------
name=all_refuse_480
member_bg no1 sip:ivan@example.org --answer 603 --count 1
P1=$MPID
caller call3
rc_call=$RC
lb_wait_pid "$P1" 10
x=$(cat "$T/call3.out")
if [ $rc_call -eq 1 ] && grep -q 'final status=480 result=peer .*warning="no member accepted: 1 refused, 0 timed out' <<<"$x" &&
    grep -q 'event=call-ended .*result=peer caller_status=480' "$T/ctl3.err"; then
    ok "$name"
else
    bad "$name" "rc=$rc_call; $x"
fi

# ---- 6. not this group: 404 -------------------------------------------------------------
name=other_group_404
"$MCGK" sip invite --to "sip:group2@127.0.0.1:$CPORT" --aor sip:group2@example.org \
    --from sip:alice@example.org --sdp-file "$T/offer.sdp" --t1-ms 50 >"$T/call5.out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q 'final status=404' "$T/call5.out"; then ok "$name"; else bad "$name" "$(cat "$T/call5.out")"; fi

# ---- 7. the caller CANCELs while the member rings ------------------------------------------
name=caller_cancel
kill -TERM "$CPID" 2>/dev/null
controller_bg ctl5 --group sip:group1@example.org --answer-timeout-ms 3000
member_bg slow sip:judy@example.org --answer 0 --ring --count 1
P1=$MPID
caller call6 --cancel-after-ms 400
rc_call=$RC
lb_wait_pid "$P1" 10; r1=$?
x=$(cat "$T/call6.out")
if [ $rc_call -eq 1 ] && grep -q 'final status=487 result=sip-cancelled' <<<"$x" && [ $r1 -eq 0 ] &&
    grep -q '^cancel call_id=' "$T/slow.out" &&
    grep -q 'event=call-ended .*result=sip-cancelled caller_status=487 .*cancelled=1' "$T/ctl5.err"; then
    ok "$name"
else
    bad "$name" "rc=$rc_call member=$r1; $x; $(grep event=call "$T/ctl5.err")"
fi
kill -TERM "$CPID" 2>/dev/null

# ---- 8. a members file: listed AORs only (403 otherwise), a static member --------------
name=members_file
SPORT=$(lb_free_udp_port) || die "no free port"
"$MCGK" sip answer --listen "127.0.0.1:$SPORT" --user static --offer-dir "$T/static.offers" \
    --count 1 --timeout-s 25 --t1-ms 50 >"$T/static.out" 2>"$T/static.err" &
P_STATIC=$!
PIDS+=("$P_STATIC")
lb_wait_udp_bound "$SPORT" || die "static member did not start"
cat >"$T/members.txt" <<EOF
# the group's members
sip:kim@example.org
sip:static@example.org   sip:static@127.0.0.1:$SPORT
EOF
controller_bg ctl4 --group sip:group1@example.org --members-file "$T/members.txt"
"$MCGK" sip answer --registrar "sip:127.0.0.1:$CPORT" --aor sip:mallory@example.org --t1-ms 50 \
    >"$T/mallory.out" 2>&1
rc_m=$?
member_bg kim sip:kim@example.org --count 1
P_KIM=$MPID
caller call7 --hold-ms 100
rc_call=$RC
lb_wait_pid "$P_KIM" 10; r1=$?
lb_wait_pid "$P_STATIC" 10; r2=$?
why=""
[ $rc_m -eq 1 ] && grep -q 'registered status=403' "$T/mallory.out" || why="$why mallory-not-refused"
[ $rc_call -eq 0 ] || why="$why caller=$rc_call"
[ "$r1 $r2" = "0 0" ] || why="$why members=$r1,$r2"
cmp -s "$T/offer.sdp" "$T/static.offers/offer-1.sdp" || why="$why static-offer"
cmp -s "$T/offer.sdp" "$T/kim.offers/offer-1.sdp" || why="$why kim-offer"
grep -q 'event=register-refused aor="sip:mallory@example.org"' "$T/ctl4.err" || why="$why log"
if [ -z "$why" ]; then ok "$name"; else bad "$name" "$why"; fi

# ---- 9. --help everywhere, bad usage ------------------------------------------------------
name=help_and_usage
why=""
for v in "controller serve" "sip invite" "sip answer" "sip broadcast-send" "sip broadcast-listen"; do
    # shellcheck disable=SC2086
    "$MCGK" $v --help >"$T/help.out" 2>&1 && grep -q '^usage: mcgk' "$T/help.out" || why="$why $v"
done
"$MCGK" controller --help | grep -q 'serve' || why="$why controller"
"$MCGK" controller serve >/dev/null 2>&1
[ $? -eq 2 ] || why="$why no-group-not-2"
"$MCGK" controller serve --group sip:g@x --answer-policy some >/dev/null 2>&1
[ $? -eq 2 ] || why="$why bad-policy-not-2"
if [ -z "$why" ]; then ok "$name"; else bad "$name" "$why"; fi

echo "$PASS passed, $FAIL failed"
[ $FAIL -eq 0 ]
