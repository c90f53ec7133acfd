#!/usr/bin/env bash
# Integration test of `mcgk client run` pulling group documents over HTTPS
# ('Get group configuration', docs/gms-protocol.md), with a real `mcgk kms serve`
# for the client's keys. The GMS side is `mcgk gms serve` when the binary has it
# (test_client_gms.sh drives that); here it is `openssl s_server -HTTP`, an
# independent TLS server answering canned HTTP responses: a document with an
# I_MESSAGE built by `mcgk mikey seal`, a tampered one, 403 and 404.
#   - R-003-27/30/32: pulled, validated, stored; --once exits 0;
#   - R-003-31: a failed validation exits 1 and is logged with the check's name;
#   - 403 / 404 answers and an untrusted TLS certificate are reported, nothing stored.
# Usage: bash test_client_pull.sh path/to/mcgk
# No pipefail: checks are `producer | grep -q PAT`, and grep -q exits at the first
# match, so the producer may die of SIGPIPE; the check must be grep's verdict.
set -u

. "$(dirname "$0")/../../scripts/loopback.sh"
lb_init client-pull "$@"

KMS_URI=kms.example.org
GMS=sip:gms@example.org
ALICE=sip:alice@example.org
G1=sip:group1@example.org
NS=urn:mcgk:params:xml:ns:group-config

lb_tls_cert
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/other.key" -out "$T/other.crt" -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 || die "openssl req"
lb_kms_init $KMS_URI
for u in gms alice; do
    role=user
    [ $u = gms ] && role=gms
    "$MCGK" kms user add "sip:$u@example.org" --role $role --data-dir "$T/kms" \
        --token-out "$T/$u.tok" >/dev/null 2>&1 || die "kms user add $u"
done
printf 'member-token-of-alice\n' >"$T/alice.gms.tok"
chmod 600 "$T/alice.gms.tok"
lb_kms_serve

fetch() { # endpoint out
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<KmsRequest xmlns="urn:3gpp:ns:mcsecKMSInterface:1.0" Version="1.1.0"><UserUri>%s</UserUri><KmsUri>%s</KmsUri><Time>%s</Time><ClientReqUrl>%s/keymanagement/identity/v1/%s</ClientReqUrl></KmsRequest>\n' \
        $GMS $KMS_URI "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$KMS_URL" "$1" |
        curl -sf --cacert "$T/tls.crt" -H "Authorization: Bearer $(cat "$T/gms.tok")" \
            --data-binary @- "$KMS_URL/keymanagement/identity/v1/$1" >"$2"
}
fetch init "$T/cert.xml" && fetch keyprov "$T/gms-keys.xml" || die "fetching the GMS's keys"

# the GMS stand-in: openssl s_server -HTTP serves files holding whole HTTP responses,
# named by the request path (percent-encoded as the client sends it)
W="$T/www"
mkdir -p "$W/groups"
respond() { # path status body-file|"" 
    local f="$W/$1"
    {
        printf 'HTTP/1.0 %s\r\nContent-Type: application/vnd.mcgk.group-config+xml\r\n' "$2"
        if [ -n "$3" ]; then
            printf 'Content-Length: %s\r\n\r\n' "$(wc -c <"$3")"
            cat "$3"
        else
            printf 'Content-Length: 0\r\n\r\n'
        fi
    } >"$f"
}
(cd "$W" && exec openssl s_server -HTTP -accept 127.0.0.1:0 -cert "$T/tls.crt" \
    -key "$T/tls.key" -quiet) >"$T/www.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 50); do grep -q "ACCEPT" "$T/www.out" 2>/dev/null && break; sleep 0.1; done
WPORT=$(sed -n 's/^ACCEPT .*:\([0-9]*\)$/\1/p' "$T/www.out" | head -1)
if [ -z "$WPORT" ]; then
    # older openssl prints nothing: pick a port ourselves
    kill "${PIDS[-1]}" 2>/dev/null
    WPORT=$((20000 + RANDOM % 20000))
    (cd "$W" && exec openssl s_server -HTTP -accept "127.0.0.1:$WPORT" -cert "$T/tls.crt" \
        -key "$T/tls.key" -quiet) >"$T/www.out" 2>&1 &
    PIDS+=($!)
    sleep 0.5
fi
GMS_URL="https://127.0.0.1:$WPORT"
ENC_G1=sip%3Agroup1%40example.org

pull() { # dir [options...] -> exit status
    local dir=$1
    shift
    "$MCGK" client run --user $ALICE --kms "$KMS_URL" --token "$T/alice.tok" \
        --cacert "$T/tls.crt" --gms $GMS --gms-url "$GMS_URL" --gms-token "$T/alice.gms.tok" \
        --data-dir "$dir" --timeout-ms 3000 --once "$@" >>"$dir.out" 2>>"$dir.log"
}

