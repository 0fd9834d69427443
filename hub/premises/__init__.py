"""Premises indicators: incidents per 100 premises of a type in a borough, from a public register's counts."""
