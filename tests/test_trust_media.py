"""Issue 13 (trust): photo originals never leave /media/, whatever the path looks like."""

from __future__ import annotations

import os

import pytest

from khabar.photos import actions
from khabar.photos.samples import sample_jpeg
from khabar.photos.views import public_name
from khabar.site import actors

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

TESTS = actors.system("tests")


@pytest.fixture
def photo():
    return actions.upload_photo(sample_jpeg(640, 480, gps=True, seed=7), actor=TESTS)


def traversals(original: str) -> list[str]:
    """Addresses that try to reach ``photos/originals/…`` from the public renditions folder."""
    rest = original.removeprefix("photos/originals/")
    return [
        f"/media/photos/r/../originals/{rest}",
        f"/media/photos/r/%2e%2e/originals/{rest}",
        f"/media/photos/r/%2E%2E/originals/{rest}",
        f"/media/photos/r/..%2foriginals/{rest}",
        f"/media/photos/r/%2e%2e%2foriginals/{rest}",
        f"/media/photos/r/%252e%252e/originals/{rest}",
        f"/media/photos/r/..%252foriginals/{rest}",
        f"/media/photos/r/.%2e/originals/{rest}",
        f"/media/photos/r/./../originals/{rest}",
        f"/media/photos/r//../originals/{rest}",
        f"/media/photos/r/..%5coriginals/{rest}",
        f"/media/photos/r/xx/..%5c..%5coriginals/{rest}",
        f"/media/photos/r/%00/../../originals/{rest}",
        f"/media/photos/r/../../media/photos/originals/{rest}",
        f"/media/{original}",
    ]


def test_it_serves_a_rendition(client, photo):
    rendition = photo.renditions.first()
    response = client.get(f"/media/{rendition.file.name}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == rendition.file.read()


def test_it_never_serves_an_original_however_the_path_is_spelt(client, photo, media):
    original = (media / photo.original.name).read_bytes()
    for address in traversals(photo.original.name):
        response = client.get(address)
        assert response.status_code == 404, address
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert original not in body, address


def test_it_does_not_follow_a_link_out_of_the_renditions_folder(client, photo, media):
    link = media / "photos" / "r" / "zz"
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(media / "photos" / "originals", link)
    rest = photo.original.name.removeprefix("photos/originals/")
    assert (link / rest).exists()
    response = client.get(f"/media/photos/r/zz/{rest}")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "name",
    [
        "photos/r/../originals/ab/x.jpg",
        "photos/r/%2e%2e/originals/ab/x.jpg",
        "photos/r/ab/..",
        "photos/r/ab\\..\\x.jpg",
        "photos/r/ab/x.jpg\x00.webp",
        "photos/r//ab/x.jpg",
        "photos/r/./ab/x.jpg",
        "photos/r",
        "photos/originals/ab/x.jpg",
        "/etc/passwd",
    ],
)
def test_it_refuses_names_that_are_not_clean_rendition_paths(name):
    assert public_name(name) is None


def test_it_accepts_a_clean_rendition_path():
    assert public_name("photos/r/ab/abcdef/640-0123abcd.webp") == (
        "photos/r/ab/abcdef/640-0123abcd.webp"
    )
