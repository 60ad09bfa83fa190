"""What a volunteer agrees to before anything is recorded; the version goes into every trace."""

from __future__ import annotations

CONSENT_VERSION = "volunteer-consent-v2"  # v2: worker id, review, pay, withdrawal, retention

RECORDED = (
    "Only what happens inside the sandbox shown on the task page: its screen (screenshots), the mouse "
    "movements, clicks and key presses that reach it while you are recording, and the app's final state.",
    "When you started, paused and finished, and the result of the task's check.",
    "A random volunteer id made for this browser (never your name or e-mail) and the time you gave consent.",
    "If a crowd platform or an invitation sent you: your worker id there, kept in the station's records "
    "(not in the recording) to assign your tasks and pay you.",
)
NOT_RECORDED = (
    "Anything on your own computer: your screen, other windows or tabs, your files, your camera or microphone.",
    "Anything while recording is paused, before you press Start, or after you press Done.",
    "Your name, e-mail, IP address or any account of yours (your address is used, never stored, to limit "
    "how many tasks one place opens at once).",
)
USE = (
    "Submitted traces train and evaluate computer-use agents. They hold fake data only; a privacy scan "
    "blocks any trace that looks like it holds real personal data.",
    "You review every trace before it is submitted and may discard it. If your page goes away mid-task, "
    "the partial trace is kept marked incomplete.",
    "Our data team reviews what you submit; you are paid for accepted recordings as the campaign says.",
    "You may withdraw your consent at any time (on the receipt page): everything you recorded is then deleted. "
    "Recordings that could not be submitted, were left unfinished or were rejected are deleted after a "
    "retention period (24 hours unless the station says otherwise).",
)
