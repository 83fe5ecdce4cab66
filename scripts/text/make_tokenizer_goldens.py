"""Builds the test tokenizers and their goldens with Hugging Face `tokenizers`
(and `transformers` when installed), for tests/unit/text/tokenizer_golden_test.cpp.

    python3 scripts/text/make_tokenizer_goldens.py [--out tests/data/text/tokenizers]

Writes, per tokenizer, tests/data/text/tokenizers/<name>/:
  tokenizer.json, tokenizer_config.json   the tokenizer (trained here, or copied)
  golden.jsonl                            what HF gives for it (format below)

  lfm2-shape   LFM2's shape (scripts/text/lfm2_tokenizer_shape.py), vocab ~3000
  gpt2-style   ByteLevel(use_regex=true) pre-tokenizer, ByteLevel post-processor
               and decoder, one special and one plain added token, vocab ~2000
  flags        (every other corpus string) ByteLevel(add_prefix_space=true) after a Split on a String, legacy
               "a b" merges, no ignore_merges, added tokens with lstrip, rstrip,
               single_word and normalized, a null post-processor
  regex_golden.jsonl  HF's Split pre-tokenizer (its regex engine) on ~130 strings
               for ~40 patterns, behaviors and inversions (first line: the strings;
               then per split: {"pattern", "behavior", "invert", "spans": per string, the
               pieces' UTF-8 byte offsets [start0, end0, start1, end1, ...]})
  unk          (every other corpus string) a vocab of printable ASCII and a fused
               unknown token for every other byte
  lfm2-kjv     (every other corpus string) the demo model's tokenizer
               (models/lfm2-kjv), when it is there

golden.jsonl: the first line is a header:
  {"name", "tokenizers", "transformers",
   "raw": {"prefix": [...], "suffix": [...]}        Tokenizer.from_file(...).encode(s, True)
                                                    = prefix + ids + suffix
   "variants": [{"config": {...} or null,           tokenizer_config.json's contents
                 "prefix": [...], "suffix": [...],    (null: the folder's file);
                 "bos_id", "eos_id", "vocab_size",    AutoTokenizer.from_pretrained(...)(s)
                 "special_ids"}]}                     = prefix + ids + suffix
then one line per corpus string:
  {"t": text, "ids": encode(t, add_special_tokens=False),
   "d": decode(ids), "ds": decode(ids, skip_special_tokens=True)}
  ("d" left out when equal to t, "ds" when equal to d; decode(prefix + ids + suffix,
  skip_special_tokens=True) is "ds" too)
then, where a variant's ids are not prefix + ids + suffix (tokens the config adds):
  {"v": variant index, "t": text, "full": ids}
then lines that decode random ids (invalid UTF-8 included):
  {"r": [ids...], "d": decode(r), "ds": decode(r, skip_special_tokens=True)}

The corpus (~2,400 strings) samples every Unicode general category, emoji ZWJ
sequences and skin tones, CJK, combining marks, RTL, whitespace runs, digit
runs, contractions in both cases, special tokens inside text, long words; it
is generated from a fixed seed, so a rerun with the same Python and tokenizers
versions writes the same files.
"""
import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import unicodedata

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import lfm2_tokenizer_shape as shape  # noqa: E402

SEED = 20240611

ENGLISH = """\
In the beginning the committee met in a small room above the bakery, and nobody
agreed on anything except that the bread smelled wonderful. The chairman, who
had not slept, read the minutes aloud; they're long, they've been amended twice,
and he'd rather not read them again. "We'll vote," she said. "I'm tired, you're
tired, and it's late." So they voted: 7 in favour, 3 against, 2 abstaining.
The report (see section 4.2, pages 113-127) describes 1,024 samples measured at
3.14159 rad/s over 86400 seconds; the error was below 0.001% in 99.9% of runs.
Don't panic. DON'T PANIC. Isn't it odd that we can't, won't, shouldn't?
THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG; the quick brown fox jumps over the lazy dog.
Programs must be written for people to read, and only incidentally for machines to execute.
def tokenize(text: str) -> list[int]:
    return [vocab[w] for w in text.split() if w in vocab]  # TODO: handle unknown words
{"name": "lfm", "version": "1.0", "tags": ["graph", "compiler"], "ok": true, "n": null}
https://example.com/path/to/page?query=value&other=42#anchor  mailto:someone@example.org
It was the best of times, it was the worst of times, it was the age of wisdom, it was
the age of foolishness, it was the epoch of belief, it was the epoch of incredulity.
Call me Ishmael. Some years ago - never mind how long precisely - having little or no
money in my purse, and nothing particular to interest me on shore, I thought I would
sail about a little and see the watery part of the world.
"""

