"""revoke: incident response for AWS temporary credentials."""

__version__ = "0.1.0"
