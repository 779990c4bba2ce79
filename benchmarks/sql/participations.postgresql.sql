-- The participations table of the CSV export, as raw SQL (see events.postgresql.sql).
SELECT
  e.slug AS event,
  row_number() OVER (PARTITION BY e.id ORDER BY pa.position, pa.id) AS position,
  person.slug AS person,
  person.name AS person_name,
  party.slug AS party,
  party.name AS party_name,
  party.kind AS party_kind,
  party.country AS party_country,
  pa.role,
  side.slug AS side,
  side.name AS side_name,
  pa.title,
  pa.note
FROM tracker_participation pa
JOIN tracker_event e ON e.id = pa.event_id
LEFT JOIN tracker_person person ON person.id = pa.person_id
LEFT JOIN tracker_party party ON party.id = pa.party_id
LEFT JOIN tracker_party side ON side.id = pa.side_id
WHERE e.status = 'published'
ORDER BY e.sort_date, e.start_time NULLS FIRST, e.start_date, e.id, pa.position, pa.id
