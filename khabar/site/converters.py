"""URL converter that accepts only configured edition codes."""

from khabar.site.editions import _editions


class EditionConverter:
    # Any short language code matches; to_python then checks it against the editions
    # configured now, so an edition added in settings needs no change to the URLconf.
    regex = "[a-z]{2,3}"

    def to_python(self, value: str) -> str:
        if value not in _editions():
            raise ValueError(value)  # not an edition: Django tries the next pattern
        return value

    def to_url(self, value: str) -> str:
        return value
