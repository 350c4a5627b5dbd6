"""Test-suite settings.

Under CI (the environment variable CI is set, as `.ci/run` is run), hypothesis draws the same
examples on every run, so a submission's result does not depend on the luck of the draw;
locally it keeps exploring new examples (and replays the failures it has stored).
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# The command line turns JAX's persistent compilation cache on (schedopt/cli/_cache.py);
# tests that call it must not write to the real home directory.
os.environ.setdefault("SCHEDOPT_NO_COMPILE_CACHE", "1")
