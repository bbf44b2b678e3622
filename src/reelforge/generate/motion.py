"""The offline `motion` model: motion graphics drawn by ffmpeg, with no AI model and no network.

A real generator that a storyboard names explicitly (`model: motion`), never a silent fallback. The
picture is a turning colour gradient, soft drifting lights and a kinetic headline that slides in and
keeps floating, so every frame differs from the one before. Everything derives from the scene: the
seed is `request.seed` plus a hash of the prompt, and the palette comes from `palette_hint`, from
colour words in the prompt, or from that hash.

All text goes through libass (ffmpeg's `ass` filter), not `drawtext`: libass shapes every script with
HarfBuzz and FriBiDi (drawtext does not join Arabic letters), wraps lines to the width, and animates
with ASS tags (`\\move`, `\\fad`, `\\t`).
"""

from __future__ import annotations

import hashlib
import math
import os
import random
import re
import shutil
import tempfile
import unicodedata
from pathlib import Path

import pysubs2

from reelforge.edit.captions import ass_inline
from reelforge.edit.scripts import caption_font
from reelforge.errors import InputError
from reelforge.ffmpeg import run_ffmpeg
from reelforge.generate.base import ClipRequest
from reelforge.generate.catalogue import ModelInfo
from reelforge.voice.base import Speech

PRESET = "ultrafast"
"""libx264 preset. The editor re-encodes every clip, so this file is an intermediate: `ultrafast` at
`CRF` 18 keeps the picture clean and costs a third of `veryfast`, which alone runs slower than
realtime at 1080x1920 on two cores."""

CRF = 18
"""libx264 constant quality: visually lossless for smooth gradients, so the re-encode adds no banding."""

BACKGROUND_DIVISOR = 8
"""The gradient and the lights are drawn at 1/8 of the output size, then scaled up: smooth gradients
and blurred circles upscale without visible loss, and it makes them 64 times cheaper."""

MIN_BACKGROUND_SIDE = 120
"""Short side of the drawn background, at the least (see `_background_size`)."""

TURN_PER_SECOND = 0.5
"""Rotation of the background gradient, radians per second: clearly moving, never hectic. It alone
scores 0.5-0.8 per frame pair at 30 fps in the quality gate (0.25+ at 60 fps), far above its 0.1
static threshold."""

LIGHTS = 7
"""Soft circles drifting over the gradient."""

TOP_MARGIN, BOTTOM_MARGIN, SIDE_MARGIN = 0.15, 0.25, 0.08
"""Safe area for the headline, as fractions of the frame. The bottom quarter belongs to the captions
that the editor burns in, and to the platforms' own buttons."""

INTRO_MS = 600
"""The headline slides up, fades and grows in over this long, then floats for the rest of the clip."""

MAX_HEADLINE_WORDS = 5
"""A headline derived from the prompt keeps at most this many meaningful words."""

HIGHLIGHT = "#FFD54A"
"""Colour of a headline word while the narration speaks it."""

PALETTES: dict[str, tuple[str, ...]] = {
    "sunset": ("#2b1055", "#d53369", "#ff7e5f", "#feb47b"),
    "ocean": ("#0f2027", "#2c5364", "#00a6d6", "#6dd5ed"),
    "forest": ("#0b3d20", "#134e5e", "#3c8d5a", "#a8e063"),
    "night": ("#0f0c29", "#302b63", "#5b3d8f", "#1c92d2"),
    "fire": ("#3d0c02", "#c31432", "#f12711", "#f5af19"),
    "neon": ("#1a0533", "#7f00ff", "#e100ff", "#00dbde"),
    "tech": ("#0b132b", "#1c2541", "#3a506b", "#00b4d8"),
    "pastel": ("#a18cd1", "#fbc2eb", "#a6c1ee", "#f6d5f7"),
    "earth": ("#3e2723", "#795548", "#a1887f", "#d7b98e"),
}
"""Named palettes (dark to light), chosen by `palette_hint`, by a theme word, or by the prompt's hash."""

_THEME_WORDS: dict[str, str] = {
    word: name
    for name, words in {
        "sunset": "sunset sunrise dusk dawn summer beach desert warm golden orange",
        "ocean": "ocean sea water wave river lake rain ice snow winter cool blue",
        "forest": "forest tree nature garden plant green spring jungle mountain leaf",
        "night": "night space star galaxy moon dark universe cosmic planet",
        "fire": "fire lava volcano energy sport power red passion",
        "neon": "neon city cyber party music club future game",
        "tech": "tech technology code data robot computer software science digital",
        "pastel": "baby love soft flower pastel wedding pink dream",
        "earth": "coffee food history ancient wood autumn bread brown",
    }.items()
    for word in words.split()
}

