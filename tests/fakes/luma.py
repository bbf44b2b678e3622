"""A fake Luma Dream Machine v1 API (api.lumalabs.ai/dream-machine/v1), from provider-apis.md §2.

`POST /generations/video` (`Authorization: Bearer`) validates `model` (ray-2, ray-flash-2, ray-1-6),
`aspect_ratio`, `duration` ("5s"/"9s") and `resolution`, and answers a Generation object (state
`queued`); `GET /generations/{id}` walks queued -> dreaming -> completed (`assets.video`) or failed
(`failure_reason`); `DELETE /generations/{id}` deletes. 429 carries Retry-After. The document leaves
the error body and the create status unconfirmed: this fake answers `{"detail": "..."}` and 201.
Video URLs point at `/assets/{id}.mp4` here: a real MP4 of the duration at 24 fps, small.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.fakes.loopback import Answer, LoopbackServer, Recorded, json_answer
from tests.fakes.media import moving_mp4

MODELS = {"ray-2", "ray-flash-2", "ray-1-6"}
RATIOS = {"1:1": (96, 96), "16:9": (128, 72), "9:16": (72, 128), "4:3": (96, 72), "3:4": (72, 96),
          "21:9": (168, 72), "9:21": (72, 168)}  # fmt: skip
DURATIONS = {"5s": 5, "9s": 9}
RESOLUTIONS = {"540p", "720p", "1080p", "4k"}


@dataclass
class FakeLuma(LoopbackServer):
    api_key: str = "luma-test-key-abcdef123456"
    steps: list[str] = field(default_factory=lambda: ["queued", "dreaming"])
    failure_reason: str | None = None
    never_finish: bool = False
    rate_limited: int = 0
    retry_after: str = "1"
    generations: dict[str, dict[str, Any]] = field(default_factory=dict)
    polls: dict[str, int] = field(default_factory=dict)

    def route(self, request: Recorded) -> Answer:
        if request.path.startswith("/assets/"):  # Luma's CDN: no key
            generation = self.generations.get(request.path.removeprefix("/assets/").removesuffix(".mp4"))
            if generation is None:
                return Answer(404)
            w, h = RATIOS[generation["request"]["aspect_ratio"]]
            seconds = DURATIONS[generation["request"]["duration"]]
            return Answer(200, moving_mp4(w, h, 24 * seconds, 24), {"Content-Type": "video/mp4"})
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return json_answer(401, {"detail": "Invalid API key"})
        parts = request.path.strip("/").split("/")
        match request.method, parts:
            case "POST", ["dream-machine", "v1", "generations", "video"]:
                return self._create(request.json)
            case "GET", ["dream-machine", "v1", "generations", gid] if gid in self.generations:
                return self._poll(gid)
            case "DELETE", ["dream-machine", "v1", "generations", gid] if gid in self.generations:
                self.generations.pop(gid)
                return Answer(204)
        return json_answer(404, {"detail": "Not Found"})

    @property
    def base_url(self) -> str:
        return f"{self.url}/dream-machine/v1"

    def _create(self, body: dict[str, Any]) -> Answer:
        if self.rate_limited > 0:
            self.rate_limited -= 1
            return json_answer(429, {"detail": "Too many requests"}, {"Retry-After": self.retry_after})
        for name, allowed in (("model", MODELS), ("aspect_ratio", RATIOS), ("duration", DURATIONS),
                              ("resolution", RESOLUTIONS)):  # fmt: skip
            if body.get(name) not in allowed:
                return json_answer(400, {"detail": f"Invalid {name}: {body.get(name)!r}"})
        gid = str(uuid.uuid4())
        self.generations[gid] = {
            "id": gid, "generation_type": "video", "state": "queued", "failure_reason": None,
            "created_at": datetime.now(UTC).isoformat(), "assets": None, "model": body["model"],
            "request": {**body, "generation_type": "video"},
        }  # fmt: skip
        self.polls[gid] = 0
        return json_answer(201, self.generations[gid])

    def _poll(self, gid: str) -> Answer:
        generation = self.generations[gid]
        self.polls[gid] += 1
        n = self.polls[gid]
        if self.never_finish or n <= len(self.steps):
            generation["state"] = "dreaming" if self.never_finish else self.steps[n - 1]
        elif self.failure_reason:
            generation.update(state="failed", failure_reason=self.failure_reason)
        else:
            generation.update(state="completed", assets={"video": f"{self.url}/assets/{gid}.mp4"})
        return json_answer(200, generation)
