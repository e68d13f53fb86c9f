"""pytest plugin: run the suite as if mmengine were not installed (``import mmengine`` fails).

``PYTHONPATH=tests/plugins python -m pytest -p without_mmengine``: the mmengine tests skip, and
everything else must pass without it. Subprocesses the tests start still see the real environment.
"""

import sys

sys.modules["mmengine"] = None  # type: ignore[assignment]  # makes every `import mmengine...` raise
