#!/usr/bin/env bash
# Integration test of `mcgk client run` in scale mode: many identities in one
# process (--user-range with a token directory, and --identities FILE), each
# provisioned from a real `mcgk kms serve`, each REGISTERed with its own Contact
# user on one shared UDP endpoint, each receiving its own NOTIFY and answering it,
# one store with an identity column; receivers built lazily (a small cache).
# Usage: bash test_client_scale.sh path/to/mcgk
# No pipefail: checks are `producer | grep -q PAT`, and grep -q exits at the first
# match, so the producer may die of SIGPIPE; the check must be grep's verdict.
set -u

. "$(dirname "$0")/../../scripts/loopback.sh"
lb_init client-scale "$@"
N=${MCGK_SCALE_N:-24}

KMS_URI=kms.example.org
GMS=sip:gms@example.org
G1=sip:group1@example.org
NS=urn:mcgk:params:xml:ns:group-config

lb_tls_cert
lb_kms_init $KMS_URI
"$MCGK" kms user add $GMS --role gms --data-dir "$T/kms" --token-out "$T/gms.tok" \
    >/dev/null 2>&1 || die "user add gms"
mkdir -m 700 "$T/tokens"
for i in $(seq 1 "$N"); do
    "$MCGK" kms user add "sip:u$i@example.org" --data-dir "$T/kms" \
        --token-out "$T/tokens/$i.tok" >/dev/null 2>&1 || die "user add u$i"
done
lb_kms_serve

fetch() { # endpoint out
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<KmsRequest xmlns="urn:3gpp:ns:mcsecKMSInterface:1.0" Version="1.1.0"><UserUri>%s</UserUri><KmsUri>%s</KmsUri><Time>%s</Time><ClientReqUrl>%s/keymanagement/identity/v1/%s</ClientReqUrl></KmsRequest>\n' \
        $GMS $KMS_URI "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$KMS_URL" "$1" |
        curl -sf --cacert "$T/tls.crt" -H "Authorization: Bearer $(cat "$T/gms.tok")" \
            --data-binary @- "$KMS_URL/keymanagement/identity/v1/$1" >"$2"
}
fetch init "$T/cert.xml" && fetch keyprov "$T/gms-keys.xml" || die "fetching the GMS's keys"

"$MCGK" sip listen --listen 127.0.0.1:0 --port-file "$T/gms.port" --local-uri $GMS \
    >"$T/registrar.out" 2>"$T/registrar.log" &
PIDS+=($!)
for _ in $(seq 1 50); do [ -s "$T/gms.port" ] && break; sleep 0.1; done
[ -s "$T/gms.port" ] || die "sip listen did not start"
GMS_SIP="sip:127.0.0.1:$(cat "$T/gms.port")"

# one document per member: a GMK for group1
make_doc() { # i gmk-id out
    "$MCGK" mikey seal --kms-cert "$T/cert.xml" --keys "$T/gms-keys.xml" \
        --user "sip:u$1@example.org" --gmk 000102030405060708090a0b0c0d0e0f --gmk-id "$2" \
        --groups $G1 >"$T/m$1" 2>/dev/null || return 1
    printf '<group-config xmlns="%s" version="1" seq="%s"><group id="%s" gms="%s" state="member"/><gmk>%s</gmk></group-config>\n' \
        $NS 1 $G1 $GMS "$(cat "$T/m$1")" >"$3"
}

# R-000-03, R-000-04, R-003-03 at scale: every identity provisioned and registered
test_R_000_04_range_registered() {
    "$MCGK" client run --user-range "sip:u%d@example.org:1-$N" --token-dir "$T/tokens" \
        --kms "$KMS_URL" --cacert "$T/tls.crt" --gms $GMS --gms-sip "$GMS_SIP" \
        --listen 127.0.0.1:0 --port-file "$T/c.port" --data-dir "$T/c" --receiver-cache 4 \
        --workers 2 >"$T/c.out" 2>"$T/c.log" &
    CPID=$!
    PIDS+=("$CPID")
    local n=0
    for _ in $(seq 1 300); do
        n=$(grep -c '^binding aor="sip:u[0-9]*@example.org" contact="sip:m[0-9]*@' "$T/registrar.out")
        [ "$n" -ge "$N" ] && break
        sleep 0.1
    done
    [ "$n" -ge "$N" ] && ok "$FUNCNAME ($n bindings)" || bad "$FUNCNAME" "$n of $N: $(tail -3 "$T/c.log")"
    # distinct contacts on one endpoint
    local contacts
    contacts=$(sed -n 's/^binding .* contact="\(sip:m[0-9]*@[^"]*\)".*/\1/p' "$T/registrar.out" |
        sort -u | wc -l)
    [ "$contacts" -ge "$N" ] && ok "one contact per identity" || bad "one contact per identity" "$contacts"
}

