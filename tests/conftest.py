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
