"""HTTP routes of hub.partners: parse, call one service function, return."""

from fastapi import APIRouter

router = APIRouter()
