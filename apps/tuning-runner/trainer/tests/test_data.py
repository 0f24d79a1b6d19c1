from types import SimpleNamespace

import pytest

from kaito_trainer import data
from kaito_trainer.errors import DatasetError


@pytest.fixture(scope="module")
def tokenizer(tiny_model):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model, local_files_only=True)


def test_messages_are_rendered_with_the_chat_template(tokenizer):
    text = data.render({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}, tokenizer)
    assert text == "<|user|>\nhi<|end|>\n<|assistant|>\nhello<|end|>\n"


def test_prompt_and_completion_strings_are_joined(tokenizer):
    assert data.render({"prompt": "Q: 1+1?", "completion": " 2"}, tokenizer) == "Q: 1+1? 2"


def test_conversational_prompt_and_completion_use_the_chat_template(tokenizer):
    row = {"prompt": [{"role": "user", "content": "hi"}], "completion": [{"role": "assistant", "content": "yo"}]}
    assert data.render(row, tokenizer) == "<|user|>\nhi<|end|>\n<|assistant|>\nyo<|end|>\n"


def test_text_rows_are_used_as_they_are(tokenizer):
    assert data.render({"text": "plain"}, tokenizer) == "plain"


def plan_for(path, **dataset):
    return SimpleNamespace(dataset_file=str(path), dataset={"shuffle_dataset": False, **dataset}, max_length=16)


def test_examples_are_truncated_to_max_length_and_end_with_eos(tmp_path, tokenizer):
    path = tmp_path / "d.jsonl"
    path.write_text('{"text": "a short one"}\n{"text": "' + "word " * 200 + '"}\n')
    train, evaluation = data.build(plan_for(path), tokenizer)
    assert evaluation is None
    assert train[0]["input_ids"][-1] == tokenizer.eos_token_id
    assert len(train[1]["input_ids"]) == 16


def test_the_split_keeps_the_train_fraction(tmp_path, tokenizer):
    path = tmp_path / "d.jsonl"
    path.write_text("".join(f'{{"text": "row {i}"}}\n' for i in range(10)))
    train, evaluation = data.build(plan_for(path, train_test_split=0.8), tokenizer)
    assert (len(train), len(evaluation)) == (8, 2)


def test_an_empty_dataset_is_a_dataset_error(tmp_path, tokenizer):
    path = tmp_path / "d.jsonl"
    path.write_text("\n")
    with pytest.raises(DatasetError, match="no rows"):
        data.build(plan_for(path), tokenizer)
