#!/usr/bin/env python3
"""Hugging Face Lfm2ForCausalLM against lfm on the same weights.

    hf_compare.py --artifact A.lfma --config CONFIG.json --lfm-run BIN \
        --lfm-bench BIN --work DIR [--seed 0] [--device cuda]

lfm-bench dumps the artifact's --random-weights SEED as a safetensors
checkpoint (the checkpoint tensor names, split back out of the concatenated
QKV and W1|W3 weights) next to CONFIG.json, so that transformers builds the
very model lfm runs. Then:
  - logits: lfm-run --all-logits --dump-logits over a prompt against the HF
    forward pass of the same prompt (max |diff|, argmax agreement);
  - speed: HF prefill of a 512-token prompt and greedy decode at batch 1 and
    8, to set beside lfm-bench's numbers.
Exit status 1 when the logits disagree (argmax agreement under 90% or a NaN),
2 when transformers cannot build the model. Prints a JSON summary last.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--artifact', required=True)
    p.add_argument('--config', required=True)
    p.add_argument('--lfm-run', required=True)
    p.add_argument('--lfm-bench', required=True)
    p.add_argument('--work', required=True)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--device', default='cuda')
    p.add_argument('--prompt-len', type=int, default=64)
    a = p.parse_args()

    import numpy as np
    import torch
    import transformers

    os.makedirs(a.work, exist_ok=True)
    shutil.copy(a.config, os.path.join(a.work, 'config.json'))
    weights = os.path.join(a.work, 'model.safetensors')
    subprocess.run([a.lfm_bench, a.artifact, '--random-weights', str(a.seed),
                    '--dump-weights', weights], check=True)
    cfg = json.load(open(a.config))
    vocab = cfg['vocab_size']
    prompt = [(i * 7919 + 13) % vocab for i in range(a.prompt_len)]
    lfm_logits_path = os.path.join(a.work, 'lfm_logits.f32')
    subprocess.run([a.lfm_run, a.artifact, '--device', a.device, '--random-weights', str(a.seed),
                    '--prompt-ids', ','.join(map(str, prompt)), '--max-new-tokens', '0',
                    '--all-logits', '--dump-logits', lfm_logits_path], check=True,
                   stdout=subprocess.DEVNULL)
    lfm = np.fromfile(lfm_logits_path, dtype='<f4').reshape(-1, vocab)

    try:
        model = transformers.AutoModelForCausalLM.from_pretrained(
            a.work, torch_dtype=torch.bfloat16).to('cuda').eval()
    except Exception as e:  # an old transformers without Lfm2, say
        print(f'hf_compare: transformers {transformers.__version__} cannot build the model: {e}')
        sys.exit(2)
    ids = torch.tensor([prompt], device='cuda')
    with torch.no_grad():
        hf = model(ids).logits[0].float().cpu().numpy()
    diff = float(np.abs(hf - lfm).max())
    agree = float((hf.argmax(-1) == lfm.argmax(-1)).mean())
    scale = float(np.abs(hf).max())

    def timed(fn):
        fn()  # warm up
        torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        return time.perf_counter() - start

    long_prompt = torch.tensor([[(i * 104729 + 1) % vocab for i in range(512)]], device='cuda')
    with torch.no_grad():
        prefill_s = timed(lambda: model(long_prompt))
        decode = {}
        for batch in (1, 8):
            steps = 64
            batch_ids = long_prompt[:, :128].repeat(batch, 1)
            run = lambda: model.generate(batch_ids, max_new_tokens=steps, min_new_tokens=steps,
                                         do_sample=False, pad_token_id=0)
            t = timed(run)
            decode[batch] = batch * steps / t  # includes the 128-token prefill, a small share
    summary = {
        'artifact': a.artifact, 'transformers': transformers.__version__,
        'torch': torch.__version__, 'rows': int(lfm.shape[0]),
        'logits_max_abs_diff': diff, 'logits_max_abs': scale, 'argmax_agreement': agree,
        'hf_prefill_tokens_per_second': 512 / prefill_s,
        'hf_decode_tokens_per_second': {str(b): v for b, v in decode.items()},
    }
    print(json.dumps(summary, indent=2))
    ok = agree >= 0.9 and np.isfinite(lfm).all()
    print(f'hf_compare: {"ok" if ok else "FAIL"}: max |diff| {diff:.3g} on logits up to {scale:.3g}, '
          f'argmax agreement {agree:.1%}')
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
