-- The links table of the CSV export, as raw SQL (see events.postgresql.sql).
SELECT
  e.slug AS from_event,
  l.relation,
  other.slug AS to_event,
  l.note
FROM tracker_eventlink l
JOIN tracker_event e ON e.id = l.from_event_id
JOIN tracker_event other ON other.id = l.to_event_id
WHERE e.status = 'published' AND other.status = 'published'
ORDER BY
  e.sort_date, e.start_time NULLS FIRST, e.start_date, e.id,
  other.sort_date, other.start_date, other.id, l.relation, l.id
