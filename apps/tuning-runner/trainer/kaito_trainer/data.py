"""The runner's normalised JSONL → tokenized examples.

Rows are `{"messages": [...]}` (rendered with the tokenizer's chat template),
`{"prompt", "completion"}` or `{"text"}`; the runner has already validated every row.
Loss covers the whole sequence, as with Kaito's collator.
"""

import json
import random

from .errors import DatasetError

# Used when the tokenizer has no chat template of its own (ChatML-style, like many presets).
FALLBACK_CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}"
)


def render(row, tokenizer):
    if "messages" in row:
        return tokenizer.apply_chat_template(row["messages"], tokenize=False)
    if "prompt" in row:
        prompt, completion = row["prompt"], row["completion"]
        if isinstance(prompt, list):
            return tokenizer.apply_chat_template(prompt + completion, tokenize=False)
        return prompt + completion
    return row["text"]


def read_rows(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except ValueError as err:
                raise DatasetError(f"{path}: line {number}: invalid JSON: {err}") from err
    if not rows:
        raise DatasetError(f"{path}: no rows")
    return rows


class TokenizedDataset:
    """A list of {input_ids, attention_mask}; torch's Dataset protocol is just __len__/__getitem__."""

    def __init__(self, examples):
        self.examples = examples

    def __len__(self):
        return len(self.examples)

    def __getitem__(self, i):
        return self.examples[i]


def build(plan, tokenizer):
    rows = read_rows(plan.dataset_file)
    if plan.dataset.get("shuffle_dataset", True):
        random.Random(plan.dataset.get("shuffle_seed", 42)).shuffle(rows)
    eos = tokenizer.eos_token or ""
    examples = []
    for row in rows:
        text = render(row, tokenizer)
        if eos and not text.endswith(eos):
            text += eos
        ids = tokenizer(text, truncation=True, max_length=plan.max_length, add_special_tokens=True)["input_ids"]
        if len(ids) >= 2:
            examples.append({"input_ids": ids, "attention_mask": [1] * len(ids)})
    if not examples:
        raise DatasetError("no example has 2 or more tokens after tokenization")
    split = plan.dataset.get("train_test_split", 1)
    if split >= 1 or len(examples) < 2:
        return TokenizedDataset(examples), None
    cut = max(1, min(len(examples) - 1, int(round(len(examples) * split))))
    return TokenizedDataset(examples[:cut]), TokenizedDataset(examples[cut:])
