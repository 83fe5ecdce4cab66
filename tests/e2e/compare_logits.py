#!/usr/bin/env python3
"""Compares float32 logit dumps: compare_logits.py GOT WANT VOCAB TOL
[--got-rows A:B] [--want-rows A:B]. Passes when every selected row of GOT is
within TOL (max abs) of the same row of WANT and has the same argmax.
Prints the max difference either way."""
import argparse, array, sys

def load(path, vocab):
    data = array.array('f')
    with open(path, 'rb') as f:
        data.frombytes(f.read())
    if sys.byteorder != 'little':
        data.byteswap()
    if len(data) % vocab:
        sys.exit(f'{path}: {len(data)} floats is not a multiple of vocab {vocab}')
    return [data[i * vocab:(i + 1) * vocab] for i in range(len(data) // vocab)]

def rows(spec, all_rows):
    if not spec:
        return all_rows
    a, b = (int(x) for x in spec.split(':'))
    return all_rows[a:b]

def main():
    p = argparse.ArgumentParser()
    p.add_argument('got'); p.add_argument('want')
    p.add_argument('vocab', type=int); p.add_argument('tol', type=float)
    p.add_argument('--got-rows'); p.add_argument('--want-rows')
    p.add_argument('--argmax-mismatches-allowed', type=int, default=0)
    a = p.parse_args()
    got = rows(a.got_rows, load(a.got, a.vocab))
    want = rows(a.want_rows, load(a.want, a.vocab))
    if len(got) != len(want) or not got:
        sys.exit(f'FAIL: {len(got)} rows against {len(want)} expected')
    worst, mismatches = 0.0, 0
    for g, w in zip(got, want):
        worst = max(worst, max(abs(x - y) for x, y in zip(g, w)))
        if max(range(a.vocab), key=g.__getitem__) != max(range(a.vocab), key=w.__getitem__):
            mismatches += 1
    verdict = 'ok' if worst <= a.tol and mismatches <= a.argmax_mismatches_allowed else 'FAIL'
    print(f'{verdict}: {len(got)} rows, max |diff| {worst:.3g} (tol {a.tol:g}), '
          f'argmax mismatches {mismatches}')
    sys.exit(0 if verdict == 'ok' else 1)

main()
