"""desktop: the pack of desktop tasks (LibreOffice Calc and Writer, the file manager, the text editor, and
the web apps together). It serves no web app of its own: its world is the home folder's documents
(`home_files`) and the databases of the web apps a task names in `web_apps`."""

from __future__ import annotations

from cleantrace.world import World


def populate(world: World) -> None:
    """Nothing to seed in the pack's own database: documents come from each task's `home_files`."""
    world.db.executescript("create table if not exists notes (id integer primary key, text text not null)")
