// base/test/fleet.test.mjs - the console's rules (src/js/fleet.js) with a
// fake clock: node --test base/test/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const Fleet = require('../src/js/fleet.js');

const T0 = Date.UTC(2026, 10, 24, 21, 0, 0);
const MIN = 60000;
const iso = ms => new Date(ms).toISOString();

function fleet(opts) {
	return new Fleet(Object.assign({ dueGraceS: 60, settleS: 15, silentAfterS: 1e9 }, opts));
}
function state(unit, vanNow, o = {}) {
	return JSON.stringify(Object.assign({
		v: 1, unit, utc: vanNow, time: iso(vanNow),
		session: { state: 'active', id: vanNow - 60 * MIN, crew: 2, planned_end_utc: vanNow + 120 * MIN,
			   checkin: { stage: 'waiting', due_utc: vanNow + 30 * MIN, due_in_s: 1800, escalated: false } },
		occupancy: { occupancy: 1, limit: 6, full: false, over: false },
		gps: { link: 'up', fix: '3d', lat: 53.8, lon: -1.55, age_s: 0.5 },
		link: { base: 'online', backlog: 0, oldest_s: null },
		emergency: null,
	}, o));
}
function event(unit, seq, type, vanMs, data = {}) {
	return JSON.stringify({ v: 1, seq, unit, type, time: iso(vanMs), prio: 0, data });
}
const kinds = (f, now, unit) => f.alerts(now, true).filter(a => !unit || a.unit === unit).map(a => a.kind).sort();

test('a van appears with its availability, state and name', () => {
	const f = fleet();
	f.handle('vanctld/van1/availability', 'online', { retained: true, now: T0 });
	f.handle('vanctld/van1/state', state('van1', T0, { name: 'North van' }), { retained: true, now: T0 });
	const v = f.vans.van1;
	assert.equal(v.availability, 'online');
	assert.equal(v.name, 'North van');
	assert.equal(f.session(v).crew, 2);
	assert.deepEqual(kinds(f, T0 + 1000), []);
});

test('offline (last will) while a session runs is an alarm; not after the session ended', () => {
	const f = fleet();
	f.handle('vanctld/van1/availability', 'online', { now: T0 });
	f.handle('vanctld/van1/state', state('van1', T0), { now: T0 });
	f.handle('vanctld/van1/availability', 'offline', { now: T0 + 5000 });
	assert.deepEqual(kinds(f, T0 + 6000), ['offline']);
	const g = fleet();
	g.handle('vanctld/van1/state', state('van1', T0, { session: { state: 'ended' } }), { now: T0 });
	g.handle('vanctld/van1/availability', 'offline', { now: T0 + 5000 });
	assert.deepEqual(kinds(g, T0 + 6000), []);
});

test('an online van in a session that says nothing for silentAfterS: warning, not while base is disconnected', () => {
	const f = fleet({ silentAfterS: 180 });
	f.handle('vanctld/van1/availability', 'online', { now: T0 });
	f.handle('vanctld/van1/state', state('van1', T0), { now: T0 });
	assert.deepEqual(kinds(f, T0 + 170000), []);
	assert.deepEqual(kinds(f, T0 + 190000), ['silent']);
	assert.deepEqual(f.alerts(T0 + 190000, false).map(a => a.kind), []);
});

test('the last will does not count as hearing from the van', () => {
	const f = fleet();
	f.handle('vanctld/van1/state', state('van1', T0), { now: T0 });
	f.handle('vanctld/van1/availability', 'offline', { now: T0 + 50000 });
	assert.equal(f.vans.van1.lastLive, T0);
});

test('a check-in due time passing on base\'s clock raises an alert, a newer state clears it', () => {
	const f = fleet();
	f.handle('vanctld/van1/availability', 'online', { now: T0 });
	f.handle('vanctld/van1/state', state('van1', T0), { now: T0 });
	assert.deepEqual(kinds(f, T0 + 30 * MIN + 59000), []);        // within the grace
	assert.deepEqual(kinds(f, T0 + 31 * MIN + 1000), ['checkin']);
	const a = f.alerts(T0 + 31 * MIN + 1000, true)[0];
	assert.equal(a.title, 'Check-in overdue');
	assert.match(a.detail, /Due 1 min ago/);
	// the crew checked in: a newer state with the next due time
	const t = T0 + 32 * MIN;
	f.handle('vanctld/van1/state', state('van1', t, { session: { state: 'active', planned_end_utc: t + 60 * MIN,
		checkin: { due_utc: t + 60 * MIN } } }), { now: t });
	assert.deepEqual(kinds(f, t + 1000), []);
});

