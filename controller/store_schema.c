/*
 * store_schema.c - the SQL of each schema version of the vanctld database.
 *
 * migrations[v - 1] takes a database from version v - 1 to v (v1 creates
 * everything from an empty file).  store.c runs each in its own transaction
 * and then sets PRAGMA user_version = v.  A released entry is frozen: change
 * the schema by appending a migration, never by editing one, and record it
 * in docs/schema.md ("Migration history").
 */
#include <stddef.h>

#include "store.h"

static const char *const migrations[] = {
	/* v1: initial schema. */
	"CREATE TABLE kv ("
	"  key   TEXT PRIMARY KEY NOT NULL,"
	"  value TEXT NOT NULL"
	");"
	"CREATE TABLE counters ("
	"  name  TEXT PRIMARY KEY NOT NULL,"
	"  value INTEGER NOT NULL"
	");"
	"INSERT INTO counters(name, value) VALUES ('seq', 0), ('session', 0);"
	"CREATE TABLE route_points ("
	"  id         INTEGER PRIMARY KEY,"
	"  session_id INTEGER NOT NULL DEFAULT 0,"
	"  utc_ms     INTEGER NOT NULL,"
	"  utc_src    INTEGER NOT NULL DEFAULT 0,"
	"  lat        REAL NOT NULL,"
	"  lon        REAL NOT NULL,"
	"  alt        REAL,"
	"  speed      REAL,"
	"  track      REAL,"
	"  eph        REAL,"
	"  mode       INTEGER NOT NULL DEFAULT 0,"
	"  sats       INTEGER"
	");"
	"CREATE INDEX route_points_utc ON route_points(utc_ms);"
	"CREATE INDEX route_points_session ON route_points(session_id, utc_ms);"
	"CREATE TABLE events ("
	"  id         INTEGER PRIMARY KEY,"
	"  seq        INTEGER NOT NULL UNIQUE,"
	"  utc_ms     INTEGER NOT NULL,"
	"  utc_src    INTEGER NOT NULL DEFAULT 0,"
	"  type       TEXT NOT NULL,"
	"  prio       INTEGER NOT NULL DEFAULT 0,"
	"  session_id INTEGER NOT NULL DEFAULT 0,"
	"  lat        REAL,"
	"  lon        REAL,"
	"  data       TEXT NOT NULL DEFAULT '{}',"
	"  topic      TEXT,"
	"  payload    TEXT,"
	"  qos        INTEGER NOT NULL DEFAULT 1,"
	"  retain     INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX events_session ON events(session_id, utc_ms);"
	"CREATE INDEX events_type ON events(type, utc_ms);"
	"CREATE TABLE outbox ("
	"  id             INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  kind           INTEGER NOT NULL,"
	"  prio           INTEGER NOT NULL DEFAULT 0,"
	"  topic          TEXT NOT NULL,"
	"  payload        TEXT NOT NULL,"
	"  qos            INTEGER NOT NULL DEFAULT 1,"
	"  retain         INTEGER NOT NULL DEFAULT 0,"
	"  seq            INTEGER NOT NULL DEFAULT 0,"
	"  created_utc_ms INTEGER NOT NULL"
	");"
	"CREATE INDEX outbox_order ON outbox(prio DESC, id);"
	"CREATE INDEX outbox_kind ON outbox(kind, seq);"
	"CREATE TABLE sessions ("
	"  id                 INTEGER PRIMARY KEY,"
	"  started_utc_ms     INTEGER NOT NULL,"
	"  ended_utc_ms       INTEGER NOT NULL DEFAULT 0,"
	"  planned_end_utc_ms INTEGER NOT NULL DEFAULT 0,"
	"  crew               INTEGER NOT NULL DEFAULT 0,"
	"  lone               INTEGER NOT NULL DEFAULT 0,"
	"  plan               TEXT,"
	"  summary            TEXT"
	");"
	"CREATE INDEX sessions_started ON sessions(started_utc_ms);"
	"CREATE TABLE stops ("
	"  id              INTEGER PRIMARY KEY,"
	"  session_id      INTEGER NOT NULL DEFAULT 0,"
	"  arrived_utc_ms  INTEGER NOT NULL,"
	"  departed_utc_ms INTEGER NOT NULL DEFAULT 0,"
	"  lat             REAL,"
	"  lon             REAL,"
	"  name            TEXT,"
	"  entries         INTEGER NOT NULL DEFAULT 0,"
	"  peak            INTEGER NOT NULL DEFAULT 0,"
	"  door_openings   INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX stops_session ON stops(session_id, arrived_utc_ms);"
	"CREATE INDEX stops_arrived ON stops(arrived_utc_ms);",

	/* v2: the incident log.  Events can be marked as incidents with a
	 * category (reports by category); retention works on events by time. */
	"ALTER TABLE events ADD COLUMN incident INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE events ADD COLUMN category TEXT;"
	"CREATE INDEX events_incident ON events(category, utc_ms) WHERE incident <> 0;"
	"CREATE INDEX events_utc ON events(utc_ms);",

	/* v3: route points belong to the session running when they were taken.
	 * Up to v2 the daemon stored every point with session_id 0, so the
	 * review found no route.  Each such point goes to the latest session
	 * that started at or before it, if that session had not ended by then
	 * (a session without an end, a crash, keeps its points up to the next
	 * start); the rest stay 0: taken between sessions. */
	"UPDATE route_points SET session_id = COALESCE(("
	"  SELECT CASE WHEN s.ended_utc_ms = 0 OR route_points.utc_ms <= s.ended_utc_ms"
	"              THEN s.id ELSE 0 END"
	"  FROM sessions s WHERE s.started_utc_ms <= route_points.utc_ms"
	"  ORDER BY s.started_utc_ms DESC LIMIT 1), 0)"
	" WHERE session_id = 0;",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == STORE_SCHEMA_VERSION,
	       "one migration per schema version");

const char *store_migration_sql(int version)
{
	if (version < 1 || version > STORE_SCHEMA_VERSION)
		return NULL;
	return migrations[version - 1];
}
