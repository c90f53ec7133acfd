#!/usr/bin/env bash
# Integration test of mcgk's SIP layer (src/net/sip_*.c, docs/sip.md) against
# sipp (Debian sip-tester) as an independent SIP peer, all on 127.0.0.1:
#   sipp registers with `mcgk sip listen` (the GMS's registrar), which pushes a
#   NOTIFY to the new binding, answered 200 or 488 + Warning by a sipp member;
#   `mcgk sip notify` to a sipp member answering 200 / 488;
#   sipp subscribes (RFC 6665) and gets the NOTIFY inside its dialog;
#   sipp, as the GMS, notifies an mcgk endpoint that answers 200 / 488 + Warning;
#   a too-brief REGISTER gets 423 + Min-Expires; `mcgk sip register` with a sipp
#   registrar; hostile datagrams are dropped and the endpoint keeps working;
#   no answer at all ends in a timeout.
# Usage: bash test_sip_sipp.sh path/to/mcgk
# No pipefail: checks are `producer | grep -q PAT`, and grep -q exits at the first
# match, so the producer may die of SIGPIPE; the check must be grep's verdict.
set -u

. "$(dirname "$0")/../../scripts/loopback.sh"
lb_init sip-it "$@"
HERE=$(cd "$(dirname "$0")" && pwd)
SC=$HERE/sipp

command -v sipp >/dev/null || die "sipp not installed (apt install sip-tester; scripts/install-deps)"
cd "$T" || die "no temp dir"   # sipp writes its logs into the working directory

# sipp in the background: sipp_bg NAME SCENARIO ARGS... ; sets SIPP_PID.
sipp_bg() {
    local name=$1 sf=$2
    shift 2
    sipp -sf "$SC/$sf" -i 127.0.0.1 -m 1 -timeout 20s -timeout_error -nostdin \
        -trace_err -error_file "$T/$name.errors" "$@" >"$T/$name.out" 2>&1 &
    SIPP_PID=$!
    PIDS+=("$SIPP_PID")
}

# mcgk sip listen in the background: listen_bg NAME ARGS... ; sets LPID and LPORT.
listen_bg() {
    local name=$1
    shift
    rm -f "$T/$name.port"
    "$MCGK" sip listen --port-file "$T/$name.port" --timeout-s 25 "$@" \
        >"$T/$name.out" 2>"$T/$name.err" &
    LPID=$!
    PIDS+=("$LPID")
    lb_file_ready "$T/$name.port" || die "mcgk sip listen ($name) did not start: $(cat "$T/$name.err")"
    LPORT=$(tr -d '\n' <"$T/$name.port")
}

printf '<group-config><group>sip:group1@example.org</group>' >"$T/body.xml"
printf '<imsg>AQIDBAUGBwgJCgsMDQ4PEA==</imsg></group-config>\n' >>"$T/body.xml"

# ---- 1. sipp registers with the GMS's registrar, which pushes a NOTIFY; 200 -------------
name=register_push_200
UAS=$(lb_free_udp_port) || die "no free port"
sipp_bg uas1 notify_uas_200.xml -p "$UAS"
UAS_PID=$SIPP_PID
lb_wait_udp_bound "$UAS" || die "sipp UAS did not start: $(cat "$T/uas1.out")"
listen_bg gms1 --notify-file "$T/body.xml" --count 1
UAC=$(lb_free_udp_port)
sipp_bg uac1 register_uac.xml -p "$UAC" -key aor alice -key contact_port "$UAS" "127.0.0.1:$LPORT"
lb_wait_pid "$SIPP_PID" 25; rc_uac=$?
lb_wait_pid "$LPID" 30; rc_l=$?
lb_wait_pid "$UAS_PID" 5; rc_uas=$?
if [ $rc_uac -eq 0 ] && [ $rc_l -eq 0 ] && [ $rc_uas -eq 0 ] &&
    grep -q 'binding aor="sip:alice@example.org" contact="sip:alice@127.0.0.1:'"$UAS"'"' "$T/gms1.out" &&
    grep -q 'notify aor="sip:alice@example.org" result=ok status=200' "$T/gms1.out"; then
    ok "$name"
