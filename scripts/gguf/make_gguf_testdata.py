#!/usr/bin/env python3
"""Writes the GGUF test files in tests/data/gguf/ the way llama.cpp's
convert_hf_to_gguf.py writes LFM2 (its LFM2Model class): the same metadata
keys, tensor names (gguf-py's tensor map), the conv weight squeezed to 2-D,
head_count_kv per layer (0 for conv layers), the auto-adjusted FFN width,
1-D tensors in F32, and the tokenizer through gguf-py's SpecialVocab.

Needs only the PyPI `gguf` package (llama.cpp's gguf-py) and numpy:
  python3 -m venv /tmp/venv-gguf && /tmp/venv-gguf/bin/pip install gguf numpy
  /tmp/venv-gguf/bin/python scripts/gguf/make_gguf_testdata.py

Files:
  case1_f32.gguf, case1_f16.gguf, case1_bf16.gguf, case1_q8_0.gguf,
  case1_q4_0.gguf   tests/data/golden/case1_gqa_12tok (no tokenizer: the
                    golden checkpoints have none)
  kjv_tokenizer.gguf  models/lfm2-kjv's metadata and tokenizer, no tensors
                    (its 12 MB of weights stay out of the repository)
  llama_spm_tokenizer.gguf  an LFM2 GGUF whose vocabulary is of another kind
  odd_types.gguf    case1 with a q5_0 and an iq2_xxs tensor (random bytes)
"""
import json
import os
import struct
import sys

import numpy as np
import gguf

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "data", "gguf")
Q = gguf.GGMLQuantizationType


