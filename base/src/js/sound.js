/*
 * sound.js - alarm beeps with the Web Audio API.  Browsers only allow sound
 * after the user has clicked or typed on the page: the first click (or key)
 * anywhere unlocks it, and until then the page shows "Click to enable sound".
 */
(function (root) {
	'use strict';
	var ctx = null;
	var listeners = [];
	var volume = 0.6;

	function state() {
		return ctx ? ctx.state : 'none';
	}

	function changed() {
		for (var i = 0; i < listeners.length; i++)
			listeners[i](state());
	}

	function unlock() {
		try {
			if (!ctx) {
				var AC = root.AudioContext || root.webkitAudioContext;
				if (!AC)
					return;
				ctx = new AC();
				ctx.onstatechange = changed;
			}
			if (ctx.state !== 'running')
				ctx.resume().then(changed, changed);
		} catch (e) {
			/* no audio device: the page works without sound */
		}
		changed();
	}

	/* one tone: frequency Hz, start offset s, length s */
	function tone(freq, at, len, vol) {
		if (!ctx || ctx.state !== 'running')
			return false;
		var t0 = ctx.currentTime + at;
		var o = ctx.createOscillator();
		var g = ctx.createGain();
		o.type = 'square';
		o.frequency.value = freq;
		g.gain.setValueAtTime(0.0001, t0);
		g.gain.exponentialRampToValueAtTime(Math.max(0.001, vol * volume), t0 + 0.01);
		g.gain.setValueAtTime(Math.max(0.001, vol * volume), t0 + len - 0.03);
		g.gain.exponentialRampToValueAtTime(0.0001, t0 + len);
		o.connect(g);
		g.connect(ctx.destination);
		o.start(t0);
		o.stop(t0 + len + 0.02);
		return true;
	}

	var patterns = {
		/* an emergency nobody has acknowledged: loud, urgent two-tone */
		emergency: function () {
			tone(880, 0, 0.18, 0.9); tone(660, 0.22, 0.18, 0.9);
			tone(880, 0.44, 0.18, 0.9); tone(660, 0.66, 0.18, 0.9);
		},
		/* acknowledged, still active: a reminder */
		reminder: function () { tone(740, 0, 0.12, 0.4); },
		/* an alert (overdue, missed check-in, van offline) */
		alert: function () { tone(520, 0, 0.2, 0.6); tone(520, 0.3, 0.2, 0.6); },
		/* a test */
		test: function () { tone(600, 0, 0.1, 0.5); }
	};

	var played = { count: 0, last: null };

	root.VanSound = {
		init: function (opts) {
			if (opts && typeof opts.volume === 'number')
				volume = Math.min(1, Math.max(0, opts.volume));
			var once = function () { unlock(); };
			root.addEventListener('pointerdown', once, true);
			root.addEventListener('keydown', once, true);
		},
		unlock: unlock,
		state: state,
		enabled: function () { return state() === 'running'; },
		onchange: function (f) { listeners.push(f); },
		play: function (name) {
			played.last = name;
			if (patterns[name] && state() === 'running') {
				patterns[name]();
				played.count++;
				return true;
			}
			return false;
		},
		played: played
	};
})(window);
