#!/usr/bin/env bash
# Tests of the pockettts command-line tool on the tiny random-weight model of tests/data.
# Usage: test_cli.sh PATH/TO/pockettts   (meson test passes it; POCKETTTS_TEST_DATA is set)
# Prints one line per check and "N passed, M failed"; exits non-zero when any check fails.
set -uo pipefail

cli=${1:?usage: test_cli.sh PATH/TO/pockettts}
here=$(cd "$(dirname "$0")" && pwd)
data=${POCKETTTS_TEST_DATA:-$here/../data}
tiny=$data/tiny
config=$tiny/config.yaml
voice_wav=$tiny/voice/voice_s16.wav
golden=$tiny/gen/short.safetensors
wav_tool=(python3 "$here/wav_tool.py")
text="Hello there, friend"
# gen ARGS...: the "short" golden case of tests/data/tiny/manifest.json, voice and text given.
gen() { "$cli" generate --config "$config" --temperature 0 --eos-threshold 6.382 "$@"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

pass() { echo "ok   $1"; passed=$((passed + 1)); }
fail() {
  echo "FAIL $1"
  shift
  [ $# -gt 0 ] && printf '     %s\n' "$@"
  failed=$((failed + 1))
}

# check NAME COMMAND...: the command must succeed; its output is shown on failure.
check() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then pass "$name${out:+ ($(tail -n1 <<<"$out"))}"; else fail "$name" "$out"; fi
}

# expect_error NAME CODE PATTERN COMMAND...: exit code CODE, stderr matching PATTERN, and no
# sign of a crash (abort, uncaught exception, signal).
expect_error() {
  local name=$1 code=$2 pattern=$3 rc
  shift 3
  "$@" >"$tmp/stdout" 2>"$tmp/stderr"
  rc=$?
  local err
  err=$(cat "$tmp/stderr")
  if [ "$rc" -ne "$code" ]; then
    fail "$name" "exit code $rc, expected $code" "$err"
  elif ! grep -Eq -- "$pattern" "$tmp/stderr"; then
    fail "$name" "stderr does not match '$pattern':" "$err"
  elif grep -Eq 'terminate called|Aborted|Segmentation|Traceback|what\(\):' "$tmp/stderr"; then
    fail "$name" "crash output:" "$err"
  else
    pass "$name ($(head -n1 "$tmp/stderr"))"
  fi
}

# --- basics -------------------------------------------------------------------------------
check "--version" "$cli" --version
check "--help lists the commands" bash -c '"$0" --help | grep -q export-voice' "$cli"
for command in generate export-voice export-state check-model serve; do
  check "$command --help" bash -c '"$0" "$1" --help | grep -q -- "--config"' "$cli" "$command"
done
check "check-model loads the tiny model" bash -c \
  '"$0" check-model --config "$1" -q | grep -q "sample rate: 24000 Hz"' "$cli" "$config"

# --- generation against the golden audio ---------------------------------------------------
if gen --voice "$voice_wav" --text "$text" -q --sample-format f32 -o "$tmp/short.wav" 2>"$tmp/err"; then
  check "generate f32 matches gen/short.safetensors (+0.2 s silence)" \
    "${wav_tool[@]}" compare "$tmp/short.wav" "$golden" audio --silence 0.2
else
  fail "generate f32 matches gen/short.safetensors" "$(cat "$tmp/err")"
fi

gen --voice "$voice_wav" --text "$text" -q -o "$tmp/short_s16.wav" 2>"$tmp/err" || true
check "generate s16 (default) is 16-bit and matches the golden audio" bash -c \
  '"$0" "$1" info "$2" | grep -q "format=s16 rate=24000 channels=1" &&
   "$0" "$1" compare "$2" "$3" audio --silence 0.2' \
  python3 "$here/wav_tool.py" "$tmp/short_s16.wav" "$golden"

gen --voice "$voice_wav" --text "$text" -q --sample-format f32 -o - >"$tmp/stdout.wav" 2>"$tmp/err"
check "-o - streams a valid WAV with the same samples" \
  "${wav_tool[@]}" compare "$tmp/stdout.wav" "$golden" audio --silence 0.2

# A pipe, not a file: the header cannot be patched afterwards.
gen --voice "$voice_wav" --text "$text" -q --sample-format f32 -o - 2>"$tmp/err" | cat >"$tmp/pipe.wav"
check "-o - through a pipe gives the same samples" \
  "${wav_tool[@]}" compare "$tmp/pipe.wav" "$golden" audio --silence 0.2

printf '%s' "$text" | gen --voice "$voice_wav" --text - -q \
  --sample-format f32 -o "$tmp/stdin.wav" 2>"$tmp/err"
check "--text - reads stdin" "${wav_tool[@]}" compare "$tmp/stdin.wav" "$golden" audio --silence 0.2

out=$(gen --voice "$voice_wav" --text "$text" --threads=1 -o "$tmp/timing.wav" 2>&1 >/dev/null)
if grep -q "real-time factor" <<<"$out" && grep -q "first chunk after" <<<"$out"; then
  pass "reports real-time factor and time to first chunk"
else
  fail "reports real-time factor and time to first chunk" "$out"
fi
out=$(gen --voice "$voice_wav" --text "$text" -q -o "$tmp/quiet.wav" 2>&1)
if [ -z "$out" ]; then pass "-q prints nothing"; else fail "-q prints nothing" "$out"; fi

# --- voices ---------------------------------------------------------------------------------
if "$cli" export-voice "$voice_wav" "$tmp/exported.wav" --config "$config" -q 2>"$tmp/err" &&
  [ -f "$tmp/exported.safetensors" ]; then
  pass "export-voice writes EXPORT with a .safetensors extension"
  gen --voice "$tmp/exported.safetensors" --text "$text" -q --sample-format f32 \
    -o "$tmp/from_export.wav" 2>"$tmp/err"
  check "generate with the exported voice = generate with the WAV" \
    "${wav_tool[@]}" same "$tmp/from_export.wav" "$tmp/short.wav" --tolerance 1e-4
else
  fail "export-voice writes EXPORT with a .safetensors extension" "$(cat "$tmp/err")"
fi

mkdir -p "$tmp/voices"
cp "$voice_wav" "$tmp/voices/one.wav"
cp "$tiny/voice/voice_f32.wav" "$tmp/voices/TWO.WAV"
echo "not audio" >"$tmp/voices/notes.txt"
check "export-voice DIR/ OUT/ exports every audio file" bash -c \
  '"$0" export-voice "$1/voices/" "$1/out/" --config "$2" -q &&
   [ -f "$1/out/one.safetensors" ] && [ -f "$1/out/TWO.safetensors" ] &&
   [ ! -e "$1/out/notes.safetensors" ]' "$cli" "$tmp" "$config"

if "$cli" export-state "$voice_wav" "$tmp/state" --config "$config" -q 2>"$tmp/err" &&
  [ -f "$tmp/state.safetensors" ]; then
  pass "export-state writes the prefilled state"
  gen --voice "$tmp/state.safetensors" --text "$text" -q --sample-format f32 \
    -o "$tmp/from_state.wav" 2>"$tmp/err"
  check "generate with the exported state = generate with the WAV" \
    "${wav_tool[@]}" same "$tmp/from_state.wav" "$tmp/short.wav" --tolerance 1e-4
else
  fail "export-state writes the prefilled state" "$(cat "$tmp/err")"
fi

# --- the copyable example -------------------------------------------------------------------
speak=$(dirname "$cli")/speak
if [ -x "$speak" ]; then
  check "examples/speak writes a WAV" bash -c \
    '"$0" "Hello there, friend" "$1/speak.wav" "$2" "$3" &&
     python3 "$4" info "$1/speak.wav" | grep -q "format=s16 rate=24000"' \
    "$speak" "$tmp" "$config" "$voice_wav" "$here/wav_tool.py"
fi

# --- model packs, languages, pauses ---------------------------------------------------------
# A config folder whose german.yaml is the tiny-v2 model (reference 9514983), and a hub cache
# holding its voice juergen where the shipped pack's voices are.
v2=$data/tiny-v2
mkdir -p "$tmp/packs"
sed -e "s|weights_path: weights.safetensors|weights_path: $v2/weights.safetensors|" \
  -e "s|tokenizer_path: tokenizer.model|tokenizer_path: $v2/tokenizer.model|" \
  "$v2/config.yaml" >"$tmp/packs/german.yaml"
voice_dir=$tmp/hf/hub/models--kyutai--pocket-tts-without-voice-cloning/snapshots
voice_dir=$voice_dir/e041936c75475d350b405bc870bcf7c22da4e9e6/languages/german/embeddings
mkdir -p "$voice_dir"
cp "$v2/voice/voice_state.safetensors" "$voice_dir/juergen.safetensors"
pack() { env POCKETTTS_CONFIG_DIR="$tmp/packs" HF_HOME="$tmp/hf" HF_HUB_OFFLINE=1 "$cli" "$@"; }

check "packs lists every pack" bash -c \
  '"$0" packs | grep -q "french_24l" && "$0" packs | grep -q "b6369a24"' "$cli"
check "check-model --language german names the pack and its voices" bash -c \
  'env POCKETTTS_CONFIG_DIR="$1/packs" HF_HOME="$1/hf" "$0" check-model --language german -q |
   grep -q "predefined voices: cosette, .*juergen"' "$cli" "$tmp"
if pack generate --language german --text "Merci beaucoup" --temperature 0 --eos-threshold 2.003 \
  -q --sample-format f32 -o "$tmp/german.wav" 2>"$tmp/err"; then
  check "--language german speaks with its default voice juergen = the 9514983 golden audio" \
    "${wav_tool[@]}" compare "$tmp/german.wav" "$v2/gen/short.safetensors" audio --silence 0.2
else
  fail "--language german speaks with its default voice" "$(cat "$tmp/err")"
fi
if pack export-state juergen "$tmp/juergen_state" --language german -q 2>"$tmp/err"; then
  check "export-state --language german writes the reference's /offset layout" bash -c \
    'grep -q "self_attn/offset" "$0"' "$tmp/juergen_state.safetensors"
else
  fail "export-state --language german" "$(cat "$tmp/err")"
fi
expect_error "--language french says only french_24l exists" 1 "french_24l" \
  "$cli" generate --language french -o "$tmp/x.wav"
expect_error "--language and --config together" 2 "exclude each other" \
  "$cli" generate --language german --config "$config"
expect_error "a 9514983 config from a path has no predefined voices" 1 "give --voice" \
  "$cli" generate --config "$v2/config.yaml" -o "$tmp/x.wav" -q

ssml_text="<speak>$text<break time=\"500ms\"/></speak>"
if gen --voice "$voice_wav" --ssml --text "$ssml_text" -q --sample-format f32 \
  -o "$tmp/pause.wav" 2>"$tmp/err"; then
  check "--ssml: a 500 ms break is exact silence before the file's 0.2 s" \
    "${wav_tool[@]}" compare "$tmp/pause.wav" "$golden" audio --silence 0.7
else
  fail "--ssml: a 500 ms break" "$(cat "$tmp/err")"
fi
expect_error "--ssml with malformed SSML" 1 "malformed SSML" \
  gen --voice "$voice_wav" --ssml --text "<speak>Hello" -o "$tmp/x.wav"

# --- errors ---------------------------------------------------------------------------------
expect_error "missing voice file" 1 '^pockettts: error: .*no-such-voice\.wav' \
  "$cli" generate --config "$config" --voice "$tmp/no-such-voice.wav" -o "$tmp/x.wav" -q
expect_error "bad config path" 1 '^pockettts: error: .*no-such-config\.yaml' \
  "$cli" generate --config "$tmp/no-such-config.yaml" --voice "$voice_wav" -o "$tmp/x.wav" -q
expect_error "empty text" 1 '^pockettts: error: .*empty' \
  gen --voice "$voice_wav" --text "  " -o "$tmp/x.wav"
expect_error "empty stdin" 1 '^pockettts: error: no text received on stdin' \
  "$cli" generate --config "$config" --text - -o "$tmp/x.wav" </dev/null
expect_error "real model unavailable offline" 1 '^pockettts: error: ' \
  env HF_HUB_OFFLINE=1 HF_HOME="$tmp/empty-hf-home" "$cli" check-model -q
expect_error "export-voice of a missing file" 1 "^pockettts: error: .*nothing\.wav' does not exist" \
  "$cli" export-voice "$tmp/nothing.wav" "$tmp/nothing" --config "$config" -q
expect_error "unknown option" 2 "unknown option '--bogus'" "$cli" generate --bogus
expect_error "option without its value" 2 'option --text needs a value' "$cli" generate --text
expect_error "bad number" 2 "invalid value 'warm' for --temperature" \
  "$cli" generate --temperature warm
expect_error "bad sample format" 2 "invalid value 's24' for --sample-format" \
  "$cli" generate --sample-format s24
expect_error "unknown command" 2 "unknown command 'speak'" "$cli" speak
expect_error "missing arguments" 2 "'export-voice' needs AUDIO EXPORT" "$cli" export-voice x.wav

# --- the bad-input matrix (docs/reliability.md): exit 1, exactly one line on stderr ---------
# expect_one_line NAME PATTERN COMMAND...: as expect_error with code 1, and stderr one line.
expect_one_line() {
  local name=$1 pattern=$2
  shift 2
  expect_error "$name" 1 "$pattern" "$@"
  local lines
  lines=$(wc -l <"$tmp/stderr")
  [ "$lines" -eq 1 ] || fail "$name: one line on stderr" "$lines lines:" "$(cat "$tmp/stderr")"
}
bad=$tmp/bad
mkdir -p "$bad"
sed "s#num_heads: 4#num_heads: 5#; s#tokenizer.model#$tiny/tokenizer.model#; \
     s#weights.safetensors#$tiny/weights.safetensors#" "$config" >"$bad/heads.yaml"
expect_one_line "config with 5 heads on a width of 64" \
  "^pockettts: error: key 'flow_lm.transformer.num_heads' in .*heads.yaml is 5: it must divide" \
  "$cli" generate --config "$bad/heads.yaml" --voice "$voice_wav" --text hi -o "$tmp/x.wav" -q
printf 'not: [yaml' >"$bad/notyaml.yaml"
expect_one_line "config that is not YAML" "^pockettts: error: cannot parse .*notyaml.yaml as YAML" \
  "$cli" check-model --config "$bad/notyaml.yaml" -q
: >"$bad/empty.safetensors"
expect_one_line "empty voice file" \
  "^pockettts: error: invalid safetensors file '.*empty.safetensors': the file has 0 bytes" \
  gen --voice "$bad/empty.safetensors" --text hi -o "$tmp/x.wav" -q
head -c 3000 /dev/urandom >"$bad/noise.wav"
expect_one_line "voice that is not audio" "^pockettts: error: cannot decode audio from .*noise.wav" \
  gen --voice "$bad/noise.wav" --text hi -o "$tmp/x.wav" -q
expect_one_line "invalid UTF-8 text" "^pockettts: error: text is not valid UTF-8" \
  gen --voice "$voice_wav" --text $'caf\xc3' -o "$tmp/x.wav" -q
# Out-of-range option values are usage errors: exit 2, the problem and a hint to --help.
expect_error "temperature out of range" 2 "invalid value '-1' for --temperature: must be between" \
  "$cli" generate --config "$config" --temperature -1 --voice "$voice_wav" --text hi \
  -o "$tmp/x.wav" -q

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