MULTILINGUAL = [
    "Zwölf Boxkämpfer jagen Viktor quer über den großen Sylter Deich.",
    "Le cœur déçu mais l'âme plutôt naïve, Louÿs rêva de crapaüter en canoë au delà des îles.",
    "El pingüino Wenceslao hizo kilómetros bajo exhaustiva lluvia y frío, añoraba a su querido cachorro.",
    "Съешь же ещё этих мягких французских булок, да выпей чаю.",
    "Τάχιστη αλώπηξ βαφής ψημένη γη, δρασκελίζει υπέρ νωθρού κυνός.",
    "いろはにほへと ちりぬるを わかよたれそ つねならむ うゐのおくやま けふこえて",
    "我能吞下玻璃而不伤身体。这是一个测试句子，包含标点符号！",
    "키스의 고유조건은 입술끼리 만나야 하고 특별한 기술은 필요치 않다.",
    "نص حكيم له سر قاطع وذو شأن عظيم مكتوب على ثوب أخضر ومغلف بجلد أزرق.",
    "דג סקרן שט בים מאוכזב ולפתע מצא חברה.",
    "ऋषियों को सताने वाले दुष्ट राक्षसों के राजा रावण का सर्वनाश करने वाले विष्णुवतार भगवान श्रीराम।",
    "เป็นมนุษย์สุดประเสริฐเลิศคุณค่า กว่าบรรดาฝูงสัตว์เดรัจฉาน",
    "Pchnąć w tę łódź jeża lub ośm skrzyń fig.",
    "Příliš žluťoučký kůň úpěl ďábelské ódy.",
    "Árvíztűrő tükörfúrógép.",
    "Şoföre çabucak güvendiğimi söyledim.",
    "Tiếng Việt có dấu: Tôi có thể ăn thủy tinh mà không hại gì.",
    "ᚠᛇᚻ᛫ᛒᛦᚦ᛫ᚠᚱᚩᚠᚢᚱ᛫ᚠᛁᚱᚪ᛫ᚷᛖᚻᚹᛦᛚᚳᚢᛗ",
    "ሰማይ አይታረስ ንጉሥ አይከሰስ።",
    "ⲁⲛⲟⲕ ⲟⲩⲣⲱⲙⲉ",
]

EMOJI = [
    "👍", "👍🏻", "👍🏼", "👍🏽", "👍🏾", "👍🏿", "👨‍👩‍👧‍👦", "👩🏽‍💻", "🧑🏿‍🚀", "🏳️‍🌈", "🏴‍☠️",
    "🇺🇸🇫🇷🇯🇵", "❤️", "☺︎", "1️⃣", "#️⃣", "🫠", "🤌🏼", "👁️‍🗨️", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "🐈‍⬛",
]

SPECIALS_IN_TEXT = [
    "<|im_start|>user\nhi<|im_end|>",
    "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
    "<|startoftext|><|im_start|>user\nHello<|im_end|>",
    "text<|endoftext|>more",
    " <|im_end|> ",
    "<|im_start|><|im_end|><|im_start|>",
    "<|im_start",
    "im_start|>",
    "<||>",
    "<|pad|><|pad|>",
    "<|tool_call_start|>[f(x=1)]<|tool_call_end|>",
    "<|im_start|>\n\n<|im_end|>\n",
    "a<|im_end|>b<|im_end|>c",
    "<|im_end|><|im_end|",
    "<<|im_end|>>",
    "[MASK]",
    "a [MASK] b",
    "a[MASK]b",
    "  [MASK]  ",
    "<sep>  x",
    "x  <sep>",
    "cat category concat cat. (cat) _cat cat_ cat9 ecat",
    "dog dogma hotdog DOG",
    "<a>b <a> <a>bc <a><a>b",
    "<tool> call <tool>x</tool>",
    "I love new york, New York and new  york", "caf\u00e9! \u00e9!\u00e9", "\u65e5\u672c\u8a9e",
]

CONTRACTIONS = [
    "'s 't 're 've 'm 'll 'd", "'S 'T 'RE 'VE 'M 'LL 'D", "'Re 'rE 'Ve 'vE 'Ll 'lL",
    "he's she'S it'll IT'LL we'd WE'D they've THEY'VE I'm I'M you're YOU'RE can't CAN'T",
    "rock'n'roll o'clock ma'am y'all Y'ALL 'tis 'twas",
    "don’t it’s", "''s", "'", "''", "'''", " 's", "x's'", "'s's",
]

