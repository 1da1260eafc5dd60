"""API endpoints of this app, mounted under /api/v1/ by khabar/api.py."""

from ninja import Router

router = Router()
