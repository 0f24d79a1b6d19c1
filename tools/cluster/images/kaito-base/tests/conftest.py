import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
IMAGE = os.path.dirname(HERE)
ROOT = os.path.abspath(os.path.join(IMAGE, "..", "..", "..", ".."))
for p in (os.path.join(IMAGE, "lib"), os.path.join(ROOT, "apps", "tuning-runner", "trainer")):
    if p not in sys.path:
        sys.path.insert(0, p)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    from kaito_trainer.tiny import build

    return build(str(tmp_path_factory.mktemp("tiny-model")))


def write_adapter(model_dir, out, seed, scale=2.0):
    """A PEFT LoRA adapter for the tiny model whose B matrices are not zero, so it changes answers."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(model_dir, local_files_only=True, torch_dtype=torch.float32)
    model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM"))
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn_like(p) * scale)
    model.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def adapters(tiny_model, tmp_path_factory):
    """/mnt/adapter as the pullers leave it: one folder per adapter."""
    root = tmp_path_factory.mktemp("adapters")
    write_adapter(tiny_model, str(root / "tuned-a"), seed=1)
    write_adapter(tiny_model, str(root / "tuned-b"), seed=2)
    (root / "not-an-adapter").mkdir()
    return str(root)
