"""The agency wire text format: ``parse_wire`` reads it, ``render_wire`` writes it."""

from khabar.wire.parse import Dateline, WireError, WireStory, parse_wire
from khabar.wire.render import render_dateline, render_wire

__all__ = ["Dateline", "WireError", "WireStory", "parse_wire", "render_dateline", "render_wire"]
