"""Distribution: every story pushed to the agency's subscribers, in their format, over their
transport, through a transactional outbox that the worker drains (``sender``).

A story's change writes its deliveries in the change's own transaction (``outbox``, called
through ``khabar.site.hooks``); the worker's ``OutboxSender`` sends them per destination in
order, retries with backoff, pauses a failing destination and gives up after a while, and
every delivery carries a stable id so a subscriber can drop a copy it already has.
"""
