"""Render a storyboard to a finished video: voice -> clips -> segments + soundtrack -> join -> thumbnail.

Each stage runs through the content-addressed StageCache, so a re-render reuses every artifact whose
inputs did not change. Results are written into a hidden folder inside the output folder and moved into
place only after every stage succeeded: a failed render never leaves a file that looks like a result.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from reelforge.cache import StageCache
from reelforge.config import settings
from reelforge.edit import audio, captions, music, thumbnail
from reelforge.edit.filtergraph import ClipUse, Encoding, fit_filter, segment_args
from reelforge.edit.probe import VideoInfo
from reelforge.edit.timeline import Timeline, plan_timeline
from reelforge.errors import InputError, ReelforgeError
from reelforge.ffmpeg import run_ffmpeg
from reelforge.generate import quality
from reelforge.generate.base import ClipRequest
from reelforge.generate.catalogue import get_info
from reelforge.generate.coordinator import Coordinator
from reelforge.plan.metadata import PublishMetadata, write_metadata
from reelforge.storyboard import Storyboard
from reelforge.voice import Speech, Word, get_engine

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): called as work finishes."""

OUTPUT_FILES = ("video.mp4", "thumbnail.jpg", "captions.srt", "captions.vtt", "metadata.json")
AUDIO_VERSION = 2
"""Bumped whenever the soundtrack stage makes something else from the same inputs (2: one gain + limiter)."""


class RenderResult(BaseModel):
    video: Path
    thumbnail: Path
    srt: Path
    vtt: Path
    metadata: Path
    duration: float
    stages: dict[str, dict[str, int]]
    """Per stage: how many times it ran and how many artifacts it reused."""


