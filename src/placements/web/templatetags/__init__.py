"""Template helpers of the web application."""
