"""The JSON API at /api/v1/ (django-ninja); its OpenAPI document is /api/v1/openapi.json."""

import orjson
from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.renderers import BaseRenderer


class ORJSONRenderer(BaseRenderer):
    media_type = "application/json"

    def render(self, request: HttpRequest, data: object, *, response_status: int) -> bytes:
        return orjson.dumps(data, default=str)


api = NinjaAPI(
    title="khabar API",
    version="1",
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    renderer=ORJSONRenderer(),
)
api.add_router("", "khabar.comments.api.router")
api.add_router("", "khabar.syndication.api.router")
