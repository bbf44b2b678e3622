"""Fixtures for the generator tests: `register` adds small test models to the catalogue for one test."""

from tests.generate.generators import register  # noqa: F401