else
    bad "$name" "uac=$rc_uac listen=$rc_l uas=$rc_uas; $(cat "$T/gms1.out" "$T/gms1.err" | tail -5)"
fi

# ---- 2. the same, the member refuses with 488 + Warning; the GMS reports why -------------
name=register_push_488
UAS=$(lb_free_udp_port)
sipp_bg uas2 notify_uas_488.xml -p "$UAS"
UAS_PID=$SIPP_PID
lb_wait_udp_bound "$UAS" || die "sipp UAS did not start"
listen_bg gms2 --notify-file "$T/body.xml" --count 1
UAC=$(lb_free_udp_port)
sipp_bg uac2 register_uac.xml -p "$UAC" -key aor bob -key contact_port "$UAS" "127.0.0.1:$LPORT"
lb_wait_pid "$SIPP_PID" 25; rc_uac=$?
lb_wait_pid "$LPID" 30; rc_l=$?
lb_wait_pid "$UAS_PID" 5; rc_uas=$?
if [ $rc_uac -eq 0 ] && [ $rc_l -eq 1 ] && [ $rc_uas -eq 0 ] &&
    grep -q 'notify aor="sip:bob@example.org" result=peer status=488 warning="signature" reason="signature"' "$T/gms2.out" &&
    grep -q 'error: peer' "$T/gms2.err"; then
    ok "$name"
else
    bad "$name" "uac=$rc_uac listen=$rc_l uas=$rc_uas; $(tail -3 "$T/gms2.out")"
fi

# ---- 3, 4. mcgk sip notify to a sipp member: 200, then 488 + Warning ----------------------
for want in 200 488; do
    name=notify_to_sipp_$want
    UAS=$(lb_free_udp_port)
    sipp_bg uas_n$want notify_uas_$want.xml -p "$UAS"
    UAS_PID=$SIPP_PID
    lb_wait_udp_bound "$UAS" || die "sipp UAS did not start"
    timeout 30 "$MCGK" sip notify --to "sip:carol@127.0.0.1:$UAS" --aor sip:carol@example.org \
        --body-file "$T/body.xml" --t1-ms 100 >"$T/n$want.out" 2>"$T/n$want.err"
    rc=$?
    lb_wait_pid "$UAS_PID" 10; rc_uas=$?
    if [ "$want" = 200 ]; then
        expect_rc=0 line='status=200 result=ok'
    else
        expect_rc=1 line='status=488 result=peer warning="signature" reason="signature"'
    fi
    if [ $rc -eq $expect_rc ] && [ $rc_uas -eq 0 ] && grep -q "$line" "$T/n$want.out"; then
        ok "$name"
    else
        bad "$name" "rc=$rc uas=$rc_uas; $(cat "$T/n$want.out" "$T/n$want.err")"
    fi
done

# ---- 5. SUBSCRIBE (RFC 6665): 200, then the NOTIFY inside the dialog ----------------------
name=subscribe_dialog_notify
listen_bg gms5 --notify-file "$T/body.xml" --count 1
UAC=$(lb_free_udp_port)
sipp_bg uac5 subscribe_uac.xml -p "$UAC" "127.0.0.1:$LPORT"
lb_wait_pid "$SIPP_PID" 25; rc_uac=$?
lb_wait_pid "$LPID" 30; rc_l=$?
if [ $rc_uac -eq 0 ] && [ $rc_l -eq 0 ] &&
    grep -q 'binding aor="sip:carol@example.org" .* subscribed=1' "$T/gms5.out" &&
    grep -q 'notify aor="sip:carol@example.org" result=ok status=200' "$T/gms5.out"; then
    ok "$name"
