#!/usr/bin/env python3
"""Writes an LFM2 checkpoint (config.json + model.safetensors) as a GGUF the
way llama.cpp's convert_hf_to_gguf.py writes it (make_gguf_testdata.py's
metadata and tensors), in F32, F16 or BF16, so that llama.cpp and lfm can
run the same file side by side (scripts/cpu-bench). llama.cpp quantizes it
further with llama-quantize.

A checkpoint without tokenizer.json (the benchmarks' random ones) gets a
stand-in byte-level vocabulary of the config's size: llama.cpp needs one to
load the model; lfm runs such a file from token ids.

    python3 checkpoint_to_gguf.py CHECKPOINT_DIR OUT.gguf [f32|f16|bf16]

Needs the PyPI `gguf` package and numpy.
"""
import json
import os
import sys

import gguf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_gguf_testdata as m  # noqa: E402

Q = gguf.GGMLQuantizationType
TYPES = {"f32": Q.F32, "f16": Q.F16, "bf16": Q.BF16}


def add_stand_in_vocab(w, cfg):
    # GPT-2's byte-to-unicode alphabet first, then distinct filler tokens.
    alphabet = [chr(c) for c in range(ord("!"), ord("~") + 1)] + \
               [chr(c) for c in range(ord("¡"), ord("¬") + 1)] + \
               [chr(c) for c in range(ord("®"), ord("ÿ") + 1)]
    alphabet += [chr(256 + i) for i in range(256 - len(alphabet))]
    n = cfg["vocab_size"]
    tokens = [f"<|special{i}|>" for i in range(8)] + alphabet
    tokens += [f"tok{i}" for i in range(n - len(tokens))]
    types = [gguf.TokenType.CONTROL] * 8 + [gguf.TokenType.NORMAL] * (n - 8)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("lfm2")
    w.add_token_list(tokens[:n])
    w.add_token_types(types[:n])
    w.add_token_merges([f"{alphabet[0]} {alphabet[1]}"])
    w.add_bos_token_id(cfg.get("bos_token_id", 1))
    w.add_eos_token_id(cfg.get("eos_token_id", 7))
    w.add_pad_token_id(cfg.get("pad_token_id", 0))


def main():
    if len(sys.argv) not in (3, 4) or (len(sys.argv) == 4 and sys.argv[3] not in TYPES):
        raise SystemExit(__doc__)
    ckpt, out = sys.argv[1], sys.argv[2]
    qtype = TYPES[sys.argv[3] if len(sys.argv) == 4 else "bf16"]
    cfg = json.load(open(os.path.join(ckpt, "config.json")))
    tensors = m.read_safetensors(os.path.join(ckpt, "model.safetensors"))
    w = gguf.GGUFWriter(out, "lfm2")
    w.add_name(os.path.basename(os.path.normpath(ckpt)))
    m.add_hparams(w, cfg)
    if os.path.exists(os.path.join(ckpt, "tokenizer.json")):
        m.add_vocab_from_hf(w, ckpt, cfg)
    else:
        add_stand_in_vocab(w, cfg)
    m.add_tensors(w, cfg, tensors, qtype, f32_conv=True)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"{out}: {os.path.getsize(out)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
