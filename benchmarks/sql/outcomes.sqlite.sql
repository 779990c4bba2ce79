-- The outcomes table of the CSV export, as raw SQL (see events.sqlite.sql).
SELECT
  e.slug AS event,
  row_number() OVER (PARTITION BY e.id ORDER BY o.position, o.id) AS position,
  o.kind,
  o.status,
  o.description,
  o.quantity,
  o.unit,
  o.note,
  (
    SELECT group_concat(line, char(10)) FROM (
      SELECT party.name || ' [' || party.slug || ']' AS line
      FROM tracker_outcome_agreed_by a JOIN tracker_party party ON party.id = a.party_id
      WHERE a.outcome_id = o.id ORDER BY party.name
    ) AS parts
  ) AS agreed_by,
  (
    SELECT group_concat(line, char(10)) FROM (
      SELECT party.name || ' [' || party.slug || ']' AS line
      FROM tracker_outcome_rejected_by r JOIN tracker_party party ON party.id = r.party_id
      WHERE r.outcome_id = o.id ORDER BY party.name
    ) AS parts
  ) AS rejected_by,
  (
    SELECT group_concat(slug, '; ') FROM (
      SELECT later.slug
      FROM tracker_implementation i JOIN tracker_event later ON later.id = i.event_id
      WHERE i.outcome_id = o.id AND i.extent = 'full' AND later.status = 'published'
      ORDER BY later.sort_date, later.start_date, later.id
    ) AS parts
  ) AS carried_out_by,
  (
    SELECT group_concat(slug, '; ') FROM (
      SELECT later.slug
      FROM tracker_implementation i JOIN tracker_event later ON later.id = i.event_id
      WHERE i.outcome_id = o.id AND i.extent = 'partial' AND later.status = 'published'
      ORDER BY later.sort_date, later.start_date, later.id
    ) AS parts
  ) AS carried_out_in_part_by
FROM tracker_outcome o
JOIN tracker_event e ON e.id = o.event_id
WHERE e.status = 'published'
ORDER BY e.sort_date, e.start_time IS NOT NULL, e.start_time, e.start_date, e.id, o.position, o.id
