"""Performers: the scripted Actor (humanlike motion and typing through XTest)."""
