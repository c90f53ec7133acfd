#!/usr/bin/env bash
# Integration test of the KMS (TS 33.180 Annex D over HTTPS) and the client's
# provisioning: real `mcgk kms serve` processes on 127.0.0.1 with a TLS
# certificate made here, driven by `mcgk client provision` and by curl.
#   three users and a GMS provisioned; every error case (unknown user,
#   missing/wrong token, another user's URI, a period too far ahead, revoked,
#   malformed / oversized / deeply nested / wrong-namespace / unknown-element
#   XML, DTDs, wrong method/path, TLS < 1.2); partner certificates; a key
#   period rollover in the client's refresh loop; a restart keeps everything;
#   the fetched key sets validate in wolfSSL (when the interop binary is built).
# Usage: bash test_kms_server.sh path/to/mcgk
# No pipefail: checks are `producer | grep -q PAT`, and grep -q exits at the first
# match, so the producer may die of SIGPIPE; the check must be grep's verdict.
set -u

. "$(dirname "$0")/../../scripts/loopback.sh"
lb_init kms-it "$@"
BUILD=$(dirname "$MCGK")

# ---- fixtures ------------------------------------------------------------------------
KMS_URI=kms.example.org
PARTNER_URI=kms.partner.org
ALICE=sip:alice@example.org
BOB=sip:bob@example.org
CAROL=sip:carol@example.org
GMS=sip:gms@example.org
GROUP1=sip:group1@example.org
GROUP2=sip:group2@example.org

lb_tls_cert
# a second, unrelated certificate (wrong trust anchor for the client)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/other.key" -out "$T/other.crt" -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 || die "openssl req failed"

"$MCGK" kms init --data-dir "$T/kms" --kms-uri $KMS_URI --period 3600 \
    >"$T/init.out" 2>"$T/init.err" || die "kms init: $(cat "$T/init.err")"
# the partner system's KMS: a short key period, so the rollover test is quick
"$MCGK" kms init --data-dir "$T/partner" --kms-uri $PARTNER_URI --period 8 \
    >/dev/null 2>"$T/init2.err" || die "kms init (partner): $(cat "$T/init2.err")"

add_user() { # dir uri tokenfile [options...]
    local dir=$1 uri=$2 tok=$3
    shift 3
    "$MCGK" kms user add "$uri" --data-dir "$dir" --token-out "$tok" "$@" >/dev/null 2>>"$T/admin.log"
}
add_user "$T/kms" $ALICE "$T/alice.tok" || die "user add alice"
add_user "$T/kms" $BOB "$T/bob.tok" || die "user add bob"
add_user "$T/kms" $CAROL "$T/carol.tok" || die "user add carol"
add_user "$T/kms" $GMS "$T/gms.tok" --role gms --identities $GROUP1 || die "user add gms"
add_user "$T/partner" sip:dave@partner.org "$T/dave.tok" || die "user add dave"

start_server() { # dir name -> sets PORT_<name>, PID_<name>
    local dir=$1 name=$2
    rm -f "$T/$name.port"
    "$MCGK" kms serve --data-dir "$dir" --listen 127.0.0.1:0 --port-file "$T/$name.port" \
        --tls-cert "$T/tls.crt" --tls-key "$T/tls.key" --threads 2 2>>"$T/$name.log" &
    local pid=$!
    PIDS+=("$pid")
    for _ in $(seq 1 100); do
        [ -s "$T/$name.port" ] && break
        kill -0 "$pid" 2>/dev/null || die "$name server exited: $(tail -3 "$T/$name.log")"
        sleep 0.1
    done
    [ -s "$T/$name.port" ] || die "$name server did not start"
    printf -v "PORT_$name" '%s' "$(cat "$T/$name.port")"
    printf -v "PID_$name" '%s' "$pid"
}

stop_server() { # name -> exit status of the server
    local pid_var="PID_$1"
    local pid=${!pid_var}
    kill -TERM "$pid"
    wait "$pid"
    local rc=$?
    local keep=()
    for p in "${PIDS[@]}"; do [ "$p" != "$pid" ] && keep+=("$p"); done
    PIDS=("${keep[@]+"${keep[@]}"}")
    return $rc
}

