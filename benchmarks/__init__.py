"""Benchmark and results scripts; run each as ``python -m benchmarks.<name>``."""
