#!/usr/bin/env bash
# Integration test of `mcgk gms` against sipp (Debian sip-tester) as an independent
# SIP peer: a real `mcgk kms serve` provisions the GMS; `mcgk gms serve` runs on
# 127.0.0.1; sipp registers members and answers the NOTIFYs (200, or 403 with a
# Warning naming the failed check); the GMS records each outcome member by member.
#   the NOTIFY body is a group configuration document whose I_MESSAGE is a
#   MIKEY-SAKKE I_MESSAGE (R-000-13) for that member; errors come back with the
#   client's words (R-001-20, R-003-23); an unregistered member is retried and
#   reached once it registers; an unauthorised member gets nothing (R-001-27) until
#   authorised (R-001-28); revocation goes by SIP (R-003-35); removal tells the
#   member and rotates for the others (R-001-24, R-001-25); a media + floor-control
#   pair travels in one NOTIFY (R-004-13); one GMK serves two groups (R-001-06); a
#   CLI change is picked up without a restart; a restart restores the bindings.
# Usage: bash test_gms_sipp.sh path/to/mcgk
# No pipefail: checks are `producer | grep -q PAT`, and grep -q exits at the first
# match, so the producer may die of SIGPIPE; the check must be grep's verdict.
set -u

. "$(dirname "$0")/../../scripts/loopback.sh"
lb_init gms-sipp "$@"
HERE=$(dirname "$(readlink -f "$0")")
SC="$HERE/sipp"
die() { echo "FATAL: $*"; [ -f "$T/gms.log" ] && tail -20 "$T/gms.log"; exit 1; }
check() { # name command...
    local name=$1
    shift
    if "$@" >"$T/check.out" 2>&1; then ok "$name"; else bad "$name" "$(tail -5 "$T/check.out")"; fi
}

command -v sipp >/dev/null || { echo "SKIP: sipp not installed (apt-get install sip-tester)"; exit 0; }

KMS_URI=kms.example.org
GMS=sip:gms@example.org
GA=sip:group-a@example.org
GB=sip:group-b@example.org
D=example.org

lb_tls_cert

# ---- the KMS -------------------------------------------------------------------------
"$MCGK" kms init --data-dir "$T/kms" --kms-uri $KMS_URI --period 86400 >/dev/null 2>"$T/kms-init.err" ||
    die "kms init: $(cat "$T/kms-init.err")"
"$MCGK" kms user add $GMS --role gms --data-dir "$T/kms" --token-out "$T/gms.tok" >/dev/null 2>&1 ||
    die "kms user add gms"
lb_kms_serve

# ---- the GMS -------------------------------------------------------------------------
G=(--data-dir "$T/gms")
lb_gms_init $GMS
check "R-001-02/R-001-04/R-003-02/R-003-04/R-004-02: gms init provisions the GMS's own key set from the KMS" \
    grep -q "^fetched = 1" "$T/gms-init.out"
[ "$(stat -c %a "$T/gms/gms.db")" = 600 ] && ok "gms.db is private (0600)" || bad "gms.db mode" "$(stat -c %a "$T/gms/gms.db")"

"$MCGK" gms group create $GA --name "Fire crew A" --rekey-on-removal "${G[@]}" >/dev/null 2>&1 || die "group create A"
"$MCGK" gms group create $GB "${G[@]}" >/dev/null 2>&1 || die "group create B"
check "group create refuses a duplicate (error: exists)" bash -c "'$MCGK' gms group create $GA --data-dir '$T/gms' 2>&1 | grep -q 'error: exists'"
for m in alice bob carol erin; do
    "$MCGK" gms member add $GA sip:$m@$D "${G[@]}" --token-out "$T/$m.tok" >"$T/add-$m.out" 2>>"$T/admin.log" ||
        die "member add $m"
done
"$MCGK" gms member add $GB sip:alice@$D "${G[@]}" >/dev/null 2>>"$T/admin.log" || die "member add alice B"
"$MCGK" gms member add $GA sip:dave@$D --unauthorised "${G[@]}" --token-out "$T/dave.tok" \
    >/dev/null 2>>"$T/admin.log" || die "member add dave"
check "a new member's token is written once, mode 0600" test "$(stat -c %a "$T/alice.tok")" = 600
check "member add prints no token when --token-out is given" bash -c "! grep -q '^token' '$T/add-alice.out'"

