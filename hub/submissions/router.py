"""HTTP routes of hub.submissions: parse, call one service function, return."""

from fastapi import APIRouter

router = APIRouter()
