"""Exit codes the runner maps to reasons (apps/tuning-runner/src/trainer/supervise.ts)."""

OK = 0
FAILED = 1
INVALID_CONFIG = 3
INVALID_DATASET = 4
OUT_OF_MEMORY = 5
TERMINATED = 8