_STOPWORD_TEXT = """
    a an the and or but of in on at to for from by with without into onto over under about as is are
    was were be been being it its this that these those there here his her their our your my we you they
    he she i me us them very really just some any all each every no not so than then too can will
    shot shots footage video clip scene cinematic film style shows showing view closeup close up
    drone aerial camera angle wide slow motion 4k 8k hd realistic photorealistic detailed high quality
    beautiful stunning"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())

"""Font family per Unicode script; other scripts use "Noto Sans <Script>" (Arabic, Hebrew, Devanagari,
Thai...). fontconfig substitutes a missing family and libass falls back per glyph."""


MODELS = [
    ModelInfo(
        id="motion",
        name="Motion graphics",
        category="offline",
        provider="local ffmpeg",
        target="reelforge.generate.motion:MotionGenerator",
        max_seconds=120.0,
        width=1080,
        height=1920,
        fps=30,
        cost_per_second=0.0,
        needs="ffmpeg with libass and libx264 (apt-get install ffmpeg)",
    )
]
"""Any size and rate; `max_seconds` is the longest scene a storyboard allows."""


class MotionGenerator:
    """Motion graphics rendered by ffmpeg + libass: gradient, drifting lights, kinetic headline."""

    id = "motion"

    def __init__(self, info: ModelInfo = MODELS[0]) -> None:
        self.info = info

    def available(self) -> tuple[bool, str]:
        if shutil.which("ffmpeg") is None:
            return False, "needs ffmpeg (with libass and libx264) on PATH"
        return True, "offline motion graphics rendered by ffmpeg"

    def generate(self, request: ClipRequest, out: Path) -> Path:
        """Write an H.264 MP4 of exactly `request.num_frames` frames at the requested size and fps."""
        if request.width % 2 or request.height % 2 or min(request.width, request.height) < 16:
            raise InputError(f"motion: size {request.width}x{request.height} must be even and at least 16")
        if request.num_frames < 1 or request.fps < 1:
            raise InputError(f"motion: needs at least 1 frame at >= 1 fps, got {request.num_frames} frames")
        out = Path(out).resolve()
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(f".{out.name}.partial.mp4")
        rng = random.Random(scene_seed(request))
        palette = choose_palette(request, rng)
        with tempfile.TemporaryDirectory(prefix="reelforge-motion-") as tmp:
            _lights_doc(request, rng, palette).save(str(Path(tmp) / "lights.ass"))
            _headline_doc(request, palette).save(str(Path(tmp) / "text.ass"))
            try:
                run_ffmpeg(
                    _ffmpeg_args(request, rng, palette, partial), what=f"motion {out.name}", cwd=Path(tmp)
                )
                os.replace(partial, out)
            finally:
                partial.unlink(missing_ok=True)
        return out


def scene_seed(request: ClipRequest) -> int:
    """`request.seed` plus a stable hash of the prompt, in ffmpeg's 32-bit seed range."""
    digest = hashlib.sha256(request.prompt.encode()).digest()
    return (request.seed + int.from_bytes(digest[:4], "big")) % 2**32


def choose_palette(request: ClipRequest, rng: random.Random) -> list[str]:
    """Colours (#rrggbb): the `#rrggbb` colours or a palette/theme name in `palette_hint`, else a theme
    word in the prompt ("ocean", "sunset"...), else a palette picked by the scene's random generator."""
    hexes = [f"#{c}" for c in re.findall(r"#([0-9a-fA-F]{6})\b", request.palette_hint)][:8]
    if len(hexes) == 1:
        hexes = [_mix(hexes[0], "#000000", 0.6), hexes[0], _mix(hexes[0], "#ffffff", 0.5)]
    if hexes:
        return hexes
    for text in (request.palette_hint, request.prompt):
        for word in _words(text):
            key = word.casefold()
            name = key if key in PALETTES else _THEME_WORDS.get(key) or _THEME_WORDS.get(key.rstrip("s"))
            if name:
                return list(PALETTES[name])
    return list(PALETTES[rng.choice(sorted(PALETTES))])


def headline(prompt: str) -> str:
    """The prompt's first few meaningful words, title-cased: "a drone shot of a lighthouse on a rocky
    coast at dusk" -> "Lighthouse Rocky Coast Dusk"."""
    words = _words(prompt)
    keep = [w for w in words if w.casefold() not in _STOPWORDS and (len(w) > 2 or w.isdigit())]
    return " ".join(w[:1].upper() + w[1:] for w in (keep or words)[:MAX_HEADLINE_WORDS])


def _words(text: str) -> list[str]:
    """Whitespace-separated words with punctuation and symbols stripped from both ends (combining
    marks stay, so Arabic and Devanagari words survive intact)."""
    edge = "".join(ch for ch in set(text) if unicodedata.category(ch)[0] in "PS")
    return [w for w in (raw.strip(edge) for raw in text.split()) if w]


