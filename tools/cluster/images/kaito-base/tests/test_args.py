import pytest

from kaito_cpu_inference.args import ArgsError, parse_args

# What the workspace controller renders for phi-3-mini-128k-instruct on Standard_NC6s_v3 with one
# adapter (packages/presets render.ts), after the program (python3 script / accelerate launch ... script).
VLLM_ARGV = [
    "--download-dir=/workspace/weights",
    "--model=microsoft/Phi-3-mini-128k-instruct",
    "--revision=072cb7562cb8c4adf682a8e186aaafa49469eb5d",
    "--served-model-name=phi-3-mini-128k-instruct",
    "--port=5000",
    "--dtype=float16",
    "--max-model-len=9984",
    "--gpu-memory-utilization=0.84",
    "--enable-lora",
]
TRANSFORMERS_ARGV = [
    "--pretrained_model_name_or_path=microsoft/Phi-3-mini-128k-instruct",
    "--revision=072cb7562cb8c4adf682a8e186aaafa49469eb5d",
    "--torch_dtype=float16",
    "--device_map=auto",
]


def test_accepts_the_rendered_vllm_command_line_and_names_the_gpu_only_flags_it_ignores():
    a = parse_args("vllm", VLLM_ARGV)
    assert (a.model, a.served_model_name, a.port, a.download_dir, a.enable_lora, a.max_model_len) == (
        "microsoft/Phi-3-mini-128k-instruct",
        "phi-3-mini-128k-instruct",
        5000,
        "/workspace/weights",
        True,
        9984,
    )
    assert a.ignored == ["--dtype=float16", "--gpu-memory-utilization=0.84"]


def test_accepts_the_rendered_transformers_command_line():
    a = parse_args("transformers", TRANSFORMERS_ARGV)
    assert (a.model, a.served_model_name, a.port, a.combination_type) == ("microsoft/Phi-3-mini-128k-instruct", "microsoft/Phi-3-mini-128k-instruct", 5000, "svd")
    assert a.ignored == ["--torch_dtype=float16", "--device_map=auto"]


def test_vllm_serves_under_the_model_name_when_no_served_name_is_given():
    assert parse_args("vllm", ["--model=org/m"]).served_model_name == "org/m"


@pytest.mark.parametrize(
    "runtime,argv,message",
    [
        ("vllm", [], "--model"),
        ("vllm", ["--model=m", "--port=http"], "--port"),
        ("vllm", ["--model=m", "--port=70000"], "--port: expected a TCP port"),
        ("tgi", [], "runtime: expected one of vllm, transformers"),
    ],
)
def test_refuses_a_command_line_it_cannot_serve_naming_the_flag(runtime, argv, message):
    with pytest.raises(ArgsError, match=message):
        parse_args(runtime, argv)
