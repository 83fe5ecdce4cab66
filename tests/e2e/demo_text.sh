#!/usr/bin/env bash
# The demo model (models/lfm2-kjv) end to end with text: lfm-compile carries
# its tokenizer into the artifact; lfm-tokenize gives the prompt ids
# transformers gives; lfm-run --prompt generates, greedily, the tokens
# transformers' generate gives (f32 compute, with and without the repetition
# penalty) on the cpu and emu devices (goldens: scripts/text/
# make_demo_goldens.py); the chat template renders the chat golden; --chat
# answers and keeps its conversation; --stop cuts the text; bad text input
# exits 1 with a message.
# LFM_RUNTIME_TOOLS: the folder of the runtime tools to test (lfm-run,
# lfm-serve, lfm-tokenize), e.g. the sanitizer build's; default $build/tools.
set -euo pipefail
build=$1 data=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
model=$root/models/lfm2-kjv
golden=$data/demo/generate_golden.json
tools=${LFM_RUNTIME_TOOLS:-$build/tools}
compile=$build/tools/lfm-compile run=$tools/lfm-run tokenize=$tools/lfm-tokenize
export LFM_CACHE_DIR=${LFM_CACHE_DIR:-$build/emu-cache}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0
pass() { passes=$((passes + 1)); echo "PASS $1"; }
fail() { fails=$((fails + 1)); echo "FAIL $1: $2"; }
expect_eq() {  # name, got, want
  if [[ "$2" == "$3" ]]; then pass "$1"; else fail "$1" "got [$2], want [$3]"; fi
}

"$compile" "$model" -o "$tmp/kjv.lfma" --dtype f32 --max-seq-len 512 --slots 4
"$compile" "$model" -o "$tmp/kjv-embedded.lfma" --embed-weights --max-seq-len 512 --slots 4

# golden FIELD INDEX: one field of one case, as text (lists comma-joined).
golden() {
  python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["cases"][int(sys.argv[3])]
v = c.get(sys.argv[2])
sys.stdout.write(",".join(map(str, v)) if isinstance(v, list) else str(v))' \
    "$golden" "$1" "$2"
}
count=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["cases"]))' "$golden")
new=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["max_new_tokens"])' "$golden")

for ((i = 0; i < count; ++i)); do
  name=$(golden name $i) penalty=$(golden repetition_penalty $i)
  want=$(golden generated $i) prompt_ids=$(golden prompt_ids $i)
  if [[ $name == chat ]]; then
    python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["cases"][int(sys.argv[2])]
json.dump({"messages": c["chat"]}, open(sys.argv[3], "w"))' "$golden" $i "$tmp/chat.json"
    expect_eq "chat template renders as transformers" \
      "$("$tokenize" "$model" --chat "$tmp/chat.json"; echo x)" "$(golden chat_text $i; echo x)"
    expect_eq "chat ids" "$("$tokenize" "$tmp/kjv.lfma" --chat "$tmp/chat.json" --ids)" "$prompt_ids"
    args=(--prompt-ids "$prompt_ids")
  else
    expect_eq "prompt ids of '$name'" "$(printf '%s' "$name" | "$tokenize" "$model")" "$prompt_ids"
    args=(--prompt "$name")
  fi
  for device in cpu emu; do
    got=$("$run" "$tmp/kjv.lfma" --weights "$model" --device $device "${args[@]}" --json \
      --temperature 0 --repetition-penalty "$penalty" --max-new-tokens "$new" 2>"$tmp/err" \
      | python3 -c 'import json,sys; print(",".join(map(str, json.load(sys.stdin)["sequences"][0]["generated"])))') \
      || { fail "$name ($device)" "$(cat "$tmp/err")"; continue; }
    expect_eq "'$name' penalty $penalty on $device = transformers' greedy generate" "$got" "$want"
  done
done

# The embedded artifact is a whole model: text in, KJV text out, streamed.
text=$("$run" "$tmp/kjv-embedded.lfma" --device cpu --prompt "And God said" --temperature 0 \
  --max-new-tokens 12 2>/dev/null)
