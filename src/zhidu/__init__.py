"""zhidu (制度): a service organization's written regulations as working software."""

__version__ = "0.1.0"
