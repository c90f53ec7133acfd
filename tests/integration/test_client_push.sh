#!/usr/bin/env bash
# Integration test of `mcgk client run` receiving GMKs by SIP push
# (docs/gms-protocol.md, docs/client.md), with real daemons on loopback:
#   - a real `mcgk kms serve` (HTTPS) from which the client provisions itself;
#   - `mcgk sip listen` as the GMS's registrar: the client REGISTERs there;
#   - `mcgk sip notify` as the GMS's sending side: NOTIFYs whose bodies are group
#     configuration documents around I_MESSAGEs built by `mcgk mikey seal` with the
#     GMS's real key set (fetched from the KMS with curl).
# Checked: storing (and `mcgk client keys`), the error status with the name of the
# failed check going back for tampered, replayed, wrong-group and wrong-signer
# notifications, revocation, removal (deleted unless shared), selection by
# activation time and by timestamp, media + floor-control in one document,
# idempotent re-sends, kill -9 while storing and between commit and answer, a clean
# SIGTERM, and that no key ever reaches a log.
# Usage: bash test_client_push.sh path/to/mcgk
# No pipefail: checks are `producer | grep -q PAT`, and grep -q exits at the first
# match, so the producer may die of SIGPIPE; the check must be grep's verdict.
set -u

. "$(dirname "$0")/../../scripts/loopback.sh"
lb_init client-push "$@"

KMS_URI=kms.example.org
GMS=sip:gms@example.org
ALICE=sip:alice@example.org
BOB=sip:bob@example.org
G1=sip:group1@example.org
G2=sip:group2@example.org
G3=sip:group3@example.org
NS=urn:mcgk:params:xml:ns:group-config

# ---- the KMS -----------------------------------------------------------------------------
lb_tls_cert
lb_kms_init $KMS_URI
for u in gms alice bob; do
    role=user
    [ $u = gms ] && role=gms
    "$MCGK" kms user add "sip:$u@example.org" --role $role --data-dir "$T/kms" \
        --token-out "$T/$u.tok" >/dev/null 2>&1 || die "kms user add $u"
done
lb_kms_serve

# the GMS's certificate and key sets, as a GMS fetches them (Annex D over HTTPS)
fetch() { # user endpoint out
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<KmsRequest xmlns="urn:3gpp:ns:mcsecKMSInterface:1.0" Version="1.1.0"><UserUri>%s</UserUri><KmsUri>%s</KmsUri><Time>%s</Time><ClientReqUrl>%s/keymanagement/identity/v1/%s</ClientReqUrl></KmsRequest>\n' \
        "$1" $KMS_URI "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$KMS_URL" "$2" |
        curl -sf --cacert "$T/tls.crt" -H "Authorization: Bearer $(cat "$T/$(echo "$1" |
            sed 's/sip:\([a-z]*\)@.*/\1/').tok")" --data-binary @- \
            "$KMS_URL/keymanagement/identity/v1/$2" >"$3"
}
fetch $GMS init "$T/cert.xml" && fetch $GMS keyprov "$T/gms-keys.xml" &&
    fetch $BOB keyprov "$T/bob-keys.xml" || die "fetching the GMS's keys"

# seal OUT USER [mikey seal options]: an I_MESSAGE as base64 (GMS signing by default)
seal() {
    local out=$1 user=$2
    shift 2
    "$MCGK" mikey seal --kms-cert "$T/cert.xml" --keys "$T/gms-keys.xml" --user "$user" \
        "$@" >"$out" 2>"$out.err"
}
# doc OUT SEQ then lines "group ID GMS STATE" / "gmk USE FILE" on stdin
doc() {
    local out=$1 seq=$2
    {
        printf '<group-config xmlns="%s" version="1" seq="%s">\n' $NS "$seq"
        while read -r kind a b c; do
            case $kind in
            group) printf '  <group id="%s" gms="%s" state="%s"/>\n' "$a" "$b" "$c" ;;
            gmk) printf '  <gmk use="%s">%s</gmk>\n' "$a" "$(tr -d '\n' <"$b")" ;;
            esac
        done
        printf '</group-config>\n'
    } >"$out"
}