else
    bad "$name" "uac=$rc_uac listen=$rc_l; $(cat "$T/gms5.out" "$T/uac5.errors" 2>/dev/null | tail -8)"
fi

# ---- 6, 7. sipp as the GMS notifies an mcgk endpoint: 200, then 488 + Warning --------------
name=sipp_notifies_mcgk_200
listen_bg m6 --count 1
UAC=$(lb_free_udp_port)
sipp_bg uac6 notify_uac.xml -p "$UAC" "127.0.0.1:$LPORT"
lb_wait_pid "$SIPP_PID" 25; rc_uac=$?
lb_wait_pid "$LPID" 30; rc_l=$?
if [ $rc_uac -eq 0 ] && [ $rc_l -eq 0 ] &&
    grep -q 'request method=NOTIFY .*content_type="application/vnd.mcgk.group-config+xml" body_len=[1-9][0-9]* answered=200' "$T/m6.out"; then
    ok "$name"
else
    bad "$name" "uac=$rc_uac listen=$rc_l; $(cat "$T/m6.out" "$T/m6.err" | tail -5)"
fi
name=sipp_notifies_mcgk_488
listen_bg m7 --count 1 --answer 488 --warning key-params
UAC=$(lb_free_udp_port)
sipp_bg uac7 notify_uac_488.xml -p "$UAC" "127.0.0.1:$LPORT"
lb_wait_pid "$SIPP_PID" 25; rc_uac=$?
lb_wait_pid "$LPID" 30; rc_l=$?
if [ $rc_uac -eq 0 ] && [ $rc_l -eq 0 ] && grep -q 'answered=488' "$T/m7.out"; then
    ok "$name"
else
    bad "$name" "uac=$rc_uac listen=$rc_l; $(cat "$T/m7.out" "$T/uac7.errors" 2>/dev/null | tail -5)"
fi

# ---- 8. a too-brief REGISTER: 423 Interval Too Brief + Min-Expires -------------------------
name=register_423
listen_bg gms8
UAC=$(lb_free_udp_port)
sipp_bg uac8 register_uac_423.xml -p "$UAC" "127.0.0.1:$LPORT"
lb_wait_pid "$SIPP_PID" 25; rc_uac=$?
kill -TERM "$LPID" 2>/dev/null
lb_wait_pid "$LPID" 10; rc_l=$?
if [ $rc_uac -eq 0 ] && [ $rc_l -eq 0 ] && ! grep -q '^binding' "$T/gms8.out"; then
    ok "$name"
else
    bad "$name" "uac=$rc_uac listen=$rc_l; $(tail -3 "$T/gms8.out")"
fi

# ---- 9. mcgk sip register with a sipp registrar ---------------------------------------------
name=register_to_sipp
UAS=$(lb_free_udp_port)
sipp_bg uas9 register_uas.xml -p "$UAS"
UAS_PID=$SIPP_PID
lb_wait_udp_bound "$UAS" || die "sipp registrar did not start"
timeout 30 "$MCGK" sip register --registrar "sip:127.0.0.1:$UAS" --aor sip:alice@example.org \
    --t1-ms 100 >"$T/r9.out" 2>"$T/r9.err"
rc=$?
lb_wait_pid "$UAS_PID" 10; rc_uas=$?
if [ $rc -eq 0 ] && [ $rc_uas -eq 0 ] && grep -q 'status=200 result=ok .*expires=300' "$T/r9.out"; then
    ok "$name"
else
    bad "$name" "rc=$rc uas=$rc_uas; $(cat "$T/r9.out" "$T/r9.err")"
fi

