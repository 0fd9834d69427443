"""hub.pages: HTML pages — login, dashboard, console (and its grid, confirmations, forms); errors.py renders every page error."""