start_server "$T/kms" main
start_server "$T/partner" partner
URL="https://127.0.0.1:$PORT_main"
PURL="https://127.0.0.1:$PORT_partner"
ROOT=/keymanagement/identity/v1

# KmsRequest body: user kms
request_xml() {
    cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<KmsRequest xmlns="urn:3gpp:ns:mcsecKMSInterface:1.0" Version="1.1.0">
  <UserUri>$1</UserUri>
  <KmsUri>$2</KmsUri>
  <Time>$(date -u +%Y-%m-%dT%H:%M:%SZ)</Time>
  <ClientReqUrl>$URL$ROOT</ClientReqUrl>
</KmsRequest>
EOF
}

# post PATH TOKEN-or-"" BODYFILE [curl args] -> prints "STATUS ERRORCODE", body in $T/resp
post() {
    local path=$1 tok=$2 body=$3
    shift 3
    local auth=()
    [ -n "$tok" ] && auth=(-H "Authorization: Bearer $tok")
    local status
    status=$(curl -s -o "$T/resp" -D "$T/resp.h" -w '%{http_code}' --cacert "$T/tls.crt" \
        "${auth[@]+"${auth[@]}"}" -H 'Content-Type: application/xml' \
        --data-binary @"$body" "$@" "$URL$path")
    local code
    code=$(sed -n 's:.*<ErrorCode>\(-\{0,1\}[0-9]*\)</ErrorCode>.*:\1:p' "$T/resp" | head -1)
    echo "$status ${code:--}"
}

expect() { # name got want
    if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "got '$2', want '$3'"; fi
}

tok() { cat "$T/$1.tok"; }

provision() { # user tokfile dir [more args]
    local user=$1 tok=$2 dir=$3
    shift 3
    "$MCGK" client provision --kms "$URL" --user "$user" --token "$tok" \
        --cacert "$T/tls.crt" --data-dir "$dir" --once "$@"
}

# ---- provisioning --------------------------------------------------------------------

# R-003-03, R-004-01, R-001-03: each MC client is provisioned with identity-specific key
# material by its KMS (step 0) - three users over HTTPS with mcgk's client.
test_R_003_03_R_004_01_users_provisioned() {
    local u
    for u in alice bob carol; do
        local uri="sip:$u@example.org"
        if ! provision "$uri" "$T/$u.tok" "$T/c-$u" --prefetch 1 >"$T/prov-$u.out" \
            2>"$T/prov-$u.err"; then
            bad "$FUNCNAME" "$u: $(cat "$T/prov-$u.err")"
            return
        fi
        grep -Eq "^fetched = [12]$" "$T/prov-$u.out" || { bad "$FUNCNAME" "$u fetched"; return; }
        local got
        got=$("$MCGK" client keysets --data-dir "$T/c-$u" --at "$(date +%s)" 2>&1)
        echo "$got" | grep -q "^identity = $uri$" || { bad "$FUNCNAME" "$u: $got"; return; }
        # the UID is the one of TS 33.180 F.2.1 for this user, KMS and period
        local n uid want
        n=$(echo "$got" | sed -n 's/^period_no = //p')
        uid=$(echo "$got" | sed -n 's/^uid = //p')
        if "$MCGK" crypto uid --user "$uri" --kms $KMS_URI --period 3600 --offset 0 \
            --period-no "$n" >"$T/uid.out" 2>/dev/null; then
            want=$(sed -n 's/^uid = //p' "$T/uid.out")
            [ "$uid" = "$want" ] || { bad "$FUNCNAME" "$u UID $uid != $want"; return; }
        fi
    done
    # the key files and stores are private
    [ "$(stat -c %a "$T/c-alice/client.db")" = 600 ] || { bad "$FUNCNAME" "client.db mode"; return; }
    [ "$(stat -c %a "$T/c-alice/kek.key")" = 600 ] || { bad "$FUNCNAME" "kek.key mode"; return; }
    [ "$(stat -c %a "$T/kms/kms.db")" = 600 ] || { bad "$FUNCNAME" "kms.db mode"; return; }
    ok "$FUNCNAME"
}

