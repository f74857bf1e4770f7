-- tests/data/store_v1.sql - rows as a schema v1 vanctld database held them.
--
-- tests/unit/test_store.c builds a v1 database at run time from
-- store_migration_sql(1) (the frozen v1 schema) plus this file, then opens it
-- with the current store and checks that everything survived the migration.
-- Counts and places only: no service-user identities, as in real data.
INSERT INTO kv(key, value) VALUES ('core.state', '{"session":{"state":"idle"}}');
INSERT INTO kv(key, value) VALUES ('selftest.last', '{"ok":true,"utc_ms":1700000000000}');
-- the counter lags behind the stored events (as after restoring an old
-- backup of this table): the store must never hand out 5 again
UPDATE counters SET value = 3 WHERE name = 'seq';
UPDATE counters SET value = 1 WHERE name = 'session';
INSERT INTO sessions(id, started_utc_ms, ended_utc_ms, planned_end_utc_ms, crew, lone, plan, summary)
  VALUES (1, 1700000000000, 1700014400000, 1700013600000, 2, 0, 'tuesday-north',
          '{"stops":2,"entries":7,"peak":3}');
INSERT INTO sessions(id, started_utc_ms, ended_utc_ms, planned_end_utc_ms, crew, lone, plan, summary)
  VALUES (2, 1700100000000, 0, 1700110000000, 1, 1, NULL, NULL);
INSERT INTO route_points(session_id, utc_ms, utc_src, lat, lon, alt, speed, track, eph, mode, sats)
  VALUES (1, 1700000001000, 0, 52.4862, -1.8904, 140.0, 0.0, NULL, 4.5, 3, 9),
         (1, 1700000011000, 0, 52.4870, -1.8890, 141.0, 8.2, 45.0, 4.1, 3, 10),
         (1, 1700000021000, 1, 52.4881, -1.8873, NULL, 7.9, 47.5, 6.0, 2, NULL);
-- as the daemon stored every point up to v2: session_id 0.  The v3 migration
-- files them by time: in session 1, between sessions (stays 0), before any
-- session (stays 0), and in session 2 (never ended: a crash)
INSERT INTO route_points(session_id, utc_ms, utc_src, lat, lon, mode)
  VALUES (0, 1700000031000, 0, 52.4890, -1.8860, 3),
         (0, 1700014400000, 0, 52.4891, -1.8861, 3),
         (0, 1700050000000, 0, 52.4790, -1.9020, 3),
         (0, 1690000000000, 0, 52.4790, -1.9020, 3),
         (0, 1700100005000, 0, 52.4795, -1.9025, 3);
INSERT INTO stops(session_id, arrived_utc_ms, departed_utc_ms, lat, lon, name, entries, peak, door_openings)
  VALUES (1, 1700001000000, 1700002800000, 52.4881, -1.8873, 'site-3', 5, 3, 9),
         (1, 1700005000000, 1700006000000, 52.4790, -1.9020, NULL, 2, 1, 3);
INSERT INTO events(seq, utc_ms, utc_src, type, prio, session_id, lat, lon, data, topic, payload, qos, retain)
  VALUES (1, 1700000000000, 0, 'session.started', 0, 1, 52.4862, -1.8904, '{"crew":2}',
          'van/test1/events', '{"v":1,"seq":1,"type":"session.started","crew":2}', 1, 0),
         (2, 1700001000000, 0, 'stop.arrived', 0, 1, 52.4881, -1.8873, '{}',
          'van/test1/events', '{"v":1,"seq":2,"type":"stop.arrived"}', 1, 0),
         (4, 1700001500000, 0, 'occupancy.over_limit', 1, 1, 52.4881, -1.8873, '{"count":4,"limit":3}',
          'van/test1/events', '{"v":1,"seq":4,"type":"occupancy.over_limit","count":4,"limit":3}', 1, 0),
         (5, 1700014400000, 0, 'session.ended', 0, 1, NULL, NULL, '{}',
          'van/test1/events', '{"v":1,"seq":5,"type":"session.ended"}', 1, 0);
-- seq 5 was not yet delivered when the unit was upgraded
INSERT INTO outbox(kind, prio, topic, payload, qos, retain, seq, created_utc_ms)
  VALUES (0, 0, 'van/test1/events', '{"v":1,"seq":5,"type":"session.ended"}', 1, 0, 5, 1700014400000),
         (1, 0, 'van/test1/location', '{"v":1,"lat":52.48,"lon":-1.89}', 0, 0, 0, 1700014401000);
