"""Probabilistic person linkage at the hub: blocking on shared keys, Fellegi–Sunter weights, clusters (no database here)."""
