"""A Gradio app or Hugging Face Space as an upstream, over every protocol in use today.

* ``legacy``: ``POST /run/<api>``, ``/api/<api>`` or ``/gradio_api/api/<api>`` with
  ``{"data": [...]}`` (+ ``fn_index``) answered synchronously with ``{"data": [...]}``.
* ``call`` (Gradio ≥ 4.20): ``POST /gradio_api/call/<api>`` → ``{"event_id"}``, then
  ``GET /gradio_api/call/<api>/<event_id>`` server-sent events until ``complete``/``error``.
* ``queue`` (what ``gradio_client`` speaks): ``POST <prefix>/queue/join`` then the
  ``<prefix>/queue/data?session_hash=`` event stream, which carries queue rank, ETA and
  ``gr.Progress`` updates; cancellation goes to ``<prefix>/cancel``.
* ``auto``: queue when the app's ``/config`` offers it, else call, else legacy on 404.

Before the first call (and again after a failure that suggests the app changed) the adapter
reads the app's API description and plans the call: which endpoint, and how our parameters
fill its inputs (gradio_discovery.py, gradio_inputs.py).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal

from .base import (
    DONE,
    GenerationParams,
    ProgressSink,
    ReceivedAudio,
    Upstream,
    UpstreamBadAnswer,
    UpstreamConfigurationError,
    UpstreamConnectionError,
    UpstreamError,
    UpstreamHTTPError,
)
from .download import RemoteEndpoint, decode_base64_to_spool
from .gradio_answers import InlineAudio, audio_candidates, scalar_details
from .gradio_discovery import ApiDescription, EndpointChoiceError, describe_api, info_paths
from .gradio_http import GradioHttp
from .gradio_http import RouteNotFound as _RouteNotFound
from .gradio_inputs import EndpointPlan, plan_endpoint, validate_templates
from .gradio_progress import QueueProgress
from .space_urls import parse_app_url

__all__ = ["GradioProtocol", "GradioUpstream"]

GradioProtocol = Literal["auto", "call", "queue", "legacy"]

_LEGACY_ROUTES = ("/gradio_api/api/{api}", "/api/{api}", "/run/{api}")
_PREDICT_SUFFIXES = ("/gradio_api/api/predict", "/api/predict", "/run/predict")
_CALL_PREFIXES = ("/gradio_api", "")
_QUEUE_PROTOCOLS = ("sse_v1", "sse_v2", "sse_v2.1", "sse_v3")


def _suggests_app_changed(error: UpstreamError) -> bool:
    """A refusal or a wrong answer may mean the app was redeployed with another API; busy
    (429), starting (503) or unreachable says nothing about its API."""
    if isinstance(error, UpstreamHTTPError):
        return error.http_status not in (429, 502, 503, 504)
    return isinstance(error, UpstreamBadAnswer)


class GradioUpstream(Upstream):
    kind = "gradio"

    def __init__(
        self,
        endpoint: RemoteEndpoint,
        *,
        protocol: GradioProtocol = "auto",
        api_name: str | None = None,
        fn_index: int | None = None,
        inputs: Sequence[Any] | None = None,
        hf_token: str | None = None,
    ) -> None:
        if inputs is not None:
            validate_templates(inputs)
        app = parse_app_url(endpoint.url)
        self.endpoint = endpoint
        self.name = endpoint.name
        self._base = app.base
        self._legacy_url = app.legacy_predict_url
        self._protocol: GradioProtocol = "legacy" if app.legacy_predict_url else protocol
        self._configured_api = (api_name or app.api_name or "").strip("/") or None
        self._api_name = self._configured_api or "predict"
        self._fn_index = fn_index
        self._inputs = list(inputs) if inputs is not None else None
        self._plan: EndpointPlan | None = None
        self._planning = asyncio.Lock()
        app_headers = dict(endpoint.headers)
        if hf_token:
            app_headers["authorization"] = f"Bearer {hf_token}"
        self._http = GradioHttp(replace(endpoint, url=app.base, headers=app_headers))
        self._config: dict[str, Any] | None = None
        self._config_read = False  # read once, found or not, until the app seems to change
        self._cancellations: set[asyncio.Task[None]] = set()

    # --- the interface ----------------------------------------------------------------

    async def generate(
        self, params: GenerationParams, *, progress: ProgressSink | None = None
    ) -> ReceivedAudio:
        plan = await self.ensure_plan()
        try:
            data, file_prefix = await self._predict(plan.inputs.build(params), progress)
            audio = await self._receive_audio(data, file_prefix)
        except UpstreamError as exc:
            if _suggests_app_changed(exc):
                self._forget_plan()
            raise
        if progress is not None:
            progress(DONE)
        return audio

    async def aclose(self) -> None:
        if self._cancellations:
            await asyncio.gather(*self._cancellations, return_exceptions=True)

    def status(self) -> dict[str, Any]:
        if self._plan is None:
            return {"discovered": False, "url": self._base}
        report = self._plan.report()
        return {"discovered": True, "url": self._base, "protocol": self.protocol_in_use(), **report}

    # --- discovery: which endpoint, which inputs (the logic lives in gradio_discovery) -----

    async def ensure_plan(self) -> EndpointPlan:
        """The cached plan, or a new one from the app's API description (one read at once)."""
        async with self._planning:
            if self._plan is None:
                self._plan = await self._make_plan()
                self._api_name = self._plan.api_name
        return self._plan

    def protocol_in_use(self) -> str:
        if self._protocol != "auto":
            return self._protocol
        config = self._config
        return "queue" if config is not None and self._queue_usable(config) else "call"

    def _forget_plan(self) -> None:
        self._plan = None
        self._config, self._config_read = None, False

    async def _make_plan(self) -> EndpointPlan:
        described = self._legacy_url is None and not (self._configured_api and self._inputs)
        api = await self._read_api() if described else None
        try:
            return plan_endpoint(
                api, api_name=self._configured_api, fn_index=self._fn_index, templates=self._inputs
            )
        except EndpointChoiceError as exc:
            raise UpstreamConfigurationError(
                f"The Gradio app '{self.name}' at {self._base}: {exc}", upstream=self.name
            ) from exc

    async def _read_api(self) -> ApiDescription | None:
        config = await self._load_config()
        for path in info_paths(config):
            info = await self._http.get_json_or_none(self._http.url(path))
            if isinstance(info, dict) and "named_endpoints" in info:
                return describe_api(info, config, source=path)
        return describe_api(None, config, source="/config")

    # --- choosing a protocol -------------------------------------------------------------

    async def _predict(
        self, inputs: list[Any], progress: ProgressSink | None
    ) -> tuple[list[Any], str]:
        """The answer's ``data`` list and the API prefix its files are served under."""
        if self._protocol == "legacy":
            return await self._legacy(inputs)
        if self._protocol == "call":
            return await self._call(inputs)
        if self._protocol == "queue":
            return await self._queue(inputs, progress, await self._require_config())
        config = await self._load_config()
        if config is not None and self._queue_usable(config):
            return await self._queue(inputs, progress, config)
        try:
            return await self._call(inputs)
        except _RouteNotFound:
            return await self._legacy(inputs)

    def _queue_usable(self, config: dict[str, Any]) -> bool:
        return (
            config.get("protocol") in _QUEUE_PROTOCOLS
            and self._resolve_fn_index(config) is not None
        )

    def _data_list(self, answer: Any) -> list[Any]:
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, list):
            raise self._http.bad_answer("answered without a 'data' list")
        return data

    # --- legacy -------------------------------------------------------------------------

    async def _legacy(self, inputs: list[Any]) -> tuple[list[Any], str]:
        body: dict[str, Any] = {"data": inputs}
        if self._fn_index is not None:
            body["fn_index"] = self._fn_index
        if self._legacy_url is not None:
            answer = await self._http.request_json("POST", self._legacy_url, body=body)
            prefix = "/gradio_api" if self._legacy_url.endswith(_PREDICT_SUFFIXES[0]) else ""
            return self._data_list(answer), prefix
        not_found: _RouteNotFound | None = None
        for route in _LEGACY_ROUTES:
            path = route.format(api=self._api_name)
            try:
                answer = await self._http.request_json("POST", self._http.url(path), body=body)
            except _RouteNotFound as exc:
                not_found = exc
                continue
            return self._data_list(answer), "/gradio_api" if path.startswith("/gradio_api") else ""
        assert not_found is not None
        raise not_found

    # --- call -------------------------------------------------------------------------------

    async def _call(self, inputs: list[Any]) -> tuple[list[Any], str]:
        not_found: _RouteNotFound | None = None
        for prefix in _CALL_PREFIXES:
            call_url = self._http.url(f"{prefix}/call/{self._api_name}")
            try:
                answer = await self._http.request_json("POST", call_url, body={"data": inputs})
            except _RouteNotFound as exc:
                not_found = exc
                continue
            event_id = answer.get("event_id") if isinstance(answer, dict) else None
            if not isinstance(event_id, str):
                raise self._http.bad_answer("did not return an event_id")
            return await self._call_result(f"{call_url}/{event_id}"), prefix
        assert not_found is not None
        raise not_found

    async def _call_result(self, url: str) -> list[Any]:
        async for event, payload in self._http.events(url, params=None):
            if event == "complete":
                if not isinstance(payload, list):
                    raise self._http.bad_answer("completed without a data list")
                return payload
            if event == "error":
                raise self._app_error(payload)
        raise UpstreamConnectionError(
            f"The Gradio app '{self.name}' closed its event stream before finishing.",
            upstream=self.name,
        )

    def _app_error(self, payload: Any) -> UpstreamBadAnswer:
        if isinstance(payload, dict):
            payload = payload.get("error") or payload.get("message")
        detail = f": {str(payload)[:300]}" if payload else ""
        return self._http.bad_answer(f"reported an error while generating{detail}")

    # --- queue --------------------------------------------------------------------------

    async def _load_config(self) -> dict[str, Any] | None:
        if not self._config_read:
            config = await self._http.get_json_or_none(self._http.url("/config"))
            self._config = config if isinstance(config, dict) else None
            self._config_read = True
        return self._config

    async def _require_config(self) -> dict[str, Any]:
        config = await self._load_config()
        if config is None or self._resolve_fn_index(config) is None:
            raise UpstreamHTTPError(
                f"The Gradio app '{self.name}' offers no queue endpoint named "
                f"'{self._api_name}'; check its api_name setting.",
                http_status=404,
                upstream=self.name,
            )
        return config

    def _resolve_fn_index(self, config: dict[str, Any]) -> int | None:
        if self._fn_index is not None:
            return self._fn_index
        for position, dependency in enumerate(config.get("dependencies") or []):
            if (
                isinstance(dependency, dict)
                and str(dependency.get("api_name", "")).strip("/") == self._api_name
            ):
                found = dependency.get("id", position)
                return found if isinstance(found, int) else position
        return None

    async def _queue(
        self, inputs: list[Any], progress: ProgressSink | None, config: dict[str, Any]
    ) -> tuple[list[Any], str]:
        prefix = "/" + str(config.get("api_prefix") or "").strip("/")
        prefix = "" if prefix == "/" else prefix
        fn_index = self._resolve_fn_index(config)
        session_hash = uuid.uuid4().hex
        join = {
            "data": self._plan.queue_inputs(inputs) if self._plan else inputs,
            "fn_index": fn_index,
            "session_hash": session_hash,
            "event_data": None,
            "trigger_id": None,
        }
        join_url = self._http.url(f"{prefix}/queue/join")
        answer = await self._http.request_json("POST", join_url, body=join)
        event_id = answer.get("event_id") if isinstance(answer, dict) else None
        if not isinstance(event_id, str):
            raise self._http.bad_answer("did not return an event_id on joining its queue")
        finished = False
        try:
            data = await self._queue_result(prefix, session_hash, event_id, progress)
            finished = True
            return data, prefix
        finally:
            if not finished:
                cancel = {"session_hash": session_hash, "fn_index": fn_index, "event_id": event_id}
                self._cancel_in_background(self._http.url(f"{prefix}/cancel"), cancel)

    async def _queue_result(
        self, prefix: str, session_hash: str, event_id: str, progress: ProgressSink | None
    ) -> list[Any]:
        url = self._http.url(f"{prefix}/queue/data")
        reports = QueueProgress()
        async for _, message in self._http.events(url, params={"session_hash": session_hash}):
            if not isinstance(message, dict) or message.get("event_id", event_id) != event_id:
                continue
            kind = message.get("msg")
            if kind == "process_completed":
                output = message.get("output")
                if not message.get("success", True):
                    raise self._app_error(output)
                return self._data_list(output)
            if kind == "queue_full":
                raise UpstreamHTTPError(
                    f"The Gradio app '{self.name}' has a full queue; try again shortly.",
                    http_status=503,
                    upstream=self.name,
                )
            if kind in ("unexpected_error", "close_stream"):
                break
            update = reports.update(message)
            if update is not None and progress is not None:
                progress(update)
        raise UpstreamConnectionError(
            f"The Gradio app '{self.name}' stopped before finishing; try again.",
            upstream=self.name,
        )

    def _cancel_in_background(self, url: str, body: dict[str, Any]) -> None:
        """Ask the app to drop the job without making the cancelled caller wait for it."""
        task = asyncio.get_running_loop().create_task(self._http.post_quietly(url, body))
        self._cancellations.add(task)
        task.add_done_callback(self._cancellations.discard)

    # --- the audio ------------------------------------------------------------------------

    async def _receive_audio(self, data: list[Any], file_prefix: str) -> ReceivedAudio:
        details = scalar_details(data)
        last_error: UpstreamError | None = None
        for candidate in audio_candidates(data):
            try:
                if isinstance(candidate, InlineAudio):
                    return decode_base64_to_spool(
                        candidate.encoded,
                        spool_dir=self.endpoint.spool_dir,
                        max_bytes=self.endpoint.max_audio_bytes,
                        upstream=self.name,
                        details=details,
                    )
                return await self._http.download(candidate, file_prefix, details)
            except UpstreamBadAnswer as exc:
                last_error = exc
        if last_error is not None:
            raise last_error
        raise self._http.bad_answer("answered without any audio")