# R-003-04, R-004-02, R-001-04, R-003-02, R-001-02: the GMS is (securely: TLS + its own
# token) provisioned for its own URI, the identity authorised to create groups.
# R-000-02, R-002-02: ... and for the group identities it manages - only those.
test_R_003_04_R_004_02_R_000_02_gms_provisioned() {
    if ! provision $GMS "$T/gms.tok" "$T/c-gms" --identities $GROUP1 --prefetch 1 \
        >"$T/prov-gms.out" 2>"$T/prov-gms.err"; then
        bad "$FUNCNAME" "$(cat "$T/prov-gms.err")"
        return
    fi
    grep -Eq "^fetched = [24]$" "$T/prov-gms.out" || { bad "$FUNCNAME" "fetched"; return; }
    "$MCGK" client keysets --data-dir "$T/c-gms" --at "$(date +%s)" --identity $GROUP1 \
        >/dev/null 2>&1 || { bad "$FUNCNAME" "no group key set"; return; }
    "$MCGK" client keysets --data-dir "$T/c-gms" --at "$(date +%s)" --identity $GMS \
        >/dev/null 2>&1 || { bad "$FUNCNAME" "no GMS key set"; return; }
    # a group identity it does not manage is refused (403 forbidden), nothing stored
    local err
    err=$(provision $GMS "$T/gms.tok" "$T/c-gms2" --identities $GROUP2 2>&1 >/dev/null)
    echo "$err" | grep -q "error: forbidden" || { bad "$FUNCNAME" "group2: $err"; return; }
    # granting it (the running server sees the change at once) makes it work
    "$MCGK" kms user grant $GMS $GROUP2 --data-dir "$T/kms" >/dev/null 2>>"$T/admin.log"
    provision $GMS "$T/gms.tok" "$T/c-gms2" --identities $GROUP2 >/dev/null 2>&1 ||
        { bad "$FUNCNAME" "group2 after grant"; return; }
    ok "$FUNCNAME"
}

# R-000-01, R-002-01, R-003-05: before provisioning a client holds no keys
test_R_000_01_R_003_05_no_keys_before_provisioning() {
    local err
    err=$("$MCGK" client keysets --data-dir "$T/c-nobody" --at "$(date +%s)" 2>&1)
    if [ $? -ne 0 ] && echo "$err" | grep -q "error: no-keys"; then
        ok "$FUNCNAME"
    else
        bad "$FUNCNAME" "$err"
    fi
}

# R-003-01: time-limited key material, the next period's keys fetched before the
# current period ends; R-001-01: a key set serves only its own period.
test_R_003_01_R_001_01_time_limited() {
    local now=$(date +%s)
    local out
    out=$(provision $ALICE "$T/alice.tok" "$T/c-alice2" --prefetch 3600 2>/dev/null)
    echo "$out" | grep -q "^next_period = yes$" || { bad "$FUNCNAME" "no next: $out"; return; }
    local n1 n2
    n1=$("$MCGK" client keysets --data-dir "$T/c-alice2" --at "$now" 2>/dev/null |
        sed -n 's/^period_no = //p')
    n2=$("$MCGK" client keysets --data-dir "$T/c-alice2" --at $((now + 3600)) 2>/dev/null |
        sed -n 's/^period_no = //p')
    [ -n "$n1" ] && [ "$n2" = $((n1 + 1)) ] || { bad "$FUNCNAME" "periods '$n1' '$n2'"; return; }
    "$MCGK" client keysets --data-dir "$T/c-alice2" --at $((now + 7200)) >/dev/null 2>&1 &&
        { bad "$FUNCNAME" "keys two periods ahead"; return; }
    # a second run fetches nothing new
    out=$(provision $ALICE "$T/alice.tok" "$T/c-alice2" --prefetch 3600 2>/dev/null)
    echo "$out" | grep -q "^fetched = 0$" || { bad "$FUNCNAME" "refetched: $out"; return; }
    ok "$FUNCNAME"
}

# ---- every error case, over curl -------------------------------------------------------

