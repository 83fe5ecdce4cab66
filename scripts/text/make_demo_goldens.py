"""Goldens for the demo model (models/lfm2-kjv): transformers' greedy generate
on the checkpoint in float32, for text prompts and one chat, with and without
the repetition penalty. tests/e2e/demo_generate.sh checks that lfm-run gives
the same prompt ids and the same generated ids on the cpu and emu devices.

    .venv-train/bin/python scripts/text/make_demo_goldens.py [MODEL_DIR] [OUT.json]

Needs torch and transformers (scripts/train-demo-model makes such a venv).
"""
import json
import sys

import torch
from transformers import AutoTokenizer, Lfm2ForCausalLM

MODEL = sys.argv[1] if len(sys.argv) > 1 else "models/lfm2-kjv"
OUT = sys.argv[2] if len(sys.argv) > 2 else "tests/data/demo/generate_golden.json"
NEW_TOKENS = 24

PROMPTS = [
    "And God said",
    "In the beginning",
    "The LORD is my shepherd;",
    "Blessed are the",
    "And it came to pass, when the king",
    "Verily, verily, I say unto you,",
]
CHAT = [{"role": "system", "content": "Answer in the words of scripture."},
        {"role": "user", "content": "Who made the heaven and the earth?"}]


def main():
    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(MODEL)
    model = Lfm2ForCausalLM.from_pretrained(MODEL, dtype=torch.float32).eval()
    cases = []

    def run(name, ids, penalty):
        with torch.no_grad():
            out = model.generate(torch.tensor([ids]), max_new_tokens=NEW_TOKENS, do_sample=False,
                                 repetition_penalty=penalty, min_p=None, temperature=None,
                                 top_p=None, top_k=None)
        gen = out[0, len(ids):].tolist()
        cases.append({"name": name, "prompt_ids": ids, "repetition_penalty": penalty,
                      "generated": gen, "text": tok.decode(gen, skip_special_tokens=True)})

    for p in PROMPTS:
        ids = tok(p)["input_ids"]
        for penalty in (1.0, 1.05):
            run(p, ids, penalty)
        cases[-1]["prompt"] = cases[-2]["prompt"] = p
    chat_text = tok.apply_chat_template(CHAT, add_generation_prompt=True, tokenize=False)
    chat_ids = tok(chat_text, add_special_tokens=False)["input_ids"]
    run("chat", chat_ids, 1.0)
    cases[-1]["chat"] = CHAT
    cases[-1]["chat_text"] = chat_text
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"model": MODEL, "dtype": "float32", "max_new_tokens": NEW_TOKENS,
                   "cases": cases}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    for c in cases:
        print(c["name"], c["repetition_penalty"], repr(c["text"]))


if __name__ == "__main__":
    main()
