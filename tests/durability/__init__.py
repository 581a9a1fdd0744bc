"""Tests of the git durability library."""
