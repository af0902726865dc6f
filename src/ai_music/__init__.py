"""ai-music-backend."""

import sys

# httpx imports its command-line client whenever rich, pygments and click happen to be
# installed (development tools pull them in): ~4 MB of a server that never runs it. Marking
# the module missing makes httpx fall back to its stub, as it does without those packages.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
