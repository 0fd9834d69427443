"""Pages: console."""

from fastapi import APIRouter

router = APIRouter()
