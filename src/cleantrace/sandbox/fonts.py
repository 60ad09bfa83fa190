"""The sandbox's system font: a fontconfig file that puts one family first for sans-serif and system-ui."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

SYSTEM_CONFIG = "/etc/fonts/fonts.conf"


def fontconfig_text(family: str) -> str:
    """A fonts.conf that keeps the system's configuration and prefers `family` for the generic sans names."""
    aliases = "".join(
        f'  <alias binding="strong"><family>{generic}</family>'
        f'<prefer><family>{escape(family)}</family></prefer></alias>\n'
        for generic in ("sans-serif", "sans", "system-ui")
    )
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig>\n'
        f'  <include ignore_missing="yes">{SYSTEM_CONFIG}</include>\n{aliases}</fontconfig>\n'
    )


def font_environment(family: str, scratch: Path) -> dict[str, str]:
    """Environment for a process that should see `family` as the system font.

    Also for the default (DejaVu Sans): with fonts-noto-core installed, fontconfig's own first
    sans-serif is Noto Sans, which would change the default look.
    """
    path = scratch / "fonts.conf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(fontconfig_text(family))
    return {"FONTCONFIG_FILE": str(path)}
