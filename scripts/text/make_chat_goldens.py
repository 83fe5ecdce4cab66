#!/usr/bin/env python3
"""Renders the chat-template goldens with Hugging Face transformers.

For every template in tests/data/text/chat/*.jinja and every conversation
below, with add_generation_prompt false and true, this renders what
transformers' `tokenizer.apply_chat_template(messages, tools=tools,
add_generation_prompt=..., tokenize=False, **kwargs)` returns (or the error
it raises) and writes tests/data/text/chat/goldens.json, which
tests/unit/text/chat_template_golden_test.cpp checks byte for byte.

Two kinds of conversation cannot go through apply_chat_template, which
refuses an empty conversation and tools that are not dicts: those are
rendered ("mode": "render") by transformers' own compiled template
(`_compile_jinja_template`, the same jinja2 environment) with the context
apply_chat_template would build: messages without None-valued keys, the
reasoning aliased under "thinking" and "reasoning_content", tools,
documents=None, add_generation_prompt, the special tokens and kwargs.

Needs: transformers, tokenizers, jinja2 (no torch). Usage:
    python scripts/text/make_chat_goldens.py [--check]
--check renders again and fails if goldens.json differs.
"""

import argparse
import copy
import json
import pathlib
import sys

import jinja2
import tokenizers
import transformers
from tokenizers import Tokenizer, models
from transformers import PreTrainedTokenizerFast
from transformers.utils.chat_template_utils import _compile_jinja_template

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHAT_DIR = ROOT / "tests" / "data" / "text" / "chat"

# Template file stem -> the tokenizer's special tokens ("" = the tokenizer has none).
TEMPLATES = {
    "LFM2.5-Instruct": {"bos_token": "<|startoftext|>", "eos_token": "<|im_end|>"},
    "ChatML-Tools": {"bos_token": "", "eos_token": "<|im_end|>"},
    "Llama-3.1": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "Features": {"bos_token": "<s>", "eos_token": "</s>"},
}

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city.\nReturns degrees and a short description.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. \"Zürich\""},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "default": "celsius"},
                "days": {"type": "integer", "minimum": 1, "maximum": 7},
            },
            "required": ["city"],
        },
    },
}

SEARCH_TOOL = {
    "type": "function",
    "function": {
        "name": "search_docs",
        "description": "Search the documentation (🔎, 日本語 too).",
        "parameters": {
            "type": "object",
            "properties": {
                "query": {"type": "string"},
                "limit": {"type": "integer", "default": 10},
                "threshold": {"type": "number", "default": 0.5, "minimum": 1e-05, "maximum": 1e16},
                "exact": {"type": "boolean", "default": False},
                "filters": {"type": ["object", "null"], "default": None,
                            "properties": {"lang": {"type": "string"}, "year": {"type": "integer"}}},
            },
            "required": ["query"],
        },
    },
}

CALC_TOOL = {
    "type": "function",
    "function": {
        "name": "calculate",
        "description": "Evaluate an arithmetic expression.",
        "parameters": {"type": "object", "properties": {"expression": {"type": "string"}},
                       "required": ["expression"]},
    },
}

WEATHER_CALL = {"role": "assistant", "content": "",
                "tool_calls": [{"id": "call_1", "type": "function",
                                "function": {"name": "get_weather",
                                             "arguments": {"city": "Zürich", "unit": "celsius", "days": None}}}]}

