"""A deterministic, seeded simulation of an engineering organisation behind the real vendor APIs.

The sandbox generates people, AI sessions, pull requests and git history (``generate``), writes the
repositories as real git repositories (``gitrepos``), serves every vendor's view of that world over
HTTP on loopback (``server``), and writes the ground truth the tests compare the warehouse against.
``reality`` says which of the things real accounts send (usage nobody owns, products the
organisation lacks, GitHub's ghosts, forks, rebases, renamed repositories, odd files…) a world
holds; the default ``tiny`` world holds a few (``profiles.TINY_REALITY``), ``demo`` and
``large`` none.
"""
