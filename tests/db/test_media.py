from __future__ import annotations

import pytest

from db.media import embed_url, media_type


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://soundcloud.com/artist/track", "soundcloud"),
        ("https://soundcloud.com/artist/track/s-SeCrEt", "soundcloud"),
        ("https://www.soundcloud.com/artist/track/", "soundcloud"),
        ("https://drive.google.com/file/d/1a2B3c_-XyZ/view", "google_drive"),
        ("https://drive.google.com/file/d/1a2B3c/view?usp=sharing", "google_drive"),
        ("https://www.dropbox.com/s/abc123/my%20song.wav?dl=0", "dropbox"),
        ("https://www.dropbox.com/scl/fi/k3y/demo.mp3?rlkey=x&dl=0", "dropbox"),
        ("https://onedrive.live.com/?authkey=%21AB&cid=C0FFEE&id=C0FFEE%21123", "onedrive"),
        ("https://onedrive.live.com/redir?resid=ABC%21101&authkey=%21x&cid=ABC", "onedrive"),
    ],
)
def test_accepted_links(url: str, kind: str) -> None:
    assert media_type(url) == kind


@pytest.mark.parametrize(
    "url",
    [
        "http://soundcloud.com/artist/track",
        "https://evil.example/?https://soundcloud.com/a/b",
        "https://soundcloud.com.evil.example/a/b",
        "https://evilsoundcloud.com/a/b",
        "https://soundcloud.com@evil.example/a/b",
        "https://user:pw@soundcloud.com/a/b",
        "https://soundcloud.com:8443/a/b",
        "javascript:alert(1)",
        "javascript://soundcloud.com/a/b",
        "https://soundcloud.com/artist",
        "https://soundcloud.com/artist/sets/album",
        "https://soundcloud.com/discover/sets",
        "https://soundcloud.com/a/b/c/d",
        "https://soundcloud.com/a/<script>",
        "https://drive.google.com/open?id=abc",
        "https://drive.google.com/file/d/abc/edit",
        "https://www.dropbox.com/home/file.wav",
        "https://onedrive.live.com/?cid=1&id=2",
        "https://soundcloud.com/a/b\nhttps://evil.example",
        "",
        None,
        "https://soundcloud.com/" + "a" * 2100 + "/b",
        "https://[::1/a/b",
    ],
)
def test_refused_links(url: str | None) -> None:
    assert media_type(url) is None


@pytest.mark.parametrize(
    ("url", "embed"),
    [
        (
            "https://soundcloud.com/artist/track",
            "https://w.soundcloud.com/player/?url=https%3A%2F%2Fsoundcloud.com%2Fartist%2Ftrack",
        ),
        ("https://drive.google.com/file/d/1AbC_d-9/view", "https://drive.google.com/file/d/1AbC_d-9/preview"),
        ("https://dropbox.com/s/k3y/song.wav?dl=0", "https://www.dropbox.com/s/k3y/song.wav?raw=1"),
        (
            "https://www.dropbox.com/scl/fi/k3y/song.wav?rlkey=abc&dl=0",
            "https://www.dropbox.com/scl/fi/k3y/song.wav?rlkey=abc&raw=1",
        ),
        (
            "https://onedrive.live.com/?authkey=%21AK&cid=C1D2&id=C1D2%21105",
            "https://onedrive.live.com/embed?cid=C1D2&resid=C1D2%21105&authkey=%21AK",
        ),
        ("https://evil.example/track", None),
        (None, None),
    ],
)
def test_embed_urls_are_built_from_the_parsed_link(url: str | None, embed: str | None) -> None:
    assert embed_url(url) == embed