# Each conversation: messages, tools (or None), kwargs for the template.
CONVERSATIONS = [
    ("user_only", [{"role": "user", "content": "Hello!"}], None, {}),
    ("system_user", [{"role": "system", "content": "You are a helpful assistant."},
                     {"role": "user", "content": "What is 2+2?"}], None, {}),
    ("multi_turn", [{"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Hi"},
                    {"role": "assistant", "content": "Hello! How can I help?"},
                    {"role": "user", "content": "Tell me a joke."},
                    {"role": "assistant", "content": "Why did the chicken cross the road?"},
                    {"role": "user", "content": "Why?"}], None, {}),
    ("no_system_multi_turn", [{"role": "user", "content": "one"},
                              {"role": "assistant", "content": "two"},
                              {"role": "user", "content": "three"}], None, {}),
    ("assistant_last", [{"role": "user", "content": "Start a story."},
                        {"role": "assistant", "content": "Once upon a time"}], None, {}),
    ("think_past_and_last", [{"role": "user", "content": "Question 1"},
                             {"role": "assistant", "content": "<think>\nFirst I reason.\n</think>\n\nAnswer 1"},
                             {"role": "user", "content": "Question 2"},
                             {"role": "assistant", "content": "<think>Second reasoning</think>Answer 2"}], None, {}),
    ("think_keep_past", [{"role": "user", "content": "Q1"},
                         {"role": "assistant", "content": "<think>r1</think>  A1  "},
                         {"role": "user", "content": "Q2"}], None, {"keep_past_thinking": True}),
    ("think_without_close", [{"role": "user", "content": "Q"},
                             {"role": "assistant", "content": "<think>unfinished thought"},
                             {"role": "user", "content": "Q again"}], None, {}),
    ("reasoning_content_field", [{"role": "user", "content": "Why is the sky blue?"},
                                 {"role": "assistant", "content": "Rayleigh scattering.",
                                  "reasoning_content": "The user asks about optics; short wavelengths scatter more in the atmosphere."},
                                 {"role": "user", "content": "Thanks"}], None, {}),
    ("thinking_field_alias", [{"role": "user", "content": "Hi"},
                              {"role": "assistant", "content": "Hello", "thinking": "greet back"}], None, {}),
    ("tools_openai", [{"role": "user", "content": "Weather in Paris?"}], [WEATHER_TOOL, SEARCH_TOOL], {}),
    ("tools_with_system", [{"role": "system", "content": "Use tools when needed."},
                           {"role": "user", "content": "Find docs about tokenizers."}],
     [SEARCH_TOOL, CALC_TOOL, WEATHER_TOOL], {}),
    ("tool_call_and_result", [{"role": "user", "content": "What's the weather in Zürich?"},
                              WEATHER_CALL,
                              {"role": "tool", "content": "{\"temperature\": 21.5, \"sky\": \"sunny\"}", "tool_call_id": "call_1"},
                              {"role": "assistant", "content": "It is 21.5 °C and sunny."}],
     [WEATHER_TOOL], {}),
    ("tool_call_string_arguments", [{"role": "user", "content": "Compute 6*7"},
                                    {"role": "assistant", "content": "Let me compute.",
                                     "tool_calls": [{"type": "function", "function": {"name": "calculate", "arguments": "{\"expression\": \"6*7\"}"}}]},
                                    {"role": "tool", "content": "42"}],
     [CALC_TOOL], {}),
    ("parallel_tool_results", [{"role": "user", "content": "Weather in Oslo and Rome"},
                               {"role": "assistant", "content": "",
                                "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Oslo"}}},
                                               {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Rome"}}}]},
                               {"role": "tool", "content": "Oslo: 3 degrees"},
                               {"role": "tool", "content": "Rome: 18 degrees"}],
     [WEATHER_TOOL], {}),
    ("tool_result_dict_content", [{"role": "user", "content": "Search"},
                                  {"role": "tool", "content": {"results": ["a", "b"], "count": 2, "score": 0.25, "ok": True}}],
     [SEARCH_TOOL], {}),
    ("tools_as_strings", [{"role": "user", "content": "Use a tool"}],
     ["{\"name\": \"ping\", \"description\": \"Ping a host\"}", "plain text tool"], {}),
    ("content_parts", [{"role": "user", "content": [{"type": "text", "text": "Describe this image:"},
                                                    {"type": "image", "url": "https://example.com/cat.png"},
                                                    {"type": "text", "text": "  briefly  "}]}], None, {}),
    ("content_number", [{"role": "user", "content": 42}, {"role": "assistant", "content": 3.5},
                        {"role": "user", "content": -7}], None, {}),
    ("content_dict_and_bool", [{"role": "user", "content": {"question": "ok?", "nested": {"x": [1, 2.0, None]}}},
                               {"role": "assistant", "content": True}], None, {}),
    ("content_none_dropped", [{"role": "user", "content": "Hi", "name": None},
                              {"role": "assistant", "content": None,
                               "tool_calls": [{"type": "function", "function": {"name": "calculate", "arguments": {"expression": "1+1"}}}]}],
     [CALC_TOOL], {}),
    ("unicode_emoji", [{"role": "system", "content": "Réponds en français. 🇫🇷"},
                       {"role": "user", "content": "¿Qué tal? 你好，世界！ こんにちは 🤖👍🏽 مرحبا e\u0301"},
                       {"role": "assistant", "content": "Très bien ✓ — “quotes” ‘single’ … \u2028line sep"}], None, {}),
    ("special_characters", [{"role": "user", "content": "Quotes \" and ' and \\ backslash\ttab\n{{ not jinja }} {% raw %} <|im_end|> </s>"},
                            {"role": "assistant", "content": "Literal: {\"a\": [1, 2]} and %s %d {0}"}], None, {}),
    ("whitespace_content", [{"role": "system", "content": "\n  padded system  \n"},
                            {"role": "user", "content": "   leading and trailing   \n\n"},
                            {"role": "assistant", "content": "\n\n"}], None, {}),
    ("empty_content", [{"role": "user", "content": ""}, {"role": "assistant", "content": ""}], None, {}),
    ("system_only", [{"role": "system", "content": "Only a system prompt."}], None, {}),
    ("extra_message_keys", [{"role": "user", "content": "Hi from Ann", "name": "ann", "id": 7},
                            {"role": "user", "content": "Hi from Bob", "name": "bob", "metadata": {"k": "v"}},
                            {"role": "assistant", "content": "Hello both"}], None, {}),
    ("bad_role", [{"role": "user", "content": "hi"}, {"role": "narrator", "content": "Meanwhile..."}], None, {}),
    ("enable_thinking_false", [{"role": "user", "content": "Quick answer please"}], None, {"enable_thinking": False}),
    ("kwargs_extra", [{"role": "user", "content": "Hi"}], None,
     {"extra": {"b": [1, 2.5, None, True], "a": "é"}, "date_string": "01 Jan 2025"}),
    ("system_content_parts", [{"role": "system", "content": [{"type": "text", "text": "Parted system."}]},
                              {"role": "user", "content": "Hi"}], None, {}),
    ("long_conversation", [m for i in range(6) for m in (
        {"role": "user", "content": f"Message {i}: " + "word " * (i + 1)},
        {"role": "assistant", "content": f"Reply {i}" + ("\n<think>x</think>" if i % 2 else ""),
         **({"reasoning_content": f"thought {i}"} if i == 5 else {})})], None, {}),
    ("builtin_tools", [{"role": "user", "content": "Search the web"},
                       {"role": "assistant", "content": "",
                        "tool_calls": [{"type": "function", "function": {"name": "brave_search", "arguments": {"query": "jinja"}}}]}],
     [WEATHER_TOOL], {"builtin_tools": ["brave_search", "code_interpreter"]}),
    ("empty_messages", [], None, {}),
]