def _background_size(request: ClipRequest) -> tuple[int, int]:
    """1/BACKGROUND_DIVISOR of the frame, but at least MIN_BACKGROUND_SIDE on the short side: a smaller
    gradient moves by less than a level per frame and small frames would show held frames."""
    scale = max(1 / BACKGROUND_DIVISOR, MIN_BACKGROUND_SIDE / min(request.width, request.height))
    scale = min(scale, 1.0)
    return 2 * round(request.width * scale / 2), 2 * round(request.height * scale / 2)


def _ffmpeg_args(request: ClipRequest, rng: random.Random, palette: list[str], out: Path) -> list[str]:
    bw, bh = _background_size(request)
    colours = ":".join(f"c{i}=0x{c.lstrip('#')}" for i, c in enumerate(palette))
    x0, y0 = rng.uniform(0, 0.3) * bw, rng.uniform(0, 0.3) * bh
    x1, y1 = bw - rng.uniform(0, 0.3) * bw, bh - rng.uniform(0, 0.3) * bh
    gradient = (
        f"gradients=s={bw}x{bh}:r={request.fps}:{colours}:nb_colors={len(palette)}"
        f":x0={x0:.0f}:y0={y0:.0f}:x1={x1:.0f}:y1={y1:.0f}:type={rng.choice(['linear', 'radial'])}"
        f":speed={TURN_PER_SECOND / request.fps:.6f}:seed={rng.randrange(2**32)}"
    )
    chain = (
        "ass=lights.ass,scale=out_color_matrix=bt709:out_range=tv,format=yuv420p,"
        f"scale={request.width}:{request.height}:flags=bilinear,ass=text.ass"
    )
    return [
        "-f", "lavfi", "-i", gradient, "-vf", chain, "-frames:v", str(request.num_frames), "-an",
        "-c:v", "libx264", "-preset", PRESET, "-crf", str(CRF), "-g", str(request.fps),
        "-pix_fmt", "yuv420p", "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
        "-movflags", "+faststart", "-f", "mp4", str(out),
    ]  # fmt: skip


def _new_doc(width: int, height: int) -> pysubs2.SSAFile:
    doc = pysubs2.SSAFile()
    doc.info.update(
        {"PlayResX": str(width), "PlayResY": str(height), "WrapStyle": "0", "ScaledBorderAndShadow": "yes"}
    )
    return doc


def _lights_doc(request: ClipRequest, rng: random.Random, palette: list[str]) -> pysubs2.SSAFile:
    """Soft translucent circles at background size, each drifting in a straight line at its own pace
    (slower in long clips, so that they stay around)."""
    width, height = _background_size(request)
    duration = request.num_frames / request.fps
    doc = _new_doc(width, height)
    unit = min(width, height)
    for _ in range(LIGHTS):
        radius = rng.uniform(0.08, 0.2) * unit
        x, y = rng.uniform(0, width), rng.uniform(0, height)
        heading = rng.uniform(0, 2 * math.pi)
        travel = min(rng.uniform(0.05, 0.12) * duration, 0.6) * unit
        x2, y2 = x + math.cos(heading) * travel, y + math.sin(heading) * travel
        colour = ass_inline(_mix(rng.choice(palette), "#ffffff", 0.6))
        tags = (
            f"\\an5\\move({x:.1f},{y:.1f},{x2:.1f},{y2:.1f})\\bord0\\shad0\\blur{radius / 2:.1f}"
            f"\\1c{colour}\\alpha&H{rng.randint(0x90, 0xC0):02X}&\\p1"
        )
        doc.events.append(
            pysubs2.SSAEvent(start=0, end=_end_ms(duration), text=f"{{{tags}}}{_circle(radius)}")
        )
    return doc


