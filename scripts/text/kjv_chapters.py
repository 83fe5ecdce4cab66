"""The demo model's corpus split: the King James Bible (Debian's bible-kjv,
`bible -f "Genesis 1:1-Revelation 22:21"`) as chapters, every 40th held out.
Shared by the trainer and scripts/perplexity; no PyTorch here.

    python3 kjv_chapters.py --held-out BIBLE.txt OUT.txt

writes the held-out chapters as the trainer scored them: each chapter
between <|startoftext|> (the BOS the tokenizer's post-processor adds) and
<|endoftext|>, so that lfm-perplexity --text tokenizes the same ids.
"""
import argparse
import re

HELD_OUT_EVERY = 40
VERSE = re.compile(r"^([1-3]?[A-Za-z]+)(\d+):(\d+) (.*)$")


def chapters(path):
    """The text as chapters (verses one per line, references dropped)."""
    out, key = [], None
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = VERSE.match(line.rstrip("\n"))
            if not m:
                raise SystemExit(f"{path}: not a verse line: {line[:60]!r}")
            k = (m.group(1), m.group(2))
            if k != key:
                out.append([])
                key = k
            out[-1].append(m.group(4))
    return ["\n".join(c) + "\n" for c in out]


def split(chs):
    """(train, held_out) chapters."""
    held = [c for i, c in enumerate(chs) if i % HELD_OUT_EVERY == HELD_OUT_EVERY // 2]
    train = [c for i, c in enumerate(chs) if i % HELD_OUT_EVERY != HELD_OUT_EVERY // 2]
    return train, held


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--held-out", nargs=2, metavar=("BIBLE", "OUT"), required=True)
    args = p.parse_args()
    bible, out = args.held_out
    _, held = split(chapters(bible))
    with open(out, "w", encoding="utf-8") as f:
        for c in held:
            f.write("<|startoftext|>" + c + "<|endoftext|>")
    print(f"{out}: {len(held)} held-out chapters")


if __name__ == "__main__":
    main()
