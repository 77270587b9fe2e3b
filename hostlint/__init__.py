"""hostlint: run a project's linters where they live, and bring every byte back."""

__version__ = "0.1.0"