# R-003-27, R-003-30, R-003-32: the client asks the group's GMS, validates the
# I_MESSAGE in the document and stores the GMK with its IDs and parameters
test_R_003_27_R_003_30_R_003_32_pulled_and_stored() {
    "$MCGK" mikey seal --kms-cert "$T/cert.xml" --keys "$T/gms-keys.xml" --user $ALICE \
        --gmk-id 0c000001 --groups $G1 --text pulled >"$T/m1" 2>/dev/null || { bad "$FUNCNAME" "seal"; return; }
    printf '<group-config xmlns="%s" version="1" seq="1"><group id="%s" gms="%s" state="member"/><gmk use="media">%s</gmk></group-config>\n' \
        $NS $G1 $GMS "$(cat "$T/m1")" >"$T/d1.xml"
    respond "groups/$ENC_G1" "200 OK" "$T/d1.xml"
    pull "$T/c1" --pull $G1 || { bad "$FUNCNAME" "exit $?: $(tail -3 "$T/c1.log")"; return; }
    "$MCGK" client keys --data-dir "$T/c1" 2>/dev/null |
        grep -q "^gmk identity=\"$ALICE\" gmk_id=0c000001 .*status=active .*text=\"pulled\"" ||
        { bad "$FUNCNAME" "$("$MCGK" client keys --data-dir "$T/c1" 2>&1)"; return; }
    grep -q 'event=accepted identity="sip:alice@example.org" via=https status=200' "$T/c1.log" ||
        { bad "$FUNCNAME" "log"; return; }
    ok "$FUNCNAME"
}

# R-003-31: validation fails -> the client reports an error (exit 1, logged with the
# check) and stores nothing
test_R_003_31_tampered_pull() {
    local b64 pos
    b64=$(cat "$T/m1")
    pos=$((${#b64} - 30))
    local c=${b64:$pos:1} r=A
    [ "$c" = A ] && r=B
    printf '<group-config xmlns="%s" version="1" seq="2"><group id="%s" gms="%s" state="member"/><gmk use="media">%s</gmk></group-config>\n' \
        $NS $G1 $GMS "${b64:0:$pos}$r${b64:$((pos + 1))}" >"$T/d2.xml"
    respond "groups/$ENC_G1" "200 OK" "$T/d2.xml"
    pull "$T/c2" --pull $G1
    local rc=$?
    [ $rc = 1 ] || { bad "$FUNCNAME" "exit $rc"; return; }
    grep -q 'event=refused identity="sip:alice@example.org" via=https group="sip:group1@example.org" status=403 error=signature' \
        "$T/c2.log" || { bad "$FUNCNAME" "$(grep refused "$T/c2.log")"; return; }
    "$MCGK" client keys --data-dir "$T/c2" 2>/dev/null | grep -q '^gmk ' &&
        { bad "$FUNCNAME" "stored"; return; }
    ok "$FUNCNAME"
}

# the GMS's refusals (403 not a member, 404 unknown group) and an untrusted server
test_pull_refusals() {
    respond "groups/$ENC_G1" "403 Forbidden" ""
    pull "$T/c3" --pull $G1
    [ $? = 1 ] && grep -q 'event=pull-failed .*status=403' "$T/c3.log" && ok "403 reported" ||
        bad "403 reported" "$(tail -2 "$T/c3.log")"
    respond "groups/$ENC_G1" "404 Not Found" ""
    pull "$T/c4" --pull $G1
    [ $? = 1 ] && grep -q 'event=pull-failed .*status=404' "$T/c4.log" && ok "404 reported" ||
        bad "404 reported" "$(tail -2 "$T/c4.log")"
    respond "groups/$ENC_G1" "200 OK" "$T/d1.xml"
    "$MCGK" client run --user $ALICE --kms "$KMS_URL" --token "$T/alice.tok" \
        --cacert "$T/other.crt" --gms $GMS --gms-url "$GMS_URL" --gms-token "$T/alice.gms.tok" \
        --data-dir "$T/c5" --once --pull $G1 --timeout-ms 3000 >/dev/null 2>"$T/c5.log"
    # the KMS is not trusted either with that anchor: provisioning fails, no pull at all
    local rc=$?
    [ $rc = 1 ] && grep -q "event=provision-failed .*error=tls" "$T/c5.log" &&
        ok "untrusted servers refused" || bad "untrusted servers refused" "$rc $(tail -2 "$T/c5.log")"
    local err
    err=$("$MCGK" client run --user $ALICE --gms $GMS --gms-url "$GMS_URL" --pull $G1 \
        --data-dir "$T/c6" 2>&1)
    echo "$err" | grep -q "no GMS token" && ok "pull needs a member token" ||
        bad "pull needs a member token" "$err"
}

test_R_003_27_R_003_30_R_003_32_pulled_and_stored
test_R_003_31_tampered_pull
test_pull_refusals

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
