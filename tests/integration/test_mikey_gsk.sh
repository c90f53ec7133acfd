#!/usr/bin/env bash
# `mcgk mikey gsk-seal` / `mcgk mikey gsk-open` end to end: the ProSe GSK message
# (a MIKEY pre-shared-key I_MESSAGE under the GMK, seed 002).
#
# One KMS community runs on loopback (`mcgk kms serve`, HTTPS) for the signing
# initiator ue1; its KmsInit certificate and KmsKeyProv key sets are fetched with
# curl as a client would. Then: unsigned and signed messages round trip in every
# transport form; a pre-generated message opens when its time comes; each
# rejection has its error name and exit code (unknown-key-id, mac, unsigned,
# unknown-kms, signature, timestamp, truncated, trailing-data); --help and usage.
#
#   usage: bash test_mikey_gsk.sh path/to/mcgk
set -u
M=${1:?usage: test_mikey_gsk.sh path/to/mcgk}
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

GMK=00112233445566778899aabbccddeeff
GMK_ID=0a1b2c3d
GSK=5a5b5c5d5e5f606162636465666768ff
seal() { "$M" mikey gsk-seal --gmk $GMK --gmk-id $GMK_ID "$@"; }
gopen() { "$M" mikey gsk-open --gmk $GMK --gmk-id $GMK_ID "$@"; }

# ---- unsigned: round trip, forms -----------------------------------------------------------
seal --gsk $GSK --initiator sip:ue1@prose.example > "$W/u.b64" 2> "$W/u.info" &&
  ok seal_unsigned || { ko seal_unsigned; cat "$W/u.info"; }
CSB=$(val csb_id < "$W/u.info")
out=$(gopen --show-key "$W/u.b64" 2>&1)
if [ "$(val outcome <<< "$out")" = accepted ] && [ "$(val gsk <<< "$out")" = $GSK ] &&
  [ "$(val gmk_id <<< "$out")" = $GMK_ID ] && [ "$(val csb_id <<< "$out")" = "$CSB" ] &&
  [ "$(val signed <<< "$out")" = no ] && [ "$(val initiator <<< "$out")" = sip:ue1@prose.example ] &&
  [ "$(val rand <<< "$out")" = "$(val rand < "$W/u.info")" ] &&
  [ "$(val key_type <<< "$out")" = "0 (TGK)" ]; then
  ok open_unsigned
else
  ko "open_unsigned ($out)"
