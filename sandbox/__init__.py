"""A deterministic, seeded simulation of an engineering organisation behind the real vendor APIs.

The sandbox generates people, AI sessions, pull requests and git history (``generate``), writes the
repositories as real git repositories (``gitrepos``), serves every vendor's view of that world over
HTTP on loopback (``server``), and writes the ground truth the tests compare the warehouse against.
"""
