// base/test/vanbase.test.mjs - the console with vanbase (src/js/fleet.js):
// whose alarms count (vanbase's while it is up, the console's own rules
// while it is down), the list read defensively, and where ACKNOWLEDGE and
// CLOSE go.  node --test base/test/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const Fleet = require('../src/js/fleet.js');

const T0 = Date.UTC(2026, 10, 24, 21, 0, 0);
const MIN = 60000;

function fleet() {
	return new Fleet({ dueGraceS: 60, settleS: 15, silentAfterS: 1e9 });
}
// van1 in a session whose planned end passed 10 min ago (base's clock judges it overdue)
function overdueVan(f, now) {
	f.handle('vanctld/van1/availability', 'online', { now });
	f.handle('vanctld/van1/state', JSON.stringify({ v: 1, unit: 'van1', utc: now,
		session: { state: 'active', id: now - 300 * MIN, planned_end_utc: now - 10 * MIN } }), { now });
}
function alarm(o) {
	return Object.assign({ id: 'a-van1-overdue-1', unit: 'van1', kind: 'overdue', state: 'notified', covert: false,
		drill: false, by_van: false, van_id: null, raised_at: T0 - MIN, since: T0 - MIN, acked_at: null, acked_by: null,
		acked_how: null, resolved_at: null, resolved_why: null, closed_at: null, closed_by: null, note: null,
		next_at: T0 + MIN, reached: [{ contact: 'sam', channel: 'push' }, { contact: 'sam', channel: 'mail' }] }, o);
}
function list(f, alarms, now, name = 'Test base') {
	return f.handle('vanbase/alarms', JSON.stringify({ v: 1, vanbase: name, alarms }), { retained: true, now });
}
const kinds = (f, now, connected = true) => f.shownAlerts(now, connected).map(a => a.kind).sort();

test('vanbase never seen: the console judges base\'s clock itself (the fallback)', () => {
	const f = fleet();
	overdueVan(f, T0);
	assert.equal(f.escalation(T0, true).state, 'never');
	assert.equal(f.escalation(T0, true).up, false);
	assert.deepEqual(kinds(f, T0 + 1000), ['overdue']);
});

test('vanbase online with its list: its alarms count, the console raises none of base\'s clock', () => {
	const f = fleet();
	overdueVan(f, T0);
	f.handle('vanbase/availability', 'online', { retained: true, now: T0 });
	assert.equal(f.escalation(T0, true).state, 'nolist', 'online but no list yet is not "up"');
	assert.deepEqual(kinds(f, T0 + 1000), ['overdue'], 'no list yet: still the console\'s own rules');
	list(f, [alarm()], T0 + 1000);
	const e = f.escalation(T0 + 1000, true);
	assert.equal(e.up, true);
	assert.equal(e.name, 'Test base');
	assert.deepEqual(kinds(f, T0 + 2000), []);
	assert.deepEqual(f.alerts(T0 + 2000, true).map(a => a.kind), ['overdue'], 'alerts() stays the rules (the shared cases)');
	assert.deepEqual(f.baseAlarms('van1').map(a => a.id), ['a-van1-overdue-1']);
	assert.equal(Fleet.reachedText(f.baseAlarm('a-van1-overdue-1')), 'sam by push, mail');
});

test('the van\'s own reports vanbase does not escalate stay the console\'s (over the limit, disk)', () => {
	const f = fleet();
	f.handle('vanctld/van1/state', JSON.stringify({ v: 1, utc: T0, session: { state: 'active', id: 1 },
		occupancy: { occupancy: 7, limit: 6, over: true }, storage: { ok: false, error: 'disk full' } }), { now: T0 });
	f.handle('vanbase/availability', 'online', { now: T0 });
	list(f, [], T0);
	assert.deepEqual(kinds(f, T0 + 1000), ['overlimit', 'storage']);
});

test('vanbase goes offline (its last will): back to the console\'s own rules at once', () => {
	const f = fleet();
	overdueVan(f, T0);
	f.handle('vanbase/availability', 'online', { now: T0 });
	list(f, [alarm()], T0);
	assert.deepEqual(kinds(f, T0 + 1000), []);
	f.handle('vanbase/availability', 'offline', { now: T0 + 2000 });
	const e = f.escalation(T0 + 3000, true);
	assert.equal(e.state, 'down');
	assert.equal(e.since, T0 + 2000);
	assert.deepEqual(kinds(f, T0 + 3000), ['overdue']);
	// a deleted retained availability: as never seen
	f.handle('vanbase/availability', '', { retained: true, now: T0 + 4000 });
	assert.equal(f.escalation(T0 + 4000, true).state, 'never');
});