# ---- the GMS's registrar and the client ----------------------------------------------------
"$MCGK" sip listen --listen 127.0.0.1:0 --port-file "$T/gms.port" --local-uri $GMS \
    >"$T/registrar.out" 2>"$T/registrar.log" &
PIDS+=($!)
for _ in $(seq 1 50); do [ -s "$T/gms.port" ] && break; sleep 0.1; done
[ -s "$T/gms.port" ] || die "sip listen did not start"
GMS_SIP="sip:127.0.0.1:$(cat "$T/gms.port")"

CLIENT_PID=
start_client() { # dir user token [env...]
    local dir=$1 user=$2 tok=$3
    shift 3
    rm -f "$dir.port"
    env "$@" "$MCGK" client run --user "$user" --kms "$KMS_URL" --token "$tok" \
        --cacert "$T/tls.crt" --gms $GMS --gms-sip "$GMS_SIP" --expires 120 \
        --listen 127.0.0.1:0 --port-file "$dir.port" --data-dir "$dir" --workers 2 \
        >>"$dir.out" 2>>"$dir.log" &
    CLIENT_PID=$!
    PIDS+=("$CLIENT_PID")
    for _ in $(seq 1 100); do [ -s "$dir.port" ] && break; sleep 0.1; done
    [ -s "$dir.port" ] || die "client run did not start: $(tail -3 "$dir.log")"
    # wait until it has keys and is registered
    for _ in $(seq 1 100); do
        grep -q "event=registered identity=\"$user\"" "$dir.log" 2>/dev/null && break
        sleep 0.1
    done
}
stop_client() { # -> exit status
    kill -TERM "$CLIENT_PID" 2>/dev/null
    wait "$CLIENT_PID"
    local rc=$?
    local keep=()
    for p in "${PIDS[@]}"; do [ "$p" != "$CLIENT_PID" ] && keep+=("$p"); done
    PIDS=("${keep[@]+"${keep[@]}"}")
    return $rc
}

A="$T/c-alice"
start_client "$A" $ALICE "$T/alice.tok"
APORT=$(cat "$A.port")

# notify DOC -> prints "status=N warning=W" (the GMS's view of the answer)
notify() {
    "$MCGK" sip notify --to "sip:m0@127.0.0.1:$APORT" --aor $ALICE --from $GMS \
        --body-file "$1" --t1-ms "${2:-100}" 2>/dev/null |
        sed -n 's/^status=\([0-9]*\) result=[^ ]* warning="\([^"]*\)".*/status=\1 warning=\2/p'
}
keys() { "$MCGK" client keys --data-dir "$A" "$@" 2>&1; }
gmk_line() { keys | grep "^gmk .*gmk_id=$1 "; }

expect() { # name got want
    if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "got '$2', want '$3'"; fi
}

NOW=$(date +%s)
SEQ=1

# ---- tests -------------------------------------------------------------------------------

# R-000-04 (the UE registers with the group manager), R-003-03: provisioned, then
# registered: the registrar holds alice's binding to the client's contact
test_R_000_04_registered() {
    if grep -q "binding aor=\"$ALICE\" contact=\"sip:m0@127.0.0.1:$APORT\"" "$T/registrar.out" &&
        "$MCGK" client keysets --data-dir "$A" --at "$NOW" >/dev/null 2>&1; then
        ok "$FUNCNAME"
    else
        bad "$FUNCNAME" "$(cat "$T/registrar.out") $(tail -3 "$A.log")"
    fi
}