WHITESPACE = [
    " ", "  ", "   ", "\t", "\t\t", "\n", "\n\n", "\n\n\n", "\r\n", "\r\n\r\n", "\r", " \n", "\n ",
    " \t \n", "a  b", "a   b", "a\tb", "a\t\tb", "a\nb", "a\n\nb", "a\r\nb", "a \r\n b", "a\u00a0b",
    "a\u3000b", "a\u2028b", "a\u2029b", "a\u0085b", "a\u180eb", "a\u200bb", "a\u2009b", "a\u1680b",
    "    indented\n        more\n", "trailing   ", "   leading", "  both  ", "\n\nparagraph\n\n",
    "a \n\n b", "end.\n", "x\r\n\r\n\r\ny", "\t\tdef f():\n\t\t\treturn 1\n", "\f\v", "a\x0bb",
]

DIGITS = [
    "0", "12", "123", "1234", "12345", "123456", "1234567", "12345678", "123456789", "1234567890",
    "3.14159", "1,000,000", "2024-06-11", "10:30:59", "+1 (555) 123-4567", "0x1F 0b1010",
    "v1.2.3", "١٢٣٤٥٦", "۱۲۳", "१२३४", "１２３４５", "½ ¾ ⅓", "Ⅻ ⅻ", "①②③", "²³¹", "𝟘𝟙𝟚",
    "a1b22c333d4444", "99 bottles", "1st 2nd 3rd 4th",
]

EDGE = [
    "", "a", "A", ".", "\x00", "\x01\x02\x03", "\x7f", "\ufffd", "\ufeffBOM", "\u200d", "\u200c",
    "Ã©", "\\x80\\xff", "\\u0000", "ðŸ˜€", "&amp; &lt;tag&gt;", "%20%E2%82%AC", "\U0010ffff",
    "\U000e0001", "\ue000", "\uf8ff", "\U000f0000", "\u0378", "\uffff", "\ufffe",
    "a" * 300, "ab" * 160, "x" * 1000, "supercalifragilisticexpialidocious" * 5, "9" * 64,
    "!" * 50, "-" * 80, "=" * 40, "." * 30, "ñ" * 100, "日本" * 60, "🙂" * 40, " " * 100,
    "\n" * 50, "\t" * 20, "é" * 30, "e\u0301" * 30, "Z̴̡̛̠̮̭̓̋͂ä̷̢̧͍̘̇l̸͎̐g̵̨͎̐o̵̟̓", "ǅungla ǈ ǋ",
    "İstanbul ıi ß ẞ ﬁ ﬀ", "Å Å Å", "한국어 한국어", "ﾊﾝｶｸ ｶﾀｶﾅ",
]


def category_samples(rng):
    """Strings of code points from every general category (Cs left out: not UTF-8)."""
    by_cat = {}
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        by_cat.setdefault(unicodedata.category(chr(cp)), []).append(cp)
    out = []
    for cat in sorted(by_cat):
        cps = by_cat[cat]
        for i in range(24):
            n = rng.choice([1, 1, 2, 3, 5, 8])
            s = "".join(chr(rng.choice(cps)) for _ in range(n))
            form = i % 6
            if form == 1:
                s = "a" + s + "b"
            elif form == 2:
                s = " " + s + " "
            elif form == 3:
                s = "x " + s + "1"
            elif form == 4:
                s = s + "'s " + s
            out.append(s)
    return out


def newer_unicode_letters():
    """Letters and digits that HF's regex engine knows but Python's unicodedata
    may not (assigned after its Unicode version): the regex tables' extras."""
    cps = [0x1C89, 0x1C8A, 0xA7CB, 0xA7CC, 0xA7DC, 0x105C0, 0x10D40, 0x10D4A, 0x116D0, 0x11F04,
           0x1E030, 0x31350, 0x2EBF0, 0x1E4D0, 0x1E5D0, 0x16D40, 0x11BC0, 0x1CCF0, 0x1FBF0]
    return ["".join(chr(c) for c in cps), "x" + chr(0x1C89) + "y 1" + chr(0x1E4F0) + "2 " + chr(0x31350) * 3,
            " " + chr(0x11F04) + chr(0x11F05) + " " + chr(0x1CCF5) + "7"]