test_errors_over_curl() {
    request_xml $ALICE $KMS_URI >"$T/alice.xml"
    request_xml sip:nobody@example.org $KMS_URI >"$T/nobody.xml"
    request_xml $BOB $KMS_URI >"$T/bob.xml"
    request_xml $ALICE kms.elsewhere.org >"$T/wrongkms.xml"
    expect "curl init ok" "$(post $ROOT/init "$(tok alice)" "$T/alice.xml")" "200 -"
    expect "curl keyprov ok" "$(post $ROOT/keyprov "$(tok alice)" "$T/alice.xml")" "200 -"
    expect "curl certcache ok" "$(post $ROOT/certcache "$(tok alice)" "$T/alice.xml")" "200 -"
    expect "unknown user -> 403 unknown-user" \
        "$(post $ROOT/keyprov "$(tok alice)" "$T/nobody.xml")" "403 34"
    expect "missing token -> 401 auth-missing" "$(post $ROOT/keyprov "" "$T/alice.xml")" "401 32"
    grep -qi '^WWW-Authenticate: Bearer' "$T/resp.h" && ok "401 carries WWW-Authenticate" ||
        bad "401 carries WWW-Authenticate" "$(cat "$T/resp.h")"
    expect "wrong token -> 401 auth-failed" \
        "$(post $ROOT/keyprov 0123456789abcdef "$T/alice.xml")" "401 33"
    expect "another user's token for bob -> 401 auth-failed" \
        "$(post $ROOT/keyprov "$(tok alice)" "$T/bob.xml")" "401 33"
    expect "another user's URI -> 403 forbidden" \
        "$(post "$ROOT/keyprov/sip%3Abob%40example.org" "$(tok alice)" "$T/alice.xml")" "403 36"
    local ntp=$(($(date +%s) + 2208988800 + 3 * 3600))
    local hex
    hex=$(printf '%08X00000000' $((ntp & 0xFFFFFFFF)))
    expect "period too far ahead -> 403 period" \
        "$(post "$ROOT/keyprov/sip%3Aalice%40example.org/$hex" "$(tok alice)" "$T/alice.xml")" \
        "403 37"
    hex=$(printf '%08X00000000' $(((ntp - 3 * 3600 + 3600) & 0xFFFFFFFF)))
    expect "next period -> 200" \
        "$(post "$ROOT/keyprov/sip%3Aalice%40example.org/$hex" "$(tok alice)" "$T/alice.xml")" \
        "200 -"
    expect "wrong KMS -> 400 wrong-kms" \
        "$(post $ROOT/keyprov "$(tok alice)" "$T/wrongkms.xml")" "400 38"
    # malformed, oversized, deep, namespace, unknown element, DTD
    printf '<KmsRequest xmlns="urn:3gpp:ns:mcsecKMSInterface:1.0"><UserUri>' >"$T/malformed.xml"
    expect "malformed XML -> 400 xml-syntax" \
        "$(post $ROOT/keyprov "$(tok alice)" "$T/malformed.xml")" "400 25"
    { request_xml $ALICE $KMS_URI; head -c 20000 /dev/zero | tr '\0' ' '; } >"$T/big.xml"
    expect "oversized -> 413 oversized" "$(post $ROOT/keyprov "$(tok alice)" "$T/big.xml")" \
        "413 20"
    {
        printf '<KmsRequest xmlns="urn:3gpp:ns:mcsecKMSInterface:1.0">'
        for _ in $(seq 1 300); do printf '<a>'; done
        for _ in $(seq 1 300); do printf '</a>'; done
        printf '</KmsRequest>'
    } >"$T/deep.xml"
    expect "deeply nested -> 400 xml-depth" "$(post $ROOT/keyprov "$(tok alice)" "$T/deep.xml")" \
        "400 27"
    request_xml $ALICE $KMS_URI | sed 's/mcsecKMSInterface:1.0/mcsecKMSInterface:9.9/' >"$T/ns.xml"
    expect "wrong namespace -> 400 xml-namespace" \
        "$(post $ROOT/keyprov "$(tok alice)" "$T/ns.xml")" "400 28"
    request_xml $ALICE $KMS_URI | sed 's:</KmsRequest>:<Surprise/></KmsRequest>:' >"$T/unk.xml"
    expect "unknown element -> 400 xml-unknown" \
        "$(post $ROOT/keyprov "$(tok alice)" "$T/unk.xml")" "400 29"
    { echo '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'; request_xml $ALICE $KMS_URI |
        sed 1d; } >"$T/dtd.xml"
    expect "DTD / external entity -> 400 xml-dtd" \
        "$(post $ROOT/keyprov "$(tok alice)" "$T/dtd.xml")" "400 26"
    : >"$T/empty.xml"
    expect "empty body -> 400 xml-missing" "$(post $ROOT/keyprov "$(tok alice)" "$T/empty.xml")" \
        "400 30"
    expect "unknown resource -> 404" "$(post $ROOT/nothing "$(tok alice)" "$T/alice.xml")" "404 39"
    local st
    st=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/tls.crt" "$URL$ROOT/init")
    expect "GET -> 405" "$st" "405"
    # TLS below 1.2 is refused
    if curl -s -o /dev/null --cacert "$T/tls.crt" --tlsv1.0 --tls-max 1.1 "$URL$ROOT/init" \
        2>/dev/null; then
        bad "TLS 1.1 refused" "handshake succeeded"
    else
        ok "TLS 1.1 refused"
    fi
    # revoke bob: 403 revoked; his client reports it
    "$MCGK" kms user revoke $BOB --data-dir "$T/kms" >/dev/null 2>>"$T/admin.log"
    expect "revoked user -> 403 revoked" "$(post $ROOT/keyprov "$(tok bob)" "$T/bob.xml")" "403 35"
    # every failure was logged with its user and error
    grep -q 'event=keyprov status=403 user="sip:nobody@example.org".*error=unknown-user' \
        "$T/main.log" && ok "errors are logged" || bad "errors are logged" "$(tail -3 "$T/main.log")"
    # and no key material or token ever appears in the logs
    local leak=0
    grep -q "$(tok alice)" "$T"/*.log && leak=1
    local ssk
    ssk=$(post $ROOT/keyprov "$(tok alice)" "$T/alice.xml" >/dev/null;
        sed -n 's:.*<UserSigningKeySSK>\(.*\)</UserSigningKeySSK>.*:\1:p' "$T/resp")
    [ -n "$ssk" ] && grep -qi "$ssk" "$T"/*.log && leak=1
    [ $leak = 0 ] && ok "no token or key in the logs" || bad "no token or key in the logs" "leak"
}

test_client_refusals() {
    local err
    err=$(provision $ALICE "$T/bob.tok" "$T/c-x1" 2>&1 >/dev/null)
    echo "$err" | grep -q "error: auth-failed" && ok "client: wrong token" ||
        bad "client: wrong token" "$err"
    err=$(provision sip:nobody@example.org "$T/alice.tok" "$T/c-x2" 2>&1 >/dev/null)
    echo "$err" | grep -q "error: unknown-user" && ok "client: unknown user" ||
        bad "client: unknown user" "$err"
    err=$(provision $BOB "$T/bob.tok" "$T/c-x3" 2>&1 >/dev/null)
    echo "$err" | grep -q "error: revoked" && ok "client: revoked user" ||
        bad "client: revoked user" "$err"
    err=$("$MCGK" client provision --kms "$URL" --user $ALICE --token "$T/alice.tok" \
        --cacert "$T/other.crt" --data-dir "$T/c-x4" --once 2>&1 >/dev/null)
    echo "$err" | grep -q "error: tls" && ok "client: untrusted TLS certificate" ||
        bad "client: untrusted TLS certificate" "$err"
    chmod 644 "$T/carol.tok"
    err=$(provision $CAROL "$T/carol.tok" "$T/c-x5" 2>&1 >/dev/null)
    echo "$err" | grep -q "error: file-mode" && ok "client: token file readable by others" ||
        bad "client: token file readable by others" "$err"
    chmod 600 "$T/carol.tok"
    err=$("$MCGK" client provision --kms "https://127.0.0.1:1" --user $ALICE \
        --token "$T/alice.tok" --data-dir "$T/c-x6" --once --timeout-ms 2000 2>&1 >/dev/null)
    echo "$err" | grep -q "error: io" && ok "client: KMS unreachable" ||
        bad "client: KMS unreachable" "$err"
    # a new token replaces the old one and reinstates bob
    "$MCGK" kms user token $BOB --data-dir "$T/kms" --token-out "$T/bob2.tok" >/dev/null \
        2>>"$T/admin.log"
    err=$(provision $BOB "$T/bob.tok" "$T/c-x7" 2>&1 >/dev/null)
    echo "$err" | grep -q "error: auth-failed" && ok "old token stops working" ||
        bad "old token stops working" "$err"
    provision $BOB "$T/bob2.tok" "$T/c-x7" >/dev/null 2>&1 && ok "new token works" ||
        bad "new token works" "refused"
}

# R-004-03: the primary KMS has exchanged domain parameters with the partner system's
# KMS; its certificate cache carries the partner's certificate, and clients get it.
test_R_004_03_partner_certificates() {
    "$MCGK" kms cert --data-dir "$T/partner" --out "$T/partner-cert.xml" 2>>"$T/admin.log" ||
        { bad "$FUNCNAME" "cert export"; return; }
    "$MCGK" kms trust "$T/partner-cert.xml" --data-dir "$T/kms" >/dev/null 2>>"$T/admin.log" ||
        { bad "$FUNCNAME" "trust"; return; }
    "$MCGK" kms trust --list --data-dir "$T/kms" 2>/dev/null | grep -q "^$PARTNER_URI " ||
        { bad "$FUNCNAME" "trust --list"; return; }
    # its own certificate, or garbage, is refused
    "$MCGK" kms cert --data-dir "$T/kms" --out "$T/own-cert.xml" 2>/dev/null
    local msg
    msg=$("$MCGK" kms trust "$T/own-cert.xml" --data-dir "$T/kms" 2>&1)
    echo "$msg" | grep -q "error: wrong-kms" || { bad "$FUNCNAME" "own cert accepted"; return; }
    echo '<KmsCertificate xmlns="urn:other"/>' >"$T/junk.xml"
    msg=$("$MCGK" kms trust "$T/junk.xml" --data-dir "$T/kms" 2>&1)
    echo "$msg" | grep -q "error: xml-namespace" || { bad "$FUNCNAME" "junk accepted"; return; }
    # the running server serves it (no restart)
    request_xml $ALICE $KMS_URI >"$T/alice.xml"
    [ "$(post $ROOT/certcache "$(tok alice)" "$T/alice.xml")" = "200 -" ] &&
        grep -q "<KmsUri>$PARTNER_URI</KmsUri>" "$T/resp" &&
        grep -q 'Role="External"' "$T/resp" || { bad "$FUNCNAME" "certcache: $(cat "$T/resp")"; return; }
    local cache
    cache=$(sed -n 's/.*CacheNum="\([0-9]*\)".*/\1/p' "$T/resp")
    post "$ROOT/certcache/$cache" "$(tok alice)" "$T/alice.xml" >/dev/null
    grep -q "<KmsCertificate" "$T/resp" && { bad "$FUNCNAME" "cache $cache not empty"; return; }
    local out
    out=$(provision $CAROL "$T/carol.tok" "$T/c-carol" 2>/dev/null)
    echo "$out" | grep -q "^partners = 1$" || { bad "$FUNCNAME" "client: $out"; return; }
    "$MCGK" client keysets --data-dir "$T/c-carol" 2>/dev/null |
        grep -q "^cert $PARTNER_URI .*partner" || { bad "$FUNCNAME" "client store"; return; }
    ok "$FUNCNAME"
}