test('the planned end passing raises the overdue alert', () => {
	const f = fleet();
	f.handle('vanctld/van1/state', state('van1', T0, { session: { state: 'active', planned_end_utc: T0 + 5 * MIN } }), { now: T0 });
	assert.deepEqual(kinds(f, T0 + 7 * MIN), ['overdue']);
});

test('due times are judged through the van clock offset (van clock 2 h behind)', () => {
	const f = fleet();
	const off = -2 * 60 * MIN;
	f.handle('vanctld/van1/availability', 'online', { now: T0 });
	f.handle('vanctld/van1/state', state('van1', T0 + off), { now: T0 });
	assert.equal(f.offset(f.vans.van1, T0), off);
	assert.deepEqual(kinds(f, T0 + 10 * MIN), []);
	assert.deepEqual(kinds(f, T0 + 32 * MIN), ['checkin']);
	// transit delays make samples smaller; the largest recent one wins
	f.handle('vanctld/van1/location', JSON.stringify({ v: 1, seq: 1, unit: 'van1', time: iso(T0 + off + 59000),
		lat: 53.8, lon: -1.55 }), { now: T0 + 60000 + 800 });
	assert.equal(f.offset(f.vans.van1, T0 + 61000), off);
});

test('times fixed while the offset was unknown are placed again once it is known', () => {
	const f = fleet();
	const off = -2 * 60 * MIN;
	// a reload during an emergency: retained emergency first, van clock 2 h behind
	f.handle('vanctld/van1/emergency', JSON.stringify({ v: 1, unit: 'van1', time: iso(T0 + off), active: true,
		id: T0 + off - 60000, raised_utc: T0 + off - 60000 }), { retained: true, now: T0 });
	f.handle('vanctld/van1/event', event('van1', 4, 'checkin', T0 + off - 5000), { now: T0 });
	const v = f.vans.van1;
	assert.equal(v.emergency.raisedBase, T0 + off - 60000);          // taken as base time for now
	f.handle('vanctld/van1/location', JSON.stringify({ v: 1, seq: 1, unit: 'van1', time: iso(T0 + off + 1000),
		lat: 53.8, lon: -1.55 }), { now: T0 + 1000 });
	assert.equal(v.emergency.raisedBase, T0 - 60000);
	assert.equal(v.events[0].baseMs, T0 - 5000);
	// and only once: a later clock step in the van does not move them
	f.handle('vanctld/van1/location', JSON.stringify({ v: 1, seq: 2, unit: 'van1', time: iso(T0 + 2000),
		lat: 53.8, lon: -1.55 }), { now: T0 + 2000 });
	assert.equal(v.emergency.raisedBase, T0 - 60000);
});

test('a retained state from an online van with unknown offset waits settleS before judging', () => {
	const f = fleet();
	f.handle('vanctld/van1/availability', 'online', { retained: true, now: T0 });
	f.handle('vanctld/van1/state', state('van1', T0 - 60 * MIN), { retained: true, now: T0 });
	assert.deepEqual(kinds(f, T0 + 5000), []);
	assert.deepEqual(kinds(f, T0 + 16000), ['checkin']);
	// a live message in time tells the offset: no false alarm at all
	const g = fleet();
	g.handle('vanctld/van1/availability', 'online', { retained: true, now: T0 });
	g.handle('vanctld/van1/state', state('van1', T0 - 60 * MIN), { retained: true, now: T0 });
	g.handle('vanctld/van1/location', JSON.stringify({ v: 1, seq: 9, unit: 'van1', time: iso(T0 - 60 * MIN + 1000),
		lat: 53.8, lon: -1.55 }), { now: T0 + 1000 });
	assert.deepEqual(kinds(g, T0 + 16000), []);
});

