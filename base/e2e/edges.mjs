// base/e2e/edges.mjs - "where is the van?" at the edges (issue 17, section 4):
// the base console in Debian's headless Chromium (playwright-core, no
// browser downloaded) at desktop and phone widths at once, against a real
// broker and a real vanctld.  Started by
// tests/integration/it_61_base_console_edges.sh.  Prints PASS/FAIL lines;
// exit 0 = passed.  Every check reads what the operator sees (the DOM and
// its computed styles); screenshots go to SHOTS.
//
//   WORK, SHOTS          work directory, screenshot directory
//   WS_PORT              loopback websockets listener serving the console (http_dir)
//   WSS_PORT             TLS websockets listener the console connects to
//   MQTT_PORT            loopback MQTT listener
//   OP_USER, OP_PASS     the operator's broker account
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const env = process.env;
const WORK = env.WORK;
const SHOTS = env.SHOTS || join(WORK, 'shots');
mkdirSync(SHOTS, { recursive: true });
const here = dirname(fileURLToPath(import.meta.url));
const PLAN = JSON.parse(readFileSync(join(here, '../../config/demo/plans/evening.json'), 'utf8'));
const OPERATOR = 'Sam at base';
const COORDS = /^(\d{1,2}\.\d{5}) ([NS]), (\d{1,3}\.\d{5}) ([EW])$/;
const pageErrors = [];
const foreign = [];
let browser;
let shotN = 0;

const log = (...a) => console.log(...a);
const sleep = ms => new Promise(r => setTimeout(r, ms));
function check(cond, msg) {
	if (!cond)
		throw new Error(msg);
}

const consoleBase = `http://127.0.0.1:${env.WS_PORT}/`;
const brokerUrl = `wss://127.0.0.1:${env.WSS_PORT}/`;
// desktop: no tiles (the default: a grid); phone: the worked example of
// docs/base.md, tiles from a folder next to the page
const views = [
	{ tag: 'desktop', viewport: { width: 1280, height: 800 }, url: consoleBase + '?dueGraceS=2' },
	{ tag: 'phone', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true,
	  url: consoleBase + '?dueGraceS=2&tiles=' + encodeURIComponent('tiles/{z}/{x}/{y}.png') +
		'&tilesAttribution=' + encodeURIComponent('test tiles') },
];

