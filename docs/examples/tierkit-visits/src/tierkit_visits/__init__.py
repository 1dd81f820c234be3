"""tierkit-visits: sales visits as a tierkit criterion (``visits.count``) and strategy
(``customer-intimacy``). The hooks are in :mod:`tierkit_visits.plugin`."""