test('van-reported checkin.missed and session.overdue alert; check-in and resolution clear them', () => {
	const f = fleet();
	f.handle('vanctld/van1/state', state('van1', T0), { now: T0 });
	f.handle('vanctld/van1/event', event('van1', 10, 'checkin.missed', T0 + 1000, { repeat: 0 }), { now: T0 + 1000 });
	assert.deepEqual(kinds(f, T0 + 2000), ['checkin']);
	assert.equal(f.alerts(T0 + 2000, true)[0].title, 'Check-in missed');
	f.handle('vanctld/van1/event', event('van1', 11, 'checkin', T0 + 3000, { was: 'missed' }), { now: T0 + 3000 });
	assert.deepEqual(kinds(f, T0 + 4000), []);
	f.handle('vanctld/van1/event', event('van1', 12, 'session.overdue', T0 + 5000, { repeat: 0 }), { now: T0 + 5000 });
	assert.deepEqual(kinds(f, T0 + 6000), ['overdue']);
	f.handle('vanctld/van1/event', event('van1', 13, 'session.overdue_resolved', T0 + 7000, { how: 'extended' }), { now: T0 + 7000 });
	assert.deepEqual(kinds(f, T0 + 8000), []);
});

test('an old replayed checkin.missed does not raise anything', () => {
	const f = fleet();
	f.handle('vanctld/van1/state', state('van1', T0), { now: T0 });
	f.handle('vanctld/van1/event', event('van1', 3, 'checkin.missed', T0 - 90 * MIN), { now: T0 + 1000 });
	assert.deepEqual(kinds(f, T0 + 2000), []);
});

test('events: duplicates dropped, gaps found, replay asked once per period', () => {
	const f = fleet({ gapWaitS: 5, replayEveryS: 30 });
	f.handle('vanctld/van1/availability', 'online', { now: T0 });
	for (const seq of [7, 8, 8, 11, 7])
		f.handle('vanctld/van1/event', event('van1', seq, 'stop.started', T0), { now: T0 });
	const v = f.vans.van1;
	assert.equal(v.events.length, 3);
	assert.equal(f.stats.duplicates, 2);
	assert.deepEqual(f.gaps(v), [[9, 10]]);
	assert.deepEqual(f.replaysDue(T0 + 1000), []);                   // may still be on its way
	assert.deepEqual(f.replaysDue(T0 + 6000), [{ unit: 'van1', from_seq: 9 }]);
	assert.deepEqual(f.replaysDue(T0 + 7000), []);                   // asked already
	f.handle('vanctld/van1/event', event('van1', 9, 'x', T0), { now: T0 + 8000 });
	f.handle('vanctld/van1/event', event('van1', 10, 'x', T0), { now: T0 + 8000 });
	assert.deepEqual(f.gaps(v), []);
	assert.equal(v.gapSince, null);
	// events below the first one seen are history, not gaps
	f.handle('vanctld/van1/event', event('van1', 2, 'x', T0), { now: T0 + 9000 });
	assert.deepEqual(f.gaps(v), []);
	assert.equal(v.minSeq, 2);
	assert.deepEqual(v.events.map(e => e.seq), [11, 10, 9, 8, 7, 2]);
});

test('no replay is asked of an offline van', () => {
	const f = fleet({ gapWaitS: 0 });
	f.handle('vanctld/van1/event', event('van1', 1, 'x', T0), { now: T0 });
	f.handle('vanctld/van1/event', event('van1', 3, 'x', T0), { now: T0 });
	f.handle('vanctld/van1/availability', 'offline', { now: T0 });
	assert.deepEqual(f.replaysDue(T0 + 1000), []);
});