# R-001-01: key material is time-limited; the client's refresh loop fetches each next
# period's keys before the current one ends (partner KMS: 8-second periods).
test_R_001_01_refresh_loop_rollover() {
    "$MCGK" client provision --kms "$PURL" --user sip:dave@partner.org --token "$T/dave.tok" \
        --cacert "$T/tls.crt" --data-dir "$T/c-dave" --prefetch 4 --retry 1 \
        2>"$T/dave.log" &
    local pid=$!
    PIDS+=("$pid")
    local n=0
    for _ in $(seq 1 100); do
        n=$("$MCGK" client keysets --data-dir "$T/c-dave" 2>/dev/null | grep -c '^keyset ')
        [ "$n" -ge 3 ] && break
        sleep 0.25
    done
    kill -TERM "$pid"
    wait "$pid"
    local rc=$?
    [ "$n" -ge 3 ] || { bad "$FUNCNAME" "only $n key sets: $(tail -3 "$T/dave.log")"; return; }
    [ $rc -eq 0 ] || { bad "$FUNCNAME" "loop exit $rc"; return; }
    grep -q "event=stopping" "$T/dave.log" || { bad "$FUNCNAME" "no clean stop"; return; }
    # whatever time it is now, the keys for it are held
    "$MCGK" client keysets --data-dir "$T/c-dave" --at "$(date +%s)" >/dev/null 2>&1 ||
        { bad "$FUNCNAME" "no keys now"; return; }
    ok "$FUNCNAME"
}