test('a console not connected cannot tell whether vanbase is up: its own rules', () => {
	const f = fleet();
	overdueVan(f, T0);
	f.handle('vanbase/availability', 'online', { now: T0 });
	list(f, [], T0);
	assert.equal(f.escalation(T0, false).state, 'unknown');
	assert.deepEqual(kinds(f, T0 + 1000, false), ['overdue']);
});

test('the list is read defensively: garbage never breaks it, bad alarms are dropped with a warning', () => {
	const f = fleet();
	f.handle('vanbase/availability', 'online', { now: T0 });
	assert.equal(f.handle('vanbase/availability', 'maybe', { now: T0 }), null);
	assert.equal(f.vb.availability, 'online');
	for (const junk of ['{', '[]', '{"v":1}', '{"v":2,"alarms":[]}', '"x"', 'null'])
		assert.equal(f.handle('vanbase/alarms', junk, { now: T0 }), null, junk);
	assert.equal(f.vb.alarms, null);
	assert.equal(f.escalation(T0, true).up, false, 'no valid list: not up');
	list(f, [alarm(), alarm({ id: 'bad id with spaces' }), alarm({ id: 'x', unit: '../../etc' }), 42, null,
		alarm({ id: 'c1', state: 'closed' }), alarm({ id: 'k1', kind: 'newkind', reached: 'x' })], T0);
	assert.deepEqual(f.baseAlarms().map(a => a.id).sort(), ['a-van1-overdue-1', 'k1']);
	assert.equal(f.baseAlarm('k1').known, false);
	assert.deepEqual(f.baseAlarm('k1').reached, []);
	assert.match(f.warnings[0].text, /4 alarm\(s\).*not understood/);
	assert.equal(f.handle('vanbase/cmd/ack', '{}', { now: T0 }), null, 'a console does not read commands');
	// a deleted retained list: not up until a new one comes
	f.handle('vanbase/alarms', '', { retained: true, now: T0 + 1 });
	assert.equal(f.escalation(T0 + 1, true).state, 'nolist');
	// long strings are shortened, times must be integers
	list(f, [alarm({ acked_by: 'x'.repeat(500), acked_at: 'yesterday', note: 'n'.repeat(1000) })], T0 + 2);
	const a = f.baseAlarm('a-van1-overdue-1');
	assert.ok(a.ackedBy.length <= 48 && a.note.length <= 201);
	assert.equal(a.ackedAt, null);
});

test('open alarms first, emergencies first, then the oldest', () => {
	const f = fleet();
	list(f, [alarm({ id: 's', kind: 'silent', since: T0 - 9 * MIN }),
		 alarm({ id: 'r', kind: 'emergency', state: 'resolved', since: T0 - 20 * MIN }),
		 alarm({ id: 'o2', since: T0 - 2 * MIN }), alarm({ id: 'o1', since: T0 - 5 * MIN }),
		 alarm({ id: 'e', kind: 'emergency', since: T0 - MIN, van_id: 5 })], T0);
	assert.deepEqual(f.baseAlarms().map(a => a.id), ['e', 'o1', 'o2', 's', 'r']);
	assert.equal(f.baseAlarm('r').open, false);
});

test('ACKNOWLEDGE: an emergency goes to the van (cmd/ack), a base-only alarm to vanbase/cmd/ack', () => {
	const f = fleet();
	list(f, [alarm(), alarm({ id: 'e1', kind: 'emergency', van_id: 1750000000123, covert: true }),
		 alarm({ id: 'd1', kind: 'drill', drill: true, van_id: 77 }), alarm({ id: 'd2', kind: 'drill', drill: true, unit: null }),
		 alarm({ id: 'st', kind: 'selftest_failed' }), alarm({ id: 'off', kind: 'offline' })], T0);
	const e = f.ackCommand(f.baseAlarm('e1'), T0, 'Sam at base');
	assert.equal(e.to, 'van');
	assert.equal(e.topic, 'vanctld/van1/cmd/ack');
	const ep = JSON.parse(e.payload);
	assert.equal(ep.emergency, 1750000000123);
	assert.equal(ep.by, 'Sam at base');
	assert.equal(ep.time, undefined, 'no time: a van with a wrong clock would refuse it');
	assert.equal(f.ackCommand(f.baseAlarm('d1'), T0, 'Sam').to, 'van', 'a van\'s self-test is acknowledged at the van');
	for (const id of ['a-van1-overdue-1', 'd2', 'st', 'off']) {
		const c = f.ackCommand(f.baseAlarm(id), T0, 'Sam at base');
		assert.equal(c.to, 'vanbase', id);
		assert.equal(c.topic, 'vanbase/cmd/ack');
		assert.deepEqual(JSON.parse(c.payload), { alarm: id, by: 'Sam at base' });
	}
});

