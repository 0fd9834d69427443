"""The caseworkers' local web page: choose CSV → confirm mapping → preview → send → receipt."""