def random_mixes(rng, pools, count):
    flat = [s for pool in pools for s in pool if s]
    out = []
    for _ in range(count):
        k = rng.choice([2, 2, 3, 4, 6])
        parts = [rng.choice(flat) for _ in range(k)]
        out.append(rng.choice(["", " ", "\n", "  "]).join(parts))
    return out


def english_lines():
    return [line for line in ENGLISH.splitlines()]


def corpus():
    rng = random.Random(SEED)
    english = english_lines()
    words = sorted(set(ENGLISH.split()))
    out = []
    out += EDGE + WHITESPACE + DIGITS + CONTRACTIONS + SPECIALS_IN_TEXT + EMOJI + MULTILINGUAL
    out += english + [ENGLISH]
    out += [" " + e for e in EMOJI] + ["a" + e + "b" for e in EMOJI]
    out += category_samples(rng)
    out += newer_unicode_letters()
    out += [" ".join(rng.choice(words) for _ in range(rng.randint(1, 12))) for _ in range(200)]
    out += [w.upper() for w in words[:80]] + [" " + w for w in words[:80]]
    out += random_mixes(rng, [english, MULTILINGUAL, EMOJI, SPECIALS_IN_TEXT, CONTRACTIONS, WHITESPACE,
                              DIGITS, EDGE[:25], words], 800)
    seen, uniq = set(), []
    for s in out:
        if s not in seen:
            seen.add(s)
            uniq.append(s)
    return uniq


def training_texts():
    rng = random.Random(SEED + 1)
    texts = corpus()
    english = english_lines()
    words = ENGLISH.split()
    texts += english * 20
    texts += [" ".join(rng.choice(words) for _ in range(30)) for _ in range(3000)]
    texts += MULTILINGUAL * 10
    return texts


CHAT_TEMPLATE = (
    "{{- bos_token -}}{%- for message in messages -%}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}"
    "{%- endfor -%}{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
)


