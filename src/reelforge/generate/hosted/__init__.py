"""Hosted video models: one module per provider (official SDK where it works, else httpx), each exporting
`MODELS` for the catalogue. `common` holds what they share: the submit -> poll -> download flow, retried
HTTP, errors."""