# ---- the sipp peers ------------------------------------------------------------------
# UAS on P_OK accepts every NOTIFY; UAS on P_NO refuses with a Warning.
P_OK=$((20000 + RANDOM % 10000))
P_NO=$((P_OK + 1))
start_uas() { # scenario port [extra sipp options] -> the sipp's PID in UAS_PID
    local out
    out=$(sipp -sf "$1" -i 127.0.0.1 -p "$2" -m 100000 -bg -nostdin "${@:3}" 2>&1)
    UAS_PID=$(printf '%s' "$out" | sed -n 's/.*PID=\[\([0-9]*\)\].*/\1/p')
    [ -n "$UAS_PID" ] || die "sipp $1: $out"
    PIDS+=("$UAS_PID")
}
start_uas "$SC/gms_uas_ok.xml" $P_OK -trace_msg -message_file "$T/uas_ok.msg"
start_uas "$SC/gms_uas_refuse.xml" $P_NO
sleep 0.3

start_gms() {
    rm -f "$T/gms.port"
    "$MCGK" gms serve "${G[@]}" --sip 127.0.0.1:0 --https 127.0.0.1:0 --tls-cert "$T/tls.crt" \
        --tls-key "$T/tls.key" --port-file "$T/gms.port" --retry-base-ms 200 \
        --retry-cap-ms 1000 --max-attempts 50 --poll-ms 100 --log-level debug 2>>"$T/gms.log" &
    GMS_PID=$!
    PIDS+=("$GMS_PID")
    for _ in $(seq 1 100); do [ -s "$T/gms.port" ] && break; sleep 0.1; done
    [ -s "$T/gms.port" ] || die "gms serve did not start"
    SIP_PORT=$(awk '/^sip/{print $2}' "$T/gms.port")
    HTTPS_PORT=$(awk '/^https/{print $2}' "$T/gms.port")
}
start_gms

register() { # lines "user;domain;port" ...
    printf 'SEQUENTIAL\n' >"$T/reg.csv"
    for l in "$@"; do echo "$l" >>"$T/reg.csv"; done
    sipp -sf "$SC/gms_register.xml" -inf "$T/reg.csv" -i 127.0.0.1 -p 0 -m $# \
        127.0.0.1:$SIP_PORT -timeout 10s -nostdin >/dev/null 2>&1
}
register "alice;$D;$P_OK" "bob;$D;$P_OK" "carol;$D;$P_NO" "dave;$D;$P_OK" ||
    die "sipp register failed"
ok "members register with the GMS (sipp as the SIP peer)"

job_of() { sed -n 's/^job = //p' "$1"; }
state_of() { # job member -> state
    "$MCGK" gms status --job "$1" --member "$2" "${G[@]}" | awk 'NR>1{print $4}'
}
wait_state() { # job member state [seconds]
    for _ in $(seq 1 $((${4:-15} * 10))); do
        [ "$(state_of "$1" "$2")" = "$3" ] && return 0
        sleep 0.1
    done
    return 1
}

# ---- a rotation: push to every authorised member --------------------------------------
"$MCGK" gms gmk rotate --groups $GA --text "crew A" "${G[@]}" --wait --timeout 4 \
    >"$T/rot1.out" 2>"$T/rot1.err"
RC=$?
J1=$(job_of "$T/rot1.out")
K1=$(sed -n 's/^key_id = \([0-9a-f]*\).*/\1/p' "$T/rot1.out" | head -1)
[ -n "$J1" ] || die "rotate printed no job: $(cat "$T/rot1.err")"
check "rotate --wait returns 1 when a member failed" test "$RC" = 1
check "rotate --wait shows a progress bar on stderr" grep -q '\[##' "$T/rot1.err"
check "R-001-20/R-003-23: the member's error comes back and is listed member by member" \
    grep -q "failed sip:carol@$D .*status 403 .*signature" "$T/rot1.err"
check "R-004-14/R-000-12: alice confirmed (200 from sipp), recorded by the GMS" test "$(state_of $J1 sip:alice@$D)" = confirmed
check "bob confirmed" test "$(state_of $J1 sip:bob@$D)" = confirmed
check "carol failed with 403" bash -c "'$MCGK' gms status --failed --data-dir '$T/gms' | grep -q 'sip:carol@$D .*failed .*status 403 .*signature'"
check "R-001-27: dave (not authorised) has no delivery" bash -c "[ -z \"\$('$MCGK' gms status --job $J1 --member sip:dave@$D --data-dir '$T/gms' | awk 'NR>1')\" ]"
check "erin (never registered) is retried, not failed" bash -c "s=\$('$MCGK' gms status --job $J1 --member sip:erin@$D --data-dir '$T/gms' | awk 'NR>1{print \$4}'); [ \"\$s\" = pending ] || [ \"\$s\" = sent ]"
check "the retry names why (not-registered)" bash -c "'$MCGK' gms status --job $J1 --member sip:erin@$D --data-dir '$T/gms' | grep -q not-registered"

