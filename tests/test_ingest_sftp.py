"""Issue 22: a provider's folder on an SFTP server (Debian's OpenSSH server in a throwaway
folder on loopback). Each file is taken once, through the same path as a local folder; the
server must show the host key the editor gave, or nothing is read."""

from __future__ import annotations

import os
import time

import pytest
from conftest import Server
from django.core.exceptions import ValidationError
from django.utils import translation

from khabar.articles.models import Article
from khabar.photos.models import StoryPhoto
from khabar.photos.samples import sample_jpeg
from khabar.syndication.actions import POLLER, poll_provider
from khabar.syndication.models import Partner, Provider
from khabar.test import make_section
from tests.test_ingest_providers import ninjs

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("distribution")]


@pytest.fixture(autouse=True)
def section(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_section("ar", "world", "دولي")


def sftp_provider(server: Server, **fields) -> Provider:
    partner = Partner.objects.create(name="وكالة الأنباء", can_ingest=True)
    values = {"ssh_key": server.client_key, "host_key": server.host_line, **fields}
    provider = Provider(
        name="خدمة المجلد البعيد",
        kind=Provider.Kind.SFTP,
        address=server.address,
        partner=partner,
        **values,
    )
    provider.full_clean()
    provider.save()
    return provider


def test_it_takes_each_file_of_an_sftp_folder_once_and_moves_it_to_done(sshd):
    (sshd.inbox / "a.json").write_bytes(ninjs("urn:agency:s1", 1, "خبر من المجلد البعيد"))
    (sshd.inbox / ".b.json.part").write_bytes(b"{still being written")
    provider = sftp_provider(sshd)
    polled = poll_provider(provider, actor=POLLER)
    assert polled.status == Provider.Health.OK, polled.last_error
    story = Article.objects.get(source_id="urn:agency:s1")
    assert story.headline == "خبر من المجلد البعيد"
    assert story.origin == f"partner:{provider.partner_id}"
    assert (polled.documents_count, polled.stories_count, polled.errors_count) == (1, 1, 0)
    assert sorted(p.name for p in sshd.inbox.iterdir()) == [".b.json.part", "done"]
    assert (sshd.inbox / "done" / "a.json").exists()
    again = poll_provider(provider, actor=POLLER)
    assert again.documents_count == 1
    assert Article.objects.filter(source_id="urn:agency:s1").count() == 1


def test_it_leaves_files_in_place_when_asked_and_still_takes_each_once(sshd):
    document = sshd.inbox / "a.json"
    document.write_bytes(ninjs("urn:agency:s2", 1, "الأولى"))
    provider = sftp_provider(sshd, after_taking=Provider.AfterTaking.KEEP)
    poll_provider(provider, actor=POLLER)
    polled = poll_provider(provider, actor=POLLER)
    assert document.exists()
    assert polled.documents_count == 1
    # The agency replaces the file with a newer version: that is a new file, taken.
    document.write_bytes(ninjs("urn:agency:s2", 2, "الثانية بعد التحديث"))
    os.utime(document, (time.time() + 5, time.time() + 5))
    polled = poll_provider(provider, actor=POLLER)
    assert polled.documents_count == 2
    assert Article.objects.get(source_id="urn:agency:s2").headline == "الثانية بعد التحديث"


def test_it_records_a_refused_file_and_leaves_it_to_be_fixed(sshd):
    (sshd.inbox / "bad.json").write_bytes(b"{not json")
    polled = poll_provider(sftp_provider(sshd), actor=POLLER)
    assert polled.status == Provider.Health.FAILING
    assert "bad.json" in polled.last_error and "JSON" in polled.last_error
    assert (sshd.inbox / "bad.json").exists()


def test_it_takes_the_pictures_a_document_names_from_beside_it(sshd):
    import json

    doc = json.loads(ninjs("urn:agency:s3", 1, "خبر بصورة"))
    doc["associations"] = [
        {
            "name": "featuremedia",
            "type": "picture",
            "uri": "urn:agency:s3:photo",
            "descriptions": [{"role": "caption", "value": "الميناء عند الفجر"}],
            "renditions": [{"name": "original", "href": "port.jpg"}],
        }
    ]
    (sshd.inbox / "s3.json").write_text(json.dumps(doc))
    (sshd.inbox / "port.jpg").write_bytes(sample_jpeg(800, 450))
    polled = poll_provider(sftp_provider(sshd), actor=POLLER)
    assert polled.status == Provider.Health.OK, polled.last_error
    shown = StoryPhoto.objects.select_related("photo").get(article__source_id="urn:agency:s3")
    assert shown.photo.caption == "الميناء عند الفجر"
    assert sorted(p.name for p in (sshd.inbox / "done").iterdir()) == ["port.jpg", "s3.json"]


def test_it_refuses_a_server_that_shows_another_host_key(sshd):
    (sshd.inbox / "a.json").write_bytes(ninjs("urn:agency:s4", 1, "لا يؤخذ"))
    with translation.override("en"):
        polled = poll_provider(sftp_provider(sshd, host_key=sshd.other_line), actor=POLLER)
    assert polled.status == Provider.Health.FAILING
    # It names the key the server showed, so an editor can check it with the server's owner.
    assert f"ssh-ed25519 {sshd.host_fingerprint}" in polled.last_error
    assert "is not the one given for this provider; nothing was read" in polled.last_error
    assert not Article.objects.filter(source_id="urn:agency:s4").exists()
    assert sorted(p.name for p in sshd.inbox.iterdir()) == ["a.json"]


def test_it_shows_a_failing_providers_last_error_on_the_desk_home(sshd, client, people):
    provider = sftp_provider(sshd, host_key=sshd.other_line)
    poll_provider(provider, actor=POLLER)
    client.force_login(people["editor"])
    page = client.get("/desk/").content.decode()
    assert provider.name in page
    assert sshd.host_fingerprint in page
    client.force_login(people["reporter"])  # a reporter has no use for the feeds' health
    assert provider.name not in client.get("/desk/").content.decode()


VALID_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("address", "ftp://agency@files.example.org/out", "sftp://user@host"),
        ("address", "sftp://files.example.org/out", "user"),
        ("address", "sftp://agency:secret@files.example.org/out", "password"),
        ("address", "sftp://agency@files.example.org:99999/out", "port"),
        ("address", "sftp://agency@files.example.org", "full path"),
        ("host_key", "", "needs"),
        ("host_key", "files.example.org AAAA", "host key line"),
        ("host_key", "files.example.org ssh-ed25519 bm90IGEga2V5", "damaged"),
        ("host_key", f"@cert-authority *.example.org {VALID_KEY}", "certificate"),
        ("ssh_key", "", "needs"),
        ("ssh_key", "-----BEGIN OPENSSH PRIVATE KEY-----\nxx\n", "private key"),
    ],
)
def test_it_refuses_an_sftp_provider_it_could_not_use(db, field, value, message):
    partner = Partner.objects.create(name="وكالة", can_ingest=True)
    provider = Provider(
        name="مزود",
        kind=Provider.Kind.SFTP,
        address="sftp://agency@files.example.org:2222/out",
        host_key=f"[files.example.org]:2222 {VALID_KEY}",
        ssh_key="",
        partner=partner,
    )
    setattr(provider, field, value)
    with translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            provider.full_clean()
        # Read in English too: the model's own messages are lazy.
        assert message in " ".join(refused.value.message_dict[field])