def read_safetensors(path):
    """name -> float32 numpy array (F32, F16, BF16 only), without torch."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        raw = data[b:e]
        if info["dtype"] == "F32":
            a = np.frombuffer(raw, dtype=np.float32)
        elif info["dtype"] == "F16":
            a = np.frombuffer(raw, dtype=np.float16).astype(np.float32)
        elif info["dtype"] == "BF16":
            a = (np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)
        else:
            raise ValueError(f"{name}: dtype {info['dtype']}")
        tensors[name] = a.reshape(info["shape"])
    return tensors


def ff_dim(cfg):
    # LFM2Model._add_feed_forward_length
    ff = cfg.get("block_ff_dim", cfg["intermediate_size"])
    if cfg["block_auto_adjust_ff_dim"]:
        ff = int(2 * ff / 3)
        if cfg.get("block_ffn_dim_multiplier") is not None:
            ff = int(cfg["block_ffn_dim_multiplier"] * ff)
        m = cfg["block_multiple_of"]
        ff = m * ((ff + m - 1) // m)
    return ff


def add_hparams(w, cfg):
    # TextModel.set_gguf_parameters + LFM2Model.set_gguf_parameters
    n = cfg["num_hidden_layers"]
    w.add_block_count(n)
    w.add_context_length(cfg["max_position_embeddings"])
    w.add_embedding_length(cfg["hidden_size"])
    w.add_head_count(cfg["num_attention_heads"])
    # Older configs (LFM2-1.2B's) list the attention layers as full_attn_idxs.
    types = cfg.get("layer_types") or [
        "full_attention" if i in cfg["full_attn_idxs"] else "conv" for i in range(n)]
    w.add_head_count_kv([cfg["num_key_value_heads"] if t != "conv" else 0 for t in types])
    # transformers 5 writes rope_parameters.rope_theta
    w.add_rope_freq_base(cfg.get("rope_theta", cfg.get("rope_parameters", {}).get("rope_theta")))
    w.add_vocab_size(cfg["vocab_size"])
    w.add_shortconv_l_cache(cfg["conv_L_cache"])
    w.add_layer_norm_rms_eps(cfg["norm_eps"])
    w.add_feed_forward_length(ff_dim(cfg))


def add_tensors(w, cfg, tensors, qtype, f32_conv=False):
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LFM2, cfg["num_hidden_layers"])
    for hf_name in sorted(tensors):
        data = tensors[hf_name]
        if "conv.conv" in hf_name:
            data = data.squeeze(1)  # LFM2Model.modify_tensors
        name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        assert name is not None, hf_name
        t = qtype
        # The converter keeps 1-D tensors and norms in F32, and the short
        # conv's weight too (ModelBase.prepare_tensors; llama.cpp's ssm_conv
        # reads only F32): f32_conv. The test files keep it in qtype (F16 where
        # a block does not fit), which lfm reads as well.
        if data.ndim <= 1 or name.endswith("_norm.weight") or (f32_conv and "shortconv.conv" in name):
            t = Q.F32
        if t == Q.F32:
            w.add_tensor(name, data.astype(np.float32))
        elif t == Q.F16:
            w.add_tensor(name, data.astype(np.float16))
        else:
            try:
                q = gguf.quants.quantize(data.astype(np.float32), t)
            except gguf.QuantError:
                # rows that are no whole number of blocks: F16, as the converter falls back
                w.add_tensor(name, data.astype(np.float16))
                continue
            w.add_tensor(name, q, raw_shape=q.shape, raw_dtype=t)


def write_case(name, case_dir, qtype, extra=None):
    cfg = json.load(open(os.path.join(case_dir, "config.json")))
    tensors = read_safetensors(os.path.join(case_dir, "model.safetensors"))
    path = os.path.join(OUT, name)
    w = gguf.GGUFWriter(path, "lfm2")
    w.add_name(os.path.basename(case_dir))
    add_hparams(w, cfg)
    add_tensors(w, cfg, tensors, qtype)
    if extra:
        extra(w)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"{path}: {os.path.getsize(path)} bytes")


def add_vocab_from_hf(w, model_dir, cfg):
    # TextModel._set_vocab_gpt2 / get_vocab_base, read from tokenizer.json
    # directly (the same tokens, types and merges as AutoTokenizer gives).
    tok = json.load(open(os.path.join(model_dir, "tokenizer.json"), encoding="utf-8"))
    vocab = tok["model"]["vocab"]
    added = {t["id"]: t for t in tok["added_tokens"]}
    reverse = {i: s for s, i in vocab.items()}
    for i, t in added.items():
        reverse[i] = t["content"]
    n = max(cfg["vocab_size"], len(reverse))
    tokens, types = [], []
    for i in range(n):
        if i not in reverse:
            tokens.append(f"[PAD{i}]")
            types.append(gguf.TokenType.USER_DEFINED)
        elif i in added:
            tokens.append(reverse[i])
            types.append(gguf.TokenType.CONTROL if added[i]["special"] else gguf.TokenType.USER_DEFINED)
        else:
            tokens.append(reverse[i])
            types.append(gguf.TokenType.NORMAL)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("lfm2")
    w.add_token_list(tokens)
    w.add_token_types(types)
    special = gguf.SpecialVocab(model_dir, load_merges=True, n_vocab=len(tokens))
    special.add_to_gguf(w)


def write_kjv_tokenizer():
    model_dir = os.path.join(ROOT, "models", "lfm2-kjv")
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    path = os.path.join(OUT, "kjv_tokenizer.gguf")
    w = gguf.GGUFWriter(path, "lfm2")
    w.add_name("lfm2-kjv")
    add_hparams(w, cfg)
    add_vocab_from_hf(w, model_dir, cfg)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"{path}: {os.path.getsize(path)} bytes")


def write_spm_tokenizer():
    cfg = json.load(open(os.path.join(ROOT, "tests", "data", "golden", "case1_gqa_12tok", "config.json")))
    path = os.path.join(OUT, "llama_spm_tokenizer.gguf")
    w = gguf.GGUFWriter(path, "lfm2")
    add_hparams(w, cfg)
    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(["<unk>", "<s>", "</s>", "\u2581a"])
    w.add_token_scores([0.0, 0.0, 0.0, -1.0])
    w.add_token_types([gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL,
                       gguf.TokenType.NORMAL])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"{path}: {os.path.getsize(path)} bytes")


def main():
    os.makedirs(OUT, exist_ok=True)
    case1 = os.path.join(ROOT, "tests", "data", "golden", "case1_gqa_12tok")
    for qtype, suffix in [(Q.F32, "f32"), (Q.F16, "f16"), (Q.BF16, "bf16"), (Q.Q8_0, "q8_0"),
                          (Q.Q4_0, "q4_0")]:
        write_case(f"case1_{suffix}.gguf", case1, qtype)

    rng = np.random.default_rng(13)

    def odd(w):
        # A q5_0 and an iq2_xxs tensor: listed by name, rejected only when loaded.
        w.add_tensor("extra.q5_0", rng.integers(0, 256, (2, 22), dtype=np.uint8),
                     raw_shape=(2, 22), raw_dtype=Q.Q5_0)
        w.add_tensor("extra.iq2_xxs", rng.integers(0, 256, (1, 66), dtype=np.uint8),
                     raw_shape=(1, 66), raw_dtype=Q.IQ2_XXS)
    write_case("odd_types.gguf", case1, Q.Q4_0, odd)
    write_kjv_tokenizer()
    write_spm_tokenizer()


if __name__ == "__main__":
    sys.exit(main())
