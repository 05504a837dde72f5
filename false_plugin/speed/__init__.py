"""Speed and memory measurements behind ``tools/benchmarks/``."""