# R-001-21, R-003-24, R-004-10, R-001-22, R-003-25, R-004-11: a pushed GMK is opened,
# stored (GMK-ID, GUK-ID, parameters) and confirmed with 200 (no security content)
test_R_001_21_R_003_24_R_003_25_push_stored() {
    seal "$T/m1" $ALICE --gmk 00112233445566778899aabbccddeeff --gmk-id 0a000001 \
        --groups $G1,$G2 --text "Crew one" --activation $((NOW - 100)) --expiry $((NOW + 86400)) ||
        { bad "$FUNCNAME" "seal: $(cat "$T/m1.err")"; return; }
    local guk
    guk=$(sed -n 's/^guk_id = //p' "$T/m1.err")
    printf 'group %s %s member\ngroup %s %s member\ngmk media %s\n' $G1 $GMS $G2 $GMS "$T/m1" |
        doc "$T/d1.xml" 1
    local got
    got=$(notify "$T/d1.xml")
    [ "$got" = "status=200 warning=" ] || { bad "$FUNCNAME" "answer: $got"; return; }
    local line
    line=$(gmk_line 0a000001)
    echo "$line" | grep -q "guk_id=$guk use=media status=active" &&
        echo "$line" | grep -q "groups=\"$G1\",\"$G2\" selected_for=\"$G1\",\"$G2\"" &&
        echo "$line" | grep -q 'text="Crew one"' ||
        { bad "$FUNCNAME" "keys: $line // $(keys)"; return; }
    keys | grep -q "^group identity=\"$ALICE\" group=\"$G1\" state=member .* media=0a000001 " ||
        { bad "$FUNCNAME" "group line: $(keys)"; return; }
    grep -q 'event=gmk identity="sip:alice@example.org" gmk_id=0a000001 .*action=stored' "$A.log" ||
        { bad "$FUNCNAME" "log"; return; }
    ok "$FUNCNAME"
}

# an exact re-delivery and a fresh message for the same GMK: 200, nothing changes
test_idempotent_resends() {
    expect "re-delivered document -> 200" "$(notify "$T/d1.xml")" "status=200 warning="
    sleep 1 # a fresh message: a new timestamp (the same second would be a replay)
    seal "$T/m1b" $ALICE --gmk 00112233445566778899aabbccddeeff --gmk-id 0a000001 \
        --groups $G1,$G2 --text "Crew one" --activation $((NOW - 100)) --expiry $((NOW + 86400))
    printf 'group %s %s member\ngmk media %s\n' $G1 $GMS "$T/m1b" | doc "$T/d1b.xml" $((SEQ += 1))
    expect "same GMK re-sent -> 200" "$(notify "$T/d1b.xml")" "status=200 warning="
    [ "$(keys | grep -c '^gmk ')" = 1 ] && ok "still one GMK" || bad "still one GMK" "$(keys)"
}

