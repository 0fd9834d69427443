"""HTTP routes of hub.pages: parse, call one service function, return."""

from fastapi import APIRouter

router = APIRouter()
