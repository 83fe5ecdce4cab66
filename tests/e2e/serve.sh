#!/usr/bin/env bash
# lfm-serve end to end over loopback, driven by the official `openai` Python
# client (PyPI, in a venv under the build folder): completions and chat,
# streaming, usage, logprobs, stop strings, /tokenize, /metrics, every error
# (400 bad JSON, JSON nested 100k deep and bad fields, 400 prompt longer
# than the cache or max_tokens above --max-tokens, 404, 413, 401,
# 429 with Retry-After), /health 503 while loading, SIGTERM letting a
# running stream finish and exiting 0; and a bounded load test: 200
# requests, 32 at a time, 10% disconnecting mid-stream, with no unexpected
# error, every slot free at the end (from /metrics), and every completed
# output equal to the same request run alone.
# LFM_RUNTIME_TOOLS: the folder of the runtime tools to test (lfm-run,
# lfm-serve, lfm-tokenize), e.g. the sanitizer build's; default $build/tools.
set -euo pipefail
build=$1 data=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
compile=${LFM_COMPILE:-$build/tools/lfm-compile}
serve=${LFM_RUNTIME_TOOLS:-$build/tools}/lfm-serve
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# The client, once per build folder.
venv=$build/serve-venv
if ! "$venv/bin/python" -c 'import openai' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check openai
fi
py=$venv/bin/python

"$compile" "$root/models/lfm2-kjv" -o "$tmp/kjv.lfma" >/dev/null
"$compile" "$data/configs/lfm2-350m.json" -o "$tmp/350m.lfma" >/dev/null

# start NAME ARGS...: starts lfm-serve on a free loopback port; sets $port
# and $pid (also in pids) once it listens.
start() {
  local name=$1
  shift
  # The log exists before the poll below reads it (the background job opens
  # its redirection when it gets to run: on a busy machine, after the poll).
  : >"$tmp/$name.log"
  "$serve" "$@" --port 0 >>"$tmp/$name.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  port=
  for _ in $(seq 1 200); do
    port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/$name.log")
    [[ -n $port ]] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "FAIL: lfm-serve ($name) did not start:"
  cat "$tmp/$name.log"
  exit 1
}

# The main server: the demo model, 8 slots, a small cache, body limit and
# token cap for the error cases.
start main "$tmp/kjv.lfma" --weights "$root/models/lfm2-kjv" --device cpu --threads 2 \
  --slots 8 --max-seq-len 256 --max-queue 64 --max-body-bytes 1048576 --max-tokens 200
main_port=$port
# Its twin with an API key and one slot, for 401 and 429; then SIGTERM.
start small "$tmp/kjv.lfma" --weights "$root/models/lfm2-kjv" --device cpu --threads 1 \
  --slots 1 --max-queue 1 --api-key sekret --shutdown-timeout 2
small_port=$port small_pid=$pid
# LFM2-350M with random weights: slow enough to load to see /health 503;
# no tokenizer, so token-id prompts only.
start big "$tmp/350m.lfma" --random-weights 0 --device cpu --threads 1 --slots 2 \
  --max-seq-len 64