def _headline_doc(request: ClipRequest, palette: list[str]) -> pysubs2.SSAFile:
    """The kinetic headline: slides up, fades and grows in, then floats upward for the rest of the clip;
    words the narration speaks light up at their spoken times."""
    width, height = request.width, request.height
    doc = _new_doc(width, height)
    text = request.on_screen_text.strip() or headline(request.prompt)
    if not text:
        return doc
    font, scale = caption_font(text, "Noto Sans")
    size = round(_font_size(text, width, height) * scale)
    doc.styles["Default"] = pysubs2.SSAStyle(
        fontname=font,
        fontsize=size,
        bold=True,
        primarycolor=pysubs2.Color(255, 255, 255),
        outlinecolor=pysubs2.Color(*_rgb(_mix(palette[0], "#000000", 0.6)), 48),
        outline=size * 0.06,
        shadow=0,
        alignment=pysubs2.Alignment.MIDDLE_CENTER,
        marginl=round(width * SIDE_MARGIN),
        marginr=round(width * SIDE_MARGIN),
        marginv=0,
    )
    duration = request.num_frames / request.fps
    end = _end_ms(duration)
    intro = min(INTRO_MS, int(round(duration * 1000 / 3, -1)))
    x = width / 2
    y = height * (TOP_MARGIN + (1 - TOP_MARGIN - BOTTOM_MARGIN) * 0.42)
    rise, drift = 0.04 * height, 0.025 * height
    lines = [line.split() for line in text.splitlines() if line.strip()]
    spans = _spoken_spans([w for line in lines for w in line], request.speech)

    def body(start: int) -> str:
        marks = iter(spans)
        return "\\N".join(" ".join(_word(w, next(marks), start) for w in line) for line in lines)

    entry = f"{{\\move({x:.1f},{y + rise:.1f},{x:.1f},{y:.1f},0,{intro})\\fad({intro},0)\\fscx85\\fscy85"
    entry += f"\\t(0,{intro},\\fscx100\\fscy100)}}"
    float_up = f"{{\\move({x:.1f},{y:.1f},{x:.1f},{y - drift:.1f})}}"
    if intro > 0:
        doc.events.append(pysubs2.SSAEvent(start=0, end=intro, text=entry + body(0)))
    doc.events.append(pysubs2.SSAEvent(start=intro, end=end, text=float_up + body(intro)))
    return doc


def _font_size(text: str, width: int, height: int) -> int:
    """Largest size (down to a floor) at which the text wraps to at most 4 lines inside the safe area,
    estimating a bold glyph at 0.6 em; libass does the actual wrapping."""
    usable = width * (1 - 2 * SIDE_MARGIN)
    max_block = height * (1 - TOP_MARGIN - BOTTOM_MARGIN) * 0.7
    size, floor = 0.12 * min(width, height), 0.04 * min(width, height)
    while size > floor:
        lines = sum(math.ceil(max(1, len(line)) * 0.6 * size / usable) for line in text.splitlines() or [""])
        if lines <= 4 and lines * size * 1.3 <= max_block:
            break
        size *= 0.9
    return max(round(size), round(floor))


def _spoken_spans(words: list[str], speech: Speech | None) -> list[tuple[int, int] | None]:
    """For each headline word, the (start, end) ms at which the narration says it, matched in order."""
    spans: list[tuple[int, int] | None] = []
    spoken = [(_key(w.text), w) for w in speech.words] if speech else []
    at = 0
    for word in words:
        hit = next((i for i in range(at, len(spoken)) if _key(word) and spoken[i][0] == _key(word)), None)
        if hit is None:
            spans.append(None)
            continue
        spans.append((round(spoken[hit][1].start * 1000), round(spoken[hit][1].end * 1000)))
        at = hit + 1
    return spans


def _word(word: str, span: tuple[int, int] | None, event_start: int) -> str:
    """One headline word in ASS, lit in `HIGHLIGHT` while spoken (times relative to its event)."""
    text = word.replace("\\", "\u29f5").replace("{", "(").replace("}", ")")
    if span is None or span[1] <= event_start:
        return text
    lit, unlit = max(span[0] - event_start, 0), span[1] - event_start
    white, high = ass_inline("#ffffff"), ass_inline(HIGHLIGHT)
    return f"{{\\t({lit},{lit + 60},\\1c{high})\\t({unlit},{unlit + 200},\\1c{white})}}{text}{{\\1c{white}}}"


def _key(word: str) -> str:
    return "".join(ch for ch in word.casefold() if unicodedata.category(ch)[0] in "LMN")


def _end_ms(duration: float) -> int:
    """An event end safely past the last frame (ASS times are centiseconds)."""
    return math.ceil(duration * 100) * 10 + 100


def _circle(radius: float) -> str:
    """An ASS vector drawing of a circle centred on the origin (four Bezier arcs)."""
    r, k = round(radius), round(radius * 0.5523)
    arcs = [(k, -r, r, -k, r, 0), (r, k, k, r, 0, r), (-k, r, -r, k, -r, 0), (-r, -k, -k, -r, 0, -r)]
    return f"m 0 {-r} " + " ".join("b " + " ".join(map(str, arc)) for arc in arcs)


def _mix(colour: str, other: str, amount: float) -> str:
    """`colour` moved `amount` (0-1) of the way towards `other`; both #rrggbb."""
    mixed = (round(a * (1 - amount) + b * amount) for a, b in zip(_rgb(colour), _rgb(other), strict=True))
    return "#" + "".join(f"{c:02x}" for c in mixed)


def _rgb(colour: str) -> tuple[int, int, int]:
    value = int(colour.lstrip("#"), 16)
    return value >> 16, (value >> 8) & 255, value & 255
