#!/usr/bin/env bash
# `mcgk mikey seal` / `mcgk mikey open` end to end, with real KMS documents.
#
# Two KMS communities run on loopback (`mcgk kms serve`, HTTPS): a home KMS for
# the GMS, alice and bob, and a partner KMS for carol. Their Annex D documents
# (KmsInit certificates, KmsKeyProv key sets) are fetched with curl exactly as
# a client would, then the GMS seals GMK I_MESSAGEs with its key set and the
# members open them with theirs: the accepted cases (formats, hidden
# identities, SAKKE-to-self, a revocation, a partner-KMS member, two GMKs) and
# rejections with their error names and exit codes (not-for-me,
# not-authorised, tampering, unknown-kms, timestamp, initiator), plus --help.
#
#   usage: bash test_mikey_gmk.sh path/to/mcgk
set -u
M=${1:?usage: test_mikey_gmk.sh path/to/mcgk}
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
ko() { fail=$((fail + 1)); echo "FAIL $1"; }
for tool in curl openssl base64; do
  command -v "$tool" > /dev/null || { echo "FAIL $tool is needed (scripts/install-deps)"; exit 1; }
done

W=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2> /dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2> /dev/null; done
  rm -rf "$W"
}
trap cleanup EXIT

# ---- two KMSs, their users, served over HTTPS -------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$W/tls.key" -out "$W/tls.crt" > /dev/null 2>&1 || { echo "FAIL openssl"; exit 1; }

# kms NAME URI PERIOD: init a community in $W/NAME
kms() {
  "$M" kms init --kms-uri "$2" --period "$3" --data-dir "$W/$1" > /dev/null 2>&1 || return 1
  cp "$W/tls.crt" "$W/tls.key" "$W/$1/" && chmod 600 "$W/$1/tls.key"
}
# user KMSNAME URI [ROLE]: add a user, its token in $W/KMSNAME.TOKEN-NAME
user() {
  local f="$W/$1.$(echo "$2" | tr -c 'a-z0-9' '_').tok"
  "$M" kms user add "$2" --role "${3:-user}" --data-dir "$W/$1" --token-out "$f" > /dev/null 2>&1
}
serve() {
  "$M" kms serve --listen 127.0.0.1:0 --port-file "$W/$1.port" --threads 2 --data-dir "$W/$1" \
    > "$W/$1.log" 2>&1 &
  PIDS+=($!)
}
kms home kms.home.example 2592000 && kms partner kms.partner.example 604800 ||
  { echo "FAIL kms init"; exit 1; }
user home sip:gms@home.example gms && user home sip:alice@home.example &&
  user home sip:bob@home.example && user partner sip:carol@partner.example ||
  { echo "FAIL kms user add"; exit 1; }
serve home
serve partner
for i in $(seq 1 100); do
  [ -s "$W/home.port" ] && [ -s "$W/partner.port" ] && break
  sleep 0.1
