"""The model behind the CPU stand-in: a causal LM from transformers plus the LoRA adapters under
/mnt/adapter, loaded the way the runtime it stands in for loads them.

- vLLM (`--enable-lora`): every adapter is a model of its own, chosen per request by `model`
  (vLLM's LoRA modules); the served model name is the base model without adapters.
- transformers: the adapters are merged into one, each weighted by the env var named after it
  (the controller sets `<adapter>=<strength>`), as Kaito's transformers server does; there is one
  model, the served name.

The weights: the preset's Hugging Face repository cannot be downloaded (or run without a GPU)
here, so unless `--model` names a local model directory, the stand-in serves the directory in
KAITO_CPU_STANDIN_MODEL, else the tuning tests' tiny randomly initialised model
(`kaito_trainer.tiny`), built into the download directory. It says so in its log and answers.
"""

import os
import tempfile
import threading
from dataclasses import dataclass
from typing import List

from .log import log

ADAPTERS_DIR = "/mnt/adapter"
STANDIN_MODEL_ENV = "KAITO_CPU_STANDIN_MODEL"
TINY_DIR_NAME = "kaito-cpu-standin-tiny"


class RequestError(ValueError):
    """A request the model cannot serve (HTTP 400 or 404); the message says what to change."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


@dataclass
class Adapter:
    name: str
    path: str
    weight: float
    lora_tensors: int


@dataclass
class Generation:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str


def find_adapters(directory):
    """(name, path) of every subdirectory of `directory` holding an adapter_config.json, by name."""
    if not os.path.isdir(directory):
        return []
    found = []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if os.path.isfile(os.path.join(path, "adapter_config.json")):
            found.append((name, path))
    return found


def adapter_weight(name, env):
    """The strength the controller gave adapter `name` (env var of that name), default 1.0."""
    raw = env.get(name, "1.0")
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"env {name}: expected the adapter's strength, a number between 0 and 1, got {raw!r}") from None
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"env {name}: expected the adapter's strength between 0 and 1, got {raw!r}")
    return value


def resolve_model(model, download_dir, env):
    """(directory to load, True when it stands in for `model`)."""
    if os.path.isfile(os.path.join(model, "config.json")):
        return model, False
    standin = env.get(STANDIN_MODEL_ENV, "")
    if standin:
        if not os.path.isfile(os.path.join(standin, "config.json")):
            raise ValueError(f"{STANDIN_MODEL_ENV}={standin}: expected a model directory with config.json (e.g. one written by python -m kaito_trainer.tiny --out DIR)")
        return standin, True
    target = os.path.join(download_dir or tempfile.mkdtemp(prefix="kaito-cpu-"), TINY_DIR_NAME)
    if not os.path.isfile(os.path.join(target, "config.json")):
        from kaito_trainer.tiny import build

        log("info", "building the tiny stand-in model", dir=target)
        build(target)
    return target, True


def _count_lora(model, adapter_name):
    return sum(1 for n, _ in model.named_parameters() if ".lora_" in n and n.endswith(f".{adapter_name}.weight"))


class Engine:
    """Loads the model and adapters once; generate() is serialised (peft's active adapter is global)."""

    def __init__(self, args, adapters_dir=ADAPTERS_DIR, env=None):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        env = os.environ if env is None else env
        self.runtime = args.runtime
        self.served_model_name = args.served_model_name
        self.requested_model = args.model
        self.model_dir, self.stands_in = resolve_model(args.model, args.download_dir, env)
        self._torch = torch
        self._lock = threading.Lock()
        self.tokenizer = AutoTokenizer.from_pretrained(self.model_dir, local_files_only=True)
        # float32: the CPU has no fast half precision; the rendered --dtype is for the GPU
        base = AutoModelForCausalLM.from_pretrained(self.model_dir, local_files_only=True, torch_dtype=torch.float32)
        self.max_len = int(getattr(base.config, "max_position_embeddings", 2048) or 2048)
        if args.max_model_len:
            self.max_len = min(self.max_len, args.max_model_len)
        self.adapters: List[Adapter] = []
        found = find_adapters(adapters_dir)
        self.model = base
        if found and self.runtime == "vllm" and not args.enable_lora:
            log("warn", "adapters found but --enable-lora is not set: serving the base model only, as vLLM would", adapters=[n for n, _ in found])
        elif found:
            self.model = self._load_adapters(base, found, env, args.combination_type)
        self.model.eval()
        self.suppressed = self._unreadable_tokens() if self.stands_in else []
        log(
            "info",
            "model loaded",
            runtime=self.runtime,
            served_model_name=self.served_model_name,
            model_dir=self.model_dir,
            stands_in_for=self.requested_model if self.stands_in else None,
            adapters=[{"name": a.name, "path": a.path, "weight": a.weight, "loraTensors": a.lora_tensors} for a in self.adapters],
        )

    def _unreadable_tokens(self):
        """Token ids a random model would print as mojibake: lone UTF-8 bytes, control characters,
        and special tokens other than end-of-sequence. Suppressed for the stand-in model only (its
        answers are random either way; this keeps them readable), never for a real one."""
        out = []
        for i in range(len(self.tokenizer)):
            if i == self.tokenizer.eos_token_id:
                continue
            if i in self.tokenizer.all_special_ids:
                out.append(i)
                continue
            text = self.tokenizer.decode([i])
            if "\ufffd" in text or not all(c.isprintable() or c in " \n" for c in text):
                out.append(i)
        return out

    def _load_adapters(self, base, found, env, combination_type):
        from peft import PeftModel

        weights = {name: adapter_weight(name, env) for name, _ in found}
        first_name, first_path = found[0]
        model = PeftModel.from_pretrained(base, first_path, adapter_name=first_name)
        for name, path in found[1:]:
            model.load_adapter(path, adapter_name=name)
        counts = {name: _count_lora(model, name) for name, _ in found}
        for name, count in counts.items():
            if count == 0:
                raise ValueError(f"adapter {name}: its adapter_model.safetensors matched no module of the model (0 LoRA tensors loaded)")
        self.adapters = [Adapter(name, path, weights[name], counts[name]) for name, path in found]
        if self.runtime == "transformers":
            names = [name for name, _ in found]
            # Kaito's transformers server: one weighted combination, the singles deleted
            model.add_weighted_adapter(adapters=names, weights=[weights[n] for n in names], adapter_name="combined_adapter", combination_type=combination_type)
            model.set_adapter("combined_adapter")
            for name in names:
                model.delete_adapter(name)
        return model

    # ---- what is served ------------------------------------------------------------------

    def model_cards(self, created):
        """The /v1/models entries: the served model, then (vLLM) each adapter with its parent."""
        owner = "kaito-ts-cpu-standin"
        cards = [{"id": self.served_model_name, "object": "model", "created": created, "owned_by": owner, "root": self.model_dir, "parent": None, "max_model_len": self.max_len}]
        if self.runtime == "vllm":
            for a in self.adapters:
                cards.append({"id": a.name, "object": "model", "created": created, "owned_by": owner, "root": a.path, "parent": self.served_model_name, "max_model_len": self.max_len})
        return cards

    def adapters_for(self, model_name):
        """The adapter names a request for `model_name` runs with (404 for an unknown model)."""
        if model_name is None or model_name == self.served_model_name:
            if self.runtime == "transformers":
                return [a.name for a in self.adapters]
            return []
        if self.runtime == "vllm":
            for a in self.adapters:
                if a.name == model_name:
                    return [a.name]
        raise RequestError(f"The model `{model_name}` does not exist.", status=404)

    def default_model(self):
        """What a request that names no model gets (the seed's POST /chat): the only adapter, else the served model."""
        if self.runtime == "vllm" and len(self.adapters) == 1:
            return self.adapters[0].name
        return self.served_model_name

    # ---- generation ----------------------------------------------------------------------

    def chat_prompt(self, messages):
        """The prompt text for OpenAI-style messages, through the model's chat template."""
        if not isinstance(messages, list) or not messages:
            raise RequestError("messages: expected a non-empty list of {role, content}, e.g. [{\"role\": \"user\", \"content\": \"Hello\"}]")
        clean = []
        for i, m in enumerate(messages):
            if not isinstance(m, dict) or not isinstance(m.get("role"), str):
                raise RequestError(f"messages[{i}]: expected an object with a string role, e.g. {{\"role\": \"user\", \"content\": \"Hello\"}}")
            content = m.get("content")
            if isinstance(content, list):  # OpenAI content parts: the text ones
                content = "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
            if not isinstance(content, str):
                raise RequestError(f"messages[{i}].content: expected a string or a list of text parts")
            clean.append({"role": m["role"], "content": content})
        if getattr(self.tokenizer, "chat_template", None):
            return self.tokenizer.apply_chat_template(clean, tokenize=False, add_generation_prompt=True)
        return "".join(f"{m['role']}: {m['content']}\n" for m in clean)

    def generate(self, model_name, prompt, max_new_tokens, temperature=1.0, top_p=1.0, top_k=None, seed=None):
        torch = self._torch
        if not isinstance(prompt, str) or prompt == "":
            raise RequestError("prompt: expected a non-empty string")
        if not isinstance(max_new_tokens, int) or max_new_tokens < 1:
            raise RequestError(f"max_tokens: expected a positive integer, got {max_new_tokens!r}")
        adapters = self.adapters_for(model_name)
        tokens = self.tokenizer(prompt, return_tensors="pt")
        # only what a causal LM's generate takes (the tiny tokenizer also returns token_type_ids)
        encoded = {"input_ids": tokens["input_ids"], "attention_mask": tokens["attention_mask"]}
        prompt_tokens = int(encoded["input_ids"].shape[1])
        if prompt_tokens + max_new_tokens > self.max_len:
            raise RequestError(
                f"This model's maximum context length is {self.max_len} tokens. However, you requested {prompt_tokens + max_new_tokens} tokens "
                f"({prompt_tokens} in the messages, {max_new_tokens} in the completion). Please reduce the length of the messages or completion."
            )
        sample = temperature is not None and temperature > 0
        # synced_gpus=False: one CPU process; left unset, transformers imports torch.distributed.fsdp
        # to find out, which Debian's torch 1.13 cannot import on Python 3.11
        kwargs = {"max_new_tokens": max_new_tokens, "do_sample": sample, "synced_gpus": False, "pad_token_id": self.tokenizer.pad_token_id, "eos_token_id": self.tokenizer.eos_token_id}
        if self.suppressed:
            kwargs["suppress_tokens"] = self.suppressed
        if sample:
            kwargs.update(temperature=float(temperature), top_p=float(top_p if top_p is not None else 1.0))
            if top_k:
                kwargs["top_k"] = int(top_k)
        with self._lock, torch.no_grad():
            if seed is not None:
                torch.manual_seed(int(seed))
            output = self._run(adapters, encoded, kwargs)
        new = output[0][prompt_tokens:]
        finish = "stop" if len(new) > 0 and int(new[-1]) == self.tokenizer.eos_token_id else "length"
        text = self.tokenizer.decode(new, skip_special_tokens=True)
        return Generation(text=text, prompt_tokens=prompt_tokens, completion_tokens=int(len(new)), finish_reason=finish)

    def _run(self, adapters, encoded, kwargs):
        from peft import PeftModel

        if not isinstance(self.model, PeftModel) or self.runtime == "transformers":
            return self.model.generate(**encoded, **kwargs)
        if not adapters:
            with self.model.disable_adapter():
                return self.model.generate(**encoded, **kwargs)
        self.model.set_adapter(adapters[0])
        return self.model.generate(**encoded, **kwargs)

    def describe(self):
        """What every answer says about itself (the `kaito_ts` field)."""
        image = "vLLM" if self.runtime == "vllm" else "transformers"
        what = f"CPU stand-in for Kaito's {image} inference image (no GPU here)"
        if self.stands_in:
            what += f"; serving a small local model in place of {self.requested_model}"
        return {
            "standin": what,
            "runtime": self.runtime,
            "model_dir": self.model_dir,
            "stands_in_for": self.requested_model if self.stands_in else None,
        }

