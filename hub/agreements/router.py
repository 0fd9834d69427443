"""HTTP routes of hub.agreements: parse, call one service function, return."""

from fastapi import APIRouter

router = APIRouter()