# R-001-20, R-003-23, R-004-09, R-001-14, R-003-17: a tampered notification is refused and
# the error status goes back with the check's name
test_R_001_20_R_003_23_tampered() {
    seal "$T/m2" $ALICE --gmk-id 0a000002 --groups $G1
    # flip one base64 character near the end (inside the signature)
    local b64 flipped
    b64=$(cat "$T/m2")
    local pos=$((${#b64} - 20))
    local c=${b64:$pos:1}
    local r=A
    [ "$c" = A ] && r=B
    flipped="${b64:0:$pos}$r${b64:$((pos + 1))}"
    echo "$flipped" >"$T/m2t"
    printf 'group %s %s member\ngmk media %s\n' $G1 $GMS "$T/m2t" | doc "$T/d2.xml" $((SEQ += 1))
    expect "$FUNCNAME" "$(notify "$T/d2.xml")" "status=403 warning=signature"
    gmk_line 0a000002 >/dev/null && bad "tampered GMK not stored" "stored" ||
        ok "tampered GMK not stored"
    grep -q 'event=refused identity="sip:alice@example.org" via=sip status=403 error=signature' \
        "$A.log" && ok "refusal logged" || bad "refusal logged" "$(tail -3 "$A.log")"
}

# a replayed notification (the same I_MESSAGE again in a new document) is refused
test_replayed() {
    printf 'group %s %s member\ngmk media %s\n' $G1 $GMS "$T/m1" | doc "$T/d3.xml" $((SEQ += 1))
    expect "$FUNCNAME" "$(notify "$T/d3.xml")" "status=403 warning=replay"
}

# R-000-21, R-001-19: wrong group - a GMK for a group the client does not know, and a
# document naming a GMS that is not the configured / an authorised one
test_R_000_21_R_001_19_wrong_group() {
    seal "$T/m4" $ALICE --gmk-id 0a000004 --groups $G3
    printf 'group %s %s member\ngmk media %s\n' $G1 $GMS "$T/m4" | doc "$T/d4.xml" $((SEQ += 1))
    expect "GMK for an unknown group -> 403" "$(notify "$T/d4.xml")" "status=403 warning=not-authorised"
    seal "$T/m4b" $ALICE --gmk-id 0a00004b --groups $G1
    printf 'group %s %s member\ngmk media %s\n' $G1 sip:rogue@example.org "$T/m4b" |
        doc "$T/d4b.xml" $((SEQ += 1))
    expect "group managed by a foreign GMS -> 403" "$(notify "$T/d4b.xml")" \
        "status=403 warning=not-authorised"
}

# R-003-18, R-000-21, R-004-08: a GMK signed by an identity that is not an authorised GMS
test_R_003_18_wrong_signer() {
    "$MCGK" mikey seal --kms-cert "$T/cert.xml" --keys "$T/bob-keys.xml" --user $ALICE \
        --gmk-id 0a000005 --groups $G1 >"$T/m5" 2>/dev/null || { bad "$FUNCNAME" "seal"; return; }
    printf 'group %s %s member\ngmk media %s\n' $G1 $GMS "$T/m5" | doc "$T/d5.xml" $((SEQ += 1))
    expect "$FUNCNAME" "$(notify "$T/d5.xml")" "status=403 warning=not-authorised"
}

# a message for another member
test_not_for_me() {
    seal "$T/m6" $BOB --gmk-id 0a000006 --groups $G1
    printf 'group %s %s member\ngmk media %s\n' $G1 $GMS "$T/m6" | doc "$T/d6.xml" $((SEQ += 1))
    expect "$FUNCNAME" "$(notify "$T/d6.xml")" "status=403 warning=not-for-me"
}

# garbage documents and the SIP envelope
test_bad_documents() {
    echo '<group-config xmlns="urn:other"/>' >"$T/bad.xml"
    expect "not a group document -> 400" "$(notify "$T/bad.xml")" "status=400 warning=malformed"
    local got
    got=$("$MCGK" sip notify --to "sip:m0@127.0.0.1:$APORT" --body-file "$T/d1.xml" \
        --content-type text/plain --t1-ms 100 2>/dev/null | sed -n 's/^status=\([0-9]*\).*/\1/p')
    expect "wrong Content-Type -> 415" "$got" 415
    got=$("$MCGK" sip notify --to "sip:m7@127.0.0.1:$APORT" --body-file "$T/d1.xml" \
        --t1-ms 100 2>/dev/null | sed -n 's/^status=\([0-9]*\).*/\1/p')
    expect "unknown identity -> 404" "$got" 404
}

# R-004-13, R-004-12: two GMKs in one procedure, media and floor control
test_R_004_13_media_and_floor_control() {
    seal "$T/m8a" $ALICE --gmk-id 0a000008 --groups $G2 --activation $((NOW - 50))
    seal "$T/m8b" $ALICE --gmk-id 0a000009 --groups $G2 --activation $((NOW - 50))
    printf 'group %s %s member\ngmk media %s\ngmk floor-control %s\n' $G2 $GMS "$T/m8a" \
        "$T/m8b" | doc "$T/d8.xml" $((SEQ += 1))
    expect "$FUNCNAME answer" "$(notify "$T/d8.xml")" "status=200 warning="
    keys | grep -q "^group identity=\"$ALICE\" group=\"$G2\" .* media=0a000008 floor_control=0a000009$" &&
        ok "$FUNCNAME" || bad "$FUNCNAME" "$(keys | grep "group=\"$G2\"")"
}

# R-001-23: several active GMKs for a group: the latest activation time; R-000-23:
# equal activation: the latest I_MESSAGE timestamp, and an older one arriving later does
# not take over
test_R_001_23_R_000_23_selection() {
    seal "$T/m10" $ALICE --gmk-id 0a000010 --groups $G1 --activation $((NOW - 10))
    seal "$T/m11" $ALICE --gmk-id 0a000011 --groups $G1 --activation $((NOW + 3600))
    printf 'group %s %s member\ngmk media %s\ngmk media %s\n' $G1 $GMS "$T/m10" "$T/m11" |
        doc "$T/d10.xml" $((SEQ += 1))
    expect "two GMKs answered" "$(notify "$T/d10.xml")" "status=200 warning="
    keys | grep -q "group=\"$G1\" .* media=0a000010 " && ok "R-001-23 latest activation" ||
        bad "R-001-23 latest activation" "$(keys | grep "group=\"$G1\"")"
    gmk_line 0a000011 | grep -q "status=pending" && ok "future activation is pending" ||
        bad "future activation is pending" "$(gmk_line 0a000011)"
    keys --at $((NOW + 3700)) | grep -q "group=\"$G1\" .* media=0a000011 " &&
        ok "taken over once active" || bad "taken over once active" "$(keys --at $((NOW + 3700)))"
    # equal activation: timestamps decide
    seal "$T/m12" $ALICE --gmk-id 0a000012 --groups $G3 --activation $((NOW - 5)) --time $((NOW + 20))
    seal "$T/m13" $ALICE --gmk-id 0a000013 --groups $G3 --activation $((NOW - 5)) --time $((NOW + 10))
    printf 'group %s %s member\ngmk media %s\n' $G3 $GMS "$T/m12" | doc "$T/d12.xml" $((SEQ += 1))
    printf 'group %s %s member\ngmk media %s\n' $G3 $GMS "$T/m13" | doc "$T/d13.xml" $((SEQ += 1))
    expect "newer first" "$(notify "$T/d12.xml")" "status=200 warning="
    expect "older second" "$(notify "$T/d13.xml")" "status=200 warning="
    keys | grep -q "group=\"$G3\" .* media=0a000012 " && ok "R-000-23 latest timestamp" ||
        bad "R-000-23 latest timestamp" "$(keys | grep "group=\"$G3\"")"
}

