"""The tuning trainer the tuning-runner supervises: LoRA/QLoRA on a causal LM with transformers + peft.

It reads the runner's merged config (JSON), trains, and writes adapter_config.json +
adapter_model.safetensors. It talks to the runner through `KAITO_EVENT {json}` lines on stdout
and its exit code (see `exits.py`).
"""
