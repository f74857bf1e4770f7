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

// ---- vanbase's heartbeat (docs/escalation.md, "Heartbeat"): a hung vanbase
// keeps its connection and its "online"; its list stops.  A fake clock:
// `now` is the console's wall clock, `mono` its monotonic one.
function beat(f, at, { retained = false, hb = 5, utc = at, alarms = [alarm()], mono = at } = {}) {
	return f.handle('vanbase/alarms', JSON.stringify({ v: 1, vanbase: 'Test base', utc, heartbeat_s: hb, alarms }),
		{ retained, now: at, mono });
}
const esc = (f, at, mono = at) => f.escalation(at, true, mono);

test('heartbeat: live lists keep vanbase up; 3 missed intervals make it "stale" (not responding); the next list brings it back', () => {
	const f = fleet();
	overdueVan(f, T0);
	f.linked(T0);
	f.handle('vanbase/availability', 'online', { now: T0 });
	for (let t = T0; t <= T0 + 60000; t += 5000)
		beat(f, t);
	let e = esc(f, T0 + 60000);
	assert.equal(e.state, 'up');
	assert.equal(e.confirmed, true);
	assert.deepEqual(kinds(f, T0 + 60000), []);
	// the last list at T0+60 s; the limit is 3 x 5 s
	assert.equal(esc(f, T0 + 75000).state, 'up', 'exactly 3 intervals: still up');
	e = esc(f, T0 + 75001);
	assert.equal(e.state, 'stale');
	assert.equal(e.up, false);
	assert.equal(e.since, T0 + 60000, 'since: the last live list, in the console\'s time');
	assert.equal(e.silentS, 15);
	assert.equal(e.heartbeatS, 5);
	// while it is not responding the console judges base's clock itself
	assert.deepEqual(kinds(f, T0 + 76000), ['overdue']);
	beat(f, T0 + 90000);
	assert.equal(esc(f, T0 + 90000).state, 'up');
	assert.deepEqual(kinds(f, T0 + 90000), []);
});

test('heartbeat: the retained copy at subscribe time is no proof of life: "checking", then stale if nothing live follows', () => {
	const f = fleet();
	f.linked(T0);
	f.handle('vanbase/availability', 'online', { retained: true, now: T0 + 50 });
	beat(f, T0 + 60, { retained: true });
	let e = esc(f, T0 + 1000);
	assert.equal(e.state, 'up', 'the first 3 intervals after subscribing: shown up...');
	assert.equal(e.confirmed, false, '...but not confirmed');
	assert.equal(esc(f, T0 + 15000).state, 'up');
	e = esc(f, T0 + 15001);
	assert.equal(e.state, 'stale', 'nothing live for 3 intervals since subscribing');
	assert.equal(e.since, null, 'never heard live by this console');
	// more retained copies (a resubscription) do not help either
	beat(f, T0 + 16000, { retained: true });
	assert.equal(esc(f, T0 + 16000).state, 'stale');
	beat(f, T0 + 17000);
	e = esc(f, T0 + 17000);
	assert.equal(e.state, 'up');
	assert.equal(e.confirmed, true);
});

test('heartbeat: a reconnection counts afresh from the new subscription', () => {
	const f = fleet();
	f.linked(T0);
	f.handle('vanbase/availability', 'online', { now: T0 });
	beat(f, T0);
	f.linked(T0 + 60000);                       // the console's link came back a minute later
	beat(f, T0 + 60010, { retained: true });
	const e = esc(f, T0 + 61000);
	assert.equal(e.state, 'up');
	assert.equal(e.confirmed, false, 'the live list before the reconnection does not confirm this link');
	assert.equal(esc(f, T0 + 75011).state, 'stale');
});

test('heartbeat: base\'s utc is never compared with the browser\'s clock (minutes off either way)', () => {
	for (const off of [-10 * MIN, 10 * MIN, 365 * 24 * 60 * MIN]) {
		const f = fleet();
		f.linked(T0);
		f.handle('vanbase/availability', 'online', { now: T0 });
		for (let t = T0; t <= T0 + 30000; t += 5000)
			beat(f, t, { utc: t + off });
		assert.equal(esc(f, T0 + 30000).state, 'up', `base ${off} ms from the browser: up`);
		assert.equal(esc(f, T0 + 46000).state, 'stale', `base ${off} ms from the browser: stale on time`);
	}
});

test('heartbeat: judged on the monotonic clock: a step of the browser\'s wall clock neither raises nor hides it', () => {
	const f = fleet();
	const M0 = 1000;                             // performance.now() at the start
	f.linked(T0, M0);
	f.handle('vanbase/availability', 'online', { now: T0, mono: M0 });
	beat(f, T0, { mono: M0 });
	// the wall clock jumps 10 minutes ahead, 2 s of real time later
	assert.equal(esc(f, T0 + 10 * MIN + 2000, M0 + 2000).state, 'up');
	// and 10 minutes back: 16 s of real time with no list is still stale
	assert.equal(esc(f, T0 - 10 * MIN + 16000, M0 + 16000).state, 'stale');
});

test('heartbeat: a list without heartbeat_s (an older vanbase) is never judged stale; a nonsense interval counts as none', () => {
	const f = fleet();
	f.linked(T0);
	f.handle('vanbase/availability', 'online', { now: T0 });
	list(f, [alarm()], T0);
	assert.equal(esc(f, T0 + 3600000).state, 'up');
	for (const hb of [0, -5, 'x', 1e9]) {
		beat(f, T0, { hb });
		assert.equal(esc(f, T0 + 3600000).state, 'up', `heartbeat_s ${hb}`);
	}
	// the last will still wins over everything
	beat(f, T0);
	f.handle('vanbase/availability', 'offline', { now: T0 + 1000 });
	assert.equal(esc(f, T0 + 2000).state, 'down');
});
