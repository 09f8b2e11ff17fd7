"""Test-only plugins and launchers (never shipped)."""
