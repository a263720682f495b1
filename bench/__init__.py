"""Benchmarks: jobs at scale and API throughput on a throwaway PostgreSQL. `python -m bench [--quick]`."""