# Key sets fetched over the interface validate in wolfSSL (an independent
# implementation): tests/interop/test_kms_wolfssl reads the documents fetched here.
test_wolfssl_validates_fetched_keysets() {
    local bin=$BUILD/test_kms_wolfssl
    if [ ! -x "$bin" ]; then
        echo "skip wolfSSL leg: $bin not built"
        return
    fi
    request_xml $ALICE $KMS_URI >"$T/alice.xml"
    post $ROOT/init "$(tok alice)" "$T/alice.xml" >/dev/null
    cp "$T/resp" "$T/fetched-init.xml"
    local files=()
    for u in alice carol; do
        request_xml "sip:$u@example.org" $KMS_URI >"$T/$u.xml"
        post $ROOT/keyprov "$(tok $u)" "$T/$u.xml" >/dev/null
        cp "$T/resp" "$T/fetched-$u.xml"
        files+=("$T/fetched-$u.xml")
    done
    request_xml $GMS $KMS_URI >"$T/gms.xml"
    post "$ROOT/keyprov/sip%3Agroup1%40example.org" "$(tok gms)" "$T/gms.xml" >/dev/null
    cp "$T/resp" "$T/fetched-group1.xml"
    files+=("$T/fetched-group1.xml")
    local list
    list=$(IFS=:; echo "${files[*]}")
    if MCGK_KMS_INIT_XML="$T/fetched-init.xml" MCGK_KMS_KEYPROV_XML="$list" "$bin" \
        >"$T/wolf.out" 2>&1; then
        ok "$FUNCNAME"
    else
        bad "$FUNCNAME" "$(tail -5 "$T/wolf.out")"
    fi
}