def render(
    board: Storyboard,
    out_dir: Path,
    *,
    cache_dir: Path | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
    publish: PublishMetadata | None = None,
) -> RenderResult:
    """Render `board` into `out_dir` (video.mp4, thumbnail.jpg, captions.srt/.vtt, metadata.json).

    `publish` is the posting text (title, description, hashtags per platform) for metadata.json; by default
    it is written from the storyboard alone (reelforge.plan.metadata)."""
    out_dir = Path(out_dir)
    staging = _staging_dir(out_dir)
    try:
        run = _Render(board, StageCache(cache_dir or settings().cache_dir), jobs, progress or _quiet)
        run.publish = publish or write_metadata(board)
        metadata = run.execute(staging)
        for name in OUTPUT_FILES:
            os.replace(staging / name, out_dir / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RenderResult(
        video=out_dir / "video.mp4",
        thumbnail=out_dir / "thumbnail.jpg",
        srt=out_dir / "captions.srt",
        vtt=out_dir / "captions.vtt",
        metadata=out_dir / "metadata.json",
        duration=metadata["duration"],
        stages=metadata["stages"],
    )


def prepare(
    board: Storyboard,
    until: Literal["voice", "clips"],
    *,
    cache_dir: Path | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> dict[str, dict[str, int]]:
    """Run the stages up to `until` (the voices, or the voices and the clips) into the stage cache, so that a
    later `render` of the same board reuses them; per stage, how many ran and how many were reused.

    A job runs its phases apart this way: it holds a GPU slot only while its clips are made."""
    run = _Render(board, StageCache(cache_dir or settings().cache_dir), jobs, progress or _quiet)
    run.coordinator = run._coordinator()
    speeches = run._timed("voice", run.voices)
    if until == "clips":
        timeline = plan_timeline(board, speeches)
        with ThreadPoolExecutor(max_workers=run.jobs) as run.pool:
            run.clips(speeches, timeline)
    return run.cache.counts()


ENCODE_BYTES_PER_PIXEL = 150
"""Peak memory of one segment encode per output pixel: 283-288 MiB measured at 1080x1920."""


def default_jobs(size: tuple[int, int] = (1080, 1920)) -> int:
    """Segments encoded at once unless told otherwise: one more than the CPU cores, as many as fit in
    half the machine's memory at `size` (a 32-core box with 16 GB rendering 4K must not run 33).

    Scenes cost x264 different times that nothing cheap predicts (two clips of the same frame count
    differ 1.5x), so the last encodes to finish end apart and, with one encode per core, the tail where
    one runs alone leaves cores idle. One encode more than there are cores shares them among the last
    encodes and evens out when they end. Measured on 2 cores, 6-scene benchmark, 6 interleaved runs
    each: 3 encodes at once 19.86 s (1.125x the floor), 2 encodes 20.45 s (1.158x); it costs one more
    encoder's memory."""
    wanted = (os.cpu_count() or 2) + 1
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):  # no sysconf (not POSIX): trust the cores
        return wanted
    return max(1, min(wanted, memory // 2 // (ENCODE_BYTES_PER_PIXEL * size[0] * size[1])))


def _quiet(stage: str, done: int, total: int) -> None:
    """The default progress callback: report nothing."""


def _staging_dir(out_dir: Path) -> Path:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=".reelforge-partial-", dir=out_dir))
    except OSError as exc:
        raise InputError(
            f"{out_dir}: cannot write the output folder ({exc.strerror}): choose another -o"
        ) from None


class _Render:
    """One render of one storyboard; each method is one stage."""

    def __init__(self, board: Storyboard, cache: StageCache, jobs: int | None, progress: Progress) -> None:
        self.board = board
        self.cache = cache
        self.size = board.output.size
        self.jobs = max(1, jobs or default_jobs(self.size))
        self.progress = progress
        self.fps = board.output.fps
        self.timings: dict[str, float] = {}
        self.publish: PublishMetadata
        self.pool: ThreadPoolExecutor
        self.coordinator: Coordinator

    def execute(self, staging: Path) -> dict[str, Any]:
        self.coordinator = self._coordinator()
        speeches = self._timed("voice", self.voices)
        timeline = plan_timeline(self.board, speeches)
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            self.pool = pool
            clips = self._timed("clips", lambda: self.clips(speeches, timeline))
            phrase_list = captions.phrases(
                ([_shift(w, timeline.start(i)) for w in s.words] for i, s in enumerate(speeches)),
                self.board.captions.max_words,
            )
            doc = None
            if self.board.captions.enabled:
                doc = captions.ass_document(phrase_list, self.board.captions, self.size)
            # Queue order is the critical path: the soundtrack (needed by the join) first, then the
            # segments, longest first, and the thumbnail (needed by no stage) last, filling the tail.
            sound = pool.submit(self._timed, "audio", lambda: self.soundtrack(speeches, timeline))
            started = time.perf_counter()
            encodes = self.segments(timeline, clips, doc)
            thumb = pool.submit(self._timed, "thumbnail", lambda: self.thumbnail(timeline, clips, staging))
            segments = self._gather("edit", encodes)
            self.timings["segments"] = round(time.perf_counter() - started, 3)
            mix = sound.result()
            video = self._timed("join", lambda: self.join(segments, mix[0]))
            thumb_info = thumb.result()
        captions.write_sidecars(phrase_list, staging / "captions.srt", staging / "captions.vtt")
        shutil.copyfile(video, staging / "video.mp4")
        metadata = self.metadata(timeline, speeches, clips, mix[1], thumb_info)
        (staging / "metadata.json").write_text(
            json.dumps(metadata, indent=2, ensure_ascii=False), encoding="utf-8"
        )
        return metadata

    def _timed(self, stage: str, work: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = work()
        self.timings[stage] = round(time.perf_counter() - started, 3)
        return result

    # -- stages -------------------------------------------------------------------------------------------

    def voices(self) -> list[Speech]:
        spec = self.board.voice
        engine = get_engine(spec.engine)
        setup = engine.fingerprint(spec.voice, spec.language)
        speeches = []
        for index, scene in enumerate(self.board.scenes):
            inputs = {
                "engine": spec.engine,
                "voice": spec.voice,
                "language": spec.language,
                "rate": spec.rate,
                "text": scene.narration,
                "engine_setup": setup,
            }

            def speak(folder: Path, text: str = scene.narration) -> dict[str, Any]:
                speech = engine.synthesize(
                    text, folder / "voice.wav", voice=spec.voice, language=spec.language, rate=spec.rate
                )
                return speech.model_dump(mode="json", exclude={"wav"})

            folder, result = self.cache.run("voice", inputs, speak)
            speeches.append(Speech(wav=folder / "voice.wav", **result))
            self.progress("voice", index + 1, len(self.board.scenes))
        return speeches

    def _coordinator(self) -> Coordinator:
        """The coordinator, once every scene's model id is known to exist (before any work is done)."""
        coordinator = Coordinator(self.cache)
        for index, scene in enumerate(self.board.scenes):
            if scene.clip is None:
                with self._scene_errors(index):
                    get_info(self.board.model_for(scene))
        return coordinator

    @contextmanager
    def _scene_errors(self, index: int) -> Iterator[None]:
        """Prefix errors with the scene and its model."""
        try:
            yield
        except ReelforgeError as exc:
            model = self.board.model_for(self.board.scenes[index])
            raise type(exc)(f"scenes[{index}] ({model}): {exc}") from None

    def clips(self, speeches: list[Speech], timeline: Timeline) -> list[tuple[VideoInfo, dict[str, Any]]]:
        """Each scene's clip with its quality report (`quality`) and, for a generated one, how it was made
        (`generation`): generated through the model's chain, or the user's own, always measured. Every
        scene's request is checked against its model's limits before the first clip is generated."""
        lead = round(self.board.transition_duration * self.fps)
        requests: list[ClipRequest | None] = []
        for index, scene in enumerate(self.board.scenes):
            with self._scene_errors(index):
                if scene.clip is not None and scene.image is not None:
                    raise InputError("give `clip:` (your footage) or `image:` (a start image), not both")
                requests.append(None if scene.clip else self._request(index, speeches[index], timeline, lead))

        def one(index: int) -> tuple[VideoInfo, dict[str, Any]]:
            scene, request = self.board.scenes[index], requests[index]
            with self._scene_errors(index):
                if request is None:
                    path, report = self._footage(scene.clip)
                    return _measured(path, report), {"quality": report, "generation": None}
                result = self.coordinator.generate(self.board.model_for(scene), request)
                generation = result.model_dump(mode="json", exclude={"path", "thumbnail", "quality"})
                info = _measured(result.path, result.quality)
                return info, {"quality": result.quality, "generation": generation}

        return self._each("clips", [lambda i=i: one(i) for i in range(len(self.board.scenes))])

    def _request(self, index: int, speech: Speech, timeline: Timeline, lead: int) -> ClipRequest:
        """Scene `index`'s clip request, checked against its model (duration, image-to-video)."""
        scene = self.board.scenes[index]
        if scene.image is not None and not scene.image.is_file():
            raise InputError(f"image: {scene.image}: no such image file")
        width, height = self.size
        request = ClipRequest(
            prompt=scene.visual or scene.narration,
            on_screen_text=scene.on_screen_text,
            width=width,
            height=height,
            fps=self.fps,
            num_frames=timeline.slots[index].frames + lead,
            quality=self.board.output.quality,
            speech=speech,
            image=scene.image,
        )
        self.coordinator.check(self.board.model_for(scene), request)
        return request

    def _each(self, stage: str, tasks: list[Callable[[], Any]]) -> list[Any]:
        """Run tasks on the pool; results in order; progress as each one finishes."""
        return self._gather(stage, [self.pool.submit(task) for task in tasks])

    def _gather(self, stage: str, futures: list[Future[Any]]) -> list[Any]:
        """The futures' results in order; progress as each one finishes."""
        for done, future in enumerate(as_completed(futures), start=1):
            future.result()
            self.progress(stage, done, len(futures))
        return [f.result() for f in futures]

    def _footage(self, clip: Path) -> tuple[Path, dict[str, Any]]:
        if not clip.is_file():
            raise InputError(f"{clip}: no such clip file")

        def check(folder: Path) -> dict[str, Any]:
            return quality.accept(clip).model_dump(mode="json", exclude={"path"})

        _, report = self.cache.run("footage-check", {"clip": clip}, check)
        return clip, report

    def segments(
        self, timeline: Timeline, clips: list[tuple[VideoInfo, dict]], doc: Any
    ) -> list[Future[tuple[Path, int]]]:
        """Queue every scene's segment encode, `jobs` at a time; futures of (file, frames) in timeline order.

        Encodes are queued longest first (by frames), so the last ones to start are short. Each encode
        gets its share of the cores, rounded up, among the encodes that run at once (`default_jobs`); a
        lone one (a one-scene edit) gets them all. Measured on 2 cores: giving the last encode to start
        every core instead made no difference (20.92 s against 20.90 s, 4 interleaved runs each)."""
        specs = [self._segment_spec(i, timeline, clips, doc) for i in range(len(clips))]
        pending = [not self.cache.exists("segment", inputs) for inputs, _ in specs]
        threads = -(-(os.cpu_count() or 2) // max(1, min(self.jobs, sum(pending))))

        def encode(index: int) -> tuple[Path, int]:
            return self._encode_segment(index, *specs[index], threads), timeline.slots[index].frames

        # cached segments first (instant), then the encodes by length, longest first
        order = sorted(range(len(specs)), key=lambda i: (pending[i], -timeline.slots[i].frames))
        futures = {index: self.pool.submit(encode, index) for index in order}
        return [futures[index] for index in range(len(specs))]

    def _segment_spec(
        self, index: int, timeline: Timeline, clips: list[tuple[VideoInfo, dict]], doc: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """(cache inputs, segment_args keywords) of one scene's segment: exactly the scene's frames, captions
        burned in, ending in the transition to the next scene. It depends on this scene and the next
        clip's first frames only."""
        slot = timeline.slots[index]
        after = timeline.slots[index + 1] if index + 1 < len(timeline.slots) else None
        clip = ClipUse(clips[index][0], slot.transition_frames / self.fps, slot.frames)
        following = None  # the next clip's first frames, for the transition into it; None for a cut
        if after and after.transition_frames:
            following = ClipUse(clips[index + 1][0], 0.0, after.transition_frames)
        transition = after.transition if following else "cut"
        fits = (self.board.scenes[index].fit, self.board.scenes[index + 1].fit if after else "crop")
        ass = (
            captions.segment_ass(doc, timeline.start(index), timeline.end(index)) if doc is not None else None
        )
        inputs = {
            "clip": _use_key(clip), "fit": fits, "transition": transition, "size": self.size, "captions": ass,
            "following": _use_key(following) if following else None,
            "encoding": [self.board.output.quality, self.fps],
        }  # fmt: skip
        args = {"clip": clip, "following": following, "transition": transition, "fit": fits, "captions": ass}
        return inputs, args

    def _encode_segment(self, index: int, inputs: dict[str, Any], spec: dict[str, Any], threads: int) -> Path:
        def encode(folder: Path) -> dict[str, Any]:
            ass = spec["captions"]
            if ass is not None:
                (folder / "captions.ass").write_text(ass, encoding="utf-8")
            args = segment_args(
                **{**spec, "captions": "captions.ass" if ass else None}, size=self.size,
                encoding=Encoding(self.board.output.quality, self.fps, threads=threads),
                out=(folder / "segment.mp4").resolve(),
            )  # fmt: skip
            run_ffmpeg(args, what=f"scenes[{index}] segment", cwd=folder)
            return {"frames": spec["clip"].frames}

        folder, _ = self.cache.run("segment", inputs, encode)
        return folder / "segment.mp4"

    def soundtrack(self, speeches: list[Speech], timeline: Timeline) -> tuple[Path, dict[str, Any]]:
        per_frame = audio.RATE // self.fps
        parts = [
            audio.VoicePart(s.wav, slot.frames * per_frame)
            for s, slot in zip(speeches, timeline.slots, strict=True)
        ]
        track = self._music_track()
        volume = self.board.music.volume

        def produce(folder: Path) -> dict[str, Any]:
            return audio.mix(parts, track, volume, folder)

        inputs = {"voices": [(p.wav, p.samples) for p in parts], "music": track, "volume": volume}
        folder, stats = self.cache.run("audio", inputs, produce, version=AUDIO_VERSION)
        return folder / "audio.m4a", stats

    def _music_track(self) -> Path | None:
        choice = self.board.music.track
        if choice == "none":
            return None
        if choice != "builtin":
            path = Path(choice).expanduser()
            if not path.is_file():
                raise InputError(f"music.track: {path}: no such audio file (or use `builtin` / `none`)")
            return path
        folder, _ = self.cache.run(
            "music", {"synth": "builtin"}, lambda f: {"file": music.synthesize(f / "music.wav").name}
        )
        return folder / "music.wav"

    def join(self, segments: list[tuple[Path, int]], soundtrack: Path) -> Path:
        """Concatenate the segments by stream copy and mux the soundtrack: no frame is encoded again."""
        durations = [frames / self.fps for _, frames in segments]
        listing = "".join(
            f"file '{path}'\nduration {d:.9f}\n" for (path, _), d in zip(segments, durations, strict=True)
        )

        def produce(folder: Path) -> dict[str, Any]:
            (folder / "segments.txt").write_text(listing)
            run_ffmpeg(
                ["-f", "concat", "-safe", "0", "-i", "segments.txt", "-i", str(soundtrack), "-map", "0:v",
                 "-map", "1:a", "-c", "copy", "-movflags", "+faststart", "video.mp4"],
                what="joining segments", cwd=folder,
            )  # fmt: skip
            return {"segments": len(segments)}

        inputs = {"segments": [path for path, _ in segments], "audio": soundtrack, "durations": durations}
        folder, _ = self.cache.run("join", inputs, produce)
        self.progress("join", 1, 1)
        return folder / "video.mp4"

    def thumbnail(
        self, timeline: Timeline, clips: list[tuple[VideoInfo, dict]], staging: Path
    ) -> dict[str, Any]:
        """The best frame among the clips (before captions are burned), a little into each scene."""
        lead = self.board.transition_duration + 0.5
        candidates = [
            (info.path, min(lead, slot.frames * 0.6 / self.fps) % info.duration)
            for (info, _), slot in zip(clips, timeline.slots, strict=True)
        ]
        title, colour = self.board.title, self.board.captions.highlight

        def produce(folder: Path) -> dict[str, Any]:
            index, score = thumbnail.best_frame(candidates)
            path, at = candidates[index]
            fit = fit_filter(clips[index][0], self.size, self.board.scenes[index].fit)
            thumbnail.write_thumbnail(path, at, fit, title, self.size, folder / "thumbnail.jpg", colour)
            return {"scene": index, "clip_time": round(at, 3), "sharpness": round(score, 1)}

        fits = [scene.fit for scene in self.board.scenes]
        inputs = {"candidates": candidates, "fits": fits, "title": title, "colour": colour, "size": self.size}
        folder, chosen = self.cache.run("thumbnail", inputs, produce)
        shutil.copyfile(folder / "thumbnail.jpg", staging / "thumbnail.jpg")
        self.progress("thumbnail", 1, 1)
        return {"file": "thumbnail.jpg", **chosen}

    def metadata(
        self,
        timeline: Timeline,
        speeches: list[Speech],
        clips: list[tuple[VideoInfo, dict]],
        loud: dict,
        thumb: dict,
    ) -> dict[str, Any]:
        out = self.board.output
        return {
            "title": self.board.title,
            "publish": self.publish.model_dump(),
            "video": "video.mp4",
            "duration": round(timeline.duration, 6),
            "frames": timeline.total_frames,
            "resolution": f"{self.size[0]}x{self.size[1]}",
            "aspect": out.aspect,
            "fps": out.fps,
            "quality": out.quality,
            "video_codec": "h264",
            "audio_codec": "aac",
            "loudness": {
                "integrated_lufs": loud["output_lufs"],
                "before_lufs": loud["input_lufs"],
                "gain_db": loud["gain_db"],
            },
            "voice": self.board.voice.model_dump(),
            "scenes": [
                {
                    "index": i,
                    "model": self.board.model_for(scene),
                    "start": round(timeline.start(i), 6),
                    "end": round(timeline.end(i), 6),
                    "narration": scene.narration,
                    "sources": scene.sources,
                    "speech_seconds": round(speeches[i].duration, 3),
                    "words": len(speeches[i].words),
                    "transition": timeline.slots[i].transition,
                    "clip": {
                        "width": info.width,
                        "height": info.height,
                        "fps": round(info.fps, 3),
                        "seconds": round(info.duration, 3),
                        "motion_mean": round(report["quality"]["motion_mean"], 3),
                        "longest_frozen_s": round(report["quality"]["longest_frozen_s"], 3),
                    },
                    "generation": report["generation"],
                }
                for i, (scene, (info, report)) in enumerate(zip(self.board.scenes, clips, strict=True))
            ],
            "captions": {"srt": "captions.srt", "vtt": "captions.vtt", "burned": self.board.captions.enabled},
            "thumbnail": thumb,
            "timings": self.timings,
            "stages": self.cache.counts(),
        }


def _measured(path: Path, report: dict[str, Any]) -> VideoInfo:
    """The clip's VideoInfo from the gate's report, which probed it already (one ffprobe per clip)."""
    return VideoInfo.model_validate({**report, "path": path})


def _shift(word: Word, offset: float) -> Word:
    return Word(text=word.text, start=word.start + offset, end=word.end + offset)


def _use_key(use: ClipUse) -> dict[str, Any]:
    return {"clip": use.info.path, "offset": round(use.offset, 6), "frames": use.frames}
