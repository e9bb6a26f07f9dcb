"""Benchmarks: every hot path's figure beside a baseline measured in the same run."""
