"""Pages: dashboard."""

from fastapi import APIRouter

router = APIRouter()