fi
gopen "$W/u.b64" 2> /dev/null | grep -q '^gsk = ' && ko gsk_hidden_by_default || ok gsk_hidden_by_default
# a fresh GSK when none is given, reported only with --show-key
seal --show-key > "$W/f.b64" 2> "$W/f.info"
F=$(val gsk < "$W/f.info")
[ ${#F} -eq 32 ] && [ "$(gopen --show-key "$W/f.b64" 2> /dev/null | val gsk)" = "$F" ] &&
  ok fresh_gsk || ko "fresh_gsk ($F)"
seal > /dev/null 2> "$W/n.info"
grep -q '^gsk = ' "$W/n.info" && ko fresh_gsk_hidden || ok fresh_gsk_hidden
gopen - < "$W/u.b64" > /dev/null 2>&1 && ok open_stdin || ko open_stdin
seal --format binary --out "$W/u.bin" 2> /dev/null && [ "$(head -c 2 "$W/u.bin" | od -An -tx1 | tr -d ' ')" = 0100 ] &&
  gopen "$W/u.bin" > /dev/null 2>&1 && ok binary_form || ko binary_form
seal --format sdp > "$W/u.sdp" 2> /dev/null && grep -q '^a=key-mgmt:mikey ' "$W/u.sdp" &&
  gopen "$W/u.sdp" > /dev/null 2>&1 && ok sdp_form || ko sdp_form
insp=$("$M" mikey inspect "$W/u.b64")
grep -q 'data type: 0 (pre-shared key I_MESSAGE)' <<< "$insp" &&
  grep -q 'ID data: 0x0a1b2c3d (purpose tag 0' <<< "$insp" && grep -q 'AES-CM-128' <<< "$insp" &&
  ok inspect_reads_it || ko "inspect_reads_it ($insp)"

# ---- unsigned: rejections ---------------------------------------------------------------------
expect_err other_key_id 1 unknown-key-id "$M" mikey gsk-open --gmk $GMK --gmk-id 0a1b2c3e "$W/u.b64"
expect_err wrong_gmk 1 mac "$M" mikey gsk-open --gmk ffeeddccbbaa99887766554433221100 \
  --gmk-id $GMK_ID "$W/u.b64"
expect_err signature_required 1 unsigned gopen --require-signature "$W/u.b64"
base64 -d "$W/u.b64" > "$W/t.bin"
printf '\x55' | dd of="$W/t.bin" bs=1 seek=$(($(stat -c %s "$W/t.bin") - 30)) conv=notrunc 2> /dev/null
expect_err tampered_kemac 1 mac gopen "$W/t.bin"
out=$(gopen "$W/t.bin" 2> /dev/null)
[ "$(val outcome <<< "$out")" = rejected ] && ! grep -q gsk <<< "$out" && ok rejected_outcome ||
  ko "rejected_outcome ($out)"
head -c 60 "$W/u.bin" > "$W/trunc.bin"
expect_err truncated 1 truncated gopen "$W/trunc.bin"
cp "$W/u.bin" "$W/trail.bin" && printf '\x00' >> "$W/trail.bin"
expect_err trailing 1 trailing-data gopen "$W/trail.bin"
expect_err expired 1 timestamp gopen --now $(($(date +%s) + 7200)) "$W/u.b64"
expect_err narrow_window 1 timestamp gopen --window-past 0 --now $(($(date +%s) + 5)) "$W/u.b64"

# ---- pre-generation (R-002-16/25): built now for half an hour later ------------------------------
LATER=$(($(date +%s) + 1800))
seal --gsk $GSK --time $LATER > "$W/pre.b64" 2> /dev/null
expect_err pregenerated_too_early 1 timestamp gopen "$W/pre.b64"
[ "$(gopen --now $((LATER + 10)) --show-key "$W/pre.b64" 2> /dev/null | val gsk)" = $GSK ] &&
  ok pregenerated_opens_when_due || ko pregenerated_opens_when_due

# ---- a KMS for the signing initiator ------------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$W/tls.key" -out "$W/tls.crt" > /dev/null 2>&1 || { echo "FAIL openssl"; exit 1; }
"$M" kms init --kms-uri kms.prose.example --period 2592000 --data-dir "$W/kms" > /dev/null 2>&1 &&
  cp "$W/tls.crt" "$W/tls.key" "$W/kms/" && chmod 600 "$W/kms/tls.key" || { echo "FAIL kms init"; exit 1; }
for u in ue1 ue2; do
  "$M" kms user add "sip:$u@prose.example" --data-dir "$W/kms" --token-out "$W/$u.tok" > /dev/null 2>&1 ||
    { echo "FAIL kms user add"; exit 1; }
done
"$M" kms serve --listen 127.0.0.1:0 --port-file "$W/kms.port" --threads 2 --data-dir "$W/kms" \
  > "$W/kms.log" 2>&1 &
PIDS+=($!)
for i in $(seq 1 100); do
  [ -s "$W/kms.port" ] && break
  sleep 0.1
done
[ -s "$W/kms.port" ] || { echo "FAIL kms serve"; cat "$W/kms.log"; exit 1; }
PORT=$(cat "$W/kms.port")
# fetch USER ENDPOINT OUT: POST a KmsRequest as USER (TS 33.180 Annex D.2)
fetch() {
  printf '<?xml version="1.0" encoding="UTF-8"?>\n<KmsRequest xmlns="urn:3gpp:ns:mcsecKMSInterface:1.0" Version="1.1.0"><UserUri>sip:%s@prose.example</UserUri><KmsUri>kms.prose.example</KmsUri><Time>%s</Time><ClientReqUrl>https://127.0.0.1:%s/keymanagement/identity/v1/%s</ClientReqUrl></KmsRequest>\n' \
    "$1" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$PORT" "$2" |
    curl -sf --cacert "$W/tls.crt" -H "Authorization: Bearer $(cat "$W/$1.tok")" --data-binary @- \
      "https://127.0.0.1:$PORT/keymanagement/identity/v1/$2" > "$3"
}
fetch ue1 init "$W/cert.xml" && fetch ue1 keyprov "$W/ue1-keys.xml" && fetch ue2 keyprov "$W/ue2-keys.xml" ||
  { echo "FAIL fetching the KMS documents"; cat "$W/kms.log"; exit 1; }
ok kms_documents_fetched

# ---- signed (R-002-10/15/22) ------------------------------------------------------------------------
seal --gsk $GSK --kms-cert "$W/cert.xml" --keys "$W/ue1-keys.xml" > "$W/s.b64" 2> "$W/s.info" &&
  [ "$(val signed < "$W/s.info")" = yes ] && ok seal_signed || { ko seal_signed; cat "$W/s.info"; }
out=$(gopen --kms-cert "$W/cert.xml" --require-signature --show-key "$W/s.b64" 2>&1)
if [ "$(val outcome <<< "$out")" = accepted ] && [ "$(val signed <<< "$out")" = yes ] &&
  [ "$(val initiator <<< "$out")" = sip:ue1@prose.example ] &&
  [ "$(val initiator_kms <<< "$out")" = kms.prose.example ] &&
  [ "$(val initiator_uid <<< "$out" | wc -c)" -eq 65 ] && [ "$(val gsk <<< "$out")" = $GSK ]; then
  ok open_signed
else
  ko "open_signed ($out)"
fi
"$M" mikey inspect "$W/s.b64" | grep -q 'S type: 2 (ECCSI)' && ok inspect_signed || ko inspect_signed
expect_err signed_needs_kms_cert 1 unknown-kms gopen "$W/s.b64"
# a flipped octet in the signature (after the MAC): the signature fails
base64 -d "$W/s.b64" > "$W/ts.bin"
printf '\x55' | dd of="$W/ts.bin" bs=1 seek=$(($(stat -c %s "$W/ts.bin") - 100)) conv=notrunc 2> /dev/null
expect_err tampered_signature 1 signature gopen --kms-cert "$W/cert.xml" "$W/ts.bin"
# the initiator can only sign as itself: ue1's key sets hold no key set of ue2
expect_err not_my_identity 1 no-keys seal --kms-cert "$W/cert.xml" --keys "$W/ue1-keys.xml" \
  --initiator sip:ue2@prose.example
seal --kms-cert "$W/cert.xml" --keys "$W/ue2-keys.xml" --format sdp > "$W/s2.sdp" 2> /dev/null &&
  [ "$(gopen --kms-cert "$W/cert.xml" "$W/s2.sdp" 2> /dev/null | val initiator)" = sip:ue2@prose.example ] &&
  ok second_initiator || ko second_initiator

# ---- usage and help -----------------------------------------------------------------------------
"$M" mikey gsk-seal --help | grep -q -- '--gmk-id' && "$M" mikey gsk-open --help | grep -q -- '--require-signature' &&
  "$M" mikey --help | grep -q gsk-open && ok help || ko help
expect_err seal_needs_gmk 2 usage "$M" mikey gsk-seal --gmk-id $GMK_ID
expect_err open_needs_file 2 usage gopen
expect_err gmk_id_not_gmk 2 usage "$M" mikey gsk-seal --gmk $GMK --gmk-id 1a1b2c3d
expect_err keys_need_cert 2 usage seal --keys "$W/ue1-keys.xml"
expect_err bad_gmk_hex 1 length "$M" mikey gsk-seal --gmk 0011 --gmk-id $GMK_ID

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
