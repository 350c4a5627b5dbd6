"""Faithful copies of schedopt 0.1.0's bound (C) and exact recursion (commit bd31d52), kept so
that the benchmarks time the previous release's code path beside the current one in the same
run (issue 14). Not part of the package; do not edit them except to keep them importable."""