async function shot(V, name, full = true) {
	const p = join(SHOTS, `${String(++shotN).padStart(2, '0')}-${V.tag}-${name}.png`);
	await V.page.screenshot({ path: p, fullPage: full });
	log(`screenshot: ${p}`);
}
// E2E_KEEP_GOING=1: report every failing step, not only the first (to see
// which checks an old console fails)
let failures = 0;
async function fail(what, err) {
	log(`FAIL: ${what}${err ? ': ' + (err.message || err) : ''}`);
	failures++;
	if (env.E2E_KEEP_GOING === '1')
		return;
	for (const V of views) {
		if (!V.page)
			continue;
		try {
			await shot(V, 'failure', false);
			await shot(V, 'failure-full');
		} catch (e) { /* the page may be gone */ }
	}
	if (pageErrors.length)
		log('page errors: ' + pageErrors.join(' | '));
	if (browser)
		await browser.close().catch(() => {});
	process.exit(1);
}
async function step(what, fn) {
	const t0 = Date.now();
	try {
		await fn();
		log(`PASS: ${what} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
	} catch (e) {
		await fail(what, e);
	}
}
// the same checks at both widths
const each = async fn => { for (const V of views) { try { await fn(V, V.page); } catch (e) { e.message = `[${V.tag}] ${e.message}`; throw e; } } };

function ctl(unit, req) {
	return new Promise((resolve, reject) => {
		const s = net.connect(join(WORK, `${unit}.sock`));
		let buf = '';
		const t = setTimeout(() => { s.destroy(); reject(new Error(`ctl ${unit}: no answer`)); }, 5000);
		s.on('connect', () => s.write(JSON.stringify(req) + '\n'));
		s.on('data', d => {
			buf += d;
			if (buf.endsWith('\n')) {
				clearTimeout(t);
				s.end();
				try { resolve(JSON.parse(buf)); } catch (e) { reject(e); }
			}
		});
		s.on('error', e => { clearTimeout(t); reject(e); });
	});
}

// an independent reading of a plain coordinate pair
function parseCoords(t) {
	const m = COORDS.exec(t.trim());
	if (!m)
		return null;
	return { lat: Number(m[1]) * (m[2] === 'S' ? -1 : 1), lon: Number(m[3]) * (m[4] === 'W' ? -1 : 1) };
}
function metres(a, b) {
	const R = 6371008.8, r = Math.PI / 180;
	const x = (b.lon - a.lon) * r * Math.cos((a.lat + b.lat) / 2 * r), y = (b.lat - a.lat) * r;
	return Math.sqrt(x * x + y * y) * R;
}
// the plan's nearest place (the base included), computed here, not by the page
function nearestPlanned(p) {
	const all = [{ name: PLAN.base.name, lat: PLAN.base.lat, lon: PLAN.base.lon }].concat(PLAN.locations);
	return all.map(l => ({ name: l.name, d: metres(p, l) })).sort((a, b) => a.d - b.d)[0];
}
// "140 m south-west of S2 (planned stop 2)" / "at S2 (planned stop 2)" -> {name, d}
function parseNear(t) {
	let m = /^at (\S+) \(planned (?:base|stop \d+)\)$/.exec(t);
	if (m)
		return { name: m[1], d: 0 };
	m = /^([\d.]+) (m|km) [a-z-]+ of (\S+) \(planned (?:base|stop \d+)\)$/.exec(t);
	if (m)
		return { name: m[3], d: Number(m[1]) * (m[2] === 'km' ? 1000 : 1) };
	return null;
}

const card = (page, unit) => page.locator(`#fleet .van[data-key="${unit}"]`);
const alarmOf = (page, unit) => page.locator(`#alarms .alarm[data-unit="${unit}"]`);
const alertOf = (page, unit, kind) => page.locator(`#alerts .alert[data-unit="${unit}"][data-kind="${kind}"]`);

// is the emergency marker (dot and label) inside the map's box, and inside
// the part of it on screen?
async function markerPlace(page) {
	return page.evaluate(() => {
		const r = el => { const b = el.getBoundingClientRect(); return { l: b.left, t: b.top, r: b.right, b: b.bottom }; };
		const m = document.querySelector('.van-marker.emergency');
		if (!m)
			return null;
		const map = r(document.getElementById('map'));
		const dot = r(m.querySelector('.dot')), lab = r(m.querySelector('.lab'));
		const inside = (a, b) => a.l >= b.l && a.r <= b.r && a.t >= b.t && a.b <= b.b;
		const vis = { l: Math.max(map.l, 0), t: Math.max(map.t, 0), r: Math.min(map.r, innerWidth), b: Math.min(map.b, innerHeight) };
		return { map, dot, lab, inMap: inside(dot, map) && inside(lab, map), onScreen: inside(dot, vis) && vis.b > vis.t };
	});
}

browser = await chromium.launch({
	executablePath: '/usr/bin/chromium',
	headless: true,
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	       '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
for (const V of views) {
	V.ctx = await browser.newContext({ viewport: V.viewport, isMobile: !!V.isMobile, hasTouch: !!V.hasTouch,
		deviceScaleFactor: 1, ignoreHTTPSErrors: true });
	V.page = await V.ctx.newPage();
	V.page.on('pageerror', e => { pageErrors.push(`[${V.tag}] ${e.message}`); log(`page error [${V.tag}]: ${e.message}`); });
	V.page.on('request', r => {
		const u = new URL(r.url());
		if (!['127.0.0.1', 'localhost'].includes(u.hostname) && !['data:', 'blob:'].includes(u.protocol))
			foreign.push(r.url());
	});
	V.page.setDefaultTimeout(15000);
}

await step('both widths connect over TLS websockets', async () => {
	await each(async (V, page) => {
		await page.goto(V.url);
		await page.locator('#login[open]').waitFor();
		await page.fill('#f-url', brokerUrl);
		await page.fill('#f-user', env.OP_USER);
		await page.fill('#f-pass', env.OP_PASS);
		await page.fill('#f-op', OPERATOR);
		await page.click('#f-connect');
		await page.waitForFunction(() => window.__vanConsole.conn() === 'on');
	});
});

await step('van1 starts a session with the demo plan: the console learns the planned places', async () => {
	const r = await ctl('van1', { cmd: 'session_start', crew: 2, plan: 'evening' });
	check(r.ok, `session_start: ${JSON.stringify(r)}`);
	await each(async (V, page) => {
		await card(page, 'van1').locator('.van-session', { hasText: 'Session running' }).waitFor();
		await page.waitForFunction(() => { const v = window.__vanConsole.fleet.vans.van1; return v && v.plan && v.plan.locations.length === 4 && v.fix; },
			null, { timeout: 20000 });
		// the places are drawn on the map, named: a map without tiles says where things are
		await page.waitForFunction(() => document.querySelectorAll('.place-marker').length >= 5);
		const names = await page.locator('.place-marker .plab').allInnerTexts();
		check(['Base', 'S1', 'S2', 'S3', 'S4'].every(n => names.includes(n)), `places on the map: ${names}`);
	});
});

await step('the card says where the van is: plain coordinates and the nearest planned location with its distance', async () => {
	await each(async (V, page) => {
		// the van's plan tracker has measured the distance to the next stop once it had a fix
		await card(page, 'van1').locator('.r-next .v', { hasText: 'away' }).waitFor();
		// the van moves: read the card and the van's position in one go
		const got = await page.evaluate(() => {
			const c = document.querySelector('#fleet .van[data-key="van1"]');
			const v = window.__vanConsole.fleet.vans.van1;
			const row = k => { const el = c.querySelector('.' + k); return el.hidden ? null : el.querySelector('.v').textContent; };
			return { pos: row('r-pos'), near: row('r-near'), next: row('r-next'), fix: { lat: v.fix.lat, lon: v.fix.lon } };
		});
		const p = parseCoords(got.pos || '');
		check(p, `card position not plain coordinates: ${JSON.stringify(got.pos)}`);
		check(Math.abs(p.lat - got.fix.lat) < 1e-5 && Math.abs(p.lon - got.fix.lon) < 1e-5, `card ${got.pos} is not the van's fix ${JSON.stringify(got.fix)}`);
		const n = parseNear(got.near || '');
		check(n, `card has no nearest planned location in words: ${JSON.stringify(got.near)}`);
		const want = nearestPlanned(got.fix);
		check(n.name === want.name, `card says near ${n.name}, the nearest planned place is ${want.name} (${Math.round(want.d)} m)`);
		check(n.d === 0 ? want.d <= 160 : Math.abs(n.d - want.d) <= Math.max(15, want.d * 0.05),
			`card distance ${got.near} vs ${Math.round(want.d)} m`);
		// the van's own plan tracker names the next stop (state plan.next: location, due, distance)
		check(/^S\d( by \d\d:\d\d[^·]*)? · [\d.]+ (m|km) away$/.test(got.next || ''), `next stop: ${JSON.stringify(got.next)}`);
		log(`--- [${V.tag}] card: ${got.pos} · ${got.near} · next ${got.next}`);
	});
});

await step('the header clock is not cut off', async () => {
	await each(async (V, page) => {
		const m = await page.evaluate(() => {
			const c = document.getElementById('clock'), top = document.getElementById('top');
			const b = c.getBoundingClientRect(), tb = top.getBoundingClientRect();
			return { text: c.textContent, sw: c.scrollWidth, cw: c.clientWidth, l: b.left, r: b.right, t: b.top, bt: b.bottom,
				 topR: tb.right, topB: tb.bottom, topSw: top.scrollWidth, topCw: top.clientWidth,
				 docSw: document.documentElement.scrollWidth, w: innerWidth };
		});
		check(/^\d\d:\d\d:\d\d$/.test(m.text), `clock reads ${JSON.stringify(m.text)}`);
		check(m.sw <= m.cw, `clock clipped: scrollWidth ${m.sw} > clientWidth ${m.cw}`);
		check(m.topSw <= m.topCw, `header overflows: scrollWidth ${m.topSw} > clientWidth ${m.topCw}`);
		check(m.l >= 0 && m.r <= m.w && m.r <= m.topR && m.bt <= m.topB, `clock outside the screen/header: ${JSON.stringify(m)}`);
		check(m.docSw <= m.w, `the page scrolls sideways: ${m.docSw} > ${m.w}`);
		await page.locator('#top').screenshot({ path: join(SHOTS, `${String(++shotN).padStart(2, '0')}-${V.tag}-header.png`) });
	});
});

const look = el => {
	const s = getComputedStyle(el);
	return JSON.stringify([s.backgroundColor, s.backgroundImage, s.borderLeftColor, s.borderLeftStyle, s.color]);
};
await step('an offline van has its own style: not the amber of minor alerts, and the card dot is not its live colour', async () => {
	await each(async (V, page) => {
		await alertOf(page, 'van3', 'offline').waitFor();
		await alertOf(page, 'van4', 'overlimit').waitFor();
		// van4 is online with nothing live: its due check-in is judged after settleS (15 s)
		await alertOf(page, 'van4', 'checkin').waitFor({ timeout: 30000 });
		const off = await alertOf(page, 'van3', 'offline').evaluate(look);
		const minor = await alertOf(page, 'van4', 'overlimit').evaluate(look);
		const amber = await alertOf(page, 'van4', 'checkin').evaluate(look);
		check(off !== minor && off !== amber, `offline alert looks like an amber alert: ${off} / ${minor} / ${amber}`);
		check(JSON.parse(off)[0] !== JSON.parse(minor)[0] && JSON.parse(off)[2] !== JSON.parse(amber)[2],
			`offline alert background/edge colour shared with an amber alert: ${off} / ${minor} / ${amber}`);
		const c3 = card(page, 'van3');
		check(await c3.locator('.avail').innerText() === 'OFFLINE', 'van3 card does not say OFFLINE');
		const sw3 = await c3.locator('.swatch').evaluate(el => getComputedStyle(el).backgroundColor);
		const sw1 = await card(page, 'van1').locator('.swatch').evaluate(el => getComputedStyle(el).backgroundColor);
		check(sw3 === 'rgba(0, 0, 0, 0)' && sw1 !== sw3, `offline card dot ${sw3} (van1's ${sw1})`);
		const cardOff = await c3.evaluate(look), cardAmber = await card(page, 'van4').evaluate(look);
		check(cardOff !== cardAmber, `offline card looks like an alerting card: ${cardOff}`);
		const pillOff = await c3.locator('.avail').evaluate(look);
		check(JSON.parse(pillOff)[0] !== JSON.parse(amber)[0], 'offline pill has the amber alert colour');
		await shot(V, 'offline');
	});
});

let panicAt;
await step('a panic on van1: the alarm says where in words and the map brings the van into view', async () => {
	panicAt = Date.now();
	const r = await ctl('van1', { cmd: 'panic' });
	check(r.ok, `panic: ${JSON.stringify(r)}`);
	await each(async (V, page) => {
		await alarmOf(page, 'van1').waitFor({ timeout: 3000 });
		const got = await page.evaluate(() => {
			const a = document.querySelector('#alarms .alarm[data-unit="van1"]');
			const v = window.__vanConsole.fleet.vans.van1;
			return { where: a.querySelector('.f-where').textContent, near: a.querySelector('.f-near').textContent,
				 fix: { lat: v.fix.lat, lon: v.fix.lon } };
		});
		const p = parseCoords(got.where);
		check(p, `alarm position not plain coordinates: ${JSON.stringify(got.where)}`);
		check(metres(p, got.fix) < 30, `alarm says ${got.where}, the van is at ${JSON.stringify(got.fix)}`);
		const n = parseNear(got.near);
		check(n, `alarm has no nearest planned location: ${JSON.stringify(got.near)}`);
		check(n.name === nearestPlanned(p).name, `alarm near ${n.name}, nearest is ${nearestPlanned(p).name}`);
		log(`--- [${V.tag}] alarm: ${got.where} · ${got.near}`);
		// the map: the marker (dot and label) well inside the map's box
		await page.waitForFunction(() => document.querySelector('.van-marker.emergency'));
		await sleep(600); // the alarm block changed the layout: the map must have followed
		const mp = await markerPlace(page);
		check(mp && mp.inMap, `emergency marker not inside the map: ${JSON.stringify(mp)}`);
		// and on screen, without scrolling: in the part of the map the operator sees
		check(mp.onScreen, `emergency marker not in the part of the map on screen: ${JSON.stringify(mp)}`);
		await shot(V, 'alarm-screen', false);
		await shot(V, 'alarm');
	});
});

await step('unacknowledged: the timing line is the first raise\'s chain, the repeats a count; the events list folds them into one line', async () => {
	// alarm.repeat = 5 s: three repeats in 15 s
	await each(async (V, page) => {
		await page.waitForFunction(() => Number((document.querySelector('#alarms .alarm[data-unit="van1"]') || {}).dataset?.repeats) >= 3,
			null, { timeout: 30000 });
	});
	const st = await ctl('van1', { cmd: 'status' });
	const tm = st.result.emergency.timing;
	check(tm.stored - tm.edge_mono_ms < 5000 && tm.broker - tm.edge_mono_ms < 5000,
		`the van's own chain is a repeat's: ${JSON.stringify(tm)}`);
	await each(async (V, page) => {
		const a = alarmOf(page, 'van1');
		const timing = await a.locator('.f-timing').innerText();
		const ms = [...timing.matchAll(/\+(\d+) ms/g)].map(m => Number(m[1]));
		check(/^button → raised \+\d+ ms → stored \+\d+ ms → at broker \+\d+ ms \(first raise\)$/.test(timing),
			`timing line: ${timing}`);
		check(ms.every(x => x < 5000), `timing line has a repeat's figures: ${timing}`);
		const reps = await a.locator('.f-repeats').innerText();
		const n = Number((/^sent again (\d+) times, not acknowledged yet$/.exec(reps) || [])[1]);
		check(n >= 3, `repeats not shown as a count: ${JSON.stringify(reps)}`);
		// the events list: the first raise, one folded line for all repeats, the rest still there
		const lines = await page.locator('#log li').evaluateAll(els => els.map(e => ({ t: e.textContent, unit: e.dataset.unit,
			folded: e.classList.contains('ev-folded'), reps: e.dataset.repeats })));
		const raised = lines.filter(l => l.unit === 'van1' && /emergency\.raised/.test(l.t));
		const folded = raised.filter(l => l.folded);
		check(raised.length === 2 && folded.length === 1, `emergency.raised lines: ${JSON.stringify(raised)}`);
		check(Number(folded[0].reps) >= 3 && new RegExp(`repeated ×${folded[0].reps} until acknowledged`).test(folded[0].t),
			`folded line: ${JSON.stringify(folded[0])}`);
		check(!lines.some(l => /repeat \d+/.test(l.t)), 'a "repeat N" line is still listed');
		check(lines.some(l => l.unit === 'van1' && /session\.started/.test(l.t)) &&
		      lines.some(l => l.unit === 'van1' && /plan\.started/.test(l.t)), 'the repeats pushed the session\'s start out of the list');
		log(`--- [${V.tag}] timing: ${timing} · ${reps} · log: ${folded[0].t}`);
		await page.locator('#log-box').screenshot({ path: join(SHOTS, `${String(++shotN).padStart(2, '0')}-${V.tag}-events.png`) });
	});
});

await step('"Show on map" in the alarm: the van centred in the map on screen, ACKNOWLEDGE still on screen', async () => {
	await each(async (V, page) => {
		await page.evaluate(() => window.scrollTo(0, 0));
		await alarmOf(page, 'van1').locator('button.show-map').click();
		await sleep(400);
		const ack = await alarmOf(page, 'van1').locator('button.ack').evaluate(el => {
			const b = el.getBoundingClientRect();
			return { t: b.top, b: b.bottom, l: b.left, r: b.right, h: innerHeight, w: innerWidth, text: el.textContent };
		});
		check(ack.text === 'ACKNOWLEDGE', `button reads ${ack.text}`);
		check(ack.t >= 0 && ack.b <= ack.h && ack.l >= 0 && ack.r <= ack.w, `ACKNOWLEDGE scrolled off screen: ${JSON.stringify(ack)}`);
		const mp = await markerPlace(page);
		check(mp && mp.inMap && mp.onScreen, `van not in the visible part of the map: ${JSON.stringify(mp)}`);
		await shot(V, 'show-on-map', false);
	});
});

await step('map tiles from a folder next to the page (phone) or none (desktop): nothing fetched from elsewhere', async () => {
	const phone = views[1].page, desk = views[0].page;
	await phone.waitForFunction(() => document.querySelectorAll('#map img.leaflet-tile-loaded').length > 0);
	const ts = await phone.evaluate(() => ({ loaded: window.__vanConsole.cfg.tiles, note: document.getElementById('map-note').textContent }));
	check(ts.loaded === 'tiles/{z}/{x}/{y}.png' && ts.note === '', `phone tiles: ${JSON.stringify(ts)}`);
	check(await phone.locator('.leaflet-control-attribution', { hasText: 'test tiles' }).count() === 1, 'tile attribution not shown');
	check(/No map tiles configured/.test(await desk.locator('#map-note').innerText()), 'desktop map note');
	check(await desk.locator('#map img.leaflet-tile').count() === 0, 'desktop loads tiles it was not given');
	check(foreign.length === 0, `requests to other hosts: ${foreign.join(' ')}`);
});

await step('ACKNOWLEDGE from the phone reaches the van; both widths show it; the crew clears it', async () => {
	await alarmOf(views[1].page, 'van1').locator('button.ack').click();
	await each(async (V, page) => {
		await page.locator('#alarms .alarm.acked[data-unit="van1"]').waitFor();
	});
	const st = await ctl('van1', { cmd: 'status' });
	check(st.result.emergency.acknowledged === true, 'van1 not acknowledged');
	await each(async (V, page) => {
		const reps = await alarmOf(page, 'van1').locator('.f-repeats').innerText();
		check(/^sent again \d+ times$/.test(reps), `after the acknowledgement: ${reps}`);
		await shot(V, 'acknowledged');
	});
	check((await ctl('van1', { cmd: 'alarm_clear' })).ok, 'alarm_clear');
	await each(async (V, page) => { await alarmOf(page, 'van1').waitFor({ state: 'detached' }); });
});

await step('no page errors', async () => {
	check(pageErrors.length === 0, pageErrors.join(' | '));
	await each(async (V, page) => {
		check(await page.evaluate(() => window.__vanConsole.pageErrors()) === 0, 'display errors');
		await page.evaluate(() => window.scrollTo(0, 0));
		await shot(V, 'final');
	});
});

await browser.close();
if (failures) {
	log(`e2e: ${failures} steps failed`);
	process.exit(1);
}
log('e2e: all steps passed');
