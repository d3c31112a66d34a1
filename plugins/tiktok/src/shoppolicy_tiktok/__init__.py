"""TikTok Shop markets for shoppolicy: US, UK, the Southeast Asia parent and its variants."""

__version__ = "0.1.0"