# R-003-34: a revocation (by SIP) is accepted with 200 and the GMK is not used any more
test_R_003_34_revocation() {
    seal "$T/m15" $ALICE --gmk 0f0e0d0c0b0a09080706050403020100 --gmk-id 0a000020 --groups $G1 \
        --activation $((NOW - 1))
    printf 'group %s %s member\ngmk media %s\n' $G1 $GMS "$T/m15" | doc "$T/d15.xml" $((SEQ += 1))
    expect "GMK to revoke stored" "$(notify "$T/d15.xml")" "status=200 warning="
    keys | grep -q "group=\"$G1\" .* media=0a000020 " || { bad "$FUNCNAME" "not selected first"; return; }
    sleep 1 # the revocation is a new message: a new timestamp
    seal "$T/m16" $ALICE --gmk 0f0e0d0c0b0a09080706050403020100 --gmk-id 0a000020 --groups $G1 \
        --activation $((NOW - 1)) --revoked
    printf 'group %s %s member\ngmk media %s\n' $G1 $GMS "$T/m16" | doc "$T/d16.xml" $((SEQ += 1))
    expect "revocation -> 200" "$(notify "$T/d16.xml")" "status=200 warning="
    gmk_line 0a000020 | grep -q "status=revoked .* selected_for=- " ||
        { bad "$FUNCNAME" "$(gmk_line 0a000020)"; return; }
    keys | grep -q "group=\"$G1\" .* media=0a000010 " && ok "$FUNCNAME" ||
        bad "$FUNCNAME" "$(keys | grep "group=\"$G1\"")"
}