# A restart keeps everything: community, users (and revocations), tokens, partners;
# SIGTERM stops the server cleanly.
test_restart_keeps_everything() {
    # settle the client first: within the last tenth of a key period (the default
    # --prefetch) the next period's keys are due, whatever the restart does
    provision $ALICE "$T/alice.tok" "$T/c-alice" >/dev/null 2>&1
    request_xml $ALICE $KMS_URI >"$T/alice.xml"
    post $ROOT/init "$(tok alice)" "$T/alice.xml" >/dev/null
    local z1
    z1=$(sed -n 's:.*<PubEncKey>\(.*\)</PubEncKey>.*:\1:p' "$T/resp")
    stop_server main || { bad "$FUNCNAME" "server did not stop cleanly"; return; }
    grep -q "event=stopped" "$T/main.log" || { bad "$FUNCNAME" "no stop log"; return; }
    start_server "$T/kms" main
    URL="https://127.0.0.1:$PORT_main"
    post $ROOT/init "$(tok alice)" "$T/alice.xml" >/dev/null
    [ "$(sed -n 's:.*<PubEncKey>\(.*\)</PubEncKey>.*:\1:p' "$T/resp")" = "$z1" ] ||
        { bad "$FUNCNAME" "Z changed"; return; }
    [ "$(post $ROOT/keyprov "$(tok alice)" "$T/alice.xml")" = "200 -" ] ||
        { bad "$FUNCNAME" "alice"; return; }
    request_xml sip:dave@partner.org $KMS_URI >"$T/dave.xml"
    [ "$(post $ROOT/keyprov "$(tok dave)" "$T/dave.xml")" = "403 34" ] ||
        { bad "$FUNCNAME" "dave is not ours"; return; }
    post $ROOT/certcache "$(tok alice)" "$T/alice.xml" >/dev/null
    grep -q "<KmsUri>$PARTNER_URI</KmsUri>" "$T/resp" || { bad "$FUNCNAME" "partner lost"; return; }
    local out
    out=$(provision $ALICE "$T/alice.tok" "$T/c-alice" 2>/dev/null)
    grep -q "^fetched = 0$" <<<"$out" || { bad "$FUNCNAME" "client re-fetched: $out"; return; }
    ok "$FUNCNAME"
}

