"""msht-hub: the service that receives anonymised submissions and serves pooled statistics."""
