"""Staff accounts: the second factor (TOTP) and session expiry."""