test('emergency: raised by the topic, acknowledged, cleared only by the topic', () => {
	const f = fleet();
	const em = (o) => JSON.stringify(Object.assign({ v: 1, unit: 'van1', time: iso(T0), active: true, id: T0,
		raised_utc: T0, source: 'panic', covert: false, acknowledged: false, lat: 53.8, lon: -1.55, fix_age_s: 0.3 }, o));
	f.handle('vanctld/van1/emergency', em(), { now: T0 + 100 });
	let e = f.emergencies();
	assert.equal(e.length, 1);
	assert.equal(e[0].e.confirmed, true);
	f.handle('vanctld/van1/emergency', em({ acknowledged: true, acked_by: 'Sam', acked_utc: T0 + 5000 }), { now: T0 + 5100 });
	assert.equal(f.vans.van1.emergency.acknowledged, true);
	assert.equal(f.vans.van1.emergency.ackConfirmedAt, T0 + 5100);
	// the cleared event alone does not end an alarm the topic confirmed
	f.handle('vanctld/van1/event', event('van1', 5, 'emergency.cleared', T0 + 9000, { id: T0 }), { now: T0 + 9000 });
	assert.equal(f.emergencies().length, 1);
	f.handle('vanctld/van1/emergency', JSON.stringify({ v: 1, unit: 'van1', time: iso(T0 + 9000), active: false }), { now: T0 + 9100 });
	assert.equal(f.emergencies().length, 0);
	// a replay of the old raised event must not bring it back
	f.handle('vanctld/van1/event', event('van1', 4, 'emergency.raised', T0, { id: T0, raised_utc: T0 }), { now: T0 + 10000 });
	assert.equal(f.emergencies().length, 0);
});

test('emergency: an event raises the alarm before the topic arrives; covert is kept', () => {
	const f = fleet();
	f.handle('vanctld/van2/event', event('van2', 1, 'emergency.raised', T0, { id: T0, raised_utc: T0, covert: true,
		context: { fix: { lat: 53.7, lon: -1.5, age_s: 1 }, occupancy: 2, limit: 3, crew: 1 } }), { now: T0 + 50 });
	const e = f.emergencies()[0].e;
	assert.equal(e.covert, true);
	assert.equal(e.confirmed, false);
	assert.equal(e.lat, 53.7);
	// another press ("again") resets the acknowledgement
	f.handle('vanctld/van2/emergency', JSON.stringify({ v: 1, unit: 'van2', time: iso(T0), active: true, id: T0,
		raised_utc: T0, covert: true, acknowledged: true, acked_by: 'Sam' }), { now: T0 + 100 });
	assert.equal(f.vans.van2.emergency.acknowledged, true);
	f.handle('vanctld/van2/event', event('van2', 2, 'emergency.raised', T0 + 5000, { id: T0, raised_utc: T0, again: true,
		acknowledged: false, covert: true }), { now: T0 + 5000 });
	assert.equal(f.vans.van2.emergency.acknowledged, false);
});

test('the retained state\'s emergency backs up the topic; not once the topic said it is over', () => {
	const f = fleet();
	const em = { active: true, id: T0, raised_utc: T0, source: 'panic', covert: false, acknowledged: false };
	f.handle('vanctld/van1/state', state('van1', T0 + 1000, { emergency: em }), { retained: true, now: T0 + 2000 });
	assert.equal(f.emergencies().length, 1);
	const g = fleet();
	g.handle('vanctld/van1/emergency', JSON.stringify({ v: 1, unit: 'van1', time: iso(T0 + 5000), active: false }), { retained: true, now: T0 + 6000 });
	g.handle('vanctld/van1/state', state('van1', T0 + 1000, { emergency: em }), { retained: true, now: T0 + 6000 });
	assert.equal(g.emergencies().length, 0);
});

