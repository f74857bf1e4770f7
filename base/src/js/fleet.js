/*
 * fleet.js - what base knows about every van, built from the MQTT contract
 * (docs/mqtt.md, docs/events.md).  No DOM, no network, no clock of its own:
 * every call gets `now` (base's clock, ms since the epoch), so the rules are
 * tested in node (base/test/fleet.test.mjs) exactly as the page runs them.
 *
 * Nothing a broker sends may break it: every message is checked, anything
 * malformed or unexpected becomes a warning, and handle() never throws.
 */
(function (root, factory) {
	if (typeof module === 'object' && module.exports)
		module.exports = factory();
	else
		root.VanFleet = factory();
})(typeof self !== 'undefined' ? self : this, function () {
	'use strict';

	var SUBTOPICS = ['availability', 'state', 'emergency', 'location', 'event', 'reply'];
	var UNIT_RE = /^[A-Za-z0-9_-]{1,32}$/;
	var MAX_PAYLOAD = 256 * 1024;

	var DEFAULTS = {
		prefix: 'vanctld',
		basePrefix: 'vanbase', /* vanbase's topics: its availability, its alarm list, cmd/ack|close */
		dueGraceS: 60,        /* a due time must be this far past on base's clock before base alerts */
		silentAfterS: 180,    /* an "online" van in a session with no message for this long */
		settleS: 15,          /* before judging due times of a van whose clock offset is unknown */
		offsetWindowS: 120,   /* clock offset: the largest sample of this window */
		gapWaitS: 5,          /* an event gap must last this long before a replay is asked */
		replayEveryS: 30,     /* at most one automatic replay request per van this often */
		autoReplay: true,
		commandTimeoutS: 30,  /* a command with no reply by then is shown as unanswered */
		maxEvents: 300,
		maxTrack: 20000,
		maxWarnings: 100
	};

	/* ---- small checked accessors: a wrong type reads as "absent" ---- */

	function isObj(x) { return x !== null && typeof x === 'object' && !Array.isArray(x); }
	function num(x) { return typeof x === 'number' && isFinite(x) ? x : null; }
	function int(x) { return typeof x === 'number' && isFinite(x) && Math.floor(x) === x ? x : null; }
	function str(x) { return typeof x === 'string' ? x : null; }
	function bool(x) { return typeof x === 'boolean' ? x : null; }
	function obj(x) { return isObj(x) ? x : null; }
	function get(o) {
		for (var i = 1; i < arguments.length; i++) {
			if (!isObj(o))
				return undefined;
			o = o[arguments[i]];
		}
		return o;
	}
	function isoMs(s) {
		if (typeof s !== 'string' || s.length > 40)
			return null;
		var t = Date.parse(s);
		return isFinite(t) ? t : null;
	}
	function lat(x) { x = num(x); return x !== null && x >= -90 && x <= 90 ? x : null; }
	function lon(x) { x = num(x); return x !== null && x >= -180 && x <= 180 ? x : null; }
	function shorten(s, n) {
		s = String(s);
		return s.length > n ? s.slice(0, n) + '…' : s;
	}

	/* "42 s ago", "12 min ago" */
	function ago(ms) {
		var sec = Math.max(0, Math.round(ms / 1000));
		return sec < 60 ? sec + ' s ago' : Math.floor(sec / 60) + ' min ago';
	}

	/* ---- positions in words ---- */

	var geo = {
		/* metres on the WGS84 sphere (haversine; a few m in 10 km is enough here) */
		distance: function (la1, lo1, la2, lo2) {
			var R = 6371008.8, rad = Math.PI / 180;
			var dla = (la2 - la1) * rad, dlo = (lo2 - lo1) * rad;
			var a = Math.sin(dla / 2) * Math.sin(dla / 2) +
				Math.cos(la1 * rad) * Math.cos(la2 * rad) * Math.sin(dlo / 2) * Math.sin(dlo / 2);
			return 2 * R * Math.asin(Math.min(1, Math.sqrt(a)));
		},
		/* initial bearing from 1 to 2, degrees true 0..360 */
		bearing: function (la1, lo1, la2, lo2) {
			var rad = Math.PI / 180;
			var y = Math.sin((lo2 - lo1) * rad) * Math.cos(la2 * rad);
			var x = Math.cos(la1 * rad) * Math.sin(la2 * rad) -
				Math.sin(la1 * rad) * Math.cos(la2 * rad) * Math.cos((lo2 - lo1) * rad);
			return (Math.atan2(y, x) / rad + 360) % 360;
		},
		compass: function (deg) {
			var names = ['north', 'north-east', 'east', 'south-east', 'south', 'south-west', 'west', 'north-west'];
			return names[Math.round(deg / 45) % 8];
		},
		distText: function (m) {
			if (m < 1000)
				return (m < 100 ? Math.round(m / 5) * 5 : Math.round(m / 10) * 10) + ' m';
			return (m < 10000 ? (m / 1000).toFixed(1) : String(Math.round(m / 1000))) + ' km';
		},
		/* "53.80005 N, 1.56518 W": hemispheres in words, no signs to misread on the phone */
		coords: function (la, lo) {
			return Math.abs(la).toFixed(5) + (la < 0 ? ' S' : ' N') + ', ' + Math.abs(lo).toFixed(5) + (lo < 0 ? ' W' : ' E');
		}
	};

	function running(sessionState) {
		return sessionState === 'active' || sessionState === 'overdue';
	}

	/* ---- the fleet ---- */

	function Fleet(opts) {
		this.o = {};
		for (var k in DEFAULTS)
			this.o[k] = opts && opts[k] !== undefined ? opts[k] : DEFAULTS[k];
		this.vans = {};         /* unit -> van */
		this.warnings = [];     /* newest first */
		this.warningCount = 0;
		this.commands = {};     /* id -> command */
		this.commandOrder = []; /* ids, oldest first */
		this.cmdSeq = 0;
		this.started = null;    /* base ms of the first message */
		this.stats = { messages: 0, duplicates: 0, events: 0 };
		/* vanbase, the escalation service (docs/escalation.md): what it last said */
		this.vb = { availability: null, availabilityAt: null, retained: false,
			    name: null, alarms: null, listAt: null, commands: [],
			    /* its heartbeat (docs/escalation.md, "Heartbeat"): the interval it
			     * states, the last live list (not a retained copy) in this
			     * console's wall time (shown) and monotonic time (judged), and
			     * when this console last subscribed (monotonic) */
			    heartbeatS: null, liveAt: null, liveMono: null, linkMono: null };
	}

	Fleet.prototype.warn = function (now, topic, text) {
		this.warningCount++;
		this.warnings.unshift({ at: now, topic: topic ? shorten(topic, 120) : '', text: shorten(text, 300) });
		if (this.warnings.length > this.o.maxWarnings)
			this.warnings.length = this.o.maxWarnings;
	};

	Fleet.prototype.van = function (unit, now) {
		var v = this.vans[unit];
		if (!v) {
			v = this.vans[unit] = {
				unit: unit, name: unit, firstSeen: now,
				availability: null, availabilityAt: null, availabilityVanMs: null,
				state: null, stateAt: null, stateVanMs: null, stateRetained: false,
				lastLive: null,          /* base ms of the newest live (not retained) message */
				offsetSamples: [],       /* [base ms, van ms - base ms] */
				lastOffset: null,
				emergency: null,         /* the alarm: {id, covert, ..., confirmed: topic said so} */
				emTopic: null,           /* last emergency topic payload {active, vanMs} */
				lastClearedId: 0,
				selftest: null,
				location: null, locationAt: null,
				fix: null,               /* {lat, lon, baseMs (when the fix was taken, base clock), src} */
				track: [],               /* [lat, lon, van ms], ordered by time */
				events: [],              /* newest (highest seq) first */
				seen: new Set(), lowSeq: null, contig: null, highSeq: null, minSeq: null,
				gapSince: null, lastReplayAt: null, replayFrom: null,
				flags: { checkinMissed: null, overdue: null, selftestFailed: null, overLimit: null },
				plan: null,              /* the running plan's places (plan.started/anchored): {name, vanMs, session, base, locations} */
				seenAlerts: {}           /* alert key -> true: the operator saw it (silences the sound) */
			};
		}
		return v;
	};

	/* van clock - base clock, ms.  Transit delays only make a sample smaller
	 * than the truth, so the largest recent sample is the best estimate. */
	Fleet.prototype.offset = function (v, now) {
		var best = null, win = this.o.offsetWindowS * 1000;
		for (var i = 0; i < v.offsetSamples.length; i++) {
			var s = v.offsetSamples[i];
			if (now - s[0] <= win && (best === null || s[1] > best))
				best = s[1];
		}
		return best !== null ? best : v.lastOffset;
	};

	Fleet.prototype.sampleOffset = function (v, vanMs, now) {
		if (vanMs === null)
			return;
		var win = this.o.offsetWindowS * 1000;
		v.offsetSamples.push([now, vanMs - now]);
		while (v.offsetSamples.length && now - v.offsetSamples[0][0] > win)
			v.offsetSamples.shift();
		if (v.offsetSamples.length > 200)
			v.offsetSamples.shift();
		var first = v.lastOffset === null;
		v.lastOffset = this.offset(v, now);
		if (first)
			this.reanchor(v, now);
	};

	/* The offset just became known: times fixed while it was not (taken as
	 * 0) are placed again, once. */
	Fleet.prototype.reanchor = function (v, now) {
		var self = this;
		v.events.forEach(function (r) {
			if (r.provisional && r.vanMs !== null) {
				r.baseMs = Math.min(r.at, self.toBase(v, r.vanMs, now));
				r.provisional = false;
			}
		});
		var e = v.emergency;
		if (e && e.provisional && num(e.raised_utc) !== null) {
			e.raisedBase = Math.min(e.since, this.toBase(v, e.raised_utc, now));
			e.provisional = false;
		}
		if (v.fix && v.fix.provisional) {
			v.fix.baseMs = Math.min(v.fix.at, v.fix.baseMs + (v.fix.assumed - this.offset(v, now)));
			v.fix.provisional = false;
		}
	};

	/* a van-clock time on base's clock (offset unknown: the clocks are taken to agree) */
	Fleet.prototype.toBase = function (v, vanMs, now) {
		if (vanMs === null || vanMs === undefined)
			return null;
		var off = this.offset(v, now);
		return vanMs - (off === null ? 0 : off);
	};

	/* ---- messages ---- */

	/* handle(topic, payload (string), {retained, now, mono}) -> {unit, sub}
	 * or null.  mono: the console's monotonic ms (performance.now()) when it
	 * received the message, for vanbase's heartbeat; default now. */
	Fleet.prototype.handle = function (topic, payload, meta) {
		var now = meta && num(meta.now) !== null ? meta.now : Date.now();
		var retained = !!(meta && meta.retained);
		this.mono = meta && num(meta.mono) !== null ? meta.mono : now;
		try {
			return this.handle1(String(topic), payload, retained, now);
		} catch (e) {
			this.warn(now, topic, 'message not understood: ' + (e && e.message ? e.message : e));
			return null;
		}
	};

	Fleet.prototype.handle1 = function (topic, payload, retained, now) {
		if (this.started === null)
			this.started = now;
		if (this.vb.linkMono === null)
			this.vb.linkMono = this.mono;   /* linked() not called: from the first message */
		this.stats.messages++;
		if (topic.indexOf(this.o.basePrefix + '/') === 0)
			return this.handleVanbase(topic, topic.slice(this.o.basePrefix.length + 1), payload, retained, now);
		var p = this.o.prefix + '/';
		if (topic.indexOf(p) !== 0) {
			this.warn(now, topic, 'topic outside ' + this.o.prefix + '/');
			return null;
		}
		var parts = topic.slice(p.length).split('/');
		var unit = parts[0];
		if (!UNIT_RE.test(unit)) {
			this.warn(now, topic, 'not a valid unit id in the topic');
			return null;
		}
		var sub = parts.slice(1).join('/');
		if (SUBTOPICS.indexOf(sub) < 0) {
			this.warn(now, topic, 'unexpected topic');
			return null;
		}
		if (typeof payload !== 'string')
			payload = String(payload);
		if (payload.length > MAX_PAYLOAD) {
			this.warn(now, topic, 'message too large (' + payload.length + ' bytes): ignored');
			return null;
		}
		if (sub === 'availability') {
			/* an empty retained message deletes the retained availability: nothing to show */
			if (payload === '')
				return null;
			if (payload !== 'online' && payload !== 'offline') {
				this.warn(now, topic, 'availability is neither "online" nor "offline": ' + JSON.stringify(shorten(payload, 40)));
				return null;
			}
			var va = this.van(unit, now);
			if (va.availability !== payload || va.availabilityAt === null)
				va.availabilityAt = now;
			va.availability = payload;
			va.availabilityRetained = retained;
			/* "offline" is the broker speaking (the last will), not the van */
			if (!retained && payload === 'online')
				va.lastLive = now;
			return { unit: unit, sub: sub };
		}
		if (payload === '' && retained)
			return null; /* a deleted retained state/emergency */
		var m;
		try {
			m = JSON.parse(payload);
		} catch (e) {
			this.warn(now, topic, 'not JSON: ' + JSON.stringify(shorten(payload, 60)));
			return null;
		}
		if (!isObj(m)) {
			this.warn(now, topic, 'not a JSON object');
			return null;
		}
		if (m.v !== undefined && m.v !== 1) {
			this.warn(now, topic, 'unsupported payload version v=' + shorten(JSON.stringify(m.v), 20) + ' (this console reads v 1)');
			return null;
		}
		if (m.unit !== undefined && m.unit !== unit) {
			this.warn(now, topic, 'payload unit ' + shorten(JSON.stringify(m.unit), 40) + ' does not match the topic');
			return null;
		}
		var existed = !!this.vans[unit];
		var v = this.van(unit, now);
		var ok = this['on_' + sub](v, m, retained, now, topic);
		if (ok === false) {
			if (!existed)
				delete this.vans[unit]; /* nothing valid has come about it */
			return null;
		}
		if (!retained)
			v.lastLive = now;
		return { unit: unit, sub: sub };
	};

	Fleet.prototype.on_state = function (v, s, retained, now, topic) {
		var vanMs = num(s.utc);
		if (vanMs === null)
			vanMs = isoMs(s.time);
		if (vanMs === null) {
			this.warn(now, topic, 'state without a time (utc/time): ignored');
			return false;
		}
		if (s.session !== undefined && s.session !== null && !isObj(s.session)) {
			this.warn(now, topic, 'state.session is not an object: ignored');
			return false;
		}
		var bad = this.stateTypes(s);
		if (bad.length)
			this.warn(now, topic, 'state: wrong types, read as absent: ' + bad.join(', '));
		if (v.stateVanMs !== null && vanMs < v.stateVanMs && !retained) {
			/* an older snapshot arriving late (after a newer one): keep the newer */
			return true;
		}
		if (!retained)
			this.sampleOffset(v, vanMs, now);
		v.state = s;
		v.stateAt = now;
		v.stateVanMs = vanMs;
		v.stateRetained = retained;
		if (str(s.name))
			v.name = shorten(s.name, 60);
		var sess = obj(s.session) || {};
		if (!running(sess.state)) {
			v.flags.checkinMissed = null;
			v.flags.overdue = null;
		} else {
			var ci = obj(sess.checkin);
			if (ci && ci.stage !== 'missed' && ci.escalated !== true)
				v.flags.checkinMissed = null;
			if (sess.state !== 'overdue')
				v.flags.overdue = null;
		}
		var g = obj(s.gps);
		if (g && lat(g.lat) !== null && lon(g.lon) !== null && num(g.age_s) !== null) {
			var prov = retained && this.offset(v, now) === null;
			var at = Math.min(now, (retained ? this.toBase(v, vanMs, now) : now)) - g.age_s * 1000;
			if (!v.fix || at > v.fix.baseMs)
				v.fix = { lat: g.lat, lon: g.lon, baseMs: at, src: 'state', at: now,
					  provisional: prov, assumed: 0 };
		}
		/* the state's emergency (base view) backs up the retained emergency topic */
		var e = obj(s.emergency);
		if (e && e.active === true && int(e.id) !== null && !v.emergency &&
		    e.id > v.lastClearedId && !(v.emTopic && v.emTopic.active === false && v.emTopic.vanMs >= vanMs))
			this.raise(v, e, 'state', now);
		return true;
	};

	/* the fields base reads, with the wrong type: a list of their names */
	Fleet.prototype.stateTypes = function (s) {
		var bad = [];
		var isNum = function (x) { return num(x) !== null; };
		var isStr = function (x) { return typeof x === 'string'; };
		var isBool = function (x) { return typeof x === 'boolean'; };
		var want = function (o, path, spec) {
			if (o === undefined || o === null)
				return;
			if (!isObj(o)) {
				bad.push(path);
				return;
			}
			for (var k in spec) {
				var x = o[k];
				if (x === undefined || x === null)
					continue;
				if (typeof spec[k] === 'object')
					want(x, path + '.' + k, spec[k]);
				else if (!spec[k](x))
					bad.push(path + '.' + k);
			}
		};
		want(s, 'state', {
			name: isStr,
			session: { state: isStr, crew: isNum, lone: isBool, plan: isStr, planned_end_utc: isNum, started_utc: isNum,
				   checkin: { due_utc: isNum, stage: isStr, escalated: isBool, requested: isBool } },
			occupancy: { occupancy: isNum, limit: isNum, full: isBool, over: isBool },
			gps: { fix: isStr, lat: isNum, lon: isNum, age_s: isNum },
			link: { backlog: isNum, oldest_s: isNum },
			storage: { ok: isBool, error: isStr, reserve_kib: isNum, reserve_low: isBool },
			emergency: { active: isBool, id: function (x) { return int(x) !== null; }, covert: isBool }
		});
		return bad.map(function (b) { return b.replace(/^state\./, ''); });
	};

	Fleet.prototype.on_location = function (v, m, retained, now, topic) {
		var la = lat(m.lat), lo = lon(m.lon);
		var t = isoMs(m.fix_time);
		var sent = isoMs(m.time);
		if (la === null || lo === null || (t === null && sent === null)) {
			this.warn(now, topic, 'location without a valid lat/lon/time: ignored');
			return false;
		}
		if (t === null)
			t = sent;
		if (!retained)
			this.sampleOffset(v, sent !== null ? sent : t, now);
		v.location = m;
		v.locationAt = now;
		var baseMs = Math.min(now, this.toBase(v, t, now));
		if (!v.fix || v.fix.provisional || baseMs >= v.fix.baseMs)
			v.fix = { lat: la, lon: lo, baseMs: baseMs, src: 'location', at: now };
		this.addTrack(v, la, lo, t);
		return true;
	};

	Fleet.prototype.addTrack = function (v, la, lo, vanMs) {
		var tr = v.track;
		var i = tr.length;
		while (i > 0 && tr[i - 1][2] > vanMs)
			i--;
		if (i > 0 && tr[i - 1][2] === vanMs)
			return; /* the same fix again */
		tr.splice(i, 0, [la, lo, vanMs]);
		if (tr.length > this.o.maxTrack)
			tr.splice(0, tr.length - this.o.maxTrack);
	};

	Fleet.prototype.on_emergency = function (v, m, retained, now, topic) {
		var vanMs = isoMs(m.time);
		if (m.active === false) {
			v.emTopic = { active: false, vanMs: vanMs, at: now };
			if (v.emergency) {
				v.lastClearedId = Math.max(v.lastClearedId, v.emergency.id);
				v.emergency = null;
			}
			return true;
		}
		if (m.active !== true || int(m.id) === null) {
			this.warn(now, topic, 'emergency without "active" true/false and an id: ignored');
			return false;
		}
		v.emTopic = { active: true, vanMs: vanMs, at: now, id: m.id };
		this.raise(v, m, 'topic', now);
		return true;
	};

	/* raise or update the alarm from the emergency topic, an event or a state */
	Fleet.prototype.raise = function (v, m, from, now) {
		var e = v.emergency;
		if (!e || e.id !== m.id) {
			var r = num(m.raised_utc);
			e = v.emergency = { id: m.id, since: now, confirmed: false, ackConfirmedAt: null, from: from,
					    raisedBase: r === null ? now : Math.min(now, this.toBase(v, r, now)),
					    provisional: r !== null && this.offset(v, now) === null };
		}
		if (from === 'topic')
			e.confirmed = true;
		var fields = ['raised_utc', 'source', 'covert', 'presses', 'fix_age_s', 'duration_s', 'test'];
		for (var i = 0; i < fields.length; i++)
			if (m[fields[i]] !== undefined)
				e[fields[i]] = m[fields[i]];
		/* repeats: the highest count seen (a late event must not lower it) */
		if (int(m.repeat) !== null && (int(e.repeat) === null || m.repeat > e.repeat || m.again === true))
			e.repeat = m.repeat;
		/* the timing chain of the first raise: each stage's earliest time
		 * (a van before 0.2 moved "stored"/"broker" to every 30 s repeat) */
		var tm = obj(m.timing);
		if (tm && num(tm.edge_mono_ms) !== null) {
			if (!e.timing || e.timing.edge_mono_ms !== tm.edge_mono_ms)
				e.timing = {};
			for (var st in tm)
				if (num(tm[st]) !== null && (num(e.timing[st]) === null || tm[st] < e.timing[st]))
					e.timing[st] = tm[st];
		}
		if (lat(m.lat) !== null && lon(m.lon) !== null) {
			e.lat = m.lat;
			e.lon = m.lon;
		}
		e.covert = e.covert === true;
		if (m.acknowledged === true) {
			e.acknowledged = true;
			if (str(m.acked_by) !== null)
				e.acked_by = m.acked_by;
			if (num(m.acked_utc) !== null)
				e.acked_utc = m.acked_utc;
			if (e.ackConfirmedAt === null)
				e.ackConfirmedAt = now;
		} else if (m.acknowledged === false && from !== 'state') {
			/* again: another press resets the acknowledgement */
			e.acknowledged = false;
			e.acked_by = null;
			e.acked_utc = null;
			e.ackConfirmedAt = null;
		}
		e.updated = now;
	};

	Fleet.prototype.on_reply = function (v, m, retained, now, topic) {
		var id = m.id;
		var c = (typeof id === 'string' || typeof id === 'number') ? this.commands[String(id)] : null;
		if (typeof m.ok !== 'boolean') {
			this.warn(now, topic, 'reply without "ok": ignored');
			return false;
		}
		if (c && c.unit === v.unit) {
			c.reply = m;
			c.repliedAt = now;
			c.status = m.ok ? 'ok' : 'error';
		} else {
			/* a reply to another console's command (or to none): shown in the van's log */
			this.remember({
				id: id === undefined || id === null ? null : String(id), unit: v.unit,
				name: str(m.command) || '?', fields: {}, sentAt: null, by: null,
				status: m.ok ? 'ok' : 'error', reply: m, repliedAt: now, foreign: true
			});
		}
		return true;
	};

	/* ---- events ---- */

	Fleet.prototype.on_event = function (v, ev, retained, now, topic) {
		var seq = int(ev.seq);
		var type = str(ev.type);
		if (seq === null || seq < 1 || !type || type.length > 64) {
			this.warn(now, topic, 'event without a valid seq/type: ignored');
			return false;
		}
		if (v.seen.has(seq)) {
			this.stats.duplicates++;
			return true;
		}
		v.seen.add(seq);
		this.stats.events++;
		var data = obj(ev.data) || {};
		var vanMs = isoMs(ev.time);
		/* its time on base's clock, fixed now: a later change of the offset
		 * (a clock step on the van) must not move what was shown */
		var rec = { seq: seq, type: type, vanMs: vanMs, at: now, data: data, prio: int(ev.prio),
			    pos: obj(ev.pos), covert: data.covert === true,
			    baseMs: vanMs === null ? now : Math.min(now, this.toBase(v, vanMs, now)),
			    provisional: vanMs !== null && this.offset(v, now) === null };
		if (v.minSeq === null || seq < v.minSeq)
			v.minSeq = seq;
		/* newest first by seq */
		var evs = v.events, i = 0;
		while (i < evs.length && evs[i].seq > seq)
			i++;
		evs.splice(i, 0, rec);
		if (evs.length > this.o.maxEvents)
			evs.length = this.o.maxEvents;
		this.sequence(v, seq, now);
		if (rec.pos && lat(rec.pos.lat) !== null && lon(rec.pos.lon) !== null && vanMs !== null)
			this.addTrack(v, rec.pos.lat, rec.pos.lon, vanMs);
		this.apply(v, rec, now);
		return true;
	};

	/* a van's events for a list, newest first, at most n lines: the
	 * repeats of one emergency (emergency.raised with repeat > 0, every
	 * 30 s until acknowledged) fold into one line at the newest repeat,
	 * so they never push everything else out.
	 * [{rec, repeats: null | {count, firstSeq, lastSeq, firstMs, lastMs, highest}}] */
	Fleet.prototype.listEvents = function (v, n) {
		var out = [], folds = {};
		for (var i = 0; i < v.events.length && out.length < n; i++) {
			var r = v.events[i], d = r.data;
			if (r.type === 'emergency.raised' && int(d.repeat) !== null && d.repeat > 0 && d.again !== true &&
			    int(d.id) !== null) {
				var f = folds[d.id];
				if (f) {
					f.repeats.count++;
					f.repeats.firstSeq = r.seq;
					f.repeats.firstMs = r.baseMs;
					continue;
				}
				f = folds[d.id] = { rec: r, repeats: { count: 1, firstSeq: r.seq, lastSeq: r.seq, firstMs: r.baseMs,
									lastMs: r.baseMs, highest: d.repeat } };
				out.push(f);
				continue;
			}
			out.push({ rec: r, repeats: null });
		}
		return out;
	};

	/* gaps: above the first seq this console saw, every seq must arrive */
	Fleet.prototype.sequence = function (v, seq, now) {
		if (v.lowSeq === null) {
			v.lowSeq = v.contig = v.highSeq = seq;
		} else {
			if (seq > v.highSeq)
				v.highSeq = seq;
			while (v.seen.has(v.contig + 1))
				v.contig++;
		}
		if (v.highSeq > v.contig) {
			if (v.gapSince === null)
				v.gapSince = now;
		} else {
			v.gapSince = null;
		}
		/* keep the set small: numbers far below the contiguous run are done */
		if (v.seen.size > 20000) {
			var floor = v.contig - 10000;
			v.seen.forEach(function (s) { if (s < floor) v.seen.delete(s); });
		}
	};

	/* the missing seq ranges above lowSeq: [[from, to], ...] (at most 10) */
	Fleet.prototype.gaps = function (v) {
		var out = [];
		if (v.lowSeq === null || v.highSeq <= v.contig)
			return out;
		var s = v.contig + 1;
		while (s < v.highSeq && out.length < 10) {
			if (!v.seen.has(s)) {
				var a = s;
				while (s < v.highSeq && !v.seen.has(s + 1))
					s++;
				out.push([a, s]);
			}
			s++;
		}
		return out;
	};

	Fleet.prototype.apply = function (v, r, now) {
		var d = r.data;
		var fl = v.flags;
		switch (r.type) {
		case 'emergency.raised':
			if (int(d.id) === null || d.id <= v.lastClearedId)
				break; /* an old one (a replay): already cleared */
			if (v.emTopic && v.emTopic.active === false && v.emTopic.vanMs !== null &&
			    num(d.raised_utc) !== null && v.emTopic.vanMs >= d.raised_utc)
				break; /* the retained topic already says it is over */
			var m = {};
			for (var k in d)
				m[k] = d[k];
			var fix = obj(get(d, 'context', 'fix'));
			if (fix && lat(fix.lat) !== null && lon(fix.lon) !== null) {
				m.lat = fix.lat;
				m.lon = fix.lon;
				m.fix_age_s = fix.age_s;
			} else if (r.pos && lat(r.pos.lat) !== null) {
				m.lat = r.pos.lat;
				m.lon = r.pos.lon;
				m.fix_age_s = r.pos.age_s;
			}
			if (d.again !== true)
				delete m.acknowledged;
			this.raise(v, m, 'event', now);
			if (v.emergency)
				v.emergency.context = obj(d.context);
			break;
		case 'plan.started':
		case 'plan.anchored':
			this.planFrom(v, r);
			break;
		case 'emergency.acknowledged':
			if (v.emergency && v.emergency.id === d.id) {
				v.emergency.acknowledged = true;
				v.emergency.acked_by = str(d.by);
				if (v.emergency.ackConfirmedAt === null)
					v.emergency.ackConfirmedAt = now;
			}
			break;
		case 'emergency.cleared':
			if (int(d.id) !== null) {
				v.lastClearedId = Math.max(v.lastClearedId, d.id);
				/* the retained topic is authoritative: only an alarm it never confirmed goes here */
				if (v.emergency && v.emergency.id === d.id && !v.emergency.confirmed)
					v.emergency = null;
			}
			break;
		case 'emergency.test':
			if (int(d.id) !== null)
				v.selftest = { id: d.id, since: now, timeout_s: num(d.timeout_s), vanMs: r.vanMs };
			break;
		case 'selftest.passed':
			if (v.selftest && v.selftest.id === d.id)
				v.selftest = null;
			fl.selftestFailed = null;
			break;
		case 'selftest.failed':
			if (v.selftest && v.selftest.id === d.id)
				v.selftest = null;
			fl.selftestFailed = { at: now, vanMs: r.vanMs, data: d };
			break;
		case 'checkin.missed':
			if (!this.newer(v, r))
				break;
			fl.checkinMissed = { at: now, vanMs: r.vanMs, data: d };
			break;
		case 'checkin':
			if (this.newer(v, r, fl.checkinMissed))
				fl.checkinMissed = null;
			break;
		case 'session.overdue':
			if (!this.newer(v, r))
				break;
			fl.overdue = { at: now, vanMs: r.vanMs, data: d };
			break;
		case 'session.overdue_resolved':
		case 'session.ended':
		case 'session.extended':
			if (this.newer(v, r, fl.overdue))
				fl.overdue = null;
			if (r.type === 'session.ended' && this.newer(v, r, fl.checkinMissed))
				fl.checkinMissed = null;
			break;
		case 'occupancy.over_limit':
			if (this.newer(v, r))
				fl.overLimit = { at: now, vanMs: r.vanMs, data: d };
			break;
		case 'occupancy.over_limit_ended':
			if (this.newer(v, r, fl.overLimit))
				fl.overLimit = null;
			break;
		}
	};

	/* the planned places of the plan a van runs, from plan.started /
	 * plan.anchored (the whole plan: names and positions); a replayed older
	 * plan does not replace a newer one */
	Fleet.prototype.planFrom = function (v, r) {
		var d = r.data;
		if (!Array.isArray(d.locations))
			return;
		if (v.plan && r.vanMs !== null && v.plan.vanMs !== null && r.vanMs < v.plan.vanMs)
			return;
		var locs = [];
		d.locations.slice(0, 50).forEach(function (l, i) {
			if (isObj(l) && str(l.name) && lat(l.lat) !== null && lon(l.lon) !== null)
				locs.push({ name: shorten(l.name, 60), index: int(l.index) !== null ? l.index : i + 1,
					    lat: l.lat, lon: l.lon, radius_m: num(l.radius_m) });
		});
		var b = obj(d.base), base = null;
		if (b && lat(b.lat) !== null && lon(b.lon) !== null)
			base = { name: shorten(str(b.location) || str(b.name) || 'base', 60), index: 0, lat: b.lat, lon: b.lon,
				 radius_m: num(b.radius_m), base: true };
		v.plan = { name: str(d.plan), vanMs: r.vanMs, seq: r.seq, base: base, locations: locs };
	};

	/* the named places that may tell where a van is: the running plan's
	 * (while its state says a plan runs) and base's own list (config
	 * `places`: [{name, lat, lon}]).  [{name, lat, lon, radius_m, planned, index, base}] */
	Fleet.prototype.places = function (v, extra) {
		var out = [];
		var sp = get(v.state, 'plan');
		var planOn = v.plan && (v.state === null || (isObj(sp) && (!str(sp.name) || !v.plan.name || sp.name === v.plan.name)));
		if (planOn) {
			if (v.plan.base)
				out.push({ name: v.plan.base.name, lat: v.plan.base.lat, lon: v.plan.base.lon, radius_m: v.plan.base.radius_m,
					   planned: true, base: true, index: 0 });
			v.plan.locations.forEach(function (l) {
				out.push({ name: l.name, lat: l.lat, lon: l.lon, radius_m: l.radius_m, planned: true, index: l.index });
			});
		}
		(Array.isArray(extra) ? extra : []).forEach(function (p) {
			if (isObj(p) && str(p.name) && lat(p.lat) !== null && lon(p.lon) !== null)
				out.push({ name: shorten(p.name, 60), lat: p.lat, lon: p.lon, radius_m: num(p.radius_m), planned: false });
		});
		return out;
	};

	/* where a position is, in words: {coords: "53.80005 N, 1.56518 W",
	 * near: "140 m south-west of S2 (planned stop 2)" or "at S2 ..." or null} */
	Fleet.prototype.where = function (v, la, lo, extra) {
		if (lat(la) === null || lon(lo) === null)
			return { coords: null, near: null, place: null };
		var best = null;
		this.places(v, extra).forEach(function (p) {
			var d = geo.distance(la, lo, p.lat, p.lon);
			if (!best || d < best.d)
				best = { p: p, d: d };
		});
		var sp = obj(get(v.state, 'plan'));
		var at = sp ? obj(sp.at) : null;
		var near = null;
		if (at && str(at.location)) {
			/* the van's own tracker says it is at a planned location */
			var ap = null;
			this.places(v, []).forEach(function (p) { if (p.name === at.location) ap = p; });
			near = 'at ' + at.location + ' (' + (int(at.index) !== null ? 'planned stop ' + at.index : 'planned') + ')';
			if (ap)
				best = { p: ap, d: geo.distance(la, lo, ap.lat, ap.lon) };
		} else if (best) {
			var what = best.p.base ? 'planned base' : best.p.planned ? 'planned stop ' + best.p.index : 'base\'s list';
			var r = best.p.radius_m !== null && best.p.radius_m !== undefined ? best.p.radius_m : 50;
			near = best.d <= r ? 'at ' + best.p.name + ' (' + what + ')' :
				geo.distText(best.d) + ' ' + geo.compass(geo.bearing(best.p.lat, best.p.lon, la, lo)) + ' of ' +
				best.p.name + ' (' + what + ')';
		} else if (sp && obj(sp.next) && str(sp.next.location) && num(sp.next.distance_m) !== null) {
			/* no positions known for the plan here (console started mid-session): the van's own distance */
			near = geo.distText(sp.next.distance_m) + ' from ' + sp.next.location + ' (next planned stop)';
		}
		return { coords: geo.coords(la, lo), near: near, place: best ? best.p : null, distance_m: best ? best.d : null };
	};

	/* is event r newer than the state we hold (and than flag f, if given)?
	 * Replayed old events must not raise or clear anything. */
	Fleet.prototype.newer = function (v, r, f) {
		if (r.vanMs === null)
			return true;
		if (f && f.vanMs !== null && f.vanMs !== undefined && r.vanMs < f.vanMs)
			return false;
		return v.stateVanMs === null || r.vanMs >= v.stateVanMs - 1000;
	};

	/* ---- commands ---- */

	Fleet.prototype.remember = function (c) {
		var key = c.id !== null && !this.commands[c.id] ? c.id : 'x' + (++this.cmdSeq) + '-' + (c.id || '');
		this.commands[key] = c;
		this.commandOrder.push(key);
		while (this.commandOrder.length > 200)
			delete this.commands[this.commandOrder.shift()];
	};

	/* command(unit, name, fields, now, who) -> {topic, payload (string), id}.
	 * A new id every time (the van refuses a repeat), and deliberately no
	 * "time": the van would refuse every command, acks included, as stale
	 * when this machine's clock is 2 minutes off (docs/mqtt.md, "Why the
	 * console sends no time"). */
	Fleet.prototype.command = function (unit, name, fields, now, who) {
		var id = 'b' + (now % 100000000).toString(36) + '-' + (++this.cmdSeq);
		var p = { v: 1, unit: unit, id: id };
		for (var k in fields)
			p[k] = fields[k];
		var c = { id: id, unit: unit, name: name, fields: fields, sentAt: now, by: who || null,
			  status: 'sent', reply: null, repliedAt: null };
		this.remember(c);
		return { topic: this.o.prefix + '/' + unit + '/cmd/' + name, payload: JSON.stringify(p), id: id };
	};

	Fleet.prototype.commandsFor = function (unit, now) {
		var out = [];
		for (var i = this.commandOrder.length - 1; i >= 0; i--) {
			var c = this.commands[this.commandOrder[i]];
			if (c.unit !== unit)
				continue;
			if (c.status === 'sent' && now - c.sentAt > this.o.commandTimeoutS * 1000)
				c.status = 'no_reply';
			out.push(c);
		}
		return out;
	};

	Fleet.prototype.lastCommand = function (unit, name, pred) {
		for (var i = this.commandOrder.length - 1; i >= 0; i--) {
			var c = this.commands[this.commandOrder[i]];
			if (c.unit === unit && c.name === name && !c.foreign && (!pred || pred(c)))
				return c;
		}
		return null;
	};

	/* automatic replay requests: [{unit, from_seq}] to send now */
	Fleet.prototype.replaysDue = function (now) {
		var out = [];
		if (!this.o.autoReplay)
			return out;
		for (var u in this.vans) {
			var v = this.vans[u];
			if (v.gapSince === null || now - v.gapSince < this.o.gapWaitS * 1000)
				continue;
			if (v.lastReplayAt !== null && now - v.lastReplayAt < this.o.replayEveryS * 1000)
				continue;
			if (v.availability === 'offline')
				continue; /* it cannot answer; ask when it is back */
			v.lastReplayAt = now;
			v.replayFrom = v.contig + 1;
			out.push({ unit: u, from_seq: v.contig + 1 });
		}
		return out;
	};

	/* ---- what the operator must see ---- */

	Fleet.prototype.session = function (v) {
		return obj(get(v.state, 'session')) || {};
	};

	Fleet.prototype.inSession = function (v) {
		return running(this.session(v).state);
	};

	/* due times of the newest state, on base's clock */
	Fleet.prototype.dues = function (v, now) {
		var s = this.session(v);
		var ci = obj(s.checkin);
		return {
			checkin: ci && num(ci.due_utc) !== null ? this.toBase(v, ci.due_utc, now) : null,
			end: num(s.planned_end_utc) !== null ? this.toBase(v, s.planned_end_utc, now) : null
		};
	};

	/* can the van's due times be judged yet?  Not while its clock offset is
	 * unknown and it is online (a live message will tell the offset soon). */
	Fleet.prototype.settled = function (v, now) {
		if (this.offset(v, now) !== null)
			return true;
		if (v.availability === 'offline' || v.availability === null)
			return true;
		return now - v.firstSeen >= this.o.settleS * 1000;
	};

	/* alerts(now, connected) -> [{unit, key, level, kind, title, detail, since}]
	 * level: "alarm" (act now) or "warn". Emergencies are not here: emergencies(). */
	Fleet.prototype.alerts = function (now, connected) {
		var out = [];
		var units = Object.keys(this.vans).sort();
		for (var i = 0; i < units.length; i++) {
			var v = this.vans[units[i]];
			var s = this.session(v);
			var run = running(s.state);
			var push = function (key, level, kind, title, detail, since) {
				out.push({ unit: v.unit, name: v.name, key: v.unit + ':' + key, level: level, kind: kind,
					   title: title, detail: detail, since: since });
			};
			if (run && v.availability === 'offline') {
				push('offline', 'alarm', 'offline', 'Van offline during a session',
				     'The broker reports the van gone (last will) while its session was running. ' +
				     'It cannot raise an alarm now.', this.offlineSince(v, now));
			} else if (run && connected && v.availability === 'online') {
				var last = v.lastLive !== null ? v.lastLive : Math.max(v.firstSeen, this.started || 0);
				if (now - last > this.o.silentAfterS * 1000)
					push('silent', 'warn', 'silent', 'No news from the van',
					     'Online, but nothing received for ' + Math.round((now - last) / 60000) + ' min.', last);
			}
			var grace = this.o.dueGraceS * 1000;
			var settled = this.settled(v, now);
			var d = this.dues(v, now);
			var ci = obj(s.checkin) || {};
			var ciVan = v.flags.checkinMissed || ci.stage === 'missed' || ci.escalated === true;
			var ciBase = settled && d.checkin !== null && now > d.checkin + grace;
			if (run && (ciVan || ciBase)) {
				push('checkin:' + (num(ci.due_utc) || ''), 'alarm', 'checkin',
				     ciVan ? 'Check-in missed' : 'Check-in overdue',
				     (d.checkin !== null && now > d.checkin ? 'Due ' + ago(now - d.checkin) + ' (base clock). ' : '') +
				     (ciVan ? 'The van reported it missed: base is alerted.' : 'Base\'s own clock: nothing newer from the van.'),
				     v.flags.checkinMissed ? v.flags.checkinMissed.at : d.checkin);
			}
			var endVan = v.flags.overdue || s.state === 'overdue';
			var endBase = settled && d.end !== null && now > d.end + grace;
			if (run && (endVan || endBase)) {
				push('overdue:' + (num(s.planned_end_utc) || ''), 'alarm', 'overdue', 'Session overdue',
				     (d.end !== null && now > d.end ? 'Planned end passed ' + ago(now - d.end) + ' (base clock). ' : '') +
				     (endVan ? 'The van reported it overdue.' : 'Base\'s own clock: nothing newer from the van.'),
				     v.flags.overdue ? v.flags.overdue.at : d.end);
			}
			if (v.flags.selftestFailed)
				push('selftest', 'warn', 'selftest', 'Emergency self-test failed',
				     'The van\'s test alarm was not acknowledged in time: the emergency path may be broken.',
				     v.flags.selftestFailed.at);
			if (v.flags.overLimit || get(v.state, 'occupancy', 'over') === true)
				push('overlimit', 'warn', 'overlimit', 'Over the occupancy limit',
				     'More service users on board than the van\'s policy allows.',
				     v.flags.overLimit ? v.flags.overLimit.at : v.stateAt);
			// the van's disk (docs/mqtt.md, state.storage): whatever the session
			var sto = obj(get(v.state, 'storage'));
			if (sto && (sto.ok === false || sto.reserve_low === true))
				push('storage', 'warn', 'storage',
				     sto.ok === false ? 'The van cannot store' : 'The van\'s disk is (nearly) full',
				     (sto.ok === false
					? 'Its disk refuses writes' + (str(sto.error) ? ' (' + shorten(sto.error, 80) + ')' : '') +
					  ': events may arrive unstored and its own record may miss them. '
					: 'It had to use, or cannot keep whole, the disk space it keeps for emergencies. ') +
				     'Emergencies are still kept and sent. Free space on the van\'s card.', v.stateAt);
		}
		return out;
	};

	/* when an offline van went quiet, as well as base can tell: a retained
	 * "offline" says nothing of when, the van's last state does */
	Fleet.prototype.offlineSince = function (v, now) {
		if (v.availability !== 'offline')
			return null;
		if (v.availabilityRetained && v.stateVanMs !== null)
			return Math.min(now, this.toBase(v, v.stateVanMs, now));
		return v.availabilityAt;
	};

	Fleet.prototype.emergencies = function () {
		var out = [];
		for (var u in this.vans) {
			var v = this.vans[u];
			if (v.emergency)
				out.push({ van: v, e: v.emergency });
		}
		out.sort(function (a, b) { return a.e.since - b.e.since; });
		return out;
	};

	/* fix age in seconds on base's clock, or null */
	Fleet.prototype.fixAge = function (v, now) {
		return v.fix ? Math.max(0, (now - v.fix.baseMs) / 1000) : null;
	};

	Fleet.prototype.trackToday = function (v, now, dayStart) {
		var out = [];
		for (var i = 0; i < v.track.length; i++) {
			var t = this.toBase(v, v.track[i][2], now);
			if (t >= dayStart)
				out.push(v.track[i]);
		}
		return out;
	};


	/* ---- vanbase: the alarms that count while it is up ---- */

	var VB_KINDS = ['emergency', 'overdue', 'checkin', 'offline', 'silent', 'selftest_failed', 'drill'];
	var VB_STATES = ['raised', 'notified', 'acknowledged', 'resolved', 'closed'];
	/* the console's alerts vanbase raises on base's clock itself: shown from
	 * vanbase's list while it is up, judged here only while it is down */
	var VB_JUDGED = ['offline', 'silent', 'checkin', 'overdue', 'selftest'];
	var VB_ID_RE = /^[A-Za-z0-9_.:-]{1,95}$/;

	Fleet.ALARM_TITLES = {
		emergency: 'EMERGENCY', overdue: 'Session overdue', checkin: 'Check-in missed',
		offline: 'Van offline during a session', silent: 'No news from the van',
		selftest_failed: 'Emergency self-test failed', drill: 'Drill (test alarm)'
	};
	/* how serious: emergency > alarm (act now) > warn */
	Fleet.alarmLevel = function (kind) {
		return kind === 'emergency' ? 'emergency' : kind === 'overdue' || kind === 'checkin' || kind === 'offline' ? 'alarm' : 'warn';
	};

	function msOrNull(x) { x = int(x); return x !== null && x > 0 ? x : null; }
	function textOrNull(x, n) { x = str(x); return x !== null && x !== '' ? shorten(x, n) : null; }

	/* one alarm of vanbase's list, checked; null when it cannot be shown */
	function vbAlarm(a) {
		if (!isObj(a) || !str(a.id) || !VB_ID_RE.test(a.id) || !str(a.kind) || !str(a.state))
			return null;
		var unit = str(a.unit);
		if (unit !== null && !UNIT_RE.test(unit))
			return null;
		var reached = [];
		(Array.isArray(a.reached) ? a.reached : []).slice(0, 50).forEach(function (r) {
			if (isObj(r) && str(r.contact) && str(r.channel))
				reached.push({ contact: shorten(r.contact, 40), channel: shorten(r.channel, 40) });
		});
		return {
			id: a.id, unit: unit, kind: shorten(a.kind, 30), known: VB_KINDS.indexOf(a.kind) >= 0,
			state: VB_STATES.indexOf(a.state) >= 0 ? a.state : shorten(a.state, 20),
			covert: a.covert === true, drill: a.drill === true, byVan: a.by_van === true,
			vanId: int(a.van_id), raisedAt: msOrNull(a.raised_at), since: msOrNull(a.since),
			ackedAt: msOrNull(a.acked_at), ackedBy: textOrNull(a.acked_by, 47), ackedHow: textOrNull(a.acked_how, 23),
			resolvedAt: msOrNull(a.resolved_at), resolvedWhy: textOrNull(a.resolved_why, 120),
			closedAt: msOrNull(a.closed_at), closedBy: textOrNull(a.closed_by, 47), note: textOrNull(a.note, 200),
			nextAt: msOrNull(a.next_at), reached: reached,
			open: a.state !== 'resolved' && a.state !== 'closed',
			acked: a.state === 'acknowledged' || msOrNull(a.acked_at) !== null || textOrNull(a.acked_by, 47) !== null
		};
	}

	Fleet.prototype.handleVanbase = function (topic, sub, payload, retained, now) {
		var vb = this.vb;
		if (typeof payload !== 'string')
			payload = String(payload);
		if (payload.length > MAX_PAYLOAD) {
			this.warn(now, topic, 'message too large (' + payload.length + ' bytes): ignored');
			return null;
		}
		if (sub === 'availability') {
			if (payload === '') {
				/* the retained availability deleted: vanbase as never seen */
				vb.availability = vb.availabilityAt = null;
				return { vanbase: true, sub: sub };
			}
			if (payload !== 'online' && payload !== 'offline') {
				this.warn(now, topic, 'vanbase availability is neither "online" nor "offline": ' + JSON.stringify(shorten(payload, 40)));
				return null;
			}
			if (vb.availability !== payload || vb.availabilityAt === null)
				vb.availabilityAt = now;
			vb.availability = payload;
			vb.retained = retained;
			return { vanbase: true, sub: sub };
		}
		if (sub !== 'alarms') {
			this.warn(now, topic, 'unexpected topic');
			return null;
		}
		if (payload === '') {
			vb.alarms = vb.listAt = null;
			return { vanbase: true, sub: sub };
		}
		var m;
		try {
			m = JSON.parse(payload);
		} catch (e) {
			this.warn(now, topic, 'not JSON: ' + JSON.stringify(shorten(payload, 60)));
			return null;
		}
		if (!isObj(m) || !Array.isArray(m.alarms)) {
			this.warn(now, topic, 'vanbase alarm list without "alarms": ignored');
			return null;
		}
		if (m.v !== 1) {
			this.warn(now, topic, 'unsupported vanbase list version v=' + shorten(JSON.stringify(m.v), 20) + ' (this console reads v 1)');
			return null;
		}
		var out = [], dropped = 0;
		m.alarms.slice(0, 500).forEach(function (a) {
			var x = vbAlarm(a);
			if (x && x.state !== 'closed')
				out.push(x);
			else if (!x)
				dropped++;
		});
		if (dropped)
			this.warn(now, topic, dropped + ' alarm(s) of vanbase\'s list not understood: not shown');
		vb.alarms = out;
		vb.listAt = now;
		vb.name = textOrNull(m.vanbase, 60);
		/* the heartbeat: only a live list (not the broker's retained copy,
		 * which it hands over at subscribe time whether vanbase runs or not)
		 * is a sign of life; m.utc (base's clock) is never compared with ours */
		var hb = int(m.heartbeat_s);
		vb.heartbeatS = hb !== null && hb >= 1 && hb <= 3600 ? hb : null;
		if (!retained) {
			vb.liveAt = now;
			vb.liveMono = this.mono;
		}
		this.vbSettle(now);
		return { vanbase: true, sub: sub };
	};

	/* vanbase is not responding once no live list came for this many of its
	 * heartbeats (docs/escalation.md, "Heartbeat") */
	Fleet.STALE_BEATS = 3;

	/* The console (re)subscribed (MQTT connect): the retained copies come
	 * now, and vanbase's heartbeat is counted from here until a live list
	 * arrives.  mono: performance.now(); default now. */
	Fleet.prototype.linked = function (now, mono) {
		this.vb.linkMono = num(mono) !== null ? mono : now;
	};

	/* Is vanbase the one raising base's alarms now?  {up, state, name, since}
	 * state: "up" | "down" (its last will, or stopped) | "stale" (online and
	 * connected, but no live alarm list for STALE_BEATS heartbeats: hung) |
	 * "never" (nothing ever heard, or its availability deleted) | "nolist"
	 * (online, but no alarm list yet) | "unknown" (this console is not
	 * connected: it cannot tell).  Only "up" hands the alarms to vanbase.
	 * "up" with confirmed false: only the retained copy since subscribing
	 * (checking, for up to STALE_BEATS heartbeats).  mono: the console's
	 * monotonic ms (default now); the staleness is judged on it alone. */
	Fleet.prototype.escalation = function (now, connected, mono) {
		var vb = this.vb;
		var m = num(mono) !== null ? mono : now;
		var r = { up: false, state: 'never', name: vb.name, since: vb.availabilityAt, sinceKnown: !vb.retained,
			  confirmed: true, heartbeatS: vb.heartbeatS, silentS: null, lastLive: vb.liveAt };
		if (!connected)
			r.state = 'unknown';
		else if (vb.availability === 'offline')
			r.state = 'down';
		else if (vb.availability === 'online')
			r.state = vb.alarms ? 'up' : 'nolist';
		if (r.state === 'up' && vb.heartbeatS !== null) {
			var link = vb.linkMono !== null ? vb.linkMono : m;
			var live = vb.liveMono !== null && vb.liveMono >= link;
			var from = live ? vb.liveMono : link;
			r.confirmed = live;
			r.silentS = Math.max(0, Math.floor((m - from) / 1000));
			if (m - from > Fleet.STALE_BEATS * vb.heartbeatS * 1000) {
				r.state = 'stale';
				r.since = vb.liveAt;
				r.sinceKnown = vb.liveAt !== null;
			}
		}
		r.up = r.state === 'up';
		return r;
	};

	/* the console's own alerts that are shown: while vanbase is up, only
	 * those it does not judge itself (the van's own reports: over the
	 * occupancy limit, its disk).  mono as for escalation(). */
	Fleet.prototype.shownAlerts = function (now, connected, mono) {
		var all = this.alerts(now, connected);
		if (!this.escalation(now, connected, mono).up)
			return all;
		return all.filter(function (a) { return VB_JUDGED.indexOf(a.kind) < 0; });
	};

	/* vanbase's alarms (of one van, or all): open ones first, emergencies
	 * first, then the oldest first */
	Fleet.prototype.baseAlarms = function (unit) {
		var list = (this.vb.alarms || []).filter(function (a) { return unit === undefined || a.unit === unit; });
		var rank = function (a) {
			return (a.open ? 0 : 10) + (a.kind === 'emergency' ? 0 : Fleet.alarmLevel(a.kind) === 'alarm' ? 1 : 2);
		};
		return list.sort(function (a, b) {
			return rank(a) - rank(b) || (a.since || a.raisedAt || 0) - (b.since || b.raisedAt || 0) || (a.id < b.id ? -1 : 1);
		});
	};

	Fleet.prototype.baseAlarm = function (id) {
		var l = this.vb.alarms || [];
		for (var i = 0; i < l.length; i++)
			if (l[i].id === id)
				return l[i];
		return null;
	};

	/* vanbase's alarm for a van's emergency e (the console's), or null */
	Fleet.prototype.alarmOfEmergency = function (v, e) {
		var l = this.vb.alarms || [], best = null;
		for (var i = 0; i < l.length; i++) {
			var a = l[i];
			if (a.kind !== 'emergency' || a.unit !== v.unit)
				continue;
			if (a.vanId === e.id)
				return a;
			if (a.vanId === null && a.open)
				best = a;
		}
		return best;
	};

	/* vanbase's open emergencies the console itself has no emergency for
	 * (it started after the van's retained topic was cleared, say): shown
	 * from the list alone, never hidden */
	Fleet.prototype.baseOnlyEmergencies = function () {
		var self = this;
		return this.baseAlarms().filter(function (a) {
			if (a.kind !== 'emergency' || !a.open)
				return false;
			var v = a.unit ? self.vans[a.unit] : null;
			return !(v && v.emergency && self.alarmOfEmergency(v, v.emergency) === a);
		});
	};

	/* "sam by push, mail; alex by sms", or null: who vanbase reached */
	Fleet.reachedText = function (a) {
		var order = [], by = {};
		a.reached.forEach(function (r) {
			if (!by[r.contact]) {
				by[r.contact] = [];
				order.push(r.contact);
			}
			if (by[r.contact].indexOf(r.channel) < 0)
				by[r.contact].push(r.channel);
		});
		return order.length ? order.map(function (c) { return c + ' by ' + by[c].join(', '); }).join('; ') : null;
	};

	Fleet.ACK_HOW = { console: 'in a base console', cli: 'on base\'s machine (vanbase ack)', van: 'at the van (the van confirmed it)' };

	/* ACKNOWLEDGE of one of vanbase's alarms: an emergency (and a van's own
	 * self-test) goes to the van as ever (cmd/ack: the crew sees it, and
	 * vanbase reads the van's acknowledgement); an alarm only base knows
	 * goes to vanbase.  -> {topic, payload, id, to: "van"|"vanbase"} */
	Fleet.prototype.ackCommand = function (a, now, who) {
		if ((a.kind === 'emergency' || a.kind === 'drill') && a.unit && a.vanId !== null)
			return Object.assign(this.command(a.unit, 'ack', { by: who, emergency: a.vanId }, now, who), { to: 'van' });
		return this.baseCommand('ack', a, { by: who }, now);
	};

	/* CLOSE (with an optional note): always vanbase's */
	Fleet.prototype.closeCommand = function (a, note, now, who) {
		var f = { by: who };
		note = str(note) !== null ? note.trim().slice(0, 199) : '';
		if (note)
			f.note = note;
		return this.baseCommand('close', a, f, now);
	};

	/* vanbase/cmd/NAME {"alarm": ID, "by": NAME[, "note": TEXT]}.  vanbase
	 * sends no reply: the command is done when its alarm list shows it. */
	Fleet.prototype.baseCommand = function (name, a, fields, now) {
		var p = { alarm: a.id };
		for (var k in fields)
			p[k] = fields[k];
		var c = { id: 'vb' + (++this.cmdSeq), name: name, alarm: a.id, unit: a.unit, by: fields.by || null,
			  note: fields.note || null, sentAt: now, status: 'sent', doneAt: null };
		this.vb.commands.push(c);
		if (this.vb.commands.length > 100)
			this.vb.commands.shift();
		return { topic: this.o.basePrefix + '/cmd/' + name, payload: JSON.stringify(p), id: c.id, to: 'vanbase' };
	};

	/* a new list: the commands it shows done */
	Fleet.prototype.vbSettle = function (now) {
		var self = this;
		this.vb.commands.forEach(function (c) {
			if (c.status !== 'sent' && c.status !== 'no_change')
				return;
			var a = self.baseAlarm(c.alarm);
			var done = c.name === 'ack' ? !a || a.acked : !a;
			if (done) {
				c.status = 'done';
				c.doneAt = now;
			}
		});
	};

	/* the newest command of this console for an alarm (status "sent",
	 * "done", "no_change" after commandTimeoutS, "error"), or null */
	Fleet.prototype.baseCommandFor = function (id, name, now) {
		for (var i = this.vb.commands.length - 1; i >= 0; i--) {
			var c = this.vb.commands[i];
			if (c.alarm === id && (!name || c.name === name)) {
				if (c.status === 'sent' && now - c.sentAt > this.o.commandTimeoutS * 1000)
					c.status = 'no_change';
				return c;
			}
		}
		return null;
	};

	Fleet.util = { num: num, int: int, str: str, bool: bool, obj: obj, get: get, isoMs: isoMs, running: running };
	Fleet.geo = geo;
	Fleet.DEFAULTS = DEFAULTS;
	return Fleet;
});
