"""A CPU stand-in for Kaito's inference image (vLLM and transformers runtimes) on the local cluster."""
