"""Readers of the agency formats khabar ingests beside ninjs and NewsML-G2 (NITF 3.x,
NewsML 1.2, ANPA-1312 / IPTC 7901), the API envelopes agencies wrap items in, and the
body clean-up every format shares (``body``)."""
