"""HTTP routes of hub.statistics: parse, call one service function, return."""

from fastapi import APIRouter

router = APIRouter()
