-- The events table of the CSV export, as raw SQL: the same columns and rows, in the same
-- order, for the benchmark's raw baseline (benchmarks/run.py). Addresses are relative (the
-- benchmark exports with an empty base URL); text is not guarded against spreadsheet
-- formulas and durations stay in the database's form (a demo record has neither).
-- tests/test_benchmark_sql.py compares it with the tracker's CSV.
SELECT
  e.id,
  e.slug,
  '/events/' || e.slug || '/' AS url,
  p.slug AS process,
  p.title AS process_title,
  conflict.slug AS conflict,
  conflict.name AS conflict_name,
  e.kind,
  e.title,
  e.start_date,
  e.end_date,
  e.date_precision,
  e.period_position,
  e.start_time,
  e.duration,
  e.duration_note,
  e.venue,
  e.city,
  e.region,
  e.country,
  e.status,
  e.summary,
  e.source_notes,
  e.unverified,
  (
    SELECT group_concat(line, '; ') FROM (
      SELECT
        coalesce(person.name, party.name) || ' (' ||
        CASE pa.role
          WHEN 'host' THEN 'host'
          WHEN 'mediator' THEN 'mediator or chair'
          WHEN 'head_of_delegation' THEN 'head of delegation'
          ELSE pa.role
        END ||
        CASE
          WHEN side.id IS NOT NULL THEN ', ' || side.name
          WHEN person.id IS NOT NULL AND party.id IS NOT NULL THEN ', ' || party.name
          ELSE ''
        END || ')' AS line
      FROM tracker_participation pa
      LEFT JOIN tracker_person person ON person.id = pa.person_id
      LEFT JOIN tracker_party party ON party.id = pa.party_id
      LEFT JOIN tracker_party side ON side.id = pa.side_id
      WHERE pa.event_id = e.id
      ORDER BY pa.position, pa.id
    ) AS parts
  ) AS participants,
  (
    SELECT group_concat(line, char(10)) FROM (
      SELECT o.status || ': ' || o.description AS line
      FROM tracker_outcome o
      WHERE o.event_id = e.id
      ORDER BY o.position, o.id
    ) AS parts
  ) AS outcomes,
  (
    SELECT group_concat(line, char(10)) FROM (
      SELECT rtrim(
        s.url || ' | ' ||
        replace(replace(replace(s.publisher, '\', '\\'), '|', '\|'), char(10), ' ') || ' | ' ||
        replace(replace(replace(s.title, '\', '\\'), '|', '\|'), char(10), ' ') || ' | ' ||
        coalesce(s.published_on, '') || ' | ' ||
        coalesce(s.accessed_on, '') || ' | ' ||
        s.archive_url || ' | ' ||
        replace(replace(replace(c.supports, '\', '\\'), '|', '\|'), char(10), ' '),
        ' |'
      ) AS line
      FROM tracker_citation c
      JOIN tracker_source s ON s.id = c.source_id
      WHERE c.event_id = e.id
      ORDER BY c.position, c.id
    ) AS parts
  ) AS sources
FROM tracker_event e
JOIN tracker_process p ON p.id = e.process_id
JOIN tracker_conflict conflict ON conflict.id = p.conflict_id
WHERE e.status = 'published'
ORDER BY e.sort_date, e.start_time IS NOT NULL, e.start_time, e.start_date, e.id
