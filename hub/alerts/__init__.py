"""Cross-partner alerts (the MSIN pattern) and the contact requests the hub mediates about them."""