test('CLOSE goes to vanbase with the note (if any); done when the alarm leaves the list', () => {
	const f = fleet();
	list(f, [alarm({ state: 'resolved', resolved_at: T0 })], T0);
	const a = f.baseAlarm('a-van1-overdue-1');
	const c = f.closeCommand(a, '  crew phoned, all fine  ', T0, 'Sam');
	assert.equal(c.topic, 'vanbase/cmd/close');
	assert.deepEqual(JSON.parse(c.payload), { alarm: a.id, by: 'Sam', note: 'crew phoned, all fine' });
	assert.deepEqual(JSON.parse(f.closeCommand(a, '   ', T0, 'Sam').payload), { alarm: a.id, by: 'Sam' });
	assert.equal(f.baseCommandFor(a.id, 'close', T0 + 1000).status, 'sent');
	list(f, [], T0 + 2000);
	assert.equal(f.baseCommandFor(a.id, 'close', T0 + 2000).status, 'done');
});

test('a vanbase ack is done when the list shows it acknowledged; unanswered after commandTimeoutS', () => {
	const f = fleet();
	list(f, [alarm(), alarm({ id: 'b' })], T0);
	f.ackCommand(f.baseAlarm('a-van1-overdue-1'), T0, 'Sam');
	f.ackCommand(f.baseAlarm('b'), T0, 'Sam');
	list(f, [alarm({ state: 'acknowledged', acked_by: 'Sam', acked_how: 'console', acked_at: T0 + 500 }), alarm({ id: 'b' })], T0 + 600);
	const c = f.baseCommandFor('a-van1-overdue-1', 'ack', T0 + 700);
	assert.equal(c.status, 'done');
	assert.equal(c.doneAt, T0 + 600);
	assert.equal(f.baseAlarm('a-van1-overdue-1').ackedHow, 'console');
	assert.equal(f.baseCommandFor('b', 'ack', T0 + 31000).status, 'no_change');
});

test('an emergency: the console\'s own (from the van) is joined with vanbase\'s alarm of it', () => {
	const f = fleet();
	f.handle('vanctld/van1/emergency', JSON.stringify({ v: 1, time: new Date(T0).toISOString(), active: true, id: 42,
		raised_utc: T0, source: 'panic', covert: false }), { retained: true, now: T0 });
	const v = f.vans.van1;
	assert.equal(f.alarmOfEmergency(v, v.emergency), null);
	list(f, [alarm({ id: 'e-old', kind: 'emergency', van_id: 41, state: 'resolved' }),
		 alarm({ id: 'e42', kind: 'emergency', van_id: 42 }),
		 alarm({ id: 'e-van2', kind: 'emergency', unit: 'van2', van_id: 7 })], T0);
	assert.equal(f.alarmOfEmergency(v, v.emergency).id, 'e42');
	// van2's emergency is only in vanbase's list (the console never saw it): still shown
	assert.deepEqual(f.baseOnlyEmergencies().map(a => a.id), ['e-van2']);
});

test('levels and titles of vanbase\'s kinds', () => {
	assert.equal(Fleet.alarmLevel('emergency'), 'emergency');
	for (const k of ['overdue', 'checkin', 'offline'])
		assert.equal(Fleet.alarmLevel(k), 'alarm');
	for (const k of ['silent', 'selftest_failed', 'drill', 'whatever'])
		assert.equal(Fleet.alarmLevel(k), 'warn');
	for (const k of ['emergency', 'overdue', 'checkin', 'offline', 'silent', 'selftest_failed', 'drill'])
		assert.equal(typeof Fleet.ALARM_TITLES[k], 'string');
});