# every identity opens and stores its own GMK (R-001-21 per member) and answers 200
test_R_001_21_each_member_stores() {
    local port fails=0
    port=$(cat "$T/c.port")
    for i in $(seq 1 "$N"); do
        make_doc "$i" 0b000001 "$T/d$i.xml" || { bad "$FUNCNAME" "seal $i"; return; }
        local k=$((i - 1)) # u1 is the first identity: Contact m0
        local got
        got=$("$MCGK" sip notify --to "sip:m$k@127.0.0.1:$port" --aor "sip:u$i@example.org" \
            --body-file "$T/d$i.xml" --t1-ms 100 2>/dev/null | sed -n 's/^status=\([0-9]*\).*/\1/p')
        [ "$got" = 200 ] || { fails=$((fails + 1)); echo "  u$i: $got"; }
    done
    [ $fails = 0 ] && ok "$FUNCNAME" || bad "$FUNCNAME" "$fails failed"
    local held
    held=$("$MCGK" client keys --data-dir "$T/c" 2>/dev/null | grep -c '^gmk .*gmk_id=0b000001 .*status=active')
    [ "$held" = "$N" ] && ok "keys: $N identities hold the GMK" || bad "keys: $N identities hold the GMK" "$held"
    # the GUK-IDs differ per member (end-point diversity), the GMK-ID is shared
    local guks
    guks=$("$MCGK" client keys --data-dir "$T/c" 2>/dev/null | sed -n 's/^gmk .* guk_id=\([0-9a-f]*\) .*/\1/p' |
        sort -u | wc -l)
    [ "$guks" = "$N" ] && ok "distinct GUK-IDs" || bad "distinct GUK-IDs" "$guks"
    # a message for u2 sent to u1's contact is refused (not-for-me)
    local got
    got=$("$MCGK" sip notify --to "sip:m0@127.0.0.1:$port" --body-file "$T/d2.xml" --t1-ms 100 \
        2>/dev/null | sed -n 's/^status=\([0-9]*\) result=[^ ]* warning="\([^"]*\)".*/\1 \2/p')
    [ "$got" = "403 not-for-me" ] && ok "another member's message refused" ||
        bad "another member's message refused" "$got"
}

test_clean_stop() {
    kill -TERM "$CPID"
    wait "$CPID"
    local rc=$?
    [ $rc = 0 ] && ok "$FUNCNAME" || bad "$FUNCNAME" "exit $rc"
}

# --identities FILE: the same with tokens inline (mode 0600 enforced)
test_identities_file() {
    : >"$T/ids"
    chmod 600 "$T/ids"
    for i in 1 2 3; do
        echo "sip:u$i@example.org $(cat "$T/tokens/$i.tok")" >>"$T/ids"
    done
    echo "# a comment" >>"$T/ids"
    "$MCGK" client run --identities "$T/ids" --kms "$KMS_URL" --cacert "$T/tls.crt" --gms $GMS \
        --gms-sip "$GMS_SIP" --data-dir "$T/c2" --port-file "$T/c2.port" >/dev/null 2>"$T/c2.log" &
    local pid=$!
    PIDS+=("$pid")
    local n=0
    for _ in $(seq 1 100); do
        n=$(grep -c 'event=registered' "$T/c2.log")
        [ "$n" -ge 3 ] && break
        sleep 0.1
    done
    kill -TERM "$pid"
    wait "$pid"
    [ "$n" = 3 ] && ok "$FUNCNAME" || bad "$FUNCNAME" "$n registered: $(tail -3 "$T/c2.log")"
    chmod 644 "$T/ids"
    local err
    err=$("$MCGK" client run --identities "$T/ids" --gms $GMS --gms-sip "$GMS_SIP" \
        --data-dir "$T/c3" 2>&1)
    echo "$err" | grep -q "error: file-mode" && ok "identities file must be private" ||
        bad "identities file must be private" "$err"
    chmod 600 "$T/ids"
    echo "sip:only-a-uri@example.org" >>"$T/ids"
    err=$("$MCGK" client run --identities "$T/ids" --gms $GMS --gms-sip "$GMS_SIP" \
        --data-dir "$T/c3" 2>&1)
    echo "$err" | grep -q "want URI KMS-TOKEN" && ok "bad identities line refused" ||
        bad "bad identities line refused" "$err"
    err=$("$MCGK" client run --user-range "sip:u@example.org:1-3" --gms $GMS \
        --gms-sip "$GMS_SIP" --data-dir "$T/c3" 2>&1)
    echo "$err" | grep -q "want PATTERN:A-B" && ok "bad range refused" || bad "bad range refused" "$err"
}

test_R_000_04_range_registered
test_R_001_21_each_member_stores
test_clean_stop
test_identities_file

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