# R-001-33: removed from a group, its GMKs are deleted unless another group the client
# remains in still uses them
test_R_001_33_removal() {
    # 0a000001 serves G1 and G2; 0a000008/9 serve G2 only
    printf 'group %s %s removed\n' $G2 $GMS | doc "$T/d17.xml" $((SEQ += 1))
    expect "removal answered" "$(notify "$T/d17.xml")" "status=200 warning="
    gmk_line 0a000008 >/dev/null && { bad "$FUNCNAME" "0a000008 kept"; return; }
    gmk_line 0a000009 >/dev/null && { bad "$FUNCNAME" "0a000009 kept"; return; }
    gmk_line 0a000001 >/dev/null || { bad "$FUNCNAME" "shared 0a000001 deleted"; return; }
    keys | grep -q "group=\"$G2\" state=removed .* media=- floor_control=-" ||
        { bad "$FUNCNAME" "group state: $(keys | grep "group=\"$G2\"")"; return; }
    grep -q 'gmk_id=0a000008 .*action=deleted' "$A.log" &&
        grep -q 'gmk_id=0a000001 .*action=kept' "$A.log" || { bad "$FUNCNAME" "log"; return; }
    # the deleted GMK cannot come back from its old message
    printf 'group %s %s member\ngmk media %s\n' $G2 $GMS "$T/m8a" | doc "$T/d18.xml" $((SEQ += 1))
    expect "old message of a deleted GMK refused" "$(notify "$T/d18.xml")" "status=403 warning=replay"
    ok "$FUNCNAME"
}

# kill -9 while storing: the client dies after writing the rows but before COMMIT (no
# answer); restarted, it holds the old state; the GMS's retry then stores the new one
test_kill_while_storing() {
    stop_client || { bad "$FUNCNAME" "SIGTERM exit status"; return; }
    local before
    before=$(keys | sort)
    start_client "$A" $ALICE "$T/alice.tok" MCGK_TEST_CRASH=client-commit
    APORT=$(cat "$A.port")
    local pid=$CLIENT_PID
    seal "$T/m19" $ALICE --gmk-id 0a000019 --groups $G1
    printf 'group %s %s member\ngmk media %s\n' $G1 $GMS "$T/m19" | doc "$T/d19.xml" $((SEQ += 1))
    local got
    got=$(notify "$T/d19.xml" 20)
    { wait "$pid"; } 2>/dev/null
    local rc=$?
    [ $rc -eq 137 ] || { bad "$FUNCNAME" "client exit $rc (want SIGKILL)"; return; }
    [ -z "$got" ] || [ "${got%% *}" = "status=0" ] || { bad "$FUNCNAME" "answered: $got"; return; }
    [ "$(keys | sort)" = "$before" ] || { bad "$FUNCNAME" "state changed: $(keys)"; return; }
    start_client "$A" $ALICE "$T/alice.tok"
    APORT=$(cat "$A.port")
    seal "$T/m19" $ALICE --gmk-id 0a000019 --groups $G1
    printf 'group %s %s member\ngmk media %s\n' $G1 $GMS "$T/m19" | doc "$T/d19.xml" $((SEQ += 1))
    expect "retry after the crash -> 200" "$(notify "$T/d19.xml")" "status=200 warning="
    gmk_line 0a000019 >/dev/null && ok "$FUNCNAME" || bad "$FUNCNAME" "not stored after retry"
}

