#!/usr/bin/env bash
# Integration test of `mcgk mikey inspect` (issue 3, part 4): the vector
# messages as binary, raw base64, Streamwide's "mikey <base64>", an SDP body
# and stdin; key lines of the tree, the JSON form (checked with jq when it is
# installed, else with grep), and bad input: exit 1 with `error: <name>`.
# Usage: bash test_mikey_inspect.sh path/to/mcgk
set -euo pipefail

MCGK=${1:?usage: $0 path/to/mcgk}
HERE=$(cd "$(dirname "$0")" && pwd)
VEC="$HERE/../vectors"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0

fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# value NAME of [SECTION] in a vector file ('' = top level)
vec() {
  awk -v sec="$2" -v name="$3" '
    /^\[/ { cur = substr($0, 2, index($0, "]") - 2); next }
    { line = $0; sub(/#.*/, "", line)
      if (cur == sec && match(line, "^" name "[ \t]*=")) {
        v = substr(line, RLENGTH + 1); gsub(/[ \t\r]/, "", v); print v; exit } }' "$1"
}

# hex on stdin -> octets on stdout (bash printf, so no xxd needed)
hex2bin() { local h; h=$(tr -d ' \n'); printf '%b' "$(printf '%s' "$h" | sed 's/../\\x&/g')"; }

# expect FILE PATTERN...: every pattern occurs in FILE (fixed strings)
expect() {
  local f=$1; shift
  for p in "$@"; do
    grep -qF -- "$p" "$f" || fail "$(basename "$f"): missing '$p'"
  done
}

SW="$VEC/streamwide-mikey-sakke.txt"
SYN="$VEC/synthetic-gmk-imessage.txt"

# ---- message 1 (GMK) in every input form gives the same tree ----
vec "$SW" imessage.1.GMK i_message | hex2bin > "$TMP/m1.bin"
vec "$SW" imessage.1.GMK i_message_base64 > "$TMP/m1.b64"
printf 'mikey %s\n' "$(cat "$TMP/m1.b64")" > "$TMP/m1.mikey"
printf 'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\na=key-mgmt:mikey %s\r\nm=audio 4000 RTP/SAVP 0\r\n' \
  "$(cat "$TMP/m1.b64")" > "$TMP/m1.sdp"
base64 "$TMP/m1.bin" > "$TMP/m1.wrapped" # wrapped at 76 columns

"$MCGK" mikey inspect "$TMP/m1.bin" > "$TMP/m1.txt"
for form in b64 mikey sdp wrapped; do
  "$MCGK" mikey inspect "$TMP/m1.$form" > "$TMP/m1.$form.txt" || fail "inspect m1.$form exited $?"
  cmp -s "$TMP/m1.txt" "$TMP/m1.$form.txt" || fail "m1.$form decodes differently from the binary"
done
"$MCGK" mikey inspect - < "$TMP/m1.sdp" > "$TMP/m1.stdin.txt" || fail "inspect - exited $?"
cmp -s "$TMP/m1.txt" "$TMP/m1.stdin.txt" || fail "stdin decodes differently"

expect "$TMP/m1.txt" \
  "MIKEY message: 701 octets, 10 payloads after HDR" \
  "data type: 26 (SAKKE I_MESSAGE)" \
  "PRF func: 1 (PRF-HMAC-SHA-256)" \
  "CSB ID: 0x06a12aea (purpose tag 0: GMK (group master key))" \
  "CS ID map type: 2 (GENERIC-ID)" \
  "CS ID: 4 (MCPTT group call)" \
  "SPI: 0df9bc3906a12aea (MKI = key ID || user key ID)" \
  "key ID: 0x0df9bc39 (purpose tag 0: GMK (group master key))" \
  "TS type: 0 (NTP-UTC)" \
  "TS value: ec898da800000000" \
  "RAND: ca2f5d51ff0866362c1d85a56f84651e" \
  "ID role: 8 (IDRuidi (initiator UID, identity hiding))" \
  "ID data: 15a4d5b12856538d02d91fedbb766e6dd377b014c92e216666c8fb678608d20e" \
  "ID role: 7 (IDRkmsr (responder's KMS))" \
  'ID data: "kms.mydev.streamwide.com"' \
  "param 0 (SRTP encryption algorithm): 6 (AES-GCM)" \
  "param 20 (AEAD authentication tag length): 16" \
  "ID scheme: 2 (3GPP hashed UID (TS 33.180))" \
  "SAKKE data length: 273" \
  "type: 7 (3GPP key parameters)" \
  "IV: 28704fa41c8fe20f881c1bab0d32d8ca" \
  "DPPK-ID: 0x06a12aea" \
  "S type: 2 (ECCSI)" \
  "signature length: 129" \
  "signed octets (HDR .. SIGN header): 572"

# ---- the other Streamwide messages: purpose tags and maps ----
vec "$SW" imessage.2.CSK i_message | hex2bin > "$TMP/m2.bin"
"$MCGK" mikey inspect "$TMP/m2.bin" > "$TMP/m2.txt"
expect "$TMP/m2.txt" "CSB ID: 0x2ddd5bf0 (purpose tag 2: CSK (client-server key))" \
  "CS ID: 6 (CSK SRTCP for MCPTT)" "SPI: 2ddd5bf0 (MKI = key ID)"
vec "$SW" imessage.3.PCK i_message_base64 > "$TMP/m3.b64"
"$MCGK" mikey inspect "$TMP/m3.b64" > "$TMP/m3.txt"
expect "$TMP/m3.txt" "CSB ID: 0x16992638 (purpose tag 1: PCK (private call key))" \
  "#CS: 0" "CS ID map type: 1 (empty map)" "signed octets (HDR .. SIGN header): 554"
vec "$SW" imessage.4.GMK_LEGACY_IWF i_message | hex2bin > "$TMP/m4.bin"
"$MCGK" mikey inspect "$TMP/m4.bin" > "$TMP/m4.txt"
expect "$TMP/m4.txt" "CS ID map type: 0 (SRTP-ID)" "SSRC: 3405691582 (0xcafebabe)" \
  "data: 0100000001000000000000000000000000 (not an MCData protected payload"

# ---- the synthetic message: real identities, full default profile ----
vec "$SYN" "" i_message | hex2bin > "$TMP/syn.bin"
"$MCGK" mikey inspect "$TMP/syn.bin" > "$TMP/syn.txt"
expect "$TMP/syn.txt" "MIKEY message: 672 octets" \
  "ID role: 1 (IDRi (initiator))" 'ID data: "sip:gms@example.org"' \
  "ID role: 2 (IDRr (responder))" 'ID data: "sip:user@example.org"' \
  "param 13 (ROC transmission rate): 1" "CSB ID: 0x0c195d7d"

# ---- JSON ----
"$MCGK" mikey inspect --json "$TMP/m1.b64" > "$TMP/m1.json"
if command -v jq > /dev/null 2>&1; then
  [ "$(jq -r '.length' "$TMP/m1.json")" = 701 ] || fail "json length"
  [ "$(jq -r '.signed_length' "$TMP/m1.json")" = 572 ] || fail "json signed_length"
  [ "$(jq -r '.hdr.csb_id' "$TMP/m1.json")" = 06a12aea ] || fail "json csb_id"
  [ "$(jq -r '.hdr.map[0].spi' "$TMP/m1.json")" = 0df9bc3906a12aea ] || fail "json spi"
  [ "$(jq -r '[.payloads[].type_name] | join(",")' "$TMP/m1.json")" = \
    "T,RAND,IDR,IDR,IDR,IDR,SP,SAKKE,GENERAL EXTENSION,SIGN" ] || fail "json payload order"
  [ "$(jq -r '.payloads[2].role_name' "$TMP/m1.json")" = \
    "IDRuidi (initiator UID, identity hiding)" ] || fail "json role name"
  [ "$(jq -r '.payloads[8].key_parameters.iv' "$TMP/m1.json")" = \
    28704fa41c8fe20f881c1bab0d32d8ca ] || fail "json iv"
  [ "$(jq -r '.payloads[9].s_type_name' "$TMP/m1.json")" = ECCSI ] || fail "json s_type"
  [ "$(jq -r '.payloads[6].params | length' "$TMP/m1.json")" = 9 ] || fail "json sp params"
else
  expect "$TMP/m1.json" '"length": 701' '"signed_length": 572' '"csb_id": "06a12aea"' \
    '"s_type_name": "ECCSI"'
fi

# ---- bad input: exit 1 and error: <name> on stderr ----
bad() { # bad NAME FILE
  local rc=0
  "$MCGK" mikey inspect "$2" > "$TMP/out" 2> "$TMP/err" || rc=$?
  [ "$rc" = 1 ] || fail "$(basename "$2"): exit $rc, want 1"
  grep -qx "error: $1" "$TMP/err" || fail "$(basename "$2"): stderr lacks 'error: $1'"
}
head -c 300 "$TMP/m1.bin" > "$TMP/cut.bin"
bad truncated "$TMP/cut.bin"
{ cat "$TMP/m1.bin"; printf 'junk'; } > "$TMP/trail.bin"
bad trailing-data "$TMP/trail.bin"
printf 'not base64 at all!\n' > "$TMP/text.txt"
bad base64 "$TMP/text.txt"
printf '\001\001\143\000\000\000\000\001\000\001\000' > "$TMP/type.bin"
bad mikey-payload-type "$TMP/type.bin"
printf 'a=key-mgmt:kerberos Zm9v\n' > "$TMP/other.sdp"
bad unsupported "$TMP/other.sdp"
bad io "$TMP/does-not-exist"
head -c 5000000 /dev/zero > "$TMP/huge.bin" # above the 4 MiB input bound
bad oversized "$TMP/huge.bin"
rc=0
"$MCGK" mikey inspect > /dev/null 2> "$TMP/err" || rc=$?
[ "$rc" = 2 ] && grep -qx "error: usage" "$TMP/err" || fail "no FILE: exit $rc, want 2 + error: usage"
"$MCGK" mikey inspect --help | grep -q -- "--json" || fail "--help does not document --json"

if [ "$fails" -ne 0 ]; then
  echo "test_mikey_inspect: $fails failure(s)" >&2
  exit 1
fi
echo "test_mikey_inspect: ok"
