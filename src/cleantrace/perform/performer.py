"""The performer inside a sandbox: who acts out an episode on its screen while the recorder records.

Three kinds, one interface (`Performer`): the task's script through the Actor (`TaskScript`),
a volunteer through x11vnc (`cleantrace.perform.volunteer.VolunteerSession`) and the recorded
input of an earlier episode (`cleantrace.perform.replay.ReplaySource`). The episode program picks
one from the spec's typed performer (`cleantrace.spec`) and never asks which kind it holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from cleantrace.trace.schema import Meta
from cleantrace.trace.schema import Performer as PerformerInfo

if TYPE_CHECKING:
    from cleantrace.perform.persona import Persona


class Performer(Protocol):
    def describe(self, meta: Meta) -> Meta:
        """`meta` with who performs (and, for a person, their consent)."""

    def perform(self, page: Any, inputs: Any, recorder: Any) -> None:
        """Act out the episode on `page`'s display through `inputs` (XTest) while `recorder` records."""


@dataclass
class TaskScript:
    """The task's `solve()` with the setup's params, acted out by the persona's motion model."""

    task: Any
    params: dict
    seed: int
    persona: Persona
    screen: tuple[int, int]
    motion: str = "model"  # where pointer paths come from (RecordingSettings.motion)
    motion_library: str | None = None  # the movement library's file inside the sandbox (motion library:RUN)
    device_scale: float = 1.0  # the appearance's device scale factor

    def describe(self, meta: Meta) -> Meta:
        who = PerformerInfo(kind="script", id=f"script:{self.task.id}", persona=self.persona.name)
        return meta.model_copy(update={"performer": who})

    def perform(self, page: Any, inputs: Any, recorder: Any) -> None:
        from cleantrace.perform.actor import Actor
        from cleantrace.perform.library import motion_source
        from cleantrace.perform.native import NativeActor

        motion = motion_source(self.motion, self.motion_library)
        actor = Actor(page, inputs, recorder, self.seed, self.persona, self.screen, motion=motion,
                      device_scale=self.device_scale, native=NativeActor)
        self.task.solve(actor, self.params)