# Secrets at rest: a passphrase instead of a key file; the wrong one does not open.
test_passphrase_sealing() {
    printf 'correct horse battery staple\n' >"$T/pass"
    chmod 600 "$T/pass"
    "$MCGK" kms init --data-dir "$T/kms-pw" --kms-uri kms.pw.org --passphrase-file "$T/pass" \
        >/dev/null 2>&1 || { bad "$FUNCNAME" "init"; return; }
    [ -e "$T/kms-pw/kek.key" ] && { bad "$FUNCNAME" "a key file was created"; return; }
    printf 'wrong\n' >"$T/wrongpass"
    chmod 600 "$T/wrongpass"
    local err
    err=$("$MCGK" kms serve --data-dir "$T/kms-pw" --listen 127.0.0.1:0 --passphrase-file \
        "$T/wrongpass" --tls-cert "$T/tls.crt" --tls-key "$T/tls.key" 2>&1)
    echo "$err" | grep -q "error: unseal" || { bad "$FUNCNAME" "wrong passphrase: $err"; return; }
    err=$(MCGK_PASSPHRASE=wrong "$MCGK" kms serve --data-dir "$T/kms-pw" --listen 127.0.0.1:0 \
        --tls-cert "$T/tls.crt" --tls-key "$T/tls.key" 2>&1)
    echo "$err" | grep -q "error: unseal" || { bad "$FUNCNAME" "env passphrase: $err"; return; }
    err=$("$MCGK" kms serve --data-dir "$T/kms-pw" --listen 127.0.0.1:0 \
        --tls-cert "$T/tls.crt" --tls-key "$T/tls.key" 2>&1)
    echo "$err" | grep -q "error:" || { bad "$FUNCNAME" "no key at all: $err"; return; }
    err=$("$MCGK" kms init --data-dir "$T/kms-pw" --kms-uri kms.pw.org --passphrase-file \
        "$T/pass" 2>&1)
    echo "$err" | grep -q "error: exists" || { bad "$FUNCNAME" "re-init allowed"; return; }
    ok "$FUNCNAME"
}

test_cli_usage() {
    local v
    for v in "kms init" "kms serve" "kms user" "kms trust" "kms cert" "client provision" \
        "client keysets"; do
        # shellcheck disable=SC2086
        "$MCGK" $v --help | grep -q "^usage: mcgk $v" || { bad "$FUNCNAME" "$v --help"; return; }
    done
    "$MCGK" kms user add --data-dir "$T/kms" >/dev/null 2>&1
    [ $? -eq 2 ] || { bad "$FUNCNAME" "missing URI not a usage error"; return; }
    local out
    out=$("$MCGK" kms user add $ALICE --data-dir "$T/kms" 2>&1)
    echo "$out" | grep -q "error: exists" || { bad "$FUNCNAME" "duplicate user"; return; }
    "$MCGK" kms user list --data-dir "$T/kms" 2>/dev/null | grep -q "^sip:bob@example.org .*active" ||
        { bad "$FUNCNAME" "list"; return; }
    out=$("$MCGK" kms serve --data-dir "$T/none" 2>&1)
    echo "$out" | grep -q "error: not-found" || { bad "$FUNCNAME" "serve without init"; return; }
    ok "$FUNCNAME"
}

test_R_003_03_R_004_01_users_provisioned
test_R_003_04_R_004_02_R_000_02_gms_provisioned
test_R_000_01_R_003_05_no_keys_before_provisioning
test_R_003_01_R_001_01_time_limited
test_errors_over_curl
test_client_refusals
test_R_004_03_partner_certificates
test_R_001_01_refresh_loop_rollover
test_wolfssl_validates_fetched_keysets
test_restart_keeps_everything
test_passphrase_sealing
test_cli_usage

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