def test_it_lets_the_chief_set_up_an_sftp_provider_and_never_shows_its_key(sshd, client, people):
    partner = Partner.objects.create(name="وكالة الأنباء", can_ingest=True)
    client.force_login(people["chief"])
    form = {
        "name": "مجلد الوكالة",
        "kind": "sftp",
        "address": sshd.address,
        "ssh_key": sshd.client_key,
        "host_key": "not a key",
        "after_taking": "move",
        "interval": "300",
        "partner": str(partner.pk),
        "lang": "ar",
        "picture_hosts": "",
        "is_active": "on",
    }
    refused = client.post("/desk/syndication/provider/add/", form)
    assert refused.status_code == 200
    assert list(refused.context["adminform"].form.errors) == ["host_key"]
    assert not Provider.objects.exists()
    created = client.post("/desk/syndication/provider/add/", {**form, "host_key": sshd.host_line})
    assert created.status_code == 302
    provider = Provider.objects.get()
    page = client.get(f"/desk/syndication/provider/{provider.pk}/change/").content.decode()
    secret_line = sshd.client_key.strip().splitlines()[1]
    assert secret_line not in page  # the private key is written, never shown again
    # Saved again without a key, the stored one is kept and still logs in.
    client.post(
        f"/desk/syndication/provider/{provider.pk}/change/",
        {**form, "ssh_key": "", "host_key": sshd.host_line},
    )
    provider.refresh_from_db()
    assert provider.ssh_key == sshd.client_key
    (sshd.inbox / "a.json").write_bytes(ninjs("urn:agency:s5", 1, "من إعداد رئيس التحرير"))
    assert poll_provider(provider, actor=POLLER).status == Provider.Health.OK


def test_it_refuses_a_remote_file_over_the_limit_without_reading_it(sshd, settings):
    settings.KHABAR_INGEST_MAX_BYTES = 1000
    (sshd.inbox / "big.json").write_bytes(b" " * 5000)
    polled = poll_provider(sftp_provider(sshd), actor=POLLER)
    assert polled.status == Provider.Health.FAILING
    assert "big.json: too large: 5,000 bytes" in polled.last_error
    assert (sshd.inbox / "big.json").exists()


def test_it_never_shows_an_sftp_providers_key_to_an_editor_who_may_only_view_it(client, people):
    # Editors may view providers (their health on the desk home); the admin shows a
    # view-only form's fields as text, and the private key must not be one of them.
    secret = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA-secret\n"
    partner = Partner.objects.create(name="وكالة الأنباء", can_ingest=True)
    provider = Provider.objects.create(
        name="مجلد الوكالة",
        kind=Provider.Kind.SFTP,
        address="sftp://agency@sftp.example/outbox",
        ssh_key=secret,
        host_key="sftp.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA",
        partner=partner,
    )
    client.force_login(people["editor"])
    response = client.get(f"/desk/syndication/provider/{provider.pk}/change/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "مجلد الوكالة" in page
    assert "b3BlbnNzaC1rZXktdjEAAAAA-secret" not in page
