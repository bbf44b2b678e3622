"""The timeline: where each scene starts and how many frames it lasts, in whole frames.

Scene i owns frames [start, start + frames) and its narration starts on frame `start`. The transition
into scene i plays over the last `transition_frames` of scene i-1, blending into the first frames of
scene i's clip, so scene i's picture has fully arrived when its voice begins, and scene i then shows its
clip from frame `transition_frames` on. The video lasts exactly the sum of the scenes, and each scene's
segment depends only on its own clip and the first frames of the next one.
"""

from __future__ import annotations

from pydantic import BaseModel

from reelforge.errors import StoryboardError
from reelforge.storyboard import Storyboard
from reelforge.voice.base import Speech


class Slot(BaseModel):
    index: int
    start_frame: int
    frames: int
    transition: str
    transition_frames: int
    """Frames at the end of the previous scene spent blending into this scene's clip (0 for a cut)."""

    @property
    def clip_frames(self) -> int:
        """Frames this scene's clip must provide: those shown in the transition in, then its own."""
        return self.transition_frames + self.frames


class Timeline(BaseModel):
    fps: int
    slots: list[Slot]

    @property
    def total_frames(self) -> int:
        return sum(s.frames for s in self.slots)

    @property
    def duration(self) -> float:
        return self.total_frames / self.fps

    def start(self, index: int) -> float:
        return self.slots[index].start_frame / self.fps

    def end(self, index: int) -> float:
        slot = self.slots[index]
        return (slot.start_frame + slot.frames) / self.fps


def plan_timeline(board: Storyboard, speeches: list[Speech]) -> Timeline:
    """Lay the scenes end to end, each as long as its narration plus the voice's pause (or its `duration`)."""
    fps = board.output.fps
    frames: list[int] = []
    for index, (scene, speech) in enumerate(zip(board.scenes, speeches, strict=True)):
        if scene.duration == "fit":
            seconds = speech.duration + board.voice.pause
        else:
            seconds = float(scene.duration)
            if seconds + 1e-6 < speech.duration:
                raise StoryboardError(
                    f"scenes[{index}]: the narration lasts {speech.duration:.2f} s "
                    f"but `duration` is {seconds:g} s: "
                    "set `duration: fit`, a longer duration, or shorten the narration"
                )
        frames.append(max(1, round(seconds * fps)))
    wanted = round(board.transition_duration * fps)
    into: list[int] = [0]
    for index in range(1, len(frames)):
        cut = board.scenes[index].transition == "cut"
        into.append(0 if cut else min(wanted, frames[index] // 2, frames[index - 1] // 2))
    slots, start = [], 0
    for index, count in enumerate(frames):
        transition = board.scenes[index].transition if into[index] else "cut"
        slots.append(Slot(index=index, start_frame=start, frames=count, transition=transition,
                          transition_frames=into[index]))  # fmt: skip
        start += count
    return Timeline(fps=fps, slots=slots)
