"""``tokenworth bench``: performance figures of the pipeline on a sandbox profile.

The parent (:mod:`orchestration.bench.runner`) runs every step in its own child process
(:mod:`orchestration.bench.steps`) so each step's wall time and peak memory are its own, against
one sandbox server that also runs in a child (:mod:`orchestration.bench.serve`) so it never
competes with the measured code for the GIL. Benchmarks are not tests: ``make test`` only runs a
smoke run of the command (``tests/bench``).
"""