# what sipp received: one document per member with its own I_MESSAGE
B64=$(grep -o '<gmk use="media">[^<]*' "$T/uas_ok.msg" | head -1 | sed 's/<gmk use="media">//')
echo "$B64" >"$T/imsg.b64"
check "R-000-13: the NOTIFY carries a MIKEY-SAKKE I_MESSAGE (data type 26, SAKKE, SIGN)" \
    bash -c "'$MCGK' mikey inspect '$T/imsg.b64' | grep -qi 'SAKKE' && '$MCGK' mikey inspect '$T/imsg.b64' | grep -qi 'SIGN'"
check "R-000-06/R-001-08/R-003-11/R-003-33/R-004-04: the GMK payload travels in the NOTIFY, the group configuration (metadata) notification (Event, Content-Type, seq, gms)" \
    bash -c "grep -q 'Event: mcgk-group-config' '$T/uas_ok.msg' && grep -q 'application/vnd.mcgk.group-config+xml' '$T/uas_ok.msg' && grep -q 'gms=\"$GMS\"' '$T/uas_ok.msg'"
# NOTIFYs carrying a media GMK: (Call-ID, I_MESSAGE) pairs; UDP retransmissions repeat one
awk '/^-----/{if (cid != "" && im != "") print cid, im; cid = ""; im = ""}
     /^Call-ID:/{cid = $2}
     /<gmk use="media">/{sub(/.*<gmk use="media">/, ""); sub(/<.*/, ""); im = $0}
     END{if (cid != "" && im != "") print cid, im}' "$T/uas_ok.msg" | sort -u >"$T/pairs"
N_DOCS=$(cut -d' ' -f1 "$T/pairs" | sort -u | wc -l)
N_IM=$(cut -d' ' -f2 "$T/pairs" | sort -u | wc -l)
check "R-000-19: a different I_MESSAGE for each member ($N_DOCS NOTIFYs)" test "$N_IM" = "$N_DOCS" -a "$N_DOCS" -ge 2

# ---- an unregistered member is reached once it registers -----------------------------
register "erin;$D;$P_OK" || bad "register erin" "sipp"
if wait_state "$J1" sip:erin@$D confirmed 15; then ok "a late registration wakes the retry: erin confirmed"; else bad "erin" "$(state_of $J1 sip:erin@$D)"; fi

# ---- authorisation -------------------------------------------------------------------
"$MCGK" gms member authorise $GA sip:dave@$D "${G[@]}" >"$T/auth.out" 2>>"$T/admin.log" || bad "authorise" "failed"
JA=$(job_of "$T/auth.out")
if wait_state "$JA" sip:dave@$D confirmed 15; then ok "R-001-28/R-001-30: explicit affiliation - once authorised, dave (subscribed by REGISTER) gets the current GMK (no restart)"; else bad "R-001-28" "$(state_of $JA sip:dave@$D)"; fi
check "the add job carries the current GMK" bash -c "'$MCGK' gms status --job $JA --data-dir '$T/gms' | head -1 | grep -q 'gmk $K1'"

# ---- HTTPS pull: 401 / 403 / 404 -----------------------------------------------------
URL="https://127.0.0.1:$HTTPS_PORT/groups/$(printf %s "$GA" | sed 's/:/%3A/; s/@/%40/')"
code() { curl -s -o "$T/pull.out" -w '%{http_code}' --cacert "$T/tls.crt" "$@"; }
check "pull without a token: 401" test "$(code "$URL")" = 401
check "pull with a wrong token: 401" test "$(code -H "Authorization: Bearer $(printf 'ab%.0s' $(seq 32))" "$URL")" = 401
check "pull of an unknown group: 404" test "$(code -H "Authorization: Bearer $(cat "$T/alice.tok")" "https://127.0.0.1:$HTTPS_PORT/groups/sip%3Anope%40x")" = 404
"$MCGK" gms member add $GB sip:frank@$D "${G[@]}" --token-out "$T/frank.tok" >/dev/null 2>>"$T/admin.log"
check "pull by a non-member of the group: 403" test "$(code -H "Authorization: Bearer $(cat "$T/frank.tok")" "$URL")" = 403
check "R-003-28: pull by a member: 200 with its own I_MESSAGE" bash -c "[ \"\$(curl -s -o '$T/pull.out' -w '%{http_code}' --cacert '$T/tls.crt' -H 'Authorization: Bearer $(cat "$T/alice.tok")' '$URL')\" = 200 ] && grep -q '<gmk use=\"media\">' '$T/pull.out'"

