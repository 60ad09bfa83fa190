"""Disposable sandboxes: Xvfb display, Chromium, the task's app; no network out, no host files."""