test('commands: ids, replies matched, other consoles\' replies kept apart, unanswered marked', () => {
	const f = fleet({ commandTimeoutS: 30 });
	const c = f.command('van1', 'ack', { by: 'Sam', emergency: 5 }, T0, 'Sam');
	assert.equal(c.topic, 'vanctld/van1/cmd/ack');
	const p = JSON.parse(c.payload);
	// an id, and no "time": a browser's clock 2 min off would make the van
	// refuse the ack as stale (docs/mqtt.md, "Why the console sends no time")
	assert.deepEqual(p, { v: 1, unit: 'van1', id: c.id, by: 'Sam', emergency: 5 });
	const g = fleet();
	assert.notEqual(g.command('van1', 'ack', {}, T0, 'Sam').id, g.command('van1', 'ack', {}, T0, 'Sam').id);
	f.handle('vanctld/van1/availability', 'online', { now: T0 });
	f.handle('vanctld/van1/reply', JSON.stringify({ v: 1, unit: 'van1', command: 'ack', id: c.id, ok: true }), { now: T0 + 80 });
	assert.equal(f.commands[c.id].status, 'ok');
	assert.equal(f.commands[c.id].repliedAt, T0 + 80);
	f.handle('vanctld/van1/reply', JSON.stringify({ v: 1, unit: 'van1', command: 'status', id: 'other-1', ok: false, reason: 'x' }), { now: T0 + 90 });
	const list = f.commandsFor('van1', T0 + 100);
	assert.equal(list.length, 2);
	assert.equal(list[0].foreign, true);
	const d = f.command('van1', 'status', {}, T0 + 200, 'Sam');
	assert.equal(f.commandsFor('van1', T0 + 31000).find(x => x.id === d.id).status, 'no_reply');
	// a reply to our id but from another van is not ours
	const e = f.command('van2', 'status', {}, T0 + 300, 'Sam');
	f.handle('vanctld/van1/reply', JSON.stringify({ v: 1, unit: 'van1', command: 'status', id: e.id, ok: true }), { now: T0 + 400 });
	assert.equal(f.commands[e.id].status, 'sent');
});

test('the van\'s disk: cannot store, or the emergency reserve low, is a warning whatever the session', () => {
	const f = fleet();
	f.handle('vanctld/van1/availability', 'online', { now: T0 });
	f.handle('vanctld/van1/state', state('van1', T0, { storage: { ok: true, reserve_kib: 256, reserve_low: false } }), { now: T0 });
	assert.deepEqual(kinds(f, T0 + 1000, 'van1'), []);
	f.handle('vanctld/van1/state', state('van1', T0 + 2000, { session: { state: 'idle' },
		storage: { ok: true, reserve_kib: 192, reserve_low: true } }), { now: T0 + 2000 });
	assert.deepEqual(kinds(f, T0 + 3000, 'van1'), ['storage']);
	assert.match(f.alerts(T0 + 3000, true)[0].title, /nearly\) full/);
	f.handle('vanctld/van1/state', state('van1', T0 + 4000, {
		storage: { ok: false, error: 'database or disk is full', reserve_kib: 128, reserve_low: true } }), { now: T0 + 4000 });
	const a = f.alerts(T0 + 5000, true).find(x => x.kind === 'storage');
	assert.equal(a.title, 'The van cannot store');
	assert.match(a.detail, /disk is full/);
	assert.equal(a.level, 'warn');
	// an older van without the field: nothing
	f.handle('vanctld/van2/state', state('van2', T0, {}), { now: T0 });
	assert.deepEqual(kinds(f, T0 + 1000, 'van2'), []);
	assert.deepEqual(f.warnings, []);   // the new fields are read, not warned about
	f.handle('vanctld/van1/state', state('van1', T0 + 6000, { storage: { ok: 'no' } }), { now: T0 + 6000 });
	assert.match(f.warnings[0].text, /storage\.ok/);
});

test('malformed and unexpected messages become warnings and create no van', () => {
	const f = fleet();
	const bad = [
		['vanctld/van9/state', 'not json{'],
		['vanctld/van9/state', '[1,2]'],
		['vanctld/van9/state', '{"v":2,"utc":1}'],
		['vanctld/van9/state', '{"v":1,"unit":"van1","utc":1}'],
		['vanctld/van9/state', '{"v":1}'],
		['vanctld/van9/state', '{"v":1,"utc":1,"session":"active"}'],
		['vanctld/van9/event', '{"v":1,"seq":"x","type":"checkin"}'],
		['vanctld/van9/event', '{"v":1,"seq":0,"type":"checkin"}'],
		['vanctld/van9/location', '{"v":1,"lat":"north","lon":200,"time":"now"}'],
		['vanctld/van9/emergency', '{"v":1,"active":"yes"}'],
		['vanctld/van9/availability', 'maybe'],
		['vanctld/van9/reply', '{"v":1}'],
		['vanctld/van9/state', '{"v":1,"pad":"' + 'x'.repeat(300 * 1024) + '"}'],
		['vanctld/van9/cmd/ack', '{}'],
		['vanctld/bad unit!/state', '{}'],
		['other/van9/state', '{}'],
	];
	for (const [t, m] of bad)
		assert.equal(f.handle(t, m, { now: T0 }), null, t + ' ' + m.slice(0, 40));
	assert.equal(f.warningCount, bad.length);
	assert.deepEqual(Object.keys(f.vans), []);
	// a state with wrong field types is read, the wrong fields as absent, with a warning
	const r = f.handle('vanctld/van8/state', JSON.stringify({ v: 1, utc: T0, session: { state: 'active', crew: 'two',
		checkin: { due_utc: 'soon' } }, occupancy: { occupancy: 'many' }, gps: { lat: 'x' }, emergency: { active: true, id: 'x' } }), { now: T0 });
	assert.ok(r);
	assert.match(f.warnings[0].text, /session\.crew.*session\.checkin\.due_utc.*occupancy\.occupancy.*gps\.lat.*emergency\.id/);
	assert.deepEqual(kinds(f, T0 + 60 * MIN), []);
	assert.equal(f.emergencies().length, 0);
	// thrown errors inside are caught too
	assert.equal(f.handle('vanctld/van8/state', { toString() { throw new Error('boom'); } }, { now: T0 }), null);
});

