"""Who may do and see what: roles, API keys and accounts, region and classification scopes,
masking of personal data, and the audit log."""
