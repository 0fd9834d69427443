"""Pages: login."""

from fastapi import APIRouter

router = APIRouter()