def build_lfm2_shape():
    tok = shape.new_tokenizer()
    trainer = trainers.BpeTrainer(
        vocab_size=3000, min_frequency=2, special_tokens=shape.special_added_tokens(),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(training_texts(), trainer=trainer)
    tok = shape.finish(tok)
    return tok, shape.tokenizer_config(CHAT_TEMPLATE, 4096)


def build_gpt2_style():
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=2000, min_frequency=2,
        special_tokens=[AddedToken("<|endoftext|>", special=True, normalized=False)],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(training_texts(), trainer=trainer)
    tok.add_tokens([AddedToken("<tool>", special=False, normalized=False)])
    config = {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>",
              "model_max_length": 1024, "tokenizer_class": "PreTrainedTokenizerFast",
              "chat_template": [{"name": "default", "template": CHAT_TEMPLATE},
                                {"name": "tool_use", "template": "{{ messages }}"}]}
    return tok, config


def build_flags():
    tok = Tokenizer(models.BPE(ignore_merges=False))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split("--", behavior="merged_with_previous"),
        pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=1500, min_frequency=2,
        special_tokens=[AddedToken("<s>", special=True, normalized=False),
                        AddedToken("</s>", special=True, normalized=False)],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(training_texts(), trainer=trainer)
    tok.add_tokens([
        AddedToken("[MASK]", special=True, lstrip=True, normalized=False),
        AddedToken("<sep>", special=True, rstrip=True, normalized=False),
        AddedToken("cat", single_word=True, normalized=False),
        AddedToken("dog", normalized=True),
        AddedToken("<a>", normalized=False),
        AddedToken("<a>b", normalized=False),
        AddedToken("<|im_end|>", special=True, lstrip=True, rstrip=True, normalized=False),
        AddedToken("tool", normalized=True),
        AddedToken("new york", normalized=False),
        AddedToken("\u00e9!", normalized=False),
        AddedToken("\u65e5\u672c", special=True, normalized=False),
    ])
    return tok, {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<s>", "eos_token": "</s>"}


def build_unk():
    """A byte-level BPE whose vocab has printable ASCII only: every other byte
    is the unknown token, fused."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs, n = list(bs), 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    to_char = {b: chr(c) for b, c in zip(bs, cs)}
    vocab = {"<unk>": 0}
    for b in list(range(0x20, 0x7F)) + [0x0A]:
        vocab[to_char[b]] = len(vocab)
    merges = []
    for a, b in [("t", "h"), ("th", "e"), ("h", "e"), ("\u0120", "t"), ("\u0120t", "he"), ("i", "n"), ("\u0120", "a"),
                 ("e", "r"), ("o", "n"), ("\u0120", "s"), ("a", "n"), ("an", "d"), ("\u0120a", "nd")]:
        merges.append((a, b))
        for t in (a, b, a + b):
            vocab.setdefault(t, len(vocab))
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", fuse_unk=True))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken("<unk>", special=True, normalized=False)])
    return tok, {"unk_token": "<unk>"}


def legacy_merges(path):
    """Rewrites model.merges as "a b" strings, as older tokenizer.json files have them."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    data["model"]["merges"] = [" ".join(m) for m in data["model"]["merges"]]
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)


def save(tok, config, folder):
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "tokenizer.json")
    tok.save(path, pretty=False)
    with open(os.path.join(folder, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2, ensure_ascii=False)
        f.write("\n")
    return path


def split_around(full, ids, what):
    for i in range(len(full) - len(ids) + 1):
        if full[i:i + len(ids)] == ids:
            return full[:i], full[i + len(ids):]
    raise SystemExit(f"{what}: {full} does not contain {ids}")


def affixes(encode, texts, what):
    """The prefix and suffix `encode` adds around the plain ids, the same for every text."""
    got = None
    for s, ids in texts:
        full = encode(s)
        if got is None and ids:
            got = split_around(full, ids, what)
        if got is not None and full != got[0] + ids + got[1]:
            raise SystemExit(f"{what}: {s!r} gives {full}, not {got[0]} + {ids} + {got[1]}")
    return got


def transformers_variants(folder, config, plain, decode_skip):
    """What AutoTokenizer.from_pretrained gives over tokenizer.json with each
    tokenizer_config variant: the prefix and suffix around the plain ids, and
    the whole ids of the texts where that is not the rule (new added tokens)."""
    try:
        import transformers
        from transformers import AutoTokenizer
    except ImportError:
        print("  (transformers not installed: no variants)", flush=True)
        return [], []
    transformers.logging.set_verbosity_error()
    base = {k: v for k, v in config.items() if k not in ("add_bos_token", "add_eos_token")}
    variants = [None, dict(base, add_bos_token=False), dict(base, add_bos_token=True, add_eos_token=True),
                dict(base, add_eos_token=True),
                dict(base, pad_token="<tool>", extra_special_tokens=["<zz>", "<|im_end|>"], image_token="<img>"),
                dict(base, split_special_tokens=True)]
    out, overrides = [], []
    for k, v in enumerate(variants):
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copyfile(os.path.join(folder, "tokenizer.json"), os.path.join(tmp, "tokenizer.json"))
            with open(os.path.join(tmp, "tokenizer_config.json"), "w", encoding="utf-8") as f:
                json.dump(config if v is None else v, f)
            tf = AutoTokenizer.from_pretrained(tmp)
        probe = "hello world"
        probe_ids = Tokenizer.from_file(os.path.join(folder, "tokenizer.json")).encode(probe, add_special_tokens=False).ids
        pre, suf = split_around(tf(probe)["input_ids"], probe_ids, f"{folder} variant {k}")
        for s, ids in plain:
            full = tf(s)["input_ids"]
            if full != pre + ids + suf:
                overrides.append({"v": k, "t": s, "full": full})
        if k == 0:
            for s, ids in plain[:300]:
                full = tf(s)["input_ids"]
                if tf.decode(full, skip_special_tokens=True) != decode_skip(full):
                    raise SystemExit(f"{folder}: transformers decodes {full} differently")
        vocab = tf.get_vocab()
        out.append({"config": v, "prefix": pre, "suffix": suf, "bos_id": tf.bos_token_id, "eos_id": tf.eos_token_id,
                    "vocab_size": max(vocab.values()) + 1, "special_ids": sorted(set(tf.all_special_ids))})
    return out, overrides


def write_golden(name, folder, config, texts):
    tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    plain = [(s, tok.encode(s, add_special_tokens=False).ids) for s in texts]
    raw_pre, raw_suf = affixes(lambda s: tok.encode(s, add_special_tokens=True).ids, plain, f"{name} raw")
    decode = lambda ids, skip=False: tok.decode(ids, skip_special_tokens=skip)  # noqa: E731
    variants, overrides = transformers_variants(folder, config, plain, lambda ids: decode(ids, True))
    try:
        import transformers
        tf_version = transformers.__version__
    except ImportError:
        tf_version = None
    import tokenizers
    header = {"name": name, "tokenizers": tokenizers.__version__, "transformers": tf_version,
              "raw": {"prefix": raw_pre, "suffix": raw_suf}, "variants": variants}
    lines = [header]
    for s, ids in plain:
        line = {"t": s, "ids": ids}
        d, ds = decode(ids), decode(ids, True)
        if d != s:
            line["d"] = d
        if ds != d:
            line["ds"] = ds
        if decode(raw_pre + ids + raw_suf, True) != ds:
            raise SystemExit(f"{name}: decode with specials skipped differs for {s!r}")
        lines.append(line)
    lines += overrides
    rng = random.Random(SEED + 7)
    vocab = tok.get_vocab_size(with_added_tokens=True)
    specials = [t.content for t in tok.get_added_tokens_decoder().values()]
    for i in range(300):
        n = rng.randint(1, 10)
        ids = [rng.randrange(vocab) for _ in range(n)]
        if i % 4 == 0:
            ids.insert(rng.randrange(len(ids) + 1), tok.token_to_id(rng.choice(specials)))
        lines.append({"r": ids, "d": decode(ids), "ds": decode(ids, True)})
    with open(os.path.join(folder, "golden.jsonl"), "w", encoding="utf-8") as f:
        for line in lines:
            f.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
    size = os.path.getsize(os.path.join(folder, "golden.jsonl"))
    print(f"  {name}: {len(plain)} strings, vocab {vocab}, golden {size // 1024} KiB, "
          f"tokenizer.json {os.path.getsize(os.path.join(folder, 'tokenizer.json')) // 1024} KiB", flush=True)


# Split patterns and strings for regex_golden.jsonl: HF's Split pre-tokenizer
# (Oniguruma) against lfm's (PCRE2 after OnigPattern's rewrite).
REGEX_PATTERNS = [
    shape.SPLIT_REGEX,
    r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+",
    r"\s+", r"\S+", r"\p{L}+", r"\P{L}+", r"\p{^L}+", r"[\p{L}\p{N}]+", r"[^\s\p{L}\p{N}]+", r"\w+", r"\W+",
    r"\d+", r"\D+", r"\p{Lu}\p{Ll}*", r"\p{Letter}+", r"[\p{M}\p{Mn}]+", r"\p{P}+|\p{S}+", r"\h+", r"[\h]+",
    r"(?i)the", r"^\w", r"\w$", r".+", r"(?m).+", r"x*", r"(?=a)", r"[\s\S]{1,5}", r"[\S]+",
    r"\u00e9+", r"[]a]+", r"\p{N}{1,3}",
]
REGEX_BEHAVIORS = ["Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"]


def regex_cases(texts):
    rng = random.Random(SEED + 3)
    sample = [t for t in texts if t and len(t) < 200]
    strings = rng.sample(sample, 90) + newer_unicode_letters() + [
        "a\u180eb c", "a\u180e\u180e", "x\u00a0\u2007y", "line\nnext\n", "\n\nend", "the THE The tHe",
        "aaa", "bab", "ba", "e\u0301\u0300x", "Ⓐⓑ ⅷ 〇", "1234567 ١٢٣", "\u200c\u200dab", "--a--b---",
    ]
    cases = []
    for i, pattern in enumerate(REGEX_PATTERNS):
        for behavior in (REGEX_BEHAVIORS if i in (0, 2, 24) else ["Isolated"]):
            for invert in ((False, True) if i in (0, 2, 24) else (False,)):
                cases.append(({"Regex": pattern}, behavior, invert))
    for literal in ["--", ".", "a", "é"]:
        for behavior in REGEX_BEHAVIORS:
            cases.append(({"String": literal}, behavior, False))
    return strings, cases


def write_regex_golden(path, texts):
    strings, cases = regex_cases(texts)
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps({"strings": strings}, ensure_ascii=False) + "\n")
        for pattern, behavior, invert in cases:
            kind, value = next(iter(pattern.items()))
            split = pre_tokenizers.Split(Regex(value) if kind == "Regex" else value, behavior=behavior.lower()
                                         .replace("mergedwithprevious", "merged_with_previous")
                                         .replace("mergedwithnext", "merged_with_next"), invert=invert)
            spans = []
            for s in strings:
                flat = []
                for piece, (start, end) in split.pre_tokenize_str(s):
                    if s[start:end] != piece:
                        raise SystemExit(f"offsets of {piece!r} in {s!r} are not character offsets")
                    flat += [len(s[:start].encode()), len(s[:end].encode())]
                spans.append(flat)
            f.write(json.dumps({"pattern": pattern, "behavior": behavior, "invert": invert, "spans": spans},
                               ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"  regex goldens: {len(cases)} splits x {len(strings)} strings, "
          f"{os.path.getsize(path) // 1024} KiB", flush=True)


# The regex character classes where HF's engine (Oniguruma, a newer Unicode)
# and PCRE2 disagree: (key, Oniguruma's escape, PCRE2's class body or None for
# an explicit list, PCRE2's escape for the complement or None for none alike).
REGEX_CLASSES = [(c, r"\p{%s}" % c, r"\p{%s}" % c, r"\P{%s}" % c) for c in (
    "L Lu Ll Lt Lm Lo M Mn Mc Me N Nd Nl No P Pc Pd Ps Pe Pi Pf Po S Sm Sc Sk So Z Zs Zl Zp Cc Cf Co".split())]
REGEX_CLASSES += [("s", r"\s", None, r"\S"), ("d", r"\d", r"\p{Nd}", r"\D"),
                  ("w", r"\w", r"\p{L}\p{M}\p{Nd}\p{Pc}", None)]


def all_code_points():
    return "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)


def onig_members(escape, text):
    """The code points HF's regex engine puts in the class `escape` inside brackets."""
    pieces = pre_tokenizers.Split(Regex(f"[^{escape}]+"), behavior="removed").pre_tokenize_str(text)
    return {ord(c) for p, _ in pieces for c in p}


def onig_members_alone(escape, text, everything):
    """The same for `escape` outside brackets (Oniguruma's \\w alone also has ²³¹¼½¾)."""
    pieces = pre_tokenizers.Split(Regex(escape), behavior="removed").pre_tokenize_str(text)
    return everything - {ord(c) for p, _ in pieces for c in p}


def pcre2_members(lib, body, text):
    """The code points PCRE2 (UTF, UCP) puts in the class [body], through ctypes."""
    import ctypes
    pattern = f"[{body}]+".encode()
    err, off = ctypes.c_int(), ctypes.c_size_t()
    lib.pcre2_compile_8.restype = ctypes.c_void_p
    code = lib.pcre2_compile_8(pattern, len(pattern), 0x00080000 | 0x00020000, ctypes.byref(err),
                               ctypes.byref(off), None)  # PCRE2_UTF | PCRE2_UCP
    if not code:
        raise SystemExit(f"PCRE2 cannot compile {pattern!r}")
    lib.pcre2_match_data_create_from_pattern_8.restype = ctypes.c_void_p
    md = lib.pcre2_match_data_create_from_pattern_8(ctypes.c_void_p(code), None)
    lib.pcre2_get_ovector_pointer_8.restype = ctypes.POINTER(ctypes.c_size_t)
    subject = text.encode("utf-8")
    out, start = set(), 0
    while lib.pcre2_match_8(ctypes.c_void_p(code), subject, len(subject), start, 0x40000000,
                            ctypes.c_void_p(md), None) > 0:  # PCRE2_NO_UTF_CHECK
        ov = lib.pcre2_get_ovector_pointer_8(ctypes.c_void_p(md))
        out.update(ord(c) for c in subject[ov[0]:ov[1]].decode("utf-8"))
        start = ov[1]
    lib.pcre2_match_data_free_8(ctypes.c_void_p(md))
    lib.pcre2_code_free_8(ctypes.c_void_p(code))
    return out


def class_body(cps):
    ranges = []
    for c in sorted(cps):
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    return "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges)


def write_regex_tables(path):
    """Writes what PCRE2 must add to its classes to match as HF's Oniguruma does."""
    import ctypes
    import ctypes.util
    name = ctypes.util.find_library("pcre2-8")
    if not name:
        print("  (no libpcre2-8: regex tables left as they are)", flush=True)
        return
    lib = ctypes.CDLL(name)
    buf = ctypes.create_string_buffer(32)
    lib.pcre2_config_8(10, buf)  # PCRE2_CONFIG_UNICODE_VERSION
    pcre_unicode = buf.value.decode()
    text = all_code_points()
    everything = {ord(c) for c in text}
    rows = []
    for key, escape, base, neg in REGEX_CLASSES:
        onig = onig_members(escape, text)
        pcre = pcre2_members(lib, base, text) if base else set()
        pcre_neg = pcre2_members(lib, neg, text) if neg else everything - onig
        # Inside a class: base + extra is Oniguruma's class but for `missing`;
        # neg + neg_extra its complement but for `neg_missing`.
        alone = onig_members_alone(escape, text, everything)
        # The first code point where PCRE2's own escape (in brackets or not)
        # and Oniguruma's differ: text below it may use PCRE2's.
        native = pcre2_members(lib, escape, text)
        diff = (native ^ onig) | (native ^ alone)
        native_below = min(diff) if diff else 0x110000
        row = (key, base or "", class_body(onig - pcre), class_body(pcre - onig),
               neg or "", class_body((everything - onig) - pcre_neg), class_body(pcre_neg & onig), native_below)
        rows.append(row)
        if alone != onig:  # outside brackets: key + "!"
            rows.append((key + "!", base or "", class_body(alone - pcre), class_body(pcre - alone), "", "", "",
                         native_below))
    with open(path, "w", encoding="utf-8") as f:
        f.write("// Generated by scripts/text/make_tokenizer_goldens.py --regex-tables: the\n"
                "// regex classes of HF tokenizers' engine (Oniguruma) as PCRE2 class bodies,\n"
                f"// for PCRE2 with Unicode {pcre_unicode}. Per escape: `base` (PCRE2's class, or\n"
                "// empty for an explicit list) plus `extra` is Oniguruma's class but for\n"
                "// `missing` (what base holds that Oniguruma's class lacks); `neg` (PCRE2's\n"
                "// complement escape) plus `neg_extra` is the complement but for `neg_missing`.\n"
                "// A key with '!': the escape outside brackets, where Oniguruma differs.\n"
                "// `native_below`: below this code point PCRE2's own escape matches as\n"
                "// Oniguruma's (both in brackets and not).\n"
                f"inline constexpr const char *kRegexTablesPcre2Unicode = \"{pcre_unicode}\";\n"
                "inline constexpr RegexClassTable kRegexClassTables[] = {\n")
        for row in rows:
            f.write("    {" + ", ".join(json.dumps(v) if isinstance(v, str) else f"0x{v:X}" for v in row) + "},\n")
        f.write("};\n")
    print(f"  regex tables: {path} (PCRE2 Unicode {pcre_unicode})", flush=True)


def half(texts):
    """The special-token and edge strings, then every other string of the rest."""
    first = SPECIALS_IN_TEXT + CONTRACTIONS + WHITESPACE
    return first + [t for t in texts if t not in first][::2]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "data", "text", "tokenizers"))
    ap.add_argument("--demo-model", default=os.path.join(ROOT, "models", "lfm2-kjv"))
    ap.add_argument("--regex-tables", action="store_true",
                    help="write runtime/src/text/RegexClassTables.inc instead (needs libpcre2-8)")
    args = ap.parse_args()
    if args.regex_tables:
        write_regex_tables(os.path.join(ROOT, "runtime", "src", "text", "RegexClassTables.inc"))
        return
    texts = corpus()
    print(f"corpus: {len(texts)} strings", flush=True)
    write_regex_golden(os.path.join(args.out, "regex_golden.jsonl"), texts)
    built = [("lfm2-shape", build_lfm2_shape), ("gpt2-style", build_gpt2_style), ("flags", build_flags),
             ("unk", build_unk)]
    for name, build in built:
        folder = os.path.join(args.out, name)
        tok, config = build()
        path = save(tok, config, folder)
        if name == "flags":
            legacy_merges(path)
        write_golden(name, folder, config, half(texts) if name in ("flags", "unk") else texts)
    demo = os.path.join(args.demo_model, "tokenizer.json")
    if os.path.exists(demo):
        folder = os.path.join(args.out, "lfm2-kjv")
        os.makedirs(folder, exist_ok=True)
        shutil.copyfile(demo, os.path.join(folder, "tokenizer.json"))
        config = {}
        demo_config = os.path.join(args.demo_model, "tokenizer_config.json")
        if os.path.exists(demo_config):
            shutil.copyfile(demo_config, os.path.join(folder, "tokenizer_config.json"))
            with open(demo_config, encoding="utf-8") as f:
                config = json.load(f)
        write_golden("lfm2-kjv", folder, config, half(texts))  # KJV-only: long ids, half the corpus
    else:
        print(f"  ({demo} not there: no lfm2-kjv goldens)", flush=True)


if __name__ == "__main__":
    main()