big_port=$port big_pid=$pid
# Its /health at once, while the weights load: the client's start-up below
# can take longer than the load on a busy machine.
big_health=$( (exec 3<>"/dev/tcp/127.0.0.1/$big_port" &&
  printf 'GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3 && head -n 1 <&3) 2>/dev/null |
  tr -d '\r') || true
echo "big /health at start: ${big_health:-none}"

status=0
"$py" - "$main_port" "$small_port" "$small_pid" "$big_port" "$big_health" <<'PY' || status=$?
import concurrent.futures as cf
import json
import os
import random
import signal
import sys
import time
import urllib.error
import urllib.request

import openai

main_port, small_port, small_pid, big_port = (int(a) for a in sys.argv[1:5])
big_first_health = sys.argv[5]  # the status line bash read right after the start
fails = 0
passes = 0


def check(name, ok, detail=""):
    global fails, passes
    if ok:
        passes += 1
        print(f"PASS {name}")
    else:
        fails += 1
        print(f"FAIL {name}: {detail}")


def http(port, method, path, body=None, headers=None, raw=None):
    """(status, headers, parsed JSON or text)"""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, hdrs, text = r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        status, hdrs, text = e.code, e.headers, e.read().decode()
    try:
        return status, hdrs, json.loads(text)
    except ValueError:
        return status, hdrs, text


def is_error_shape(body, status):
    return (isinstance(body, dict) and isinstance(body.get("error"), dict)
            and {"message", "type", "param", "code"} <= set(body["error"]))


def wait_healthy(port, seconds=120):
    saw_503 = False
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            status, _, _ = http(port, "GET", "/health")
        except OSError:
            status = None
        if status == 200:
            return saw_503
        saw_503 = saw_503 or status == 503
        time.sleep(0.02)
    raise SystemExit(f"FAIL: server on {port} never became healthy")


saw_503 = wait_healthy(big_port) or " 503 " in big_first_health + " "
check("/health is 503 while the model loads", saw_503, big_first_health)
wait_healthy(main_port)
wait_healthy(small_port)

client = openai.OpenAI(base_url=f"http://127.0.0.1:{main_port}/v1", api_key="none",
                       max_retries=0, timeout=120)

# --- models, completions, chat -------------------------------------------
models = client.models.list()
check("/v1/models lists the model", [m.id for m in models.data] == ["kjv"], models)

status, _, tok = http(main_port, "POST", "/tokenize",
                      {"content": "In the beginning", "add_special": True})
prompt_ids = tok["tokens"]
check("/tokenize adds BOS when asked", status == 200 and prompt_ids[0] == 1, tok)
status, _, detok = http(main_port, "POST", "/detokenize", {"tokens": prompt_ids[1:]})
check("/detokenize inverts /tokenize", detok.get("content") == "In the beginning", detok)

c = client.completions.create(model="kjv", prompt="In the beginning", max_tokens=12,
                              temperature=0)
check("completion: finish_reason length", c.choices[0].finish_reason == "length", c)
check("completion: usage", c.usage.prompt_tokens == len(prompt_ids)
      and c.usage.completion_tokens == 12 and c.usage.total_tokens == len(prompt_ids) + 12, c.usage)
check("completion: id, object, created, model",
      c.id.startswith("cmpl-") and c.object == "text_completion" and c.created > 0
      and c.model == "kjv", c)
greedy_text = c.choices[0].text
check("completion: text", len(greedy_text) > 0, c)

ids = client.completions.create(model="kjv", prompt=prompt_ids, max_tokens=12, temperature=0)
check("completion from token ids equals the text prompt", ids.choices[0].text == greedy_text, ids)
two = client.completions.create(model="kjv", prompt=["In the beginning", "And God said"],
                                max_tokens=6, temperature=0)
check("completion: a list of prompts gives a choice each",
      [ch.index for ch in two.choices] == [0, 1] and two.choices[0].text == greedy_text[:len(two.choices[0].text)],
      two)

seeded = [client.completions.create(model="kjv", prompt="And God said", max_tokens=16,
                                    temperature=1.0, top_p=0.9, seed=7).choices[0].text
          for _ in range(2)]
check("completion: a seed repeats", seeded[0] == seeded[1], seeded)

# Stop strings: cut where the stop string starts, finish_reason stop.
long = client.completions.create(model="kjv", prompt="In the beginning", max_tokens=40,
                                 temperature=0).choices[0].text
stop = long[len(long) // 2: len(long) // 2 + 3]
cut = client.completions.create(model="kjv", prompt="In the beginning", max_tokens=40,
                                temperature=0, stop=["@@never@@", stop])
check("completion: stop string", cut.choices[0].finish_reason == "stop"
      and cut.choices[0].text == long[:long.find(stop)], (stop, long, cut.choices[0].text))

lp = client.completions.create(model="kjv", prompt="In the beginning", max_tokens=5,
                               temperature=0, logprobs=2)
l = lp.choices[0].logprobs
check("completion: logprobs", len(l.tokens) == 5 and len(l.token_logprobs) == 5
      and all(x <= 0 for x in l.token_logprobs) and all(len(t) >= 1 for t in l.top_logprobs)
      and "".join(l.tokens) == lp.choices[0].text, l)

messages = [{"role": "system", "content": "You answer from the Bible."},
            {"role": "user", "content": "Who made the heaven and the earth?"}]
chat = client.chat.completions.create(model="kjv", messages=messages, max_tokens=20,
                                      temperature=0)
ch = chat.choices[0]
check("chat: message", ch.message.role == "assistant" and len(ch.message.content) > 0, chat)
check("chat: finish_reason, usage", ch.finish_reason in ("stop", "length")
      and chat.usage.completion_tokens <= 20 and chat.usage.prompt_tokens > 10, chat)
check("chat: object", chat.object == "chat.completion" and chat.id.startswith("chatcmpl-"), chat)
chat_lp = client.chat.completions.create(model="kjv", messages=messages, max_completion_tokens=4,
                                         temperature=0, logprobs=True, top_logprobs=3)
content = chat_lp.choices[0].logprobs.content
check("chat: logprobs", len(content) == chat_lp.usage.completion_tokens
      and all(len(t.top_logprobs) == 3 and t.logprob <= 0 for t in content), content)
tools = [{"type": "function", "function": {"name": "verse", "description": "Look up a verse",
          "parameters": {"type": "object", "properties": {"ref": {"type": "string"}}}}}]
with_tools = client.chat.completions.create(model="kjv", messages=messages, tools=tools,
                                            max_tokens=4, temperature=0)
check("chat: tools reach the template",
      with_tools.usage.prompt_tokens > chat.usage.prompt_tokens, with_tools.usage)

# --- streaming -------------------------------------------------------------
chunks = list(client.chat.completions.create(model="kjv", messages=messages, max_tokens=20,
                                             temperature=0, stream=True,
                                             stream_options={"include_usage": True}))
text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
finals = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
check("chat stream: same text as without", text == ch.message.content, (text, ch.message.content))
check("chat stream: role first, one finish_reason", chunks[0].choices[0].delta.role == "assistant"
      and finals == [ch.finish_reason], finals)
check("chat stream: usage last", chunks[-1].choices == [] and chunks[-1].usage is not None
      and chunks[-1].usage.completion_tokens == chat.usage.completion_tokens, chunks[-1])
stream = list(client.completions.create(model="kjv", prompt="In the beginning", max_tokens=12,
                                        temperature=0, stream=True))
check("completion stream: same text as without",
      "".join(c.choices[0].text for c in stream) == greedy_text
      and stream[-1].choices[0].finish_reason == "length", stream[-1])

# --- errors --------------------------------------------------------------
def expect_error(name, status_want, fn, code=None):
    try:
        fn()
    except openai.APIStatusError as e:
        body = e.response.json()
        ok = e.status_code == status_want and is_error_shape(body, e.status_code)
        if code is not None:
            ok = ok and body["error"]["code"] == code
        check(name, ok, (e.status_code, body))
        return e
    check(name, False, "no error")


status, _, body = http(main_port, "POST", "/v1/completions", raw=b"{not json")
check("400 bad JSON", status == 400 and is_error_shape(body, status), body)
for path in ("/v1/chat/completions", "/tokenize"):
    status, _, body = http(main_port, "POST", path, raw=b"[" * 100000 + b"]" * 100000)
    check(f"400 JSON nested 100k deep ({path})",
          status == 400 and is_error_shape(body, status)
          and "deeper than 64 levels" in body["error"]["message"], (status, body))
expect_error("400 max_tokens above --max-tokens", 400,
             lambda: client.completions.create(model="kjv", prompt="x", max_tokens=201))
expect_error("400 bad field (temperature)", 400,
             lambda: client.completions.create(model="kjv", prompt="x", temperature=-1))
expect_error("400 bad field (prompt)", 400,
             lambda: client.completions.create(model="kjv", prompt=[{"a": 1}]))
expect_error("400 n > 1", 400, lambda: client.completions.create(model="kjv", prompt="x", n=2))
expect_error("400 no messages", 400,
             lambda: client.chat.completions.create(model="kjv", messages=[]))
expect_error("400 prompt longer than the cache", 400,
             lambda: client.completions.create(model="kjv", prompt=[5] * 300, max_tokens=1),
             code="context_length_exceeded")
status, _, body = http(main_port, "GET", "/v1/nope")
check("404 unknown route", status == 404 and is_error_shape(body, status), body)
status, _, body = http(main_port, "POST", "/v1/completions",
                       raw=json.dumps({"prompt": "a" * (2 << 20)}).encode())
check("413 body too large", status == 413 and is_error_shape(body, status), (status, body))

small = openai.OpenAI(base_url=f"http://127.0.0.1:{small_port}/v1", api_key="sekret",
                      max_retries=0, timeout=120)
wrong = openai.OpenAI(base_url=f"http://127.0.0.1:{small_port}/v1", api_key="wrong",
                      max_retries=0)
expect_error("401 wrong API key", 401, lambda: wrong.models.list())
status, _, body = http(small_port, "GET", "/v1/models")
check("401 no API key", status == 401 and is_error_shape(body, status), body)
check("401 spares /health", http(small_port, "GET", "/health")[0] == 200)
check("the right API key works", [m.id for m in small.models.list().data] == ["kjv"])

# 429: one slot, one place in the queue.
running = small.completions.create(model="kjv", prompt="In the beginning", max_tokens=4000,
                                   temperature=0, stream=True)
next(iter(running))  # it holds the slot now
queued = small.completions.create(model="kjv", prompt="And", max_tokens=4000, temperature=0,
                                  stream=True)
time.sleep(0.3)
e = expect_error("429 queue full", 429,
                 lambda: small.completions.create(model="kjv", prompt="x", max_tokens=1))
check("429 has Retry-After", e is not None and e.response.headers.get("retry-after") == "1",
      e and dict(e.response.headers))
queued.close()

# SIGTERM: the running stream finishes (within --shutdown-timeout 2), new
# requests are refused, and the server exits 0 (checked by the script).
os.kill(small_pid, signal.SIGTERM)
time.sleep(0.3)
status, _, body = http(small_port, "POST", "/v1/completions", {"prompt": "x"},
                       headers={"Authorization": "Bearer sekret"})
check("503 while shutting down", status == 503 and is_error_shape(body, status), (status, body))
rest = list(running)
check("SIGTERM: the running stream ends with finish_reason",
      rest and rest[-1].choices[0].finish_reason == "length", rest[-1:] if rest else rest)

# The model without a tokenizer takes token ids.
big = openai.OpenAI(base_url=f"http://127.0.0.1:{big_port}/v1", api_key="none", max_retries=0,
                    timeout=300)
r = big.completions.create(model="350m", prompt=[1, 2, 3, 4], max_tokens=2, temperature=0)
check("token-id prompts without a tokenizer", r.usage.completion_tokens == 2, r)
expect_error("text prompts without a tokenizer are 400", 400,
             lambda: big.completions.create(model="350m", prompt="hello", max_tokens=1))

# --- load -----------------------------------------------------------------
PHRASES = ["In the beginning", "And God said", "The LORD is my shepherd", "Blessed are",
           "And it came to pass", "Let there be light", "For God so loved", "Thou shalt"]


def make_request(i):
    rnd = random.Random(i)
    req = {"kind": rnd.choice(["completion", "chat"]), "stream": rnd.random() < 0.6,
           "max_tokens": rnd.randint(4, 40), "disconnect": i % 10 == 3}
    if req["disconnect"]:
        req["stream"] = True
        req["max_tokens"] = 200
    phrase = rnd.choice(PHRASES) + " " * rnd.randint(0, 1) + rnd.choice(PHRASES).lower()
    if req["kind"] == "chat":
        req["messages"] = [{"role": "user", "content": phrase}]
    else:
        req["prompt"] = phrase
    if rnd.random() < 0.5:
        req["sampling"] = {"temperature": 0}
    else:
        req["sampling"] = {"temperature": 0.8, "top_p": 0.95, "seed": i}
    if rnd.random() < 0.2:
        req["stop"] = [" the ", "\n"]
    return req


def run(req, client, allow_disconnect=True):
    """(text, finish_reason) or None when it disconnected"""
    kwargs = dict(model="kjv", max_tokens=req["max_tokens"], stream=req["stream"],
                  **req["sampling"])
    if "stop" in req:
        kwargs["stop"] = req["stop"]
    if req["kind"] == "chat":
        call = lambda: client.chat.completions.create(messages=req["messages"], **kwargs)
        piece = lambda c: (c.choices[0].delta.content or "") if c.choices else ""
        whole = lambda r: r.choices[0].message.content
    else:
        call = lambda: client.completions.create(prompt=req["prompt"], **kwargs)
        piece = lambda c: c.choices[0].text if c.choices else ""
        whole = lambda r: r.choices[0].text
    if not req["stream"]:
        r = call()
        return whole(r), r.choices[0].finish_reason
    text, finish = "", None
    s = call()
    for n, c in enumerate(s):
        if allow_disconnect and req["disconnect"] and n == 2:
            s.close()  # the client goes away mid-stream
            return None
        text += piece(c)
        if c.choices and c.choices[0].finish_reason:
            finish = c.choices[0].finish_reason
    return text, finish


requests = [make_request(i) for i in range(200)]
results, errors = {}, []
start = time.time()
with cf.ThreadPoolExecutor(max_workers=32) as pool:
    futures = {pool.submit(run, req, client): i for i, req in enumerate(requests)}
    for f in cf.as_completed(futures):
        i = futures[f]
        try:
            results[i] = f.result()
        except Exception as e:  # noqa: BLE001
            errors.append((i, repr(e)))
elapsed = time.time() - start
done = {i: r for i, r in results.items() if r is not None}
print(f"load: {len(done)} completed, {len(results) - len(done)} disconnected, "
      f"{len(errors)} errors in {elapsed:.1f} s")
check("load: no unexpected errors", not errors, errors[:5])
check("load: clients disconnected mid-stream", len(results) - len(done) >= 10,
      len(results) - len(done))


def metrics():
    _, _, text = http(main_port, "GET", "/metrics")
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


for _ in range(100):
    m = metrics()
    if m["lfm_slots_used"] == 0 and m["lfm_requests_running"] == 0 and m["lfm_requests_waiting"] == 0:
        break
    time.sleep(0.05)
check("load: every slot free at the end (/metrics)",
      m["lfm_slots_used"] == 0 and m["lfm_slots_free"] == m["lfm_slots_total"] == 8
      and m["lfm_requests_running"] == 0 and m["lfm_requests_waiting"] == 0, m)
check("load: disconnects cancelled their requests",
      m['lfm_requests_total{outcome="cancelled"}'] >= 1, m)
check("load: no request failed", m['lfm_requests_total{outcome="error"}'] == 0, m)
for name in ("lfm_time_to_first_token_seconds", "lfm_inter_token_latency_seconds",
             "lfm_step_duration_seconds"):
    check(f"/metrics has {name}", m.get(f"{name}_count", 0) > 0, name)

mismatches = []
for i in sorted(done):
    alone = run(requests[i], client, allow_disconnect=False)
    if alone != done[i]:
        mismatches.append((i, requests[i], done[i], alone))
check(f"load: all {len(done)} completed outputs equal the request run alone", not mismatches,
      mismatches[:3])

print(f"{passes} passed, {fails} failed")
sys.exit(1 if fails else 0)
PY

# The SIGTERMed server exits 0 within its shutdown timeout.
for _ in $(seq 1 100); do kill -0 "$small_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$small_pid" 2>/dev/null; then
  echo "FAIL: lfm-serve did not exit after SIGTERM"
  status=1
elif wait "$small_pid"; then
  echo "PASS lfm-serve exits 0 after SIGTERM"
else
  echo "FAIL: lfm-serve exited $? after SIGTERM"
  status=1
fi
kill -TERM "$big_pid" 2>/dev/null || true
kill -INT "${pids[0]}" 2>/dev/null || true
for p in "${pids[0]}" "$big_pid"; do
  if ! wait "$p"; then echo "FAIL: lfm-serve ($p) exited non-zero on SIGINT/SIGTERM"; status=1; fi
done
if [[ $status -ne 0 ]]; then
  for name in main small big; do echo "--- $name log"; tail -20 "$tmp/$name.log"; done
fi
exit $status