want_text=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cases"][0]["text"])' "$golden")
# bf16 compute may part from the f32 golden late; the first words agree.
expect_eq "embedded artifact streams text" "${text:0:10}" "${want_text:0:10}"

# --stop cuts the text before the stop string.
full=$("$run" "$tmp/kjv.lfma" --weights "$model" --device cpu --prompt "And God said" \
  --temperature 0 --repetition-penalty 1 --max-new-tokens "$new" 2>/dev/null)
stop_word=$(python3 -c 'import sys; w=sys.argv[1].split(); print(w[2] if len(w) > 2 else w[-1])' "$full")
cut=$("$run" "$tmp/kjv.lfma" --weights "$model" --device cpu --prompt "And God said" \
  --temperature 0 --repetition-penalty 1 --max-new-tokens "$new" --stop "$stop_word" 2>/dev/null)
expect_eq "--stop '$stop_word'" "$cut" "${full%%"$stop_word"*}"

# --chat: two turns and a reset from stdin; the first answer is the chat golden's.
chat_text=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cases"][-1]["text"])' "$golden")
system=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cases"][-1]["chat"][0]["content"])' "$golden")
user=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cases"][-1]["chat"][1]["content"])' "$golden")
printf '%s\nAnd who is the LORD?\n/reset\n%s\n' "$user" "$user" | "$run" "$tmp/kjv.lfma" \
  --weights "$model" --device cpu --chat --system "$system" --temperature 0 \
  --repetition-penalty 1 --max-new-tokens "$new" > "$tmp/chat.out" 2>"$tmp/chat.err" \
  || fail "--chat" "$(cat "$tmp/chat.err")"
python3 - "$tmp/chat.out" "$chat_text" <<'PY' && pass "--chat answers, goes on, resets" || fail "--chat" "$(cat "$tmp/chat.out")"
import sys
out, want = open(sys.argv[1], encoding="utf-8").read(), sys.argv[2]
# Answer 1, answer 2, then after /reset answer 1 again (same greedy tokens).
assert out.startswith(want + "\n"), (out[:200], want)
rest = out[len(want) + 1:]
assert rest.endswith(want + "\n"), rest[-200:]
PY
grep -q "conversation reset" "$tmp/chat.err" && pass "--chat /reset says so" || fail "--chat /reset" "no message"

# Bad text input: exit 1 with a message naming the problem.
bad() {  # name, expected message, command...
  local name=$1 message=$2; shift 2
  if "$@" > /dev/null 2>"$tmp/err" </dev/null; then fail "$name" "exit 0"
  elif grep -qF -- "$message" "$tmp/err"; then pass "$name"
  else fail "$name" "$(cat "$tmp/err")"; fi
}
mkdir -p "$tmp/badtok"
echo '{"model": {"type": "WordPiece", "vocab": {}}}' > "$tmp/badtok/tokenizer.json"
bad "unsupported tokenizer model" "WordPiece" "$tokenize" "$tmp/badtok"
bad "unsupported tokenizer at run time" "WordPiece" "$run" "$tmp/kjv.lfma" --weights "$model" --prompt hi --tokenizer "$tmp/badtok"
echo '{"model": ' > "$tmp/badtok/tokenizer.json"
bad "malformed tokenizer.json" "tokenizer.json" "$tokenize" "$tmp/badtok"
bad "ids outside the vocab" "99999" bash -c "echo 5,99999 | '$tokenize' '$model' --decode"
echo '[1, 2]' > "$tmp/notchat.json"
bad "chat file that is not {messages}" "messages" "$tokenize" "$model" --chat "$tmp/notchat.json"
long=$(python3 -c 'print("and " * 700)')
bad "prompt longer than the cache" "--max-seq-len" "$run" "$tmp/kjv.lfma" --weights "$model" --device cpu --prompt "$long"

echo "$passes passed, $fails failed"
((fails == 0))