# ---- a pair: media + floor control in one NOTIFY; one GMK for two groups ----------------
"$MCGK" gms gmk rotate --groups $GA,$GB --floor-control "${G[@]}" --wait --timeout 20 \
    >"$T/rot2.out" 2>"$T/rot2.err"
J2=$(job_of "$T/rot2.out")
check "R-004-12: two GMK-IDs for the pair" test "$(grep -c '^key_id' "$T/rot2.out")" = 2
check "R-004-13/R-004-19: alice's NOTIFY carries both, media and floor-control" bash -c "grep -q '<gmk use=\"floor-control\">' '$T/uas_ok.msg'"
check "R-001-06: one GMK for two groups (alice is in both: one delivery, both groups)" \
    bash -c "'$MCGK' gms gmk show $(sed -n 's/^key_id = \([0-9a-f]*\) (media)/\1/p' "$T/rot2.out") --data-dir '$T/gms' | grep -c '  group' | grep -q 2"
check "alice confirmed the pair" test "$(state_of $J2 sip:alice@$D)" = confirmed

# ---- revocation by SIP (R-003-34, R-003-35) ------------------------------------------
"$MCGK" gms gmk revoke "$K1" "${G[@]}" --wait --timeout 20 >"$T/rev.out" 2>"$T/rev.err"
JR=$(job_of "$T/rev.out")
check "R-003-35: the revocation is a push job" bash -c "'$MCGK' gms status --job $JR --data-dir '$T/gms' | head -1 | grep -q 'revoke  push'"
check "R-003-34: revocation delivered to the members by SIP" test "$(state_of $JR sip:alice@$D)" = confirmed
check "revoke twice: error: revoked" bash -c "'$MCGK' gms gmk revoke $K1 --data-dir '$T/gms' 2>&1 | grep -q 'error: revoked'"

# ---- removal: the member is told; the profile rotates for the others --------------------
"$MCGK" gms member remove $GA sip:bob@$D "${G[@]}" --wait --timeout 20 >"$T/rm.out" 2>"$T/rm.err"
JN=$(sed -n 's/^notice_job = //p' "$T/rm.out")
JK=$(sed -n 's/^rekey_job = //p' "$T/rm.out")
check "R-001-25: the removed member is told" wait_state "$JN" sip:bob@$D confirmed 10
check "the notice says state=removed" grep -q 'state="removed"' "$T/uas_ok.msg"
check "R-001-24: the profile rotates the GMK for the remaining members" test -n "$JK"
check "... and bob is not among them" bash -c "[ -z \"\$('$MCGK' gms status --job $JK --member sip:bob@$D --data-dir '$T/gms' | awk 'NR>1')\" ]"
check "... alice got it" test "$(state_of $JK sip:alice@$D)" = confirmed
check "R-001-24/R-004-13: the group's floor-control GMK is replaced too (bob knew it)" \
    bash -c "grep -q '^key_id = [0-9a-f]* (media)' '$T/rm.out' && grep -q '^key_id = [0-9a-f]* (floor-control)' '$T/rm.out'"

# ---- restart: bindings restored, nothing lost ----------------------------------------
kill -TERM "$GMS_PID"; wait "$GMS_PID" 2>/dev/null
check "clean shutdown on SIGTERM" grep -q 'event=stopped' "$T/gms.log"
start_gms
"$MCGK" gms gmk rotate --groups $GA "${G[@]}" --wait --timeout 20 >"$T/rot3.out" 2>"$T/rot3.err"
J3=$(job_of "$T/rot3.out")
check "after a restart the bindings are restored (no re-registration): alice confirmed" \
    test "$(state_of $J3 sip:alice@$D)" = confirmed

# ---- the logs never carry key bytes or tokens ----------------------------------------
check "no token in the logs" bash -c "! grep -qF '$(cat "$T/alice.tok")' '$T/gms.log'"
check "--help on every verb" bash -c "for v in init serve group member gmk status; do '$MCGK' gms \$v --help | grep -q usage || exit 1; done"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
