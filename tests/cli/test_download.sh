#!/usr/bin/env bash
# `pockettts download` and the CLI's download progress, against a hub double on 127.0.0.1
# (tests/cli/fake_hub.py) serving the tiny test model; then the same files offline.
# Usage: test_download.sh PATH/TO/pockettts   (POCKETTTS_TEST_DATA is set by meson test)
set -uo pipefail

cli=${1:?usage: test_download.sh PATH/TO/pockettts}
here=$(cd "$(dirname "$0")" && pwd)
data=${POCKETTTS_TEST_DATA:-$here/../data}
tiny=$data/tiny
commit=0123456789abcdef0123456789abcdef01234567

tmp=$(mktemp -d)
hub_pid=
cleanup() {
  [ -n "$hub_pid" ] && kill "$hub_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
passed=0
failed=0
pass() { echo "ok   $1"; passed=$((passed + 1)); }
fail() {
  echo "FAIL $1"
  shift
  [ $# -gt 0 ] && printf '     %s\n' "$@"
  failed=$((failed + 1))
}

# The hub: org/tiny holds the tiny model's tokenizer and weights, org/voices a voice file.
mkdir -p "$tmp/voices"
cp "$tiny/voice/voice_s16.wav" "$tmp/voices/speaker.wav"
python3 "$here/fake_hub.py" "$tmp/port" "org/tiny=$tiny" "org/voices=$tmp/voices" \
  2>"$tmp/hub.log" &
hub_pid=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
if [ ! -s "$tmp/port" ]; then
  fail "the hub double starts" "$(cat "$tmp/hub.log")"
  exit 1
fi
export HF_ENDPOINT=http://127.0.0.1:$(cat "$tmp/port")
export HF_HOME=$tmp/hf-home XDG_CACHE_HOME=$tmp/xdg
unset HF_HUB_CACHE HF_TOKEN
export HF_HUB_OFFLINE=0

# The tiny config with its files on the hub (pinned to the hub's commit).
sed -e "s|tokenizer_path: tokenizer.model|tokenizer_path: hf://org/tiny/tokenizer.model@$commit|" \
  -e "s|^weights_path: .*|weights_path: hf://org/tiny/weights.safetensors@$commit|" \
  "$tiny/config.yaml" >"$tmp/config.yaml"
grep -q "hf://org/tiny/weights.safetensors" "$tmp/config.yaml" ||
  fail "the tiny config names its weights on one line" "$(grep weights "$tiny/config.yaml")"

snapshot=$HF_HOME/hub/models--org--tiny/snapshots/$commit
if out=$("$cli" download --config "$tmp/config.yaml" --voice hf://org/voices/speaker.wav@main \
  2>"$tmp/err"); then
  pass "download into an empty cache"
else
  fail "download into an empty cache" "$out" "$(cat "$tmp/err")"
fi
for file in tokenizer.model weights.safetensors; do
  if [ -L "$snapshot/$file" ] && cmp -s "$snapshot/$file" "$tiny/$file"; then
    pass "$file in the hub cache as a snapshot link to its blob"
  else
    fail "$file in the hub cache as a snapshot link to its blob" "$(ls -lR "$HF_HOME" 2>&1)"
  fi
  grep -q "^[a-z ]*: hf://org/tiny/$file@$commit -> $snapshot/$file\$" <<<"$out" &&
    pass "download prints where $file went" || fail "download prints where $file went" "$out"
done
grep -q "^voice: hf://org/voices/speaker.wav@main -> .*/speaker.wav\$" <<<"$out" &&
  pass "download prints where the voice went" || fail "download prints where the voice went" "$out"
[ "$(cat "$HF_HOME/hub/models--org--voices/refs/main" 2>/dev/null)" = "$commit" ] &&
  pass "the branch's commit is in refs/main" || fail "the branch's commit is in refs/main"
# stderr is not a terminal: plain progress lines, one start and one end per file.
grep -q "^Downloading org/tiny/weights.safetensors from $HF_ENDPOINT/org/tiny/resolve/$commit/weights.safetensors" "$tmp/err" &&
  grep -q "^Downloaded org/tiny/weights.safetensors .* done in" "$tmp/err" &&
  ! grep -q $'\r' "$tmp/err" &&
  pass "progress as plain lines when stderr is not a terminal" ||
  fail "progress as plain lines when stderr is not a terminal" "$(cat "$tmp/err")"

# Everything is cached now: offline, the same command fetches nothing and says the same.
if again=$(HF_HUB_OFFLINE=1 "$cli" download --config "$tmp/config.yaml" \
  --voice hf://org/voices/speaker.wav@main 2>"$tmp/err2") && [ "$again" = "$out" ] &&
  ! grep -q Download "$tmp/err2"; then
  pass "a second download offline uses the cache"
else
  fail "a second download offline uses the cache" "$again" "$(cat "$tmp/err2")"
fi
# And the model speaks offline from what was downloaded.
if HF_HUB_OFFLINE=1 "$cli" generate -q --config "$tmp/config.yaml" --temperature 0 \
  --voice hf://org/voices/speaker.wav@main --text "Hello there, friend" -o "$tmp/out.wav" &&
  [ -s "$tmp/out.wav" ]; then
  pass "generate offline from the downloaded files"
else
  fail "generate offline from the downloaded files"
fi

# On a terminal (a pty from script(1)): one bar redrawn in place, with the size and a rate.
rm -rf "$HF_HOME"
if command -v script >/dev/null; then
  script -qec "'$cli' download --config '$tmp/config.yaml' >/dev/null" /dev/null >"$tmp/tty" 2>&1
  if grep -q $'\r' "$tmp/tty" && grep -aq "\[#*-*\] *[0-9]*% org/tiny/weights.safetensors" "$tmp/tty" &&
    grep -aq "done in" "$tmp/tty"; then
    pass "a progress bar on a terminal"
  else
    fail "a progress bar on a terminal" "$(cat -v "$tmp/tty")"
  fi
fi

# -q prints nothing but the result; a missing file is a clear error, exit 1.
rm -rf "$HF_HOME"
if out=$("$cli" download -q --config "$tmp/config.yaml" 2>"$tmp/err3") && [ ! -s "$tmp/err3" ] &&
  [ -n "$out" ]; then
  pass "-q: no progress"
else
  fail "-q: no progress" "$(cat "$tmp/err3")"
fi
"$cli" download --config "$tmp/config.yaml" --voice hf://org/voices/missing.wav >/dev/null 2>"$tmp/err4"
code=$?
if [ $code = 1 ] && grep -q "^pockettts: error: .*404.*missing.wav\|^pockettts: error: .*missing.wav.*not found" "$tmp/err4" &&
  [ "$(wc -l <"$tmp/err4" | tr -d ' ')" -le 3 ]; then
  pass "a missing voice is a clear error (exit 1)"
else
  fail "a missing voice is a clear error (exit 1)" "exit $code" "$(cat "$tmp/err4")"
fi
"$cli" download --config "$tmp/config.yaml" --voice nobody >/dev/null 2>"$tmp/err5"
[ $? = 1 ] && grep -q "neither a predefined voice" "$tmp/err5" &&
  pass "a local voice name is refused with the list of predefined voices" ||
  fail "a local voice name is refused" "$(cat "$tmp/err5")"
rm -rf "$HF_HOME"
HF_HUB_OFFLINE=1 "$cli" download --config "$tmp/config.yaml" >/dev/null 2>"$tmp/err6"
[ $? = 1 ] && grep -qi "offline" "$tmp/err6" &&
  pass "offline with an empty cache says offline mode is on" ||
  fail "offline with an empty cache says offline mode is on" "$(cat "$tmp/err6")"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
