/*
 * app.js - the base console: connects to the base broker over MQTT over
 * WebSockets, feeds every message to the fleet model (fleet.js) and draws it.
 * Everything shown that came from a broker is set as text (never as HTML).
 */
(function () {
	'use strict';

	var U = VanFleet.util;
	var G = VanFleet.geo;
	var $ = function (id) { return document.getElementById(id); };
	var LS = {
		get: function (k) { try { return localStorage.getItem('vanconsole.' + k); } catch (e) { return null; } },
		set: function (k, v) { try { localStorage.setItem('vanconsole.' + k, v); } catch (e) { /* private mode */ } }
	};

	/* ---- settings: config.js, then the page's address ---- */
	var cfg = {};
	var base = window.VAN_CONSOLE_CONFIG || {};
	for (var k in base)
		cfg[k] = base[k];
	var qp = new URLSearchParams(location.search);
	['url', 'prefix', 'basePrefix', 'tiles', 'tilesAttribution', 'user', 'operator'].forEach(function (n) {
		if (qp.has(n))
			cfg[n] = qp.get(n);
	});
	['protocolVersion', 'dueGraceS', 'silentAfterS', 'gapWaitS', 'zoom', 'tilesMaxZoom'].forEach(function (n) {
		if (qp.has(n) && isFinite(Number(qp.get(n))))
			cfg[n] = Number(qp.get(n));
	});
	if (qp.has('autoReplay'))
		cfg.autoReplay = qp.get('autoReplay') !== '0';
	if (cfg.tiles === 'none')
		cfg.tiles = '';
	cfg.prefix = cfg.prefix || 'vanctld';
	cfg.basePrefix = cfg.basePrefix || 'vanbase';

	var fleet = new VanFleet({
		prefix: cfg.prefix, basePrefix: cfg.basePrefix, dueGraceS: cfg.dueGraceS, silentAfterS: cfg.silentAfterS,
		autoReplay: cfg.autoReplay, gapWaitS: cfg.gapWaitS
	});
	var vmap = null;
	var client = null;
	var everConnected = false;
	var connState = 'off';      /* off | connecting | on | lost */
	var connDetail = '';
	var operator = LS.get('operator') || cfg.operator || '';
	var selected = null;
	var dirty = true;
	var lastSound = { emergency: 0, reminder: 0, alert: 0 };
	var pageErrors = 0;
	/* a notification's link: #van=UNIT&alarm=ID (vanbase's console.url) */
	var target = (function () {
		var hp = new URLSearchParams(location.hash.replace(/^#/, ''));
		return { van: hp.get('van'), alarm: hp.get('alarm'), done: false };
	})();

	/* ---- formatting ---- */

	function pad(n) { return n < 10 ? '0' + n : '' + n; }
	function hms(ms) {
		if (ms === null || ms === undefined || !isFinite(ms))
			return '—';
		var d = new Date(ms);
		return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
	}
	function hm(ms) {
		if (ms === null || ms === undefined || !isFinite(ms))
			return '—';
		var d = new Date(ms);
		var today = new Date();
		var s = pad(d.getHours()) + ':' + pad(d.getMinutes());
		var days = Math.round((new Date(d).setHours(0, 0, 0, 0) - new Date(today).setHours(0, 0, 0, 0)) / 86400000);
		if (days === 1)
			s += ' tomorrow';
		else if (days === -1)
			s += ' yesterday';
		else if (days !== 0)
			s = d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + s;
		return s;
	}
	function dur(ms) {
		if (ms === null || ms === undefined || !isFinite(ms))
			return '—';
		var s = Math.round(Math.abs(ms) / 1000);
		if (s < 60)
			return s + ' s';
		if (s < 3600)
			return Math.floor(s / 60) + ' min';
		if (s < 86400)
			return Math.floor(s / 3600) + ' h ' + pad(Math.floor(s % 3600 / 60)) + ' min';
		return Math.floor(s / 86400) + ' d ' + Math.floor(s % 86400 / 3600) + ' h';
	}
	function rel(target, now) {
		if (target === null || target === undefined)
			return '—';
		return target >= now ? 'in ' + dur(target - now) : dur(now - target) + ' ago';
	}
	function coord(la, lo) {
		if (U.num(la) === null || U.num(lo) === null)
			return 'no position';
		return G.coords(la, lo);
	}
	/* the position in words: nearest planned location (or base's own
	 * places) with distance and direction; null when nothing is known */
	function nearText(v, la, lo) {
		return fleet.where(v, la, lo, cfg.places).near;
	}
	function vanPos(v) {
		if (v.fix)
			return { lat: v.fix.lat, lon: v.fix.lon };
		var tr = v.track;
		return tr.length ? { lat: tr[tr.length - 1][0], lon: tr[tr.length - 1][1] } : null;
	}

	/* ---- tiny DOM helpers ---- */

	function h(tag, attrs) {
		var el = document.createElement(tag);
		if (attrs)
			for (var a in attrs) {
				if (a === 'class')
					el.className = attrs[a];
				else if (a === 'text')
					el.textContent = attrs[a];
				else if (a.slice(0, 2) === 'on')
					el.addEventListener(a.slice(2), attrs[a]);
				else if (attrs[a] !== null && attrs[a] !== undefined && attrs[a] !== false)
					el.setAttribute(a, attrs[a] === true ? '' : attrs[a]);
			}
		for (var i = 2; i < arguments.length; i++) {
			var c = arguments[i];
			if (c === null || c === undefined || c === false)
				continue;
			el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
		}
		return el;
	}
	function setText(el, t) {
		t = t === null || t === undefined ? '' : String(t);
		if (el.textContent !== t)
			el.textContent = t;
	}
	function setClass(el, c) {
		if (el.className !== c)
			el.className = c;
	}
	/* keep container's children in step with items, by key; create/update */
	function keyed(container, items, key, create, update) {
		var have = {};
		Array.prototype.forEach.call(container.children, function (c) { have[c.dataset.key] = c; });
		var prev = null;
		items.forEach(function (it) {
			var kk = key(it);
			var el = have[kk];
			if (!el) {
				el = create(it);
				el.dataset.key = kk;
			}
			delete have[kk];
			update(el, it);
			var want = prev ? prev.nextSibling : container.firstChild;
			if (want !== el)
				container.insertBefore(el, want);
			prev = el;
		});
		for (var r in have)
			have[r].remove();
	}

	/* ---- MQTT ---- */

	function defaultUrl() {
		if (cfg.url)
			return cfg.url;
		if (location.protocol === 'https:')
			return 'wss://' + location.host + '/';
		if (location.protocol === 'http:')
			return 'ws://' + location.host + '/';
		return '';
	}

	var decoder = new TextDecoder('utf-8', { fatal: true });

	function onMessage(topic, payload, packet) {
		var now = Date.now();
		var text;
		try {
			text = typeof payload === 'string' ? payload : decoder.decode(payload);
		} catch (e) {
			fleet.warn(now, topic, 'not UTF-8 text (' + (payload ? payload.length : 0) + ' bytes): ignored');
			dirty = true;
			schedule();
			return;
		}
		var r = fleet.handle(topic, text, { retained: !!(packet && packet.retain), now: now, mono: mono() });
		if (r && r.unit)
			attachSavedTrack(r.unit);
		if (r && !target.done && target.van && fleet.vans[target.van]) {
			target.done = true;
			setTimeout(function () { select(target.van); }, 0);
		}
		dirty = true;
		schedule();
	}

	function subscribe() {
		var p = cfg.prefix;
		var topics = {};
		['availability', 'state', 'emergency', 'location', 'event', 'reply'].forEach(function (s) {
			topics[p + '/+/' + s] = { qos: 1 };
		});
		/* vanbase, the escalation service: is it up, and its alarms */
		topics[cfg.basePrefix + '/availability'] = { qos: 1 };
		topics[cfg.basePrefix + '/alarms'] = { qos: 1 };
		client.subscribe(topics, function (err, granted) {
			if (err) {
				fleet.warn(Date.now(), '', 'subscribe failed: ' + err.message);
				return;
			}
			(granted || []).forEach(function (g) {
				if (g.qos === 128)
					fleet.warn(Date.now(), g.topic, 'the broker refused this subscription (ACL?)');
			});
		});
	}

	function connect(url, user, pass) {
		if (client) {
			client.end(true);
			client = null;
		}
		connState = 'connecting';
		connDetail = url;
		everConnected = false;
		// the shipped broker takes only ids starting with vanctld- (a van's id
		// is its bare unit id: config/mosquitto/base-broker.conf)
		var opts = {
			clientId: 'vanctld-base-' + (user || 'console') + '-' + Math.random().toString(16).slice(2, 10),
			protocolVersion: cfg.protocolVersion === 5 ? 5 : 4,
			clean: true, keepalive: 20, reconnectPeriod: 2000, connectTimeout: 10000,
			resubscribe: true
		};
		if (user)
			opts.username = user;
		if (pass)
			opts.password = pass;
		var c;
		try {
			c = mqtt.connect(url, opts);
		} catch (e) {
			loginError('Cannot connect: ' + e.message);
			connState = 'off';
			return;
		}
		client = c;
		c.on('connect', function () {
			if (c !== client)
				return;
			everConnected = true;
			connState = 'on';
			connDetail = url;
			fleet.linked(Date.now(), mono());   /* vanbase's heartbeat counts from here */
			subscribe();
			dirty = true;
			schedule();
		});
		c.on('reconnect', function () {
			if (c !== client)
				return;
			connState = everConnected ? 'lost' : 'connecting';
			dirty = true;
			schedule();
		});
		c.on('close', function () {
			if (c !== client)
				return;
			if (connState === 'on')
				connState = 'lost';
			dirty = true;
			schedule();
		});
		c.on('error', function (err) {
			if (c !== client)
				return;
			var msg = err && err.message ? err.message : String(err);
			connDetail = msg;
			/* wrong credentials or not allowed: retrying will not help */
			if (err && (err.code === 4 || err.code === 5 || err.code === 134 || err.code === 135)) {
				c.end(true);
				client = null;
				connState = 'off';
				loginError('The broker refused the connection: ' + msg);
			}
			dirty = true;
			schedule();
		});
		c.on('message', onMessage);
	}

	function send(unit, name, fields) {
		return publishVan(fleet.command(unit, name, fields || {}, Date.now(), operator));
	}

	/* a command to a van made by fleet.command() */
	function publishVan(cmd) {
		if (!client || connState !== 'on') {
			var c = fleet.commands[cmd.id];
			c.status = 'error';
			c.reply = { ok: false, reason: 'not connected to the broker: not sent' };
			dirty = true;
			schedule();
			return cmd.id;
		}
		client.publish(cmd.topic, cmd.payload, { qos: 1, retain: false }, function (err) {
			var c = fleet.commands[cmd.id];
			if (err && c) {
				c.status = 'error';
				c.reply = { ok: false, reason: 'not sent: ' + err.message };
			} else if (c) {
				c.brokerAt = Date.now();
			}
			dirty = true;
			schedule();
		});
		dirty = true;
		schedule();
		return cmd.id;
	}

	/* a command to vanbase (vanbase/cmd/ack|close): no reply comes; it is
	 * done when vanbase's list shows it (fleet.vbSettle) */
	function sendBase(cmd) {
		var c = null;
		fleet.vb.commands.forEach(function (x) { if (x.id === cmd.id) c = x; });
		if (!client || connState !== 'on') {
			if (c) {
				c.status = 'error';
				c.error = 'not connected to the broker: not sent';
			}
		} else {
			client.publish(cmd.topic, cmd.payload, { qos: 1, retain: false }, function (err) {
				if (err && c) {
					c.status = 'error';
					c.error = 'not sent: ' + err.message;
				}
				dirty = true;
				schedule();
			});
		}
		dirty = true;
		schedule();
	}

	function ackBase(a) {
		if (!operator) {
			openLogin();
			return;
		}
		var cmd = fleet.ackCommand(a, Date.now(), operator);
		if (cmd.to === 'van')
			publishVan(cmd);
		else
			sendBase(cmd);
	}

	function closeBase(a, note) {
		if (!operator) {
			openLogin();
			return;
		}
		sendBase(fleet.closeCommand(a, note, Date.now(), operator));
	}

	/* ---- today's tracks survive a reload (this computer only) ---- */

	var savedTracks = {};
	function dayKey(d) { return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()); }
	function dayStart() { var d = new Date(); d.setHours(0, 0, 0, 0); return d.getTime(); }
	function loadTracks() {
		var raw = LS.get('tracks');
		if (!raw)
			return;
		try {
			var t = JSON.parse(raw);
			if (t && t.day === dayKey(new Date()) && t.vans && typeof t.vans === 'object')
				savedTracks = t.vans;
		} catch (e) { /* ignore a damaged store */ }
	}
	function attachSavedTrack(unit) {
		var pts = savedTracks[unit];
		if (!pts)
			return;
		delete savedTracks[unit];
		var v = fleet.vans[unit];
		if (!v || !Array.isArray(pts))
			return;
		pts.forEach(function (p) {
			if (Array.isArray(p) && U.num(p[0]) !== null && U.num(p[1]) !== null && U.num(p[2]) !== null)
				fleet.addTrack(v, p[0], p[1], p[2]);
		});
	}
	function saveTracks() {
		var out = { day: dayKey(new Date()), vans: {} };
		var now = Date.now(), ds = dayStart();
		for (var u in fleet.vans) {
			var tr = fleet.trackToday(fleet.vans[u], now, ds);
			out.vans[u] = tr.slice(-5000);
		}
		for (var s in savedTracks)
			if (!out.vans[s])
				out.vans[s] = savedTracks[s];
		LS.set('tracks', JSON.stringify(out));
	}

	/* ---- login ---- */

	function loginError(msg) {
		var e = $('login-error');
		setText(e, msg);
		e.hidden = !msg;
		openLogin();
	}
	function openLogin() {
		var d = $('login');
		$('f-url').value = $('f-url').value || LS.get('url') || defaultUrl();
		$('f-user').value = $('f-user').value || LS.get('user') || cfg.user || '';
		$('f-op').value = $('f-op').value || operator;
		if (!d.open)
			d.showModal();
	}
	function initLogin() {
		$('login-form').addEventListener('submit', function (ev) {
			ev.preventDefault();
			var url = $('f-url').value.trim();
			var user = $('f-user').value.trim();
			var pass = $('f-pass').value;
			var op = $('f-op').value.trim().slice(0, 47);
			if (!/^wss?:\/\//.test(url)) {
				loginError('The address must start with ws:// or wss://');
				return;
			}
			if (!op) {
				loginError('Please give your name: it goes with every acknowledgement.');
				return;
			}
			operator = op;
			LS.set('url', url);
			LS.set('user', user);
			LS.set('operator', op);
			$('login-error').hidden = true;
			$('login').close();
			$('f-pass').value = '';
			connect(url, user, pass);
			render();
		});
		$('login').addEventListener('cancel', function (ev) { if (!client) ev.preventDefault(); });
		$('logout').addEventListener('click', function () {
			if (client)
				client.end(true);
			client = null;
			connState = 'off';
			connDetail = '';
			openLogin();
			render();
		});
		$('who').addEventListener('click', function () {
			var n = window.prompt('Your name (sent with acknowledgements):', operator);
			if (n && n.trim()) {
				operator = n.trim().slice(0, 47);
				LS.set('operator', operator);
				render();
			}
		});
	}

	/* ---- rendering ---- */

	var scheduled = false;
	function schedule() {
		if (scheduled)
			return;
		scheduled = true;
		/* not requestAnimationFrame: it stops in a background tab, and an
		 * alarm must still sound there */
		setTimeout(function () {
			scheduled = false;
			render();
		}, 30);
	}

	function vanLabel(v) {
		return v.name && v.name !== v.unit ? v.name + ' (' + v.unit + ')' : v.unit;
	}

	function session(v) { return fleet.session(v); }

	function nextPlanned(s) {
		var cands = [U.get(s, 'plan', 'next'), U.get(s, 'session', 'next_location'), U.get(s, 'session', 'plan_next'),
			     U.get(s, 'next_location')];
		for (var i = 0; i < cands.length; i++) {
			var c = cands[i];
			if (typeof c === 'string')
				return c;
			if (U.obj(c)) {
				/* the van's plan tracker: {location, index, due_utc, distance_m} (docs/plans.md) */
				var name = U.str(c.location) || U.str(c.name) || U.str(c.label) || U.str(c.id) || 'next location';
				var t = U.num(c.due_utc) || U.num(c.eta_utc) || U.num(c.window_start_utc) || U.num(c.start_utc) || U.num(c.arrive_utc);
				var dm = U.num(c.distance_m);
				return name + (t ? ' by ' + hm(t) : '') + (dm !== null ? ' · ' + G.distText(dm) + ' away' : '');
			}
		}
		return null;
	}

	function occText(s) {
		var o = U.obj(U.get(s, 'occupancy'));
		if (!o || U.num(o.occupancy) === null)
			return { text: '—', cls: '' };
		var t = o.occupancy + ' / ' + (U.num(o.limit) !== null ? o.limit : '?') + ' on board';
		return { text: t, cls: o.over === true ? 'bad' : o.full === true ? 'warn' : '' };
	}

	function fixText(v, now) {
		var g = U.obj(U.get(v.state, 'gps'));
		var age = fleet.fixAge(v, now);
		var f = g ? U.str(g.fix) : null;
		if (f === 'lost')
			return { text: 'GPS fix lost' + (age !== null ? ' (last ' + dur(age * 1000) + ' ago)' : ''), cls: 'bad' };
		if (age === null)
			return { text: f === 'none' ? 'no GPS fix yet' : 'no position', cls: 'warn' };
		return { text: (f === '2d' ? '2D fix, ' : f === '3d' ? '3D fix, ' : 'fix ') + dur(age * 1000) + ' old',
			 cls: age > 120 ? 'warn' : '' };
	}

	function offsetNote(v, now) {
		var off = fleet.offset(v, now);
		if (off === null || Math.abs(off) < 120000)
			return null;
		return 'van clock ' + (off > 0 ? 'ahead of' : 'behind') + ' base by ' + dur(off);
	}

	function emergencyWhere(v, e, now) {
		var la = e.lat, lo = e.lon, age = null;
		if (v.fix && (U.num(la) === null || v.fix.baseMs >= (e.updated || 0) - 5000)) {
			la = v.fix.lat;
			lo = v.fix.lon;
			age = fleet.fixAge(v, now);
		} else if (U.num(e.fix_age_s) !== null) {
			age = e.fix_age_s + (now - (e.updated || now)) / 1000;
		}
		return { lat: la, lon: lo, age: age };
	}

	function timingText(e) {
		var t = U.obj(e.timing);
		if (!t)
			return null;
		var edge = U.num(t.edge_mono_ms), parts = [];
		if (edge === null)
			return null;
		var stages = [['raised', 'raised_mono_ms'], ['stored', 'stored'], ['published', 'published'],
			      ['at broker', 'broker'], ['confirmed', 'puback']];
		stages.forEach(function (sg) {
			var x = U.num(t[sg[1]]);
			if (x !== null)
				parts.push(sg[0] + ' +' + Math.round(x - edge) + ' ms');
		});
		return parts.length ? 'button → ' + parts.join(' → ') : null;
	}
	/* "sent again 16 times (every 30 s until acknowledged)" */
	function repeatText(e) {
		var n = U.int(e.repeat);
		if (n === null || n < 1)
			return null;
		return 'sent again ' + n + (n === 1 ? ' time' : ' times') + (e.acknowledged ? '' : ', not acknowledged yet');
	}

	function ackEmergency(v, id) {
		if (!operator) {
			openLogin();
			return;
		}
		send(v.unit, 'ack', { by: operator, emergency: id });
	}

	/* ---- the alarm: one full-width block per emergency ---- */

	function createAlarm(it) {
		var el = h('article', { class: 'alarm' },
			h('div', { class: 'alarm-head' },
				h('span', { class: 'alarm-word', text: 'EMERGENCY' }),
				h('span', { class: 'alarm-van' }),
				h('span', { class: 'alarm-since' })),
			h('div', { class: 'alarm-covert', text: 'COVERT — do not call the van openly. Follow the duress procedure.' }),
			h('div', { class: 'alarm-body' },
				h('dl', { class: 'alarm-facts' },
					h('dt', { text: 'Where' }), h('dd', { class: 'f-where' }),
					h('dt', { text: 'Near' }), h('dd', { class: 'f-near' }),
					h('dt', { text: 'Fix' }), h('dd', { class: 'f-fix' }),
					h('dt', { text: 'On board' }), h('dd', { class: 'f-occ' }),
					h('dt', { text: 'Crew' }), h('dd', { class: 'f-crew' }),
					h('dt', { text: 'Source' }), h('dd', { class: 'f-source' }),
					h('dt', { text: 'Timing' }), h('dd', { class: 'f-timing' }),
					h('dt', { class: 'f-repeats-k', text: 'Repeats' }), h('dd', { class: 'f-repeats' }),
					h('dt', { class: 'f-esc-k', text: 'Escalation' }), h('dd', { class: 'f-esc' })),
				h('div', { class: 'alarm-actions' },
					h('button', { class: 'btn ack', type: 'button', onclick: function () {
						var v = fleet.vans[el.dataset.unit];
						if (v && v.emergency)
							ackEmergency(v, v.emergency.id);
					} }),
					h('button', { class: 'btn small show-map', type: 'button', text: 'Show on map', onclick: function () {
						showFromAlarm(el.dataset.unit, el);
					} }),
					h('div', { class: 'ack-status' }))));
		return el;
	}

	function updateAlarm(el, it) {
		var v = it.van, e = it.e, now = Date.now();
		var s = v.state;
		el.dataset.unit = v.unit;
		var escNow = escalation(now);
		setClass(el, 'alarm' + (e.covert ? ' covert' : '') + (e.acknowledged ? ' acked' : '') +
			 (escNow.up || escNow.state === 'unknown' ? '' : ' esc-down'));
		setText(el.querySelector('.alarm-van'), vanLabel(v));
		var raisedBase = e.raisedBase;
		setText(el.querySelector('.alarm-since'), 'raised ' + hms(raisedBase) + ' (' + dur(now - raisedBase) + ' ago)' +
			(U.num(e.presses) > 1 ? ' · pressed ' + e.presses + ' times' : '') +
			(v.availability === 'offline' ? ' · VAN OFFLINE' : ''));
		var w = emergencyWhere(v, e, now);
		setText(el.querySelector('.f-where'), coord(w.lat, w.lon));
		var nt = U.num(w.lat) !== null ? nearText(v, w.lat, w.lon) : null;
		setText(el.querySelector('.f-near'), nt || 'no planned location known for this van');
		setText(el.querySelector('.f-fix'), w.age === null ? 'age unknown' : dur(w.age * 1000) + ' old' + (w.age > 60 ? ' — OLD POSITION' : ''));
		var ctx = U.obj(e.context) || {};
		var occ = U.obj(U.get(s, 'occupancy')) || {};
		var o = U.num(occ.occupancy) !== null ? occ.occupancy : U.num(ctx.occupancy);
		var lim = U.num(occ.limit) !== null ? occ.limit : U.num(ctx.limit);
		setText(el.querySelector('.f-occ'), o === null ? 'unknown' : o + ' service users (limit ' + (lim === null ? '?' : lim) + ')');
		var crew = U.num(U.get(s, 'session', 'crew'));
		if (crew === null)
			crew = U.num(ctx.crew);
		var lone = U.get(s, 'session', 'lone') === true || U.get(ctx, 'lone') === true;
		setText(el.querySelector('.f-crew'), crew === null ? 'unknown' : crew + (lone ? ' (LONE WORKER)' : ''));
		setText(el.querySelector('.f-source'), (U.str(e.source) || '?') + (e.covert ? ' (covert)' : ''));
		setText(el.querySelector('.f-timing'), (timingText(e) || '—') + (timingText(e) ? ' (first raise)' : ''));
		var rt = repeatText(e);
		el.querySelector('.f-repeats').hidden = el.querySelector('.f-repeats-k').hidden = !rt;
		setText(el.querySelector('.f-repeats'), rt || '');
		el.dataset.repeats = U.int(e.repeat) !== null ? e.repeat : 0;
		/* vanbase's alarm of this emergency: who it paged, and how it stands */
		var esc = escalation(now);
		var va = esc.up ? fleet.alarmOfEmergency(v, e) : null;
		el.dataset.alarm = va ? va.id : '';
		el.dataset.state = va ? va.state : '';
		setText(el.querySelector('.f-esc'), esc.state === 'unknown' ? 'unknown (not connected to the broker)' :
			!esc.up ? 'ESCALATION SERVICE DOWN: nobody is being paged about this' :
			va ? escText(va, now) : 'not in vanbase\'s list yet');
		var btn = el.querySelector('.ack');
		setText(btn, e.acknowledged ? 'Acknowledged ✓ (send again)' : 'ACKNOWLEDGE');
		var cmd = fleet.lastCommand(v.unit, 'ack', function (c) { return c.fields.emergency === e.id; });
		var st = [];
		if (cmd) {
			st.push('Sent ' + hms(cmd.sentAt) + ' by ' + (cmd.by || '?') + '.');
			if (cmd.status === 'ok')
				st.push('Van confirmed at ' + hms(cmd.repliedAt) + ' (' + (cmd.repliedAt - cmd.sentAt) + ' ms).');
			else if (cmd.status === 'error')
				st.push('Van refused: ' + (U.str(U.get(cmd.reply, 'reason')) || 'error') + '.');
			else if (cmd.status === 'no_reply')
				st.push('No reply from the van yet.');
			else
				st.push('Waiting for the van…');
		}
		if (e.acknowledged)
			st.push('Van shows acknowledged by ' + (e.acked_by || '?') +
				(e.ackConfirmedAt !== null ? ' (seen here ' + hms(e.ackConfirmedAt) + ')' : '') +
				(e.covert ? ' (not shown to the crew: covert).' : ' — the crew sees help is coming.'));
		else
			st.push('Not acknowledged yet.');
		if (!e.confirmed)
			st.push('(from the event stream; the emergency topic has not confirmed it yet)');
		setText(el.querySelector('.ack-status'), st.join(' '));
	}

	function createTest(it) {
		return h('article', { class: 'selftest' },
			h('span', { class: 'st-text' }),
			h('button', { class: 'btn small', type: 'button', text: 'Acknowledge test', onclick: function (ev) {
				var v = fleet.vans[ev.target.parentNode.dataset.unit];
				if (v && v.selftest)
					ackEmergency(v, v.selftest.id);
			} }),
			h('span', { class: 'st-status muted' }));
	}
	function updateTest(el, v) {
		el.dataset.unit = v.unit;
		setText(el.querySelector('.st-text'), 'Alarm self-test from ' + vanLabel(v) + ': acknowledge it to prove the emergency path works.');
		var cmd = fleet.lastCommand(v.unit, 'ack', function (c) { return c.fields.emergency === v.selftest.id; });
		var esc = escalation(Date.now());
		var da = null;
		if (esc.up)
			fleet.baseAlarms(v.unit).forEach(function (a) { if (a.kind === 'drill' && a.vanId === v.selftest.id) da = a; });
		setText(el.querySelector('.st-status'), (cmd ? (cmd.status === 'ok' ? 'van confirmed' : cmd.status) : '') +
			(da ? (cmd ? ' · ' : '') + 'vanbase: ' + escText(da, Date.now()) : ''));
	}

	/* ---- vanbase's alarms ---- */

	/* the console's monotonic clock: vanbase's heartbeat is judged on it
	 * alone (a step of this computer's clock moves no deadline) */
	function mono() {
		return performance.now();
	}

	function escalation(now) {
		return fleet.escalation(now, connState === 'on', mono());
	}

	var STATE_WORDS = { raised: 'raised', notified: 'notified', acknowledged: 'acknowledged', resolved: 'resolved', closed: 'closed' };

	/* one line: "NOTIFIED sam by push, mail · next 21:04" / "ACKNOWLEDGED by Sam (in a base console) 21:03" */
	function escText(a, now) {
		var bits = [(STATE_WORDS[a.state] || a.state).toUpperCase()];
		var r = VanFleet.reachedText(a);
		bits.push(r ? 'paged ' + r : 'nobody paged yet');
		if (a.acked)
			bits.push('acknowledged by ' + (a.ackedBy || '?') + ' ' + (VanFleet.ACK_HOW[a.ackedHow] || a.ackedHow || '') +
				(a.ackedAt ? ' at ' + hms(a.ackedAt) : ''));
		else if (a.open && a.nextAt)
			bits.push('next page ' + rel(a.nextAt, now));
		return bits.join(' · ');
	}

	function vbFacts(dl, pairs) {
		facts(dl, pairs);
	}

	function createVba(a) {
		var el = h('article', { class: 'vba' },
			h('div', { class: 'vba-what' },
				h('span', { class: 'vba-title' }), h('span', { class: 'vba-van' }),
				h('span', { class: 'pill vba-state' })),
			h('dl', { class: 'vba-facts' }),
			h('div', { class: 'vba-actions' },
				h('button', { class: 'btn vack', type: 'button', text: 'ACKNOWLEDGE', onclick: function () {
					var x = fleet.baseAlarm(el.dataset.alarm);
					if (x)
						ackBase(x);
				} }),
				h('div', { class: 'closerow' },
					h('input', { class: 'vnote', type: 'text', maxlength: '199', placeholder: 'note (optional)',
						     'aria-label': 'note for closing the alarm' }),
					h('button', { class: 'btn small vclose', type: 'button', text: 'Close', onclick: function () {
						var x = fleet.baseAlarm(el.dataset.alarm);
						if (x)
							closeBase(x, el.querySelector('.vnote').value);
					} })),
				h('div', { class: 'vba-status' })),
			h('div', { class: 'vba-covert', text: 'COVERT — do not call the van openly. Follow the duress procedure.' }));
		return el;
	}

	function updateVba(el, a) {
		var now = Date.now();
		var v = a.unit ? fleet.vans[a.unit] : null;
		var lvl = VanFleet.alarmLevel(a.kind);
		el.dataset.alarm = a.id;
		el.dataset.unit = a.unit || '';
		el.dataset.kind = a.kind;
		el.dataset.state = a.state;
		setClass(el, 'vba ' + (a.open ? lvl : 'done') + (a.kind === 'offline' && a.open ? ' offline' : '') +
			 (a.covert && a.open ? ' covert' : '') + (a.acked ? ' acked' : '') + (target.alarm === a.id ? ' target' : ''));
		setText(el.querySelector('.vba-title'), (VanFleet.ALARM_TITLES[a.kind] || a.kind) + (a.drill && a.kind !== 'drill' ? ' (drill)' : ''));
		setText(el.querySelector('.vba-van'), v ? vanLabel(v) : a.unit || 'base (no van)');
		var st = el.querySelector('.vba-state');
		setText(st, STATE_WORDS[a.state] || a.state);
		setClass(st, 'pill vba-state ' + a.state);
		var r = VanFleet.reachedText(a);
		vbFacts(el.querySelector('.vba-facts'), [
			['Since', a.since ? hm(a.since) + ' (' + dur(now - a.since) + ' ago)' : a.raisedAt ? hm(a.raisedAt) : '—'],
			['Notified', r || (a.open ? 'nobody yet' : 'nobody')],
			['Next page', a.open && !a.acked && a.nextAt ? hm(a.nextAt) + ' (' + rel(a.nextAt, now) + ')' : null],
			['Acknowledged', a.acked ? (a.ackedBy || '?') + ' ' + (VanFleet.ACK_HOW[a.ackedHow] || (a.ackedHow ? '(' + a.ackedHow + ')' : '')) +
				(a.ackedAt ? ' at ' + hms(a.ackedAt) : '') : a.open ? 'NOT YET' : null],
			['Resolved', a.resolvedAt || a.resolvedWhy ? (a.resolvedAt ? hm(a.resolvedAt) + ': ' : '') + (a.resolvedWhy || '') : null],
			['Note', a.note]
		]);
		el.querySelector('.vba-covert').hidden = !a.covert;
		var ack = el.querySelector('.vack');
		ack.hidden = a.acked || !a.open;
		setText(ack, a.kind === 'emergency' ? 'ACKNOWLEDGE (tells the van)' : 'ACKNOWLEDGE');
		var c = fleet.baseCommandFor(a.id, null, now);
		var vc = a.unit && a.vanId !== null ? fleet.lastCommand(a.unit, 'ack', function (x) { return x.fields.emergency === a.vanId; }) : null;
		var line = '';
		if (vc && (!c || vc.sentAt > c.sentAt))
			line = 'Acknowledgement sent to the van ' + hms(vc.sentAt) + ' by ' + (vc.by || '?') + ': ' +
				(vc.status === 'ok' ? 'van confirmed.' : vc.status === 'error' ? 'van refused (' + (U.str(U.get(vc.reply, 'reason')) || 'error') + ').' :
				 vc.status === 'no_reply' ? 'no reply from the van.' : 'waiting for the van…');
		else if (c)
			line = (c.name === 'ack' ? 'Acknowledgement' : 'Close') + ' sent to vanbase ' + hms(c.sentAt) + ' by ' + (c.by || '?') + ': ' +
				(c.status === 'done' ? 'vanbase shows it.' : c.status === 'error' ? c.error + '.' :
				 c.status === 'no_change' ? 'vanbase\'s list has not changed: is vanbase running? (vanbase status)' : 'waiting for vanbase…');
		setText(el.querySelector('.vba-status'), line);
	}

	/* vanbase's list, except the emergencies shown in full above */
	function renderBaseAlarms(now, esc, shownEm) {
		var box = $('vbalarms');
		var items = esc.up ? fleet.baseAlarms().filter(function (a) {
			/* a van's self-test running: its blue strip above has the acknowledgement */
			var v = a.unit ? fleet.vans[a.unit] : null;
			if (a.kind === 'drill' && a.open && v && v.selftest && v.selftest.id === a.vanId)
				return false;
			return shownEm.indexOf(a.id) < 0;
		}) : [];
		keyed(box, items, function (a) { return a.id; }, createVba, updateVba);
		return items;
	}

	function renderAlarms(now) {
		var items = fleet.emergencies();
		var box = $('alarms');
		var alarmEls = box.querySelector('.alarm-list') || box.appendChild(h('div', { class: 'alarm-list' }));
		keyed(alarmEls, items, function (it) { return it.van.unit + ':' + it.e.id; }, createAlarm, updateAlarm);
		var tests = Object.keys(fleet.vans).map(function (u) { return fleet.vans[u]; })
			.filter(function (v) { return v.selftest; });
		var testEls = box.querySelector('.test-list') || box.appendChild(h('div', { class: 'test-list' }));
		keyed(testEls, tests, function (v) { return v.unit + ':' + v.selftest.id; }, createTest, updateTest);
		var esc = escalation(now);
		var shownEm = [];
		if (esc.up)
			items.forEach(function (it) {
				var a = fleet.alarmOfEmergency(it.van, it.e);
				if (a)
					shownEm.push(a.id);
			});
		var vbItems = renderBaseAlarms(now, esc, shownEm);
		var vbEm = vbItems.filter(function (a) { return a.kind === 'emergency' && a.open; });
		document.body.classList.toggle('in-alarm', items.length + vbEm.length > 0);
		document.body.classList.toggle('alarm-unacked', items.some(function (it) { return !it.e.acknowledged; }));
		return items;
	}

	function createAlert(a) {
		var el = h('div', { class: 'alert' },
			h('span', { class: 'al-title' }), h('span', { class: 'al-van' }), h('span', { class: 'al-detail' }),
			h('button', { class: 'btn small seen', type: 'button', text: 'Seen', onclick: function () {
				var v = fleet.vans[el.dataset.unit];
				if (v)
					v.seenAlerts[el.dataset.key] = true;
				dirty = true;
				render();
			} }),
			h('button', { class: 'btn small', type: 'button', text: 'Open', onclick: function () { select(el.dataset.unit); } }));
		return el;
	}
	function updateAlert(el, a) {
		var v = fleet.vans[a.unit];
		var seen = v && v.seenAlerts[a.key];
		el.dataset.unit = a.unit;
		el.dataset.kind = a.kind;
		setClass(el, 'alert ' + a.level + (a.kind === 'offline' ? ' offline' : '') + (seen ? ' seen' : ''));
		setText(el.querySelector('.al-title'), a.title);
		setText(el.querySelector('.al-van'), v ? vanLabel(v) : a.unit);
		setText(el.querySelector('.al-detail'), a.detail + (a.since ? ' Since ' + hm(a.since) + '.' : ''));
		el.querySelector('.seen').hidden = !!seen;
	}

	function renderAlerts(now) {
		var list = fleet.shownAlerts(now, connState === 'on', mono());
		keyed($('alerts'), list, function (a) { return a.key; }, createAlert, updateAlert);
		return list;
	}

	/* ---- the vans ---- */

	function row(label, cls) {
		return h('div', { class: 'kv ' + (cls || '') }, h('span', { class: 'k', text: label }), h('span', { class: 'v' }));
	}

	function createCard(v) {
		var el = h('article', { class: 'van', tabindex: '0', role: 'button',
			onclick: function () { select(el.dataset.unit); },
			onkeydown: function (ev) { if (ev.key === 'Enter') select(el.dataset.unit); } },
			h('div', { class: 'van-head' }, h('span', { class: 'swatch' }), h('span', { class: 'van-name' }), h('span', { class: 'pill avail' })),
			h('div', { class: 'van-session' }),
			row('On board', 'r-occ'), row('Check-in', 'r-ci'), row('Planned end', 'r-end'), row('Next stop', 'r-next'),
			row('Alarms', 'r-alarms'),
			row('Position', 'r-pos'), row('Near', 'r-near'), row('Fix', 'r-fix'), row('Link', 'r-link'), row('Heard', 'r-heard'),
			h('div', { class: 'van-notes' }));
		return el;
	}

	function setRow(el, cls, text, vcls, hide) {
		var r = el.querySelector('.' + cls);
		r.hidden = !!hide;
		setText(r.querySelector('.v'), text);
		setClass(r.querySelector('.v'), 'v ' + (vcls || ''));
	}

	function updateCard(el, v) {
		var now = Date.now();
		el.dataset.unit = v.unit;
		var s = session(v);
		var run = U.running(s.state);
		var alerts = fleet.shownAlerts(now, connState === 'on', mono()).filter(function (a) { return a.unit === v.unit; });
		var esc = escalation(now);
		var vbl = esc.up ? fleet.baseAlarms(v.unit) : [];
		var cls = 'van';
		if (v.emergency || vbl.some(function (a) { return a.open && a.kind === 'emergency'; }))
			cls += ' emergency';
		else if (alerts.some(function (a) { return a.level === 'alarm'; }) ||
			 vbl.some(function (a) { return a.open && VanFleet.alarmLevel(a.kind) === 'alarm'; }))
			cls += ' alerting';
		if (v.availability === 'offline')
			cls += ' offline';
		if (selected === v.unit)
			cls += ' selected';
		setClass(el, cls);
		var off = v.availability === 'offline';
		var sw = el.querySelector('.swatch');
		/* offline: a hollow grey ring, never the van's live colour */
		sw.style.background = off ? 'transparent' : vmap ? vmap.colour(v.unit) : '#888';
		setClass(sw, 'swatch' + (off ? ' off' : ''));
		setText(el.querySelector('.van-name'), vanLabel(v));
		var av = el.querySelector('.avail');
		setText(av, v.availability === 'online' ? 'online' : v.availability === 'offline' ? 'OFFLINE' : 'unknown');
		setClass(av, 'pill avail ' + (v.availability === 'online' ? 'on' : v.availability === 'offline' ? 'lost' + (run ? ' in-session' : '') : 'off'));
		var st = U.str(s.state);
		var stxt = !st || st === 'idle' ? 'No session' : st === 'active' ? 'Session running' : st === 'overdue' ? 'SESSION OVERDUE' :
			st === 'ended' ? 'Session ended' + (U.num(s.ended_utc) !== null ? ' ' + hm(fleet.toBase(v, s.ended_utc, now)) : '') : 'Session ' + st;
		if (run) {
			if (U.num(s.crew) !== null)
				stxt += ' · crew ' + s.crew + (s.lone === true ? ' (LONE)' : '');
			if (U.num(s.started_utc) !== null)
				stxt += ' · since ' + hm(fleet.toBase(v, s.started_utc, now));
		}
		setText(el.querySelector('.van-session'), stxt);
		var oc = occText(v.state);
		setRow(el, 'r-occ', oc.text, oc.cls, !v.state);
		var d = fleet.dues(v, now);
		var ci = U.obj(s.checkin) || {};
		var ciLate = d.checkin !== null && d.checkin < now;
		setRow(el, 'r-ci', d.checkin === null ? '—' : hm(d.checkin) + ' (' + (ciLate ? 'OVERDUE by ' + dur(now - d.checkin) : 'in ' + dur(d.checkin - now)) + ')' +
			(ci.requested === true ? ' · requested by base' : ''), ciLate ? 'bad' : (d.checkin - now < 300000 ? 'warn' : ''), !run);
		var endLate = d.end !== null && d.end < now;
		setRow(el, 'r-end', d.end === null ? '—' : hm(d.end) + ' (' + rel(d.end, now) + ')', endLate ? 'bad' : '', !run);
		var np = nextPlanned(v.state);
		var plan = U.str(s.plan);
		setRow(el, 'r-next', np || (plan ? 'plan “' + plan + '”' : ''), '', !np && !plan);
		/* the van's alarms as vanbase has them (while it is up) */
		setRow(el, 'r-alarms', vbl.map(function (a) {
			return (VanFleet.ALARM_TITLES[a.kind] || a.kind) + ': ' + escText(a, now);
		}).join(' | '), vbl.some(function (a) { return a.open && !a.acked; }) ? 'bad' : '', !vbl.length);
		var pos = vanPos(v);
		setRow(el, 'r-pos', pos ? coord(pos.lat, pos.lon) : 'no position', pos ? '' : 'warn');
		var nt = pos ? nearText(v, pos.lat, pos.lon) : null;
		setRow(el, 'r-near', nt || '', '', !nt);
		var fx = fixText(v, now);
		setRow(el, 'r-fix', fx.text, fx.cls);
		var link = U.obj(U.get(v.state, 'link')) || {};
		var bl = U.num(link.backlog);
		setRow(el, 'r-link', bl === null ? '—' : bl === 0 ? 'up to date' : bl + ' waiting' +
			(U.num(link.oldest_s) !== null ? ' (oldest ' + dur(link.oldest_s * 1000) + ')' : ''), bl > 20 ? 'warn' : '');
		var heard = v.lastLive !== null ? v.lastLive : null;
		setRow(el, 'r-heard', heard === null ? 'nothing live yet (retained only)' : dur(now - heard) + ' ago',
		       heard !== null && now - heard > 120000 && run ? 'warn' : '');
		var notes = [];
		if (v.availability === 'offline')
			notes.push('OFFLINE since ' + hm(fleet.offlineSince(v, now)) + ': the values above are the last known');
		var gaps = fleet.gaps(v);
		if (gaps.length)
			notes.push('missing events ' + gaps.map(function (g) { return g[0] === g[1] ? g[0] : g[0] + '–' + g[1]; }).join(', ') +
				(v.replayFrom ? ' (replay asked)' : ''));
		var on = offsetNote(v, now);
		if (on)
			notes.push(on);
		setText(el.querySelector('.van-notes'), notes.join(' · '));
	}

	function vanOrder() {
		return Object.keys(fleet.vans).sort(function (a, b) {
			var va = fleet.vans[a], vb = fleet.vans[b];
			var ka = (va.emergency ? 0 : 2) + (U.running(session(va).state) ? 0 : 1);
			var kb = (vb.emergency ? 0 : 2) + (U.running(session(vb).state) ? 0 : 1);
			return ka - kb || (a < b ? -1 : a > b ? 1 : 0);
		}).map(function (u) { return fleet.vans[u]; });
	}

	function renderFleet(now) {
		var vans = vanOrder();
		var box = $('fleet');
		if (!vans.length) {
			if (!box.querySelector('.empty'))
				box.replaceChildren(h('p', { class: 'empty muted', text: connState === 'on' ? 'No van has announced itself yet.' : 'Not connected.' }));
			return;
		}
		var e = box.querySelector('.empty');
		if (e)
			e.remove();
		keyed(box, vans, function (v) { return v.unit; }, createCard, updateCard);
	}

	/* the rows of the map that are on screen, or null when none is */
	function mapBand() {
		var m = $('map').getBoundingClientRect();
		var top = Math.max(m.top, 0), bottom = Math.min(m.bottom, window.innerHeight);
		return bottom - top >= 40 ? { y0: top - m.top, y1: bottom - m.top } : null;
	}

	function renderMap(now) {
		if (!vmap)
			return;
		var ds = dayStart();
		var places = [], seenPl = {};
		for (var pu in fleet.vans)
			fleet.places(fleet.vans[pu], cfg.places).forEach(function (p) {
				var k = p.name + '@' + p.lat + ',' + p.lon;
				if (!seenPl[k]) {
					seenPl[k] = true;
					places.push({ name: p.name, lat: p.lat, lon: p.lon, kind: p.base ? 'base' : p.planned ? 'planned' : 'own' });
				}
			});
		vmap.setPlaces(places);
		for (var u in fleet.vans) {
			var v = fleet.vans[u];
			var tr = fleet.trackToday(v, now, ds);
			var pos = v.fix || (tr.length ? { lat: tr[tr.length - 1][0], lon: tr[tr.length - 1][1] } : null);
			if (v.emergency && U.num(v.emergency.lat) !== null && !pos)
				pos = { lat: v.emergency.lat, lon: v.emergency.lon };
			var alerting = fleet.shownAlerts(now, connState === 'on', mono()).some(function (a) { return a.unit === u && a.level === 'alarm'; }) ||
				(escalation(now).up && fleet.baseAlarms(u).some(function (a) { return a.open && VanFleet.alarmLevel(a.kind) !== 'warn'; }));
			vmap.update(u, {
				label: v.name || u,
				lat: pos ? pos.lat : null, lon: pos ? pos.lon : null,
				track: tr.map(function (p) { return [p[0], p[1]]; }),
				cls: v.emergency ? 'emergency' : v.availability === 'offline' ? 'offline' : alerting ? 'alert' : ''
			}, function (uu) { return function () { select(uu); }; }(u));
		}
		var band = mapBand();
		for (var eu in fleet.vans) {
			var ev = fleet.vans[eu];
			if (ev.emergency)
				vmap.keepInView(eu, ev.emergency.id, band);
			else
				vmap.unfocus(eu);
		}
		var ts = vmap.tileStats;
		setText($('map-note'), !cfg.tiles ? 'No map tiles configured (docs/base.md, "Map tiles"): a plain grid, planned places as squares.' :
			ts.failed && !ts.loaded ? 'Map tiles are not loading (' + ts.failed + ' failed): a plain grid.' : '');
	}

	/* ---- one van's panel ---- */

	/* "Show on map" in an alarm: the map centred on the van in the part of
	 * it that is on screen, and ACKNOWLEDGE never scrolled away */
	function showFromAlarm(unit, alarmEl) {
		select(unit, true);
		var ack = alarmEl.querySelector('.ack');
		var mw = $('mapwrap');
		var vh = window.innerHeight;
		var a = ack.getBoundingClientRect(), m = mw.getBoundingClientRect();
		var dy = 0;
		if (m.bottom > vh)
			dy = m.bottom - vh + 8;      /* down until the map's bottom shows ... */
		dy = Math.min(dy, a.top - 8);    /* ... but ACKNOWLEDGE stays on screen */
		if (a.top < 8)
			dy = a.top - 8;
		if (dy)
			window.scrollBy(0, dy);
		m = mw.getBoundingClientRect();
		var top = Math.max(m.top, 0), bottom = Math.min(m.bottom, vh);
		vmap.show(unit, bottom > top ? (top + bottom) / 2 - m.top : null);
	}

	function select(unit, noScroll) {
		selected = unit;
		var p = $('panel');
		p.hidden = false;
		p.replaceChildren();
		p.dataset.unit = unit;
		var v = fleet.vans[unit];
		if (!v)
			return;
		p.appendChild(h('div', { class: 'panel-head' },
			h('h2', { class: 'p-name' }),
			h('button', { class: 'btn small', type: 'button', text: 'Show on map', onclick: function () { vmap.show(unit); } }),
			h('button', { class: 'btn small', type: 'button', text: 'Close', onclick: function () { selected = null; p.hidden = true; render(); } })));
		var replayIn = h('input', { type: 'number', min: '1', step: '1', class: 'p-replay-from', value: '1', 'aria-label': 'replay from sequence number' });
		p.appendChild(h('div', { class: 'panel-cmds' },
			h('button', { class: 'btn', type: 'button', 'data-cmd': 'checkin_request', text: 'Ask the crew to check in', onclick: function () {
				if (!operator) { openLogin(); return; }
				send(unit, 'checkin_request', { by: operator });
			} }),
			h('span', { class: 'grp' },
				h('button', { class: 'btn', type: 'button', 'data-cmd': 'replay', text: 'Replay events from #', onclick: function () {
					var n = Math.floor(Number(replayIn.value));
					if (!(n >= 1)) { replayIn.focus(); return; }
					send(unit, 'replay', { from_seq: n });
				} }), replayIn),
			h('button', { class: 'btn', type: 'button', 'data-cmd': 'status', text: 'Ask for status', onclick: function () { send(unit, 'status', {}); } }),
			h('button', { class: 'btn p-fill', type: 'button', 'data-cmd': 'replay-gap', text: 'Fetch missing events', onclick: function () {
				var vv = fleet.vans[unit];
				if (vv && fleet.gaps(vv).length) {
					vv.lastReplayAt = Date.now();
					vv.replayFrom = vv.contig + 1;
					send(unit, 'replay', { from_seq: vv.contig + 1 });
				}
			} })));
		p.appendChild(h('div', { class: 'panel-cols' },
			h('div', {}, h('h3', { text: 'Now' }), h('dl', { class: 'p-facts' })),
			h('div', {}, h('h3', { text: 'Commands and replies' }), h('ol', { class: 'p-cmds' })),
			h('div', {}, h('h3', { text: 'Events' }), h('ol', { class: 'p-events' }))));
		render();
		if (!noScroll)
			p.scrollIntoView({ block: 'nearest' });
	}

	function facts(dl, pairs) {
		dl.replaceChildren();
		pairs.forEach(function (pr) {
			if (pr[1] === null || pr[1] === undefined || pr[1] === '')
				return;
			dl.appendChild(h('dt', { text: pr[0] }));
			dl.appendChild(h('dd', { text: String(pr[1]) }));
		});
	}

	function cmdText(c, now) {
		var f = [];
		for (var k in c.fields)
			f.push(k + '=' + c.fields[k]);
		var t = (c.sentAt ? hms(c.sentAt) + ' ' : '') + c.name + (f.length ? ' (' + f.join(', ') + ')' : '') + ' → ';
		if (c.foreign)
			t = hms(c.repliedAt) + ' reply to ' + c.name + ' from another console (id ' + (c.id || '—') + ') → ';
		if (c.status === 'sent')
			t += 'waiting for the van…';
		else if (c.status === 'no_reply')
			t += 'no reply (van offline or not listening)';
		else if (c.reply) {
			t += (c.reply.ok ? 'OK' : 'REFUSED') + (U.str(c.reply.reason) ? ': ' + c.reply.reason : '') +
				(c.reply.error ? ' [' + c.reply.error + ']' : '');
			var res = U.obj(c.reply.result);
			if (res && U.num(res.requeued) !== null)
				t += ' — ' + res.requeued + ' events re-sent';
			else if (res && res.session)
				t += ' — session ' + (U.str(U.get(res, 'session', 'state')) || '?');
			if (c.repliedAt && c.sentAt)
				t += ' (' + (c.repliedAt - c.sentAt) + ' ms)';
		}
		return t;
	}

	function evSummary(r) {
		var d = r.data, bits = [];
		['source', 'was', 'by', 'crew', 'reason', 'kind', 'how', 'category', 'note'].forEach(function (k) {
			if (typeof d[k] === 'string' || typeof d[k] === 'number')
				bits.push(k === 'note' ? '“' + d[k] + '”' : String(d[k]));
		});
		if (U.num(d.occupancy) !== null)
			bits.push(d.occupancy + '/' + (U.num(d.limit) !== null ? d.limit : '?') + ' on board');
		if (U.num(d.late_s) !== null)
			bits.push('late ' + dur(d.late_s * 1000));
		if (U.num(d.overdue_s) !== null)
			bits.push('overdue ' + dur(d.overdue_s * 1000));
		if (U.num(d.repeat) !== null && d.repeat > 0)
			bits.push('repeat ' + d.repeat);
		if (d.covert === true)
			bits.push('COVERT');
		return bits.join(', ');
	}

	/* one line for all the repeats of an emergency */
	function foldText(x) {
		var f = x.repeats;
		return ' — repeated ×' + f.highest + ' until acknowledged (' +
			(f.count > 1 ? '#' + f.firstSeq + '–#' + f.lastSeq + ', since ' + hms(f.firstMs) : '#' + f.lastSeq) +
			', last ' + hms(f.lastMs) + ')';
	}
	function evKey(x) {
		/* a fold keeps its key while new repeats join it */
		return x.repeats ? 'rep:' + x.rec.data.id : String(x.rec.seq);
	}
	function evAttrs(el, x) {
		setClass(el, 'ev ' + evLevel(x.rec) + (x.repeats ? ' ev-folded' : ''));
		el.dataset.seq = x.rec.seq;
		if (x.repeats)
			el.dataset.repeats = x.repeats.highest;
		else
			delete el.dataset.repeats;
	}

	function evLevel(r) {
		if (/^emergency\.(raised|test)$/.test(r.type))
			return 'ev-emergency';
		if (r.prio === 1 || /missed|overdue|over_limit|failed/.test(r.type))
			return 'ev-urgent';
		return '';
	}

	function renderPanel(now) {
		var p = $('panel');
		if (!selected || p.hidden)
			return;
		var v = fleet.vans[selected];
		if (!v)
			return;
		setText(p.querySelector('.p-name'), vanLabel(v));
		var s = session(v);
		var d = fleet.dues(v, now);
		var oc = occText(v.state);
		var link = U.obj(U.get(v.state, 'link')) || {};
		var gaps = fleet.gaps(v);
		facts(p.querySelector('.p-facts'), [
			['Availability', (v.availability || 'unknown') + (v.availabilityAt ? ' (since ' + hm(v.availabilityAt) + ' or before)' : '')],
			['Session', (U.str(s.state) || 'idle') + (U.num(s.crew) !== null ? ', crew ' + s.crew : '') + (s.lone === true ? ', lone' : '') +
				(U.str(s.plan) ? ', plan ' + s.plan : '')],
			['On board', oc.text],
			['Next check-in', d.checkin !== null ? hm(d.checkin) + ' (' + rel(d.checkin, now) + ')' : null],
			['Planned end', d.end !== null ? hm(d.end) + ' (' + rel(d.end, now) + ')' : null],
			['Next planned location', nextPlanned(v.state)],
			['Position', v.fix ? coord(v.fix.lat, v.fix.lon) : 'none'],
			['Near', v.fix ? nearText(v, v.fix.lat, v.fix.lon) : null],
			['Fix', fixText(v, now).text],
			['Link backlog', U.num(link.backlog) !== null ? link.backlog + (U.num(link.oldest_s) !== null ? ' (oldest ' + dur(link.oldest_s * 1000) + ')' : '') : null],
			['Last state', v.stateAt ? hms(v.stateAt) + (v.stateRetained ? ' (retained)' : '') : 'none'],
			['Events', v.lowSeq === null ? 'none yet' : '#' + v.minSeq + '–#' + v.highSeq + (gaps.length ? ', missing ' +
				gaps.map(function (g) { return g[0] === g[1] ? g[0] : g[0] + '–' + g[1]; }).join(', ') : ', none missing')],
			['Van clock', offsetNote(v, now) || (fleet.offset(v, now) === null ? 'not known yet' : 'agrees with base')],
			['Software', U.str(U.get(v.state, 'version'))],
			['Alarms (vanbase)', escalation(now).up ? (fleet.baseAlarms(v.unit).map(function (a) {
				return (VanFleet.ALARM_TITLES[a.kind] || a.kind) + ' since ' + hm(a.since || a.raisedAt) + ': ' + escText(a, now);
			}).join(' | ') || 'none') : 'vanbase is not up: this console judges base\'s clock itself']
		]);
		p.querySelector('.p-fill').hidden = !gaps.length;
		var cmds = fleet.commandsFor(v.unit, now).slice(0, 30);
		keyed(p.querySelector('.p-cmds'), cmds, function (c) { return (c.id || '') + ':' + (c.sentAt || c.repliedAt); },
			function () { return h('li', {}); },
			function (el, c) {
				el.dataset.id = c.id || '';
				el.dataset.status = c.status;
				setClass(el, 'cmd ' + c.status);
				setText(el, cmdText(c, now));
			});
		keyed(p.querySelector('.p-events'), fleet.listEvents(v, 100), evKey,
			function () { return h('li', {}); },
			function (el, x) {
				var r = x.rec;
				evAttrs(el, x);
				setText(el, '#' + r.seq + ' ' + hms(r.baseMs) + ' ' + r.type + (x.repeats ? foldText(x) : evSummary(r) ? ' — ' + evSummary(r) : ''));
			});
	}

	/* ---- the log of all events, and warnings ---- */

	var logCount = -1, warnCount = -1;
	function renderLog(now) {
		if (fleet.stats.events !== logCount) {
			logCount = fleet.stats.events;
			var all = [];
			for (var u in fleet.vans)
				fleet.listEvents(fleet.vans[u], 60).forEach(function (x) { all.push([fleet.vans[u], x]); });
			all.sort(function (a, b) { return b[1].rec.baseMs - a[1].rec.baseMs || b[1].rec.seq - a[1].rec.seq; });
			keyed($('log'), all.slice(0, 150), function (x) { return x[0].unit + ':' + evKey(x[1]); },
				function () { return h('li', {}); },
				function (el, x) {
					var v = x[0], r = x[1].rec;
					evAttrs(el, x[1]);
					el.dataset.unit = v.unit;
					setText(el, hms(r.baseMs) + '  ' + vanLabel(v) + '  #' + r.seq + '  ' + r.type +
						(x[1].repeats ? foldText(x[1]) : evSummary(r) ? ' — ' + evSummary(r) : ''));
				});
		}
		if (fleet.warningCount !== warnCount) {
			warnCount = fleet.warningCount;
			setText($('warn-count'), String(fleet.warningCount));
			$('warn-count').className = 'count' + (fleet.warningCount ? ' has' : '');
			keyed($('warnings'), fleet.warnings.slice(0, 50), function (w) { return w.at + ':' + w.topic + ':' + w.text; },
				function () { return h('li', {}); },
				function (el, w) { setText(el, hms(w.at) + '  ' + (w.topic || '(no topic)') + ': ' + w.text); });
		}
	}

	function renderTop(now) {
		var c = $('conn');
		var label = connState === 'on' ? 'connected' : connState === 'lost' ? 'CONNECTION LOST — reconnecting' :
			connState === 'connecting' ? 'connecting…' : 'not connected';
		setText(c, label);
		c.title = connDetail;
		setClass(c, 'pill ' + (connState === 'on' ? 'on' : connState === 'lost' ? 'bad' : 'off'));
		$('offline-banner').hidden = connState === 'on' || (connState === 'off' && !everConnected && !Object.keys(fleet.vans).length);
		var esc = escalation(now);
		var ep = $('esc');
		setText(ep, esc.up ? 'escalation: vanbase' + (esc.name ? ' (' + esc.name + ')' : '') + ' up' +
			(esc.confirmed ? '' : ' (checking…)') :
			esc.state === 'unknown' ? 'escalation: ?' : esc.state === 'stale' ? 'ESCALATION DOWN: NOT RESPONDING' : 'ESCALATION DOWN');
		ep.title = esc.up && esc.heartbeatS ? (esc.confirmed ? 'last heartbeat ' + esc.silentS + ' s ago; ' :
			'only the broker\'s retained copy so far; ') + 'vanbase sends one every ' + esc.heartbeatS + ' s' : '';
		setClass(ep, 'pill ' + (esc.up ? 'escup' : esc.state === 'unknown' ? 'off' : 'escdown'));
		var vb = $('vanbase-banner');
		vb.hidden = esc.up || esc.state === 'unknown';
		setText(vb.querySelector('.vb-detail'),
			(esc.state === 'down' ? 'vanbase is offline' + (esc.sinceKnown && esc.since ? ' since ' + hm(esc.since) : '') + '. ' :
			 esc.state === 'stale' ? 'vanbase is NOT RESPONDING: the broker still has it online, but no heartbeat for ' + esc.silentS + ' s' +
				(esc.lastLive ? ' (last at ' + hms(esc.lastLive) + ')' : ' since this console connected') +
				'; it sends one every ' + esc.heartbeatS + ' s. It may be hung (stopped, a stuck disk). ' :
			 esc.state === 'nolist' ? 'vanbase is online but has published no alarm list. ' :
			 'No vanbase has been heard on this broker. ') +
			'This console judges check-ins, overdue sessions and vans offline itself, only while it is open, ' +
			'and pages nobody: keep it open and watched, and get vanbase running again (systemctl status vanbase on base\'s machine).');
		document.body.classList.toggle('esc-down', !vb.hidden);
		setText($('who'), operator ? 'Operator: ' + operator : 'Operator: (not set)');
		setText($('clock'), hms(now));
		var sb = $('sound');
		var on = VanSound.enabled();
		setText(sb, on ? 'Sound on' : 'Click here to enable sound');
		setClass(sb, 'btn small ' + (on ? 'okbtn' : 'warnbtn'));
		$('logout').hidden = !client;
	}

	function sound(now, alarms, alerts) {
		var vbl = escalation(now).up ? fleet.baseAlarms().filter(function (a) { return a.open && !a.acked; }) : [];
		var unacked = alarms.some(function (it) { return !it.e.acknowledged; }) ||
			fleet.baseOnlyEmergencies().some(function (a) { return !a.acked && escalation(now).up; });
		if (unacked) {
			if (now - lastSound.emergency >= 1400) {
				VanSound.play('emergency');
				lastSound.emergency = now;
			}
			return;
		}
		if (alarms.length && now - lastSound.reminder >= 15000) {
			VanSound.play('reminder');
			lastSound.reminder = now;
			return;
		}
		var unseen = alerts.some(function (a) {
			var v = fleet.vans[a.unit];
			return a.level === 'alarm' && !(v && v.seenAlerts[a.key]);
		}) || vbl.some(function (a) { return VanFleet.alarmLevel(a.kind) === 'alarm'; });
		if (unseen && now - lastSound.alert >= 10000) {
			VanSound.play('alert');
			lastSound.alert = now;
		}
	}

	function render() {
		var now = Date.now();
		try {
			renderTop(now);
			var alarms = renderAlarms(now);
			var alerts = renderAlerts(now);
			renderFleet(now);
			renderMap(now);
			renderPanel(now);
			renderLog(now);
			sound(now, alarms, alerts);
			var nvb = escalation(now).up ? fleet.baseAlarms().filter(function (a) { return a.open; }).length : 0;
			document.title = (alarms.length ? 'EMERGENCY — ' : alerts.length + nvb ? '(' + (alerts.length + nvb) + ' alerts) ' : '') +
				(escalation(now).up || connState !== 'on' ? '' : 'NO ESCALATION — ') + 'Vans — base console';
		} catch (e) {
			pageErrors++;
			fleet.warn(now, '', 'display error: ' + (e && e.message ? e.message : e));
			if (window.console)
				console.error(e);
		}
		dirty = false;
	}

	function tick() {
		var now = Date.now();
		if (client && connState === 'on') {
			fleet.replaysDue(now).forEach(function (r) { send(r.unit, 'replay', { from_seq: r.from_seq }); });
		}
		render();
	}

	/* ---- start ---- */

	function start() {
		VanSound.init({ volume: cfg.volume });
		VanSound.onchange(function () { render(); });
		$('sound').addEventListener('click', function () { VanSound.unlock(); VanSound.play('test'); });
		try {
			vmap = new VanMap($('map'), cfg);
		} catch (e) {
			fleet.warn(Date.now(), '', 'map not available: ' + e.message);
		}
		loadTracks();
		initLogin();
		render();
		setInterval(tick, 1000);
		setInterval(saveTracks, 30000);
		window.addEventListener('beforeunload', saveTracks);
		window.addEventListener('resize', function () { if (vmap) vmap.resize(); });
		openLogin();
		/* for tests and for a curious operator (read only by convention) */
		window.__vanConsole = {
			fleet: fleet, sound: VanSound, cfg: cfg,
			conn: function () { return connState; },
			escalation: function () { return escalation(Date.now()); },
			pageErrors: function () { return pageErrors; }
		};
	}

	if (typeof mqtt === 'undefined' || typeof L === 'undefined') {
		document.addEventListener('DOMContentLoaded', function () {
			document.body.replaceChildren(h('p', { class: 'fatal', text: 'The console\'s libraries are missing (vendor/). Build it with: cd base && npm ci && npm run build' }));
		});
		return;
	}
	start();
})();
