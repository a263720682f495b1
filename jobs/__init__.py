"""Scheduled jobs: one module each, with `main(argv) -> int`; `python -m jobs <name>` runs one."""
