"""Job webhooks: per-user signing secrets, Standard Webhooks signatures, guarded delivery."""
