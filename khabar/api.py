"""The JSON API at /api/v1/ (django-ninja); its OpenAPI document is /api/v1/openapi.json.

Every error under /api/v1/ has one shape, ``Error``: a ``code`` for programs, a ``message``
for people in the reader's language (the first of Accept-Language with an edition), and
where there is more to say a ``detail``: the validation errors, or the reason in English
(what the syndication API answered as ``{"detail": …}`` before, so partners still find it
there). The exception handlers below make it, whichever router raised; the OpenAPI document
gives every error response of every operation that schema.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import orjson
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.log import log_response
from django.utils.translation import gettext_lazy as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.renderers import BaseRenderer

from khabar.comments.errors import CommentError
from khabar.comments.guard import language_of
from khabar.security.middleware import is_unavailable


class ORJSONRenderer(BaseRenderer):
    media_type = "application/json"

    def render(self, request: HttpRequest, data: object, *, response_status: int) -> bytes:
        return orjson.dumps(data, default=str)


class Error(Schema):
    """What every error under /api/v1/ answers."""

    code: str = Field(description="what went wrong, for programs: bad-request, not-found, …")
    message: str = Field(description="what went wrong, for people, in the reader's language")
    detail: str | list[dict[str, Any]] | None = Field(
        None,
        description="more, when there is more: the reason in English, or the list of "
        "parameters that did not validate",
    )


#: The code and message of an ``HttpError`` (django-ninja's own, or a router's), by status;
#: the router's text goes into ``detail``.
BY_STATUS: dict[int, tuple[str, Promise]] = {
    400: ("bad-request", _("The request is not valid.")),
    401: ("unauthorized", _("A valid token is needed for this.")),
    403: ("forbidden", _("This is not allowed.")),
    404: ("not-found", _("Not found.")),
    413: ("too-large", _("The request is too large.")),
    422: ("unreadable", _("The document could not be read.")),
    429: ("too-many-requests", _("Too many requests; wait a minute and try again.")),
    500: ("server-error", _("Something went wrong on our side; please try again later.")),
}
OTHER = _("The request could not be carried out.")


class KhabarAPI(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        """The document django-ninja writes, with the ``Error`` schema for every error
        response, and the answers any operation may give: 400 when a parameter does not
        validate, 500, and 503 while the database is down."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas["Error"] = Error.model_json_schema(ref_template="#/components/schemas/{model}")
        for operations in schema["paths"].values():
            for operation in operations.values():
                _document_errors(operation)
        return schema


def _document_errors(operation: dict[str, Any]) -> None:
    responses = {str(status): answer for status, answer in operation["responses"].items()}
    if operation.get("parameters") or operation.get("requestBody"):
        responses.setdefault("400", {"description": "a parameter or the body is not valid"})
    responses.setdefault("500", {"description": "a fault of ours, without its details"})
    responses.setdefault("503", {"description": "the database cannot be reached for now"})
    ref = {"$ref": "#/components/schemas/Error"}
    operation["responses"] = {
        status: {**answer, "content": {"application/json": {"schema": ref}}}
        if int(status) >= 400
        else answer
        for status, answer in responses.items()
    }


api = KhabarAPI(
    title="khabar API",
    version="1",
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    renderer=ORJSONRenderer(),
)


def error_response(
    request: HttpRequest, status: int, code: str, message: Promise | str, detail: Any = None
) -> HttpResponse:
    """An answer in the ``Error`` shape, its message in the reader's language."""
    with translation.override(language_of(request)):
        body: dict[str, Any] = {"code": code, "message": str(message)}
    if detail is not None:
        body["detail"] = detail
    return api.create_response(request, body, status=status)


@api.exception_handler(CommentError)
def comment_refused(request: HttpRequest, exc: CommentError) -> HttpResponse:
    return error_response(request, exc.status, exc.code, exc.message)


@api.exception_handler(ValidationError)
def not_valid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    # A 400 like every other bad request (django-ninja says 422), with what did not validate.
    code, message = BY_STATUS[400]
    return error_response(request, 400, code, message, exc.errors)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """A router's ``HttpError`` and django-ninja's own (AuthenticationError: 401; a body
    that does not parse: 400): the code and message of its status, its text as ``detail``."""
    status = exc.status_code
    code, message = BY_STATUS.get(status, (_code_of(status), OTHER))
    return error_response(request, status, code, message, str(exc))


def _code_of(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "-")
    except ValueError:
        return "error"


@api.exception_handler(PermissionDenied)
def not_allowed(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    # An action's refusal (``actors.require``, ``check_can_change``): 403, not a fault; its
    # text names the permission, which is not said either.
    code, message = BY_STATUS[403]
    return error_response(request, 403, code, message)


@api.exception_handler(SuspiciousOperation)
def refused_request(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    # Django's refusal of what the caller sent (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, too
    # many fields…): the caller's doing, logged as Django logs it, not a fault of ours.
    logging.getLogger(f"django.security.{type(exc).__name__}").warning("%s: %s", request.path, exc)
    status = 413 if isinstance(exc, RequestDataTooBig) else 400
    code, message = BY_STATUS[status]
    return error_response(request, status, code, message)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # Http404's own text may name a model or a query: not said.
    code, message = BY_STATUS[404]
    return error_response(request, 404, code, message)


@api.exception_handler(Exception)
def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A fault of ours: logged and reported as Django reports one, answered without it."""
    if is_unavailable(exc):
        # DatabaseUnavailableMiddleware answers 503 in the same shape and closes the
        # broken connection, so the next request opens a fresh one.
        raise exc
    got_request_exception.send(sender=None, request=request)
    code, message = BY_STATUS[500]
    response = error_response(request, 500, code, message)
    # With its traceback, once (Django would log the 500 again without it).
    log_response(
        "Internal Server Error: %s", request.path, response=response, request=request, exception=exc
    )
    return response


class MethodNotAllowedShape:
    """django-ninja answers a method a path does not take (405) itself, as plain text,
    before any exception handler runs: under /api/v1/ that answer is given the one shape
    too, its ``Allow`` header kept."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 405 and request.path.startswith("/api/v1/"):
            shaped = error_response(
                request, 405, "method-not-allowed", _("This address does not take that method.")
            )
            if "Allow" in response:
                shaped["Allow"] = response["Allow"]
            return shaped
        return response


api.add_router("", "khabar.comments.api.router")
api.add_router("", "khabar.syndication.api.router")
