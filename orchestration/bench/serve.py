"""The sandbox server of a benchmark, in its own process.

    python -m orchestration.bench.serve WORLD.pickle RATE_LIMIT_SCALE

Prints one JSON line (the server's URL and the ``export`` variables that point the pipeline at
it), then serves until its standard input closes — the parent closes it when the steps are done.
"""

from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path

from sandbox.server import SandboxServer


def main(argv: list[str]) -> int:
    world_file, scale = Path(argv[0]), float(argv[1])
    # Our own file, written by the bench's world step.
    with world_file.open("rb") as f:
        world = pickle.load(f)
    server = SandboxServer(world, rate_limit_scale=scale).start()
    try:
        # Steps time requests, not the sandbox indexing its world (when this sandbox can say).
        wait_ready = getattr(server, "wait_ready", None)
        if wait_ready is not None:
            wait_ready()
        exports = server.environment()
        sys.stdout.write(json.dumps({"url": server.url, "exports": exports}) + "\n")
        sys.stdout.flush()
        sys.stdin.read()  # returns when the parent closes the pipe (or dies)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