def strip_none(messages):
    return [{k: v for k, v in m.items() if v is not None} for m in messages]


def alias_reasoning(messages):
    out = []
    for m in messages:
        reasoning = next((m[k] for k in ("reasoning_content", "thinking", "reasoning") if m.get(k) is not None), None)
        if reasoning is not None:
            m = {"thinking": reasoning, **m, "reasoning_content": reasoning}
        out.append(m)
    return out


def make_tokenizer(specials):
    model = Tokenizer(models.WordLevel({"<unk>": 0, "hi": 1}, unk_token="<unk>"))
    return PreTrainedTokenizerFast(tokenizer_object=model, **{k: v for k, v in specials.items() if v})


def render(template, specials, messages, tools, add_generation_prompt, kwargs):
    """(mode, output or None, error or None) as transformers gives them."""
    string_tools = tools is not None and any(not isinstance(t, dict) for t in tools)
    try:
        if messages and not string_tools:
            tok = make_tokenizer(specials)
            out = tok.apply_chat_template(copy.deepcopy(messages), tools=copy.deepcopy(tools),
                                          add_generation_prompt=add_generation_prompt, tokenize=False,
                                          chat_template=template, **copy.deepcopy(kwargs))
            return "apply_chat_template", out, None
        context = {k: v for k, v in specials.items() if v}
        context.update(copy.deepcopy(kwargs))
        out = _compile_jinja_template(template).render(
            messages=alias_reasoning(strip_none(copy.deepcopy(messages))), tools=copy.deepcopy(tools),
            documents=None, add_generation_prompt=add_generation_prompt, **context)
        return "render", out, None
    except Exception as e:  # the template failed: the golden is that it fails
        mode = "apply_chat_template" if messages and not string_tools else "render"
        return mode, None, f"{type(e).__name__}: {e}"


def build():
    goldens = {
        "generator": "scripts/text/make_chat_goldens.py",
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "jinja2": jinja2.__version__,
        "templates": {},
        "conversations": {},
        "cases": [],
    }
    for name, messages, tools, kwargs in CONVERSATIONS:
        goldens["conversations"][name] = {"messages": messages, "tools": tools, "kwargs": kwargs}
    for stem, specials in TEMPLATES.items():
        path = CHAT_DIR / f"{stem}.jinja"
        template = path.read_text(encoding="utf-8")
        goldens["templates"][stem] = {"file": path.name, **specials}
        for name, messages, tools, kwargs in CONVERSATIONS:
            for add_generation_prompt in (False, True):
                mode, out, error = render(template, specials, messages, tools, add_generation_prompt, kwargs)
                case = {"template": stem, "conversation": name, "add_generation_prompt": add_generation_prompt,
                        "mode": mode}
                if error is None:
                    case["expected"] = out
                else:
                    case["error"] = error
                goldens["cases"].append(case)
    return goldens


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if goldens.json is out of date")
    args = parser.parse_args()
    text = json.dumps(build(), ensure_ascii=False, indent=1) + "\n"
    target = CHAT_DIR / "goldens.json"
    if args.check:
        if target.read_text(encoding="utf-8") != text:
            sys.exit(f"{target} is out of date; run {pathlib.Path(__file__).name}")
        return
    target.write_text(text, encoding="utf-8")
    data = json.loads(text)
    errors = sum("error" in c for c in data["cases"])
    print(f"wrote {target}: {len(data['cases'])} cases ({errors} expected errors), "
          f"{len(data['conversations'])} conversations x {len(data['templates'])} templates x 2")


if __name__ == "__main__":
    main()
