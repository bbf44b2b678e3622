"""The REST API (FastAPI): `create_app` builds it; `reelforge serve` runs it under uvicorn."""