test('tracks are ordered by time, repeated fixes dropped', () => {
	const f = fleet();
	const loc = (seq, t, lat) => JSON.stringify({ v: 1, seq, unit: 'van1', time: iso(t), fix_time: iso(t), lat, lon: -1.5 });
	f.handle('vanctld/van1/location', loc(1, T0, 53.1), { now: T0 });
	f.handle('vanctld/van1/location', loc(3, T0 + 2000, 53.3), { now: T0 + 2000 });
	f.handle('vanctld/van1/location', loc(2, T0 + 1000, 53.2), { now: T0 + 2100 }); // backlog, late
	f.handle('vanctld/van1/location', loc(3, T0 + 2000, 53.3), { now: T0 + 2200 }); // again
	assert.deepEqual(f.vans.van1.track.map(p => p[0]), [53.1, 53.2, 53.3]);
	assert.equal(f.vans.van1.fix.lat, 53.3);
	assert.ok(Math.abs(f.fixAge(f.vans.van1, T0 + 5000) - 3) < 0.01);
});

test('a position in words: plain coordinates, the nearest planned place with distance and direction', () => {
	const G = Fleet.geo;
	assert.equal(G.coords(51.5201, -0.1003), '51.52010 N, 0.10030 W');
	assert.equal(G.coords(-33.8568, 151.2153), '33.85680 S, 151.21530 E');
	assert.equal(G.compass(G.bearing(53.8, -1.55, 53.81, -1.55)), 'north');
	assert.equal(G.compass(G.bearing(53.8, -1.55, 53.79, -1.56)), 'south-west');
	assert.ok(Math.abs(G.distance(53.8, -1.55, 53.81, -1.55) - 1112) < 3);
	assert.equal(G.distText(143), '140 m');
	assert.equal(G.distText(1530), '1.5 km');
	const f = fleet();
	f.handle('vanctld/van1/state', state('van1', T0, { plan: { name: 'evening', at: null, next: null } }), { now: T0 });
	const v = f.vans.van1;
	// no plan known here yet: nothing to say but the coordinates
	assert.equal(f.where(v, 53.8, -1.55).near, null);
	f.handle('vanctld/van1/event', event('van1', 1, 'plan.started', T0, { plan: 'evening',
		base: { location: 'Base', lat: 53.7925, lon: -1.546, radius_m: 150 },
		locations: [{ name: 'S1', index: 1, lat: 53.8000543, lon: -1.5651827, radius_m: 100 },
			    { name: 'S2', index: 2, lat: 53.8086878, lon: -1.5523942, radius_m: 100 }] }), { now: T0 });
	assert.equal(f.places(v).length, 3);
	// 0.002 deg south of S2 (~220 m)
	const w = f.where(v, 53.8066878, -1.5523942);
	assert.equal(w.coords, '53.80669 N, 1.55239 W');
	assert.equal(w.near, '220 m south of S2 (planned stop 2)');
	assert.equal(f.where(v, 53.80005, -1.56518).near, 'at S1 (planned stop 1)');
	assert.equal(f.where(v, 53.7926, -1.5461).near, 'at Base (planned base)');
	// base's own places (config `places`) count too
	assert.match(f.where(v, 53.83, -1.60, [{ name: 'Depot', lat: 53.832, lon: -1.6 }]).near, /of Depot \(base's list\)$/);
	// the van's tracker says where it is: that wins
	f.handle('vanctld/van1/state', state('van1', T0 + 1000, { plan: { name: 'evening', at: { location: 'S2', index: 2 }, next: null } }), { now: T0 + 1000 });
	assert.equal(f.where(v, 53.8066878, -1.5523942).near, 'at S2 (planned stop 2)');
	// the plan is over (state plan null): its places no longer apply
	f.handle('vanctld/van1/state', state('van1', T0 + 2000, { plan: null }), { now: T0 + 2000 });
	assert.equal(f.places(v).length, 0);
	// a console that missed plan.started: the van's own distance to the next stop
	const g = fleet();
	g.handle('vanctld/van2/state', state('van2', T0, { plan: { name: 'x', at: null, next: { location: 'S3', index: 3, distance_m: 812 } } }), { now: T0 });
	assert.equal(g.where(g.vans.van2, 53.8, -1.55).near, '810 m from S3 (next planned stop)');
});

test('emergency repeats: the first raise\'s timing is kept, repeats counted, and folded into one list line', () => {
	const f = fleet();
	const em = (rep, stored) => JSON.stringify({ v: 1, unit: 'van1', time: iso(T0 + rep * 30000), active: true, id: T0, raised_utc: T0,
		source: 'panic', covert: false, repeat: rep, presses: 1, acknowledged: false,
		timing: { edge_mono_ms: 1000, raised_mono_ms: 1000, stored: stored, broker: stored + 2 } });
	f.handle('vanctld/van1/emergency', em(0, 1004), { now: T0 + 10 });
	f.handle('vanctld/van1/event', event('van1', 1, 'session.started', T0 - MIN, {}), { now: T0 });
	f.handle('vanctld/van1/event', event('van1', 2, 'emergency.raised', T0, { id: T0, repeat: 0, source: 'panic' }), { now: T0 + 10 });
	for (let r = 1; r <= 16; r++) {
		// a van before the fix: every repeat moved "stored" and "broker"
		f.handle('vanctld/van1/emergency', em(r, 1000 + r * 30000 + 2), { now: T0 + r * 30000 });
		f.handle('vanctld/van1/event', event('van1', 2 + r, 'emergency.raised', T0 + r * 30000, { id: T0, repeat: r, source: 'panic' }),
			 { now: T0 + r * 30000 });
	}
	f.handle('vanctld/van1/event', event('van1', 19, 'checkin', T0 + 481000, {}), { now: T0 + 481000 });
	const e = f.vans.van1.emergency;
	assert.equal(e.timing.stored, 1004);
	assert.equal(e.timing.broker, 1006);
	assert.equal(e.repeat, 16);
	const list = f.listEvents(f.vans.van1, 60);
	assert.deepEqual(list.map(x => x.rec.type), ['checkin', 'emergency.raised', 'emergency.raised', 'session.started']);
	const fold = list[1].repeats;
	assert.deepEqual([fold.count, fold.highest, fold.firstSeq, fold.lastSeq], [16, 16, 3, 18]);
	assert.equal(list[2].repeats, null);
	assert.equal(list[2].rec.data.repeat, 0);
	// a new emergency restarts the chain
	f.handle('vanctld/van1/emergency', JSON.stringify({ v: 1, unit: 'van1', time: iso(T0), active: false }), { now: T0 + 500000 });
	f.handle('vanctld/van1/emergency', JSON.stringify({ v: 1, unit: 'van1', time: iso(T0 + 600000), active: true, id: T0 + 600000,
		raised_utc: T0 + 600000, repeat: 0, timing: { edge_mono_ms: 601000, raised_mono_ms: 601000, stored: 601300 } }), { now: T0 + 600000 });
	assert.equal(f.vans.van1.emergency.timing.stored, 601300);
	assert.equal(f.vans.van1.emergency.repeat, 0);
});
