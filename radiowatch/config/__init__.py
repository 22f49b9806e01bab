"""Where the profile lives, typed settings, secrets and logging. No Qt."""
