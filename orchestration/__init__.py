"""tokenworth's Dagster code location: extraction, transformation and the nightly schedule."""
