#!/usr/bin/env python3
"""Makes the quantized-format goldens in tests/data/quant/ from llama.cpp's own code.

  python make_quant_goldens.py --ggml-src LLAMA_CPP/ggml [--out tests/data/quant]

References:
  * q8_0, q4_0: gguf-py (PyPI `gguf`, llama.cpp's gguf-py: gguf.quants.quantize /
    dequantize), numpy only.
  * q4_k, q6_k: gguf-py cannot quantize these (it dequantizes them), so ggml's C reference
    quantizers quantize_row_q4_K_ref / quantize_row_q6_K_ref are built beside the project
    from llama.cpp's ggml/src/ggml-quants.c with ggml_ref_driver.c (this folder):
        gcc -O2 -ffp-contract=off -DNDEBUG -IGGML/include -IGGML/src -IGGML/src/ggml-cpu \\
            ggml_ref_driver.c GGML/src/ggml-quants.c -lm -o ggml_ref_driver
    (--ggml-src GGML does this in a temporary folder). -ffp-contract=off: llama.cpp builds
    ggml-quants.c into ggml-base, without FMA, so its reference bytes come from unfused
    float operations. Any llama.cpp checkout works, e.g. the vendor/llama.cpp folder of the
    llama-cpp-python sdist (`pip download --no-binary :all: --no-deps llama-cpp-python`).
  Cross-checks: the C driver must give gguf-py's bytes for q8_0 and q4_0, and gguf-py's
  dequantized values for all four formats.

Outputs (little-endian):
  manifest.json       the cases: name, rows, k, offset (in floats) into inputs.f32
  inputs.f32          every case's rows x k float32 inputs, one case after another
  FORMAT.q            the quantized bytes of every case, in the same order
  FORMAT.dequant.f32  the dequantized float32 values, in the same order
"""
import argparse
import json
import os
import subprocess
import tempfile

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

FORMATS = {"q8_0": T.Q8_0, "q4_0": T.Q4_0, "q4_k": T.Q4_K, "q6_k": T.Q6_K}
GGUF_QUANTIZES = {"q8_0", "q4_0"}


def cases():
    rng = np.random.default_rng(13)
    k = 256

    def one(values):
        return np.asarray(values, dtype=np.float32).reshape(1, -1)

    huge = rng.normal(0, 0.01, k)
    huge[37] = 3.0e4
    block_scales = np.repeat(10.0 ** rng.uniform(-3, 2, 2 * k // 32), 32)
    return [
        ("weights", rng.normal(0, 0.02, (3, 512)).astype(np.float32)),
        ("zeros", one(np.zeros(k))),
        ("one_huge", one(huge)),
        ("negative_only", one(-np.abs(rng.normal(0, 1, k)))),
        ("positive_offset", one(np.abs(rng.normal(0, 1, k)) + 2.0)),
        ("tiny", one(rng.normal(0, 1e-6, k))),
        ("subnormal", one(rng.normal(0, 1e-40, k))),
        ("ramp", one(np.linspace(-1, 1, k))),
        ("block_scales", (rng.normal(0, 1, 2 * k) * block_scales).astype(np.float32).reshape(2, k)),
    ]


def build_driver(ggml_src, tmp):
    exe = os.path.join(tmp, "ggml_ref_driver")
    here = os.path.dirname(os.path.abspath(__file__))
    subprocess.run(
        ["gcc", "-O2", "-ffp-contract=off", "-DNDEBUG", f"-I{ggml_src}/include",
         f"-I{ggml_src}/src", f"-I{ggml_src}/src/ggml-cpu",
         os.path.join(here, "ggml_ref_driver.c"), f"{ggml_src}/src/ggml-quants.c", "-lm", "-o", exe],
        check=True)
    return exe


def c_reference(exe, fmt, x):
    rows, k = x.shape
    out = subprocess.run([exe, fmt, str(rows), str(k)], input=x.astype("<f4").tobytes(),
                         capture_output=True, check=True).stdout
    n = rows * k * 4
    return np.frombuffer(out[:-n], dtype=np.uint8), np.frombuffer(out[-n:], dtype="<f4")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ggml-src", required=True, help="llama.cpp's ggml folder (has src/ggml-quants.c)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "tests", "data", "quant"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    all_cases = cases()
    manifest, offset = [], 0
    for name, x in all_cases:
        manifest.append({"name": name, "rows": int(x.shape[0]), "k": int(x.shape[1]), "offset": offset})
        offset += x.size
    with tempfile.TemporaryDirectory() as tmp:
        exe = build_driver(args.ggml_src, tmp)
        q_out = {f: bytearray() for f in FORMATS}
        y_out = {f: bytearray() for f in FORMATS}
        for name, x in all_cases:
            for fmt, qtype in FORMATS.items():
                c_q, c_y = c_reference(exe, fmt, x)
                if fmt in GGUF_QUANTIZES:
                    q = quants.quantize(x, qtype).reshape(-1)
                    if not np.array_equal(q, c_q):
                        raise SystemExit(f"{name} {fmt}: gguf-py and ggml's C reference disagree")
                else:
                    q = c_q
                y = quants.dequantize(q.reshape(x.shape[0], -1), qtype).astype("<f4").reshape(-1)
                if not np.array_equal(y.view(np.uint32), c_y.view(np.uint32)):
                    raise SystemExit(f"{name} {fmt}: gguf-py's dequantize and ggml's differ")
                q_out[fmt] += q.tobytes()
                y_out[fmt] += y.tobytes()
    with open(os.path.join(args.out, "inputs.f32"), "wb") as f:
        for _, x in all_cases:
            f.write(x.astype("<f4").tobytes())
    for fmt in FORMATS:
        with open(os.path.join(args.out, f"{fmt}.q"), "wb") as f:
            f.write(q_out[fmt])
        with open(os.path.join(args.out, f"{fmt}.dequant.f32"), "wb") as f:
            f.write(y_out[fmt])
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump({"generator": "scripts/quant/make_quant_goldens.py", "cases": manifest}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
