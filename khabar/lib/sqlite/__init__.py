"""Django's SQLite backend with writers queued in the kernel (``ENGINE: khabar.lib.sqlite``)."""
