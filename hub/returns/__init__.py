"""hub.returns: which provider owes which quarter's return, and the reminders the hub keeps for them."""