done
[ -s "$W/home.port" ] && [ -s "$W/partner.port" ] || { echo "FAIL kms serve"; cat "$W"/*.log; exit 1; }

# fetch KMSNAME KMSURI USER ENDPOINT OUT: POST a KmsRequest as USER (Annex D.2)
fetch() {
  local port tok
  port=$(cat "$W/$1.port")
  tok=$(cat "$W/$1.$(echo "$3" | tr -c 'a-z0-9' '_').tok")
  printf '<?xml version="1.0" encoding="UTF-8"?>\n<KmsRequest xmlns="urn:3gpp:ns:mcsecKMSInterface:1.0" Version="1.1.0"><UserUri>%s</UserUri><KmsUri>%s</KmsUri><Time>%s</Time><ClientReqUrl>https://127.0.0.1:%s/keymanagement/identity/v1/%s</ClientReqUrl></KmsRequest>\n' \
    "$3" "$2" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$port" "$4" |
    curl -sf --cacert "$W/tls.crt" -H "Authorization: Bearer $tok" --data-binary @- \
      "https://127.0.0.1:$port/keymanagement/identity/v1/$4" > "$5"
}
fetch home kms.home.example sip:gms@home.example init "$W/home-cert.xml" &&
  fetch home kms.home.example sip:gms@home.example keyprov "$W/gms-keys.xml" &&
  fetch home kms.home.example sip:alice@home.example keyprov "$W/alice-keys.xml" &&
  fetch home kms.home.example sip:bob@home.example keyprov "$W/bob-keys.xml" &&
  fetch partner kms.partner.example sip:carol@partner.example init "$W/partner-cert.xml" &&
  fetch partner kms.partner.example sip:carol@partner.example keyprov "$W/carol-keys.xml" ||
  { echo "FAIL fetching the KMS documents"; cat "$W"/*.log; exit 1; }
ok kms_documents_fetched

# ---- helpers -----------------------------------------------------------------------------
HOME_CERT=$W/home-cert.xml
seal() { "$M" mikey seal --kms-cert "$HOME_CERT" --keys "$W/gms-keys.xml" "$@"; }
open_as() { # open_as NAME [flags...] FILE
  local who=$1
  shift
  "$M" mikey open --kms-cert "$HOME_CERT" --keys "$W/$who-keys.xml" "$@"
}
val() { sed -n "s/^$1 = //p" | head -1; } # value of a name = value line
# expect_err NAME RC ERR cmd...: exit code RC and 'error: ERR' on stderr
expect_err() {
  local name=$1 rc=$2 err=$3
  shift 3
  local got r
  got=$("$@" 2>&1 > /dev/null)
  r=$?
  if [ $r -eq "$rc" ] && grep -qx "error: $err" <<< "$got"; then ok "$name"; else ko "$name (rc=$r: $got)"; fi
}

# ---- the GMS seals, alice opens ---------------------------------------------------------
GMK=00112233445566778899aabbccddeeff
seal --user sip:alice@home.example --gmk $GMK --text "Group One" --groups sip:g1@home.example \
  --show-key > "$W/m1.b64" 2> "$W/m1.info" && ok seal_base64 || { ko seal_base64; cat "$W/m1.info"; }
KID=$(val key_id < "$W/m1.info")
GUK=$(val guk_id < "$W/m1.info")
out=$(open_as alice --gms sip:gms@home.example --group sip:g1@home.example=sip:gms@home.example \
  --show-key "$W/m1.b64" 2>&1)
if [ "$(val outcome <<< "$out")" = accepted ] && [ "$(val key_id <<< "$out")" = "$KID" ] &&
  [ "$(val guk_id <<< "$out")" = "$GUK" ] && [ "$(val key <<< "$out")" = $GMK ] &&
  [ "$(val text <<< "$out")" = "Group One" ] && [ "$(val group <<< "$out")" = sip:g1@home.example ] &&
  [ "$(val sender <<< "$out")" = sip:gms@home.example ] && [ "$(val reply <<< "$out")" = "200 OK" ] &&
  [ "${KID:0:1}" = 0 ]; then
  ok open_accepted
else
  ko "open_accepted ($out)"
fi
# the key is printed only on request
open_as alice --gms sip:gms@home.example --group sip:g1@home.example=sip:gms@home.example \
  "$W/m1.b64" 2> /dev/null | grep -q '^key = ' && ko key_hidden_by_default || ok key_hidden_by_default
# stdin, binary and SDP forms
open_as alice --gms sip:gms@home.example --group sip:g1@home.example=sip:gms@home.example - \
  < "$W/m1.b64" > /dev/null 2>&1 && ok open_stdin || ko open_stdin
seal --user sip:alice@home.example --format binary --out "$W/m1.bin" 2> /dev/null &&
  open_as alice --gms sip:gms@home.example "$W/m1.bin" > /dev/null 2>&1 && ok binary_form || ko binary_form
seal --user sip:alice@home.example --format sdp > "$W/m1.sdp" 2> /dev/null &&
  grep -q '^a=key-mgmt:mikey ' "$W/m1.sdp" &&
  open_as alice --gms sip:gms@home.example "$W/m1.sdp" > /dev/null 2>&1 && ok sdp_form || ko sdp_form
"$M" mikey inspect "$W/m1.b64" | grep -q 'SAKKE' && ok inspect_reads_it || ko inspect_reads_it

# ---- rejections ------------------------------------------------------------------------------
expect_err not_for_bob 1 not-for-me open_as bob --gms sip:gms@home.example "$W/m1.b64"
out=$(open_as bob --gms sip:gms@home.example "$W/m1.b64" 2> /dev/null)
[ "$(val outcome <<< "$out")" = rejected ] && [[ "$(val reply <<< "$out")" == 403* ]] &&
  ok reply_for_gms_on_rejection || ko "reply_for_gms_on_rejection ($out)"
expect_err gms_not_authorised 1 not-authorised open_as alice "$W/m1.b64"
expect_err group_of_other_gms 1 not-authorised open_as alice --gms sip:gms@home.example \
  --group sip:g1@home.example=sip:other@home.example "$W/m1.b64"
# a flipped octet inside the signed part: the signature fails
base64 -d "$W/m1.b64" > "$W/t.bin"
printf '\x55' | dd of="$W/t.bin" bs=1 seek=40 conv=notrunc 2> /dev/null
expect_err tampered 1 signature open_as alice --gms sip:gms@home.example "$W/t.bin"
head -c 100 "$W/m1.bin" > "$W/trunc.bin"
expect_err truncated 1 truncated open_as alice --gms sip:gms@home.example "$W/trunc.bin"
expect_err too_late 1 timestamp open_as alice --gms sip:gms@home.example \
  --now $(($(date +%s) + 7200)) "$W/m1.b64"
seal --user sip:alice@home.example --purpose pck --no-params > "$W/pck.b64" 2> /dev/null
expect_err other_purpose 1 key-purpose open_as alice --gms sip:gms@home.example "$W/pck.b64"
open_as alice --purposes pck "$W/pck.b64" 2> /dev/null | grep -qx 'purpose = 1 (PCK (private call key))' &&
  ok pck_recognised || ko pck_recognised

# ---- revocation, identity hiding, SAKKE-to-self ------------------------------------------------
seal --user sip:alice@home.example --gmk $GMK --gmk-id "$KID" --rand 0102030405060708090a0b0c0d0e0f10 \
  --revoked > "$W/rev.b64" 2> /dev/null
out=$(open_as alice --gms sip:gms@home.example --show-key "$W/rev.b64" 2> /dev/null)
[ $? -eq 0 ] && [ "$(val outcome <<< "$out")" = revoked ] && [ "$(val key_id <<< "$out")" = "$KID" ] &&
  ! grep -q '^key = ' <<< "$out" && ok revocation_accepted || ko "revocation_accepted ($out)"
seal --user sip:alice@home.example --hide-initiator --hide-responder --sakke-to-self --empty-map \
  > "$W/hid.b64" 2> /dev/null
out=$(open_as alice --gms sip:gms@home.example --initiator sip:gms@home.example "$W/hid.b64" 2> /dev/null)
[ "$(val sender_hidden <<< "$out")" = yes ] && [ "$(val sakke_to_self <<< "$out")" = yes ] &&
  [ "$(val sender <<< "$out")" = sip:gms@home.example ] && ok identity_hiding || ko "identity_hiding ($out)"
expect_err initiator_mismatch 1 initiator open_as alice --gms sip:gms@home.example \
  --initiator sip:bob@home.example "$W/hid.b64"

# ---- a member of a partner KMS (R-004-03) --------------------------------------------------------
seal --user sip:carol@partner.example --user-kms-cert "$W/partner-cert.xml" > "$W/carol.b64" 2> /dev/null &&
  ok seal_to_partner_kms || ko seal_to_partner_kms
carol() { "$M" mikey open --kms-cert "$W/partner-cert.xml" --keys "$W/carol-keys.xml" "$@"; }
expect_err partner_kms_untrusted 1 unknown-kms carol --gms sip:gms@home.example "$W/carol.b64"
carol --gms sip:gms@home.example --trust "$HOME_CERT" "$W/carol.b64" 2> /dev/null | grep -qx 'outcome = accepted' &&
  ok partner_kms_trusted || ko partner_kms_trusted

# ---- two GMKs in one procedure (R-004-12/13): distinct GMK-IDs ------------------------------------
seal --user sip:alice@home.example > /dev/null 2> "$W/a.info"
seal --user sip:alice@home.example > /dev/null 2> "$W/b.info"
[ "$(val key_id < "$W/a.info")" != "$(val key_id < "$W/b.info")" ] && ok two_gmks_distinct_ids ||
  ko two_gmks_distinct_ids

# ---- usage and help -----------------------------------------------------------------------------
"$M" mikey open --help | grep -q -- '--kms-cert' && "$M" mikey seal --help | grep -q -- '--hide-initiator' &&
  "$M" mikey --help | grep -q seal && ok help || ko help
expect_err open_usage 2 usage "$M" mikey open --kms-cert "$HOME_CERT"
expect_err seal_needs_user 2 usage seal
expect_err seal_bad_format 2 usage seal --user sip:alice@home.example --format pem
expect_err seal_unknown_purpose 2 usage seal --user sip:alice@home.example --purpose xyz
expect_err keys_of_other_user 1 no-keys open_as alice --user sip:nobody@home.example "$W/m1.b64"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
