"""A desktop test pack: no web app of its own (its tasks use the library's apps through `web_apps`)."""


def populate(world) -> None:
    """Nothing of its own to seed: the task's documents come from `home_files`."""