# ---- 10. hostile datagrams are dropped (logged), and the endpoint keeps answering ---------
name=hostile_datagrams
listen_bg m10 --count 1
# one datagram each: the text goes to a file first, cat writes it in one go
send_udp() {
    printf "$1" >"$T/dgram"
    cat "$T/dgram" >"/dev/udp/127.0.0.1/$LPORT" 2>/dev/null
}
V='Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKh\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: h\r\n'
send_udp "NOTIFY sip:b@x SIP/2.0\r\n${V}CSeq: 1 NOTIFY\r\nContent-Length: 99\r\n\r\nshort"
send_udp "NOTIFY sip:b@x SIP/2.0\r\n${V}CSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n"
send_udp "NOTIFY sip:b@x SIP/2.0\r\n${V}CSeq: 1 NOTIFY\r\nContent-Length: 2\r\n\r\na\0"
send_udp 'garbage\r\n\r\n'
send_udp "NOTIFY sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: h\r\nCSeq: 1 NOTIFY\r\n\r\n"
send_udp '\r\n\r\n'
UAC=$(lb_free_udp_port)
sipp_bg uac10 notify_uac.xml -p "$UAC" "127.0.0.1:$LPORT"
lb_wait_pid "$SIPP_PID" 25; rc_uac=$?
lb_wait_pid "$LPID" 30; rc_l=$?
if [ $rc_uac -eq 0 ] && [ $rc_l -eq 0 ] && grep -q 'answered=200' "$T/m10.out" &&
    grep -q 'reason=sip-content-length' "$T/m10.err" && grep -q 'reason=sip-cseq' "$T/m10.err" &&
    grep -q 'reason=sip-nul' "$T/m10.err" && grep -q 'reason=sip-malformed' "$T/m10.err" &&
    grep -q 'reason=sip-branch' "$T/m10.err" && [ "$(grep -c '^request' "$T/m10.out")" = 1 ]; then
    ok "$name"
else
    bad "$name" "uac=$rc_uac listen=$rc_l; $(cat "$T/m10.out" "$T/m10.err" | tail -8)"
fi

# ---- 11. nobody answers: Timer F (64*T1) ends in a timeout ----------------------------------
name=notify_timeout
DEAD=$(lb_free_udp_port)
timeout 30 "$MCGK" sip notify --to "sip:dave@127.0.0.1:$DEAD" --body-file "$T/body.xml" \
    --t1-ms 20 >"$T/n11.out" 2>"$T/n11.err"
rc=$?
if [ $rc -eq 1 ] && grep -q 'status=0 result=sip-timeout' "$T/n11.out" &&
    grep -q 'error: sip-timeout' "$T/n11.err"; then
    ok "$name"
else
    bad "$name" "rc=$rc; $(cat "$T/n11.out" "$T/n11.err")"
fi

# ---- 12. usage and argument errors of the verbs ---------------------------------------------
name=cli_errors
r1=0 r2=0 r3=0 r4=0
"$MCGK" sip notify >/dev/null 2>"$T/c1.err" || r1=$?
"$MCGK" sip notify --to http://example.org/ >/dev/null 2>"$T/c2.err" || r2=$?
"$MCGK" sip listen --answer 99 >/dev/null 2>"$T/c3.err" || r3=$?
"$MCGK" sip register --registrar sip:127.0.0.1:9 --aor sip:a@b --listen nonsense:x \
    >/dev/null 2>"$T/c4.err" || r4=$?
if [ $r1 -eq 2 ] && grep -q 'error: usage' "$T/c1.err" && [ $r2 -eq 1 ] &&
    grep -q 'error: sip-malformed' "$T/c2.err" && [ $r3 -eq 2 ] && [ $r4 -eq 2 ] &&
    "$MCGK" sip --help | grep -q 'listen' && "$MCGK" sip notify --help | grep -q 'Timer F'; then
    ok "$name"
else
    bad "$name" "$r1 $r2 $r3 $r4; $(cat "$T"/c[1-4].err)"
fi

# bodies never reach the logs
if grep -q 'AQIDBAUGBwgJCgsMDQ4PEA' "$T"/*.err; then
    bad no_bodies_in_logs "a body was logged"
else
    ok no_bodies_in_logs
fi

echo "$PASS passed, $FAIL failed"
[ $FAIL -eq 0 ]