# killed after COMMIT but before the 200: restarted, it holds the new state and answers
# the GMS's re-delivery of the same document 200
test_kill_before_answer() {
    stop_client
    start_client "$A" $ALICE "$T/alice.tok" MCGK_TEST_CRASH=client-reply
    APORT=$(cat "$A.port")
    local pid=$CLIENT_PID
    seal "$T/m20" $ALICE --gmk-id 0a000021 --groups $G1
    printf 'group %s %s member\ngmk media %s\n' $G1 $GMS "$T/m20" | doc "$T/d20.xml" $((SEQ += 1))
    notify "$T/d20.xml" 20 >/dev/null
    { wait "$pid"; } 2>/dev/null
    [ $? -eq 137 ] || { bad "$FUNCNAME" "not killed"; return; }
    gmk_line 0a000021 >/dev/null || { bad "$FUNCNAME" "committed GMK lost"; return; }
    start_client "$A" $ALICE "$T/alice.tok"
    APORT=$(cat "$A.port")
    expect "$FUNCNAME" "$(notify "$T/d20.xml")" "status=200 warning="
}

# clean stop on SIGTERM; no key, token or I_MESSAGE in any log
test_clean_stop_and_logs() {
    stop_client && ok "SIGTERM: exit 0" || bad "SIGTERM: exit 0" "status $?"
    grep -q "event=stopped" "$A.log" && ok "stop logged" || bad "stop logged" "$(tail -2 "$A.log")"
    local leak=0
    for k in 00112233445566778899aabbccddeeff 0f0e0d0c0b0a09080706050403020100; do
        grep -qi "$k" "$A.log" "$A.out" "$T/registrar.out" "$T/registrar.log" && leak=1
    done
    grep -qF "$(cat "$T/alice.tok")" "$A.log" && leak=1
    grep -qF "$(head -c 40 "$T/m1")" "$A.log" && leak=1
    [ $leak = 0 ] && ok "no key, token or message in the logs" ||
        bad "no key, token or message in the logs" "leak"
    keys --json | grep -q "\"gmk_id\": \"0a000001\"" && ok "keys --json" || bad "keys --json" "$(keys --json)"
    keys --json | grep -qi 00112233445566778899aabbccddeeff && bad "keys shows no key" "leak" ||
        ok "keys shows no key"
}

test_cli_usage() {
    "$MCGK" client run --help | grep -q "^usage: mcgk client run" || { bad "$FUNCNAME" "run --help"; return; }
    "$MCGK" client keys --help | grep -q "^usage: mcgk client keys" || { bad "$FUNCNAME" "keys --help"; return; }
    "$MCGK" client run --user $ALICE --gms $GMS >/dev/null 2>&1
    [ $? -eq 2 ] || { bad "$FUNCNAME" "no transport not a usage error"; return; }
    "$MCGK" client run --user $ALICE --gms-sip "$GMS_SIP" >/dev/null 2>&1
    [ $? -eq 2 ] || { bad "$FUNCNAME" "no GMS not a usage error"; return; }
    local out
    out=$("$MCGK" client keys --data-dir "$T/nothing" 2>&1)
    echo "$out" | grep -q "error: no-keys" || { bad "$FUNCNAME" "keys without a store: $out"; return; }
    ok "$FUNCNAME"
}

test_R_000_04_registered
test_R_001_21_R_003_24_R_003_25_push_stored
test_idempotent_resends
test_R_001_20_R_003_23_tampered
test_replayed
test_R_000_21_R_001_19_wrong_group
test_R_003_18_wrong_signer
test_not_for_me
test_bad_documents
test_R_004_13_media_and_floor_control
test_R_001_23_R_000_23_selection
test_R_003_34_revocation
test_R_001_33_removal
test_kill_while_storing
test_kill_before_answer
test_clean_stop_and_logs
test_cli_usage

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
