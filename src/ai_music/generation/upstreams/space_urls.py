"""Gradio app URLs as users paste them, turned into the app's own base URL.

* ``https://huggingface.co/spaces/<owner>/<space>[/anything]``: the Space's page; the app itself
  runs at ``https://<owner>-<space>.hf.space`` (Hugging Face's subdomain rule: lower case,
  ``_`` and ``.`` become ``-``).
* ``https://<owner>-<space>.hf.space[/anything]`` and ``https://<id>.gradio.live[/anything]``:
  those apps always run at the host's root, so any path is dropped.
* anything else: a Gradio app possibly mounted under a path; a trailing Gradio route
  (``/gradio_api/...``, ``/config``, ``/info``, ``/call/<api>``, ``/?view=api``) is dropped, and
  one that names an endpoint (``/call/generate``) says which endpoint to use.

An explicit legacy predict URL (``.../run/predict``, ``.../api/predict``,
``.../gradio_api/api/predict``, the original's ``HF_API_URL`` form) is kept as it is, to be
POSTed to directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

__all__ = ["AppURL", "parse_app_url", "space_host"]

_HUB_HOSTS = frozenset({"huggingface.co", "www.huggingface.co", "hf.co"})
_ROOT_APP_SUFFIXES = (".hf.space", ".gradio.live")
_PREDICT_SUFFIXES = ("/gradio_api/api/predict", "/api/predict", "/run/predict")
_ENDPOINT_ROUTES = frozenset({"call", "run", "api"})
_DESCRIPTION_ROUTES = frozenset({"config", "info"})


@dataclass(frozen=True)
class AppURL:
    """Where a Gradio app is, from the URL a user gave."""

    base: str  # scheme://host[:port][/mount path], no trailing slash
    legacy_predict_url: str | None = None
    api_name: str | None = None  # an endpoint the pasted URL named
    is_space: bool = False  # served by Hugging Face: the HF token may be sent there

    def url(self, path: str) -> str:
        return self.base + path


def space_host(owner: str, space: str) -> str:
    """The host a Hugging Face Space's app is served on."""
    subdomain = f"{owner}-{space}".lower().replace("_", "-").replace(".", "-")
    return f"{subdomain}.hf.space"


def parse_app_url(url: str) -> AppURL:
    """The app's base URL (and what else the URL said); raises ValueError for a Hub URL that
    names no Space."""
    parts = urlsplit(url.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    path = parts.path.rstrip("/")
    if host in _HUB_HOSTS:
        return _from_hub_page(path)
    if host.endswith(_ROOT_APP_SUFFIXES):
        return AppURL(
            base=urlunsplit((scheme, parts.netloc, "", "", "")),
            legacy_predict_url=_legacy_url(scheme, parts.netloc, path),
            api_name=_without_gradio_route(path)[1],
            is_space=host.endswith(".hf.space"),
        )
    legacy = _legacy_url(scheme, parts.netloc, path)
    if legacy is not None:
        mount = next(path[: -len(s)] for s in _PREDICT_SUFFIXES if path.endswith(s))
        return AppURL(
            base=urlunsplit((scheme, parts.netloc, mount, "", "")), legacy_predict_url=legacy
        )
    mount, api_name = _without_gradio_route(path)
    return AppURL(base=urlunsplit((scheme, parts.netloc, mount, "", "")), api_name=api_name)


def _without_gradio_route(path: str) -> tuple[str, str | None]:
    """``(mount path, endpoint named)`` for a path that may end in one of Gradio's routes."""
    segments = path.split("/")
    if "gradio_api" in segments:
        at = segments.index("gradio_api")
        rest = segments[at + 1 :]
        named = rest[1] if len(rest) >= 2 and rest[0] in _ENDPOINT_ROUTES else None
        return "/".join(segments[:at]), named
    for back in (2, 3):  # .../call/<api> or .../call/<api>/<event id>
        if len(segments) > back and segments[-back] in _ENDPOINT_ROUTES:
            return "/".join(segments[:-back]), segments[-back + 1]
    if segments[-1] in _DESCRIPTION_ROUTES:
        return "/".join(segments[:-1]), None
    return path, None


def _from_hub_page(path: str) -> AppURL:
    segments = [segment for segment in path.split("/") if segment]
    if len(segments) < 3 or segments[0] != "spaces":
        raise ValueError(
            "a huggingface.co URL must name a Space: https://huggingface.co/spaces/<owner>/<space>"
        )
    return AppURL(base=f"https://{space_host(segments[1], segments[2])}", is_space=True)


def _legacy_url(scheme: str, netloc: str, path: str) -> str | None:
    if path.endswith(_PREDICT_SUFFIXES):
        return urlunsplit((scheme, netloc, path, "", ""))
    return None
