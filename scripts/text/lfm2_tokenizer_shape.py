"""The shape of LFM2's tokenizer, shared by the scripts that build tokenizers
with Hugging Face `tokenizers`: the demo model's (train_demo_model.py) and the
test tokenizers (make_text_goldens.py).

LFM2's released tokenizer.json is byte-level BPE with `ignore_merges`, a
Llama-3-style split regex in a Sequence with ByteLevel(use_regex=false), the
ByteLevel decoder, a TemplateProcessing post-processor that adds BOS, and the
special tokens below at ids 0..13 (then reserved ones).
"""
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, processors

SPLIT_REGEX = (
    r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
    r"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)

SPECIAL_TOKENS = [
    "<|pad|>",              # 0
    "<|startoftext|>",      # 1: BOS
    "<|endoftext|>",        # 2
    "<|fim_pre|>",          # 3
    "<|fim_mid|>",          # 4
    "<|fim_suf|>",          # 5
    "<|im_start|>",         # 6
    "<|im_end|>",           # 7: the chat EOS
    "<|tool_list_start|>",  # 8
    "<|tool_list_end|>",    # 9
    "<|tool_call_start|>",  # 10
    "<|tool_call_end|>",    # 11
    "<|tool_response_start|>",  # 12
    "<|tool_response_end|>",    # 13
]
BOS = "<|startoftext|>"
EOS = "<|im_end|>"
PAD = "<|pad|>"


def pre_tokenizer():
    return pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(SPLIT_REGEX), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
    ])


def new_tokenizer():
    """An untrained tokenizer in LFM2's shape (train it, then call finish())."""
    tok = Tokenizer(models.BPE(ignore_merges=True, byte_fallback=False))
    tok.normalizer = None
    tok.pre_tokenizer = pre_tokenizer()
    tok.decoder = decoders.ByteLevel()
    return tok


def finish(tok):
    """Adds BOS through TemplateProcessing, as LFM2's tokenizer.json does."""
    bos_id = tok.token_to_id(BOS)
    tok.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A:0", pair=f"{BOS} $A:0 {BOS} $B:1", special_tokens=[(BOS, bos_id)])
    return tok


def special_added_tokens():
    return [AddedToken(t, special=True, normalized=False) for t in SPECIAL_TOKENS]


def tokenizer_config(chat_template, model_max_length):
    return {
        "add_bos_token": True,
        "add_eos_token": False,
        "bos_token": BOS,
        "eos_token": EOS,
        "pad_token": PAD,
        "clean_up_tokenization_spaces": False,
        "legacy": False,
        "model_max_length": model_max_length,
        "tokenizer_class": "PreTrainedTokenizerFast",
        "chat_template": chat_template,
    }
