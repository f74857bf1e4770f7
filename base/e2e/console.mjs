// base/e2e/console.mjs - drives the base console in headless Chromium
// (Debian's /usr/bin/chromium, through playwright-core; no browser is ever
// downloaded) against a real broker fed by real vanctld instances.  Started
// by tests/integration/it_60_base_console.sh, which sets up the broker, the
// vans and the environment below.  Prints PASS/FAIL lines; exit 0 = passed.
//
//   WORK, SHOTS          work directory, screenshot directory
//   WS_PORT              loopback websockets listener serving the console (http_dir)
//   WSS_PORT             TLS websockets listener the console connects to
//   MQTT_PORT            loopback MQTT listener (mosquitto_pub)
//   OP_USER, OP_PASS     the operator's broker account
//   VAN_PASS             every test van's broker password
//   VAN2_PID             van2's vanctld (killed with SIGKILL)
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

const env = process.env;
const WORK = env.WORK;
const SHOTS = env.SHOTS || join(WORK, 'shots');
mkdirSync(SHOTS, { recursive: true });
const OPERATOR = 'Sam at base';
let page, ctx;
let shotN = 0;
const pageErrors = [];
const consoleErrors = [];

function log(...a) { console.log(...a); }
function pass(what) { log(`PASS: ${what}`); }
async function shot(name) {
	const p = join(SHOTS, `${String(++shotN).padStart(2, '0')}-${name}.png`);
	await page.screenshot({ path: p, fullPage: true });
	log(`screenshot: ${p}`);
	return p;
}
async function fail(what, err) {
	log(`FAIL: ${what}${err ? ': ' + (err.message || err) : ''}`);
	try {
		await shot('failure');
		const dbg = await page.evaluate(() => {
			const c = window.__vanConsole;
			if (!c)
				return 'no __vanConsole';
			return JSON.stringify({ conn: c.conn(), vans: Object.keys(c.fleet.vans),
				warnings: c.fleet.warnings.slice(0, 10), alerts: c.fleet.alerts(Date.now(), true) });
		});
		log('page state: ' + dbg);
	} catch (e) { /* the page may be gone */ }
	if (pageErrors.length)
		log('page errors: ' + pageErrors.join(' | '));
	if (ctx)
		await ctx.close().catch(() => {});
	process.exit(1);
}
async function step(what, fn) {
	const t0 = Date.now();
	try {
		await fn();
		pass(`${what} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
	} catch (e) {
		await fail(what, e);
	}
}
function check(cond, msg) {
	if (!cond)
		throw new Error(msg);
}

// one request on a van's control socket (as the crew's vanctl would)
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

// mosquitto_pub on the loopback listener as USER
function pub(user, pass, topic, message, opts = {}) {
	const args = ['-h', '127.0.0.1', '-p', env.MQTT_PORT, '-u', user, '-P', pass, '-q', '1', '-t', topic];
	if (opts.retain)
		args.push('-r');
	if (opts.file)
		args.push('-f', opts.file);
	else if (message === null)
		args.push('-n');
	else
		args.push('-m', message);
	execFileSync('mosquitto_pub', args, { stdio: ['ignore', 'inherit', 'inherit'], timeout: 10000 });
}
const vanPub = (unit, sub, msg, opts) => pub(unit, env.VAN_PASS, `vanctld/${unit}/${sub}`, msg, opts);

const card = unit => page.locator(`#fleet .van[data-key="${unit}"]`);
const alertOf = (unit, kind) => page.locator(`#alerts .alert[data-unit="${unit}"][data-kind="${kind}"]`);
const alarmOf = unit => page.locator(`#alarms .alarm[data-unit="${unit}"]`);
const sleep = ms => new Promise(r => setTimeout(r, ms));

// ---- browser ----
const userDir = mkdtempSync(join(WORK, 'chromium-'));
ctx = await chromium.launchPersistentContext(userDir, {
	executablePath: '/usr/bin/chromium',
	headless: true,
	ignoreHTTPSErrors: true, // the test broker's self-signed certificate
	viewport: { width: 1440, height: 1000 },
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	       '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
page = ctx.pages()[0] || await ctx.newPage();
page.on('pageerror', e => { pageErrors.push(e.message); log(`page error: ${e.message}`); });
page.on('console', m => { if (m.type() === 'error') { consoleErrors.push(m.text()); log(`console error: ${m.text()}`); } });
page.on('request', r => {
	const u = new URL(r.url());
	if (!['127.0.0.1', 'localhost'].includes(u.hostname) && !['data:', 'blob:'].includes(u.protocol))
		consoleErrors.push(`request to another host: ${r.url()}`);
});
page.setDefaultTimeout(15000);

const consoleUrl = `http://127.0.0.1:${env.WS_PORT}/?dueGraceS=2`;
const brokerUrl = `wss://127.0.0.1:${env.WSS_PORT}/`;

await step('the page loads from mosquitto (http_dir) and asks for the connection settings', async () => {
	await page.goto(consoleUrl);
	await page.locator('#login[open]').waitFor();
	check(await page.locator('#sound').innerText() === 'Click here to enable sound', 'no "enable sound" prompt before a click');
	check(await page.evaluate(() => !!window.__vanConsole), 'console script did not start');
	await shot('login');
});

await step('connects over TLS websockets with the operator\'s credentials', async () => {
	await page.fill('#f-url', brokerUrl);
	await page.fill('#f-user', env.OP_USER);
	await page.fill('#f-pass', env.OP_PASS);
	await page.fill('#f-op', OPERATOR);
	await page.click('#f-connect');
	await page.waitForFunction(() => window.__vanConsole.conn() === 'on');
	check(await page.evaluate(() => localStorage.getItem('vanconsole.operator')) === OPERATOR, 'operator name not kept');
	check(!(await page.evaluate(() => JSON.stringify(localStorage))).includes(env.OP_PASS || 'x'), 'password stored');
});

await step('sound is enabled by the first click', async () => {
	const st = await page.evaluate(() => window.__vanConsole.sound.state());
	check(st === 'running', `AudioContext is ${st}`);
	check(await page.locator('#sound').innerText() === 'Sound on', 'prompt still shown');
});

await step('both vans shown: online, session running, on the map, no false alerts', async () => {
	for (const u of ['van1', 'van2']) {
		await card(u).locator('.avail', { hasText: 'online' }).waitFor();
		await card(u).locator('.van-session', { hasText: 'Session running' }).waitFor();
	}
	await page.waitForFunction(() => document.querySelectorAll('.van-marker').length >= 2);
	await page.waitForFunction(() => ['van1', 'van2'].every(u => (window.__vanConsole.fleet.vans[u] || {}).track.length >= 3), null, { timeout: 20000 });
	check(/crew 2/.test(await card('van1').innerText()), 'van1 crew not shown');
	check(/LONE/.test(await card('van2').innerText()), 'van2 lone not shown');
	check(/0 \/ 6 on board/.test(await card('van1').innerText()), 'van1 occupancy/limit not shown');
	// the vans' clock is the replayed GPS time, far behind base's: due times are
	// judged on base's clock through the measured offset, so nothing is overdue
	await sleep(2500);
	const n = await page.locator('#alerts .alert[data-unit="van1"], #alerts .alert[data-unit="van2"]').count();
	check(n === 0, `${n} alerts with nothing wrong: ${await page.locator('#alerts').innerText()}`);
	await shot('fleet');
});

let panicAt;
await step('a panic on van1 raises the full-width alarm within a second', async () => {
	panicAt = Date.now();
	const r = await ctl('van1', { cmd: 'panic' });
	check(r.ok, `panic refused: ${JSON.stringify(r)}`);
	await alarmOf('van1').waitFor({ timeout: 3000 });
	const ms = Date.now() - panicAt;
	log(`--- alarm on screen ${ms} ms after the panic command`);
	check(ms < 1000, `alarm took ${ms} ms`);
	const t = await alarmOf('van1').innerText();
	check(/EMERGENCY/.test(t) && /Van 1/.test(t), 'alarm text');
	check(/53\.\d{5} N, 1\.\d{5} W/.test(t), `no position in the alarm: ${t}`);
	check(/\d+ s old/.test(t), 'no fix age');
	check(/0 service users \(limit 6\)/.test(t) && /\b2\b/.test(t), 'occupancy/crew missing');
	check(/button → raised \+\d+ ms/.test(t), 'no timing chain');
	check(!(await alarmOf('van1').locator('.alarm-covert').isVisible()), 'a visible alarm marked covert');
	const wide = await alarmOf('van1').evaluate(el => el.getBoundingClientRect().width / window.innerWidth);
	check(wide > 0.95, `alarm is not full width (${wide})`);
	await page.waitForFunction(() => window.__vanConsole.sound.played.last === 'emergency' && window.__vanConsole.sound.played.count > 0);
	check((await page.title()).startsWith('EMERGENCY'), 'title does not say EMERGENCY');
	await shot('alarm');
});

await step('Acknowledge reaches the van: reply shown, retained emergency acknowledged, crew state shows it', async () => {
	await alarmOf('van1').locator('button.ack').click();
	await alarmOf('van1').locator('.ack-status', { hasText: 'Van confirmed at' }).waitFor();
	await page.locator('#alarms .alarm.acked[data-unit="van1"]').waitFor();
	check(/acknowledged by Sam at base/.test(await alarmOf('van1').innerText()), 'acked_by not shown');
	const st = await ctl('van1', { cmd: 'status' });
	const em = st.result && st.result.emergency;
	check(em && em.acknowledged === true && em.acked_by === OPERATOR, `van status: ${JSON.stringify(em)}`);
	await sleep(1500);
	check(await alarmOf('van1').count() === 1, 'alarm went away before the crew cleared it');
	await shot('acknowledged');
});

await step('a reload during the emergency: settings prefilled, the retained emergency is back at once, still acknowledged', async () => {
	await page.reload();
	await page.locator('#login[open]').waitFor();
	check(await page.inputValue('#f-url') === brokerUrl, 'broker address not kept');
	check(await page.inputValue('#f-user') === env.OP_USER, 'user name not kept');
	check(await page.inputValue('#f-op') === OPERATOR, 'operator name not kept');
	check(await page.inputValue('#f-pass') === '', 'password kept');
	await page.fill('#f-pass', env.OP_PASS);
	await page.click('#f-connect');
	await page.locator('#alarms .alarm.acked[data-unit="van1"]').waitFor({ timeout: 5000 });
	await card('van1').locator('.van-session', { hasText: 'Session running' }).waitFor();
	// once the van's clock offset is measured, the raised time is placed on base's clock
	await page.waitForFunction(() => /\(\d+ s ago\)/.test(document.querySelector('#alarms .alarm .alarm-since').textContent));
});

await step('a covert panic (van2) says COVERT — do not call the van openly', async () => {
	const r = await ctl('van2', { cmd: 'panic', covert: true });
	check(r.ok, JSON.stringify(r));
	await page.locator('#alarms .alarm.covert[data-unit="van2"]').waitFor();
	check(await alarmOf('van2').locator('.alarm-covert').isVisible(), 'covert warning not visible');
	check(/COVERT — do not call the van openly/.test(await alarmOf('van2').innerText()), 'covert text');
	await shot('covert');
});

await step('alarms stay until the crew clears them (emergency topic active:false)', async () => {
	check((await ctl('van1', { cmd: 'alarm_clear' })).ok, 'van1 alarm_clear');
	await alarmOf('van1').waitFor({ state: 'detached' });
	check(await alarmOf('van2').count() === 1, 'van2 alarm gone with van1\'s');
	check((await ctl('van2', { cmd: 'alarm_clear' })).ok, 'van2 alarm_clear');
	await alarmOf('van2').waitFor({ state: 'detached' });
});

await step('a self-test is shown apart and acknowledged from the console', async () => {
	check((await ctl('van1', { cmd: 'panic', test: true })).ok, 'selftest start');
	const strip = page.locator('#alarms .selftest[data-unit="van1"]');
	await strip.waitFor();
	check(await alarmOf('van1').count() === 0, 'a self-test shown as an emergency');
	await strip.locator('button').click();
	await strip.waitFor({ state: 'detached' });
	const st = await ctl('van1', { cmd: 'status' });
	check(st.result.selftest.last_result === 'passed', `selftest: ${JSON.stringify(st.result.selftest)}`);
});

await step('van panel: check-in request and replay, each reply matched by id; duplicates dropped', async () => {
	await card('van1').click();
	await page.locator('#panel[data-unit="van1"]').waitFor();
	await page.click('#panel button[data-cmd="checkin_request"]');
	await page.locator('#panel .p-cmds li.ok', { hasText: 'checkin_request' }).waitFor();
	const st = await ctl('van1', { cmd: 'status' });
	check(st.result.session.checkin.requested === true, 'van1 shows no check-in request');
	const before = await page.evaluate(() => window.__vanConsole.fleet.stats.duplicates);
	await page.fill('#panel .p-replay-from', '1');
	await page.click('#panel button[data-cmd="replay"]');
	await page.locator('#panel .p-cmds li.ok', { hasText: 'events re-sent' }).waitFor();
	await page.waitForFunction(b => window.__vanConsole.fleet.stats.duplicates > b, before);
	const seqs = await page.evaluate(() => window.__vanConsole.fleet.vans.van1.events.map(e => e.seq));
	check(new Set(seqs).size === seqs.length, `duplicate events listed: ${seqs}`);
	const shown = await page.locator('#panel .p-events li').count();
	check(shown === seqs.length, `panel lists ${shown} events, model has ${seqs.length}`);
	// every command's reply is matched by its id
	const ids = await page.evaluate(() => window.__vanConsole.fleet.commandsFor('van1', Date.now())
		.filter(c => !c.foreign).map(c => [c.id, c.status, c.reply && c.reply.id]));
	check(ids.length >= 3 && ids.every(([id, s, rid]) => s === 'ok' && id === rid), `commands: ${JSON.stringify(ids)}`);
	await shot('panel');
});

await step('van2 killed (SIGKILL): the last will turns it offline and raises the silent-van alert', async () => {
	process.kill(Number(env.VAN2_PID), 'SIGKILL');
	const t0 = Date.now();
	await card('van2').locator('.avail', { hasText: 'OFFLINE' }).waitFor({ timeout: 20000 });
	await alertOf('van2', 'offline').waitFor();
	log(`--- van2 offline on screen ${Date.now() - t0} ms after SIGKILL`);
	check(/Van offline during a session/i.test(await alertOf('van2', 'offline').innerText()), 'alert text');
	await page.waitForFunction(() => window.__vanConsole.sound.played.last === 'alert', null, { timeout: 12000 });
	await shot('van-offline');
});

await step('a retained state with past-due check-in and planned end (published before the console started) raises both alerts', async () => {
	// van4: published by the test script before the browser started, so the
	// console got it as a retained message, with the van's clock offset unknown
	await alertOf('van4', 'checkin').waitFor({ timeout: 25000 });
	await alertOf('van4', 'overdue').waitFor();
	const t = await alertOf('van4', 'checkin').innerText();
	check(/Check-in overdue/i.test(t) && /Due 1[01] min ago/.test(t) && /Base's own clock/.test(t), `alert text: ${t}`);
	check(/Planned end passed \d+ min ago/.test(await alertOf('van4', 'overdue').innerText()), 'overdue alert text');
	check(/OVERDUE by/.test(await card('van4').innerText()), 'card does not say overdue');
});

await step('a check-in falls due on base\'s clock with nothing newer from the van: alert', async () => {
	const now = Date.now();
	const st = {
		v: 1, unit: 'van3', name: 'Van 3', utc: now, utc_src: 'system', time: new Date(now).toISOString(),
		session: { state: 'active', id: now - 3600000, crew: 2, lone: false, plan: null, started_utc: now - 3600000,
			planned_end_utc: now + 3600000,
			checkin: { stage: 'reminded', reason: 'normal', interval_min: 60, due_utc: now + 3000, due_in_s: 3,
				overdue: false, escalated: false, requested: false } },
		occupancy: { occupancy: 1, limit: 6, full: false, over: false },
		emergency: null,
		gps: { link: 'up', fix: '3d', lat: 53.801, lon: -1.548, age_s: 1 },
		link: { base: 'online', backlog: 0, oldest_s: null },
	};
	vanPub('van3', 'availability', 'online', { retain: true });
	vanPub('van3', 'state', JSON.stringify(st), { retain: true });
	await card('van3').waitFor();
	await sleep(1000);
	check(await alertOf('van3', 'checkin').count() === 0, 'alert before the due time');
	// due in 3 s + dueGraceS (2 s in this test's page address)
	await alertOf('van3', 'checkin').waitFor({ timeout: 10000 });
	const t = await alertOf('van3', 'checkin').innerText();
	check(/Check-in overdue/i.test(t) && /Due \d+ s ago/.test(t) && /Base's own clock/.test(t), `alert text: ${t}`);
	check(await alertOf('van3', 'overdue').count() === 0, 'planned end is in the future, yet overdue');
	await shot('overdue');
});

await step('van-reported session.overdue event shows the same way', async () => {
	const ev = { v: 1, seq: 1, unit: 'van3', type: 'session.overdue', time: new Date().toISOString(), prio: 1,
		data: { planned_end_utc: Date.now() - 20 * 60000, overdue_s: 300, repeat: 0, incident: true, category: 'overdue' } };
	vanPub('van3', 'event', JSON.stringify(ev));
	await alertOf('van3', 'overdue').waitFor();
	check(/reported it overdue/.test(await alertOf('van3', 'overdue').innerText()), 'not attributed to the van');
});

await step('event gaps are detected and a replay is asked for automatically', async () => {
	const mk = (seq, type) => JSON.stringify({ v: 1, seq, unit: 'van3', type, time: new Date().toISOString(), prio: 0, data: {} });
	vanPub('van3', 'event', mk(2, 'stop.started'));
	vanPub('van3', 'event', mk(5, 'stop.ended'));
	vanPub('van3', 'event', mk(5, 'stop.ended')); // a duplicate
	await card('van3').locator('.van-notes', { hasText: 'missing events 3–4' }).waitFor();
	await page.waitForFunction(() => window.__vanConsole.fleet.commandsFor('van3', Date.now())
		.some(c => c.name === 'replay' && c.fields.from_seq === 3), null, { timeout: 15000 });
	check(await page.evaluate(() => window.__vanConsole.fleet.vans.van3.events.length) === 3, 'duplicate kept');
});

await step('malformed messages show warnings and break nothing', async () => {
	const w0 = await page.evaluate(() => window.__vanConsole.fleet.warningCount);
	const big = join(WORK, 'big.json');
	writeFileSync(big, '{"v":1,"pad":"' + 'x'.repeat(300 * 1024) + '"}');
	const bin = join(WORK, 'bin.dat');
	writeFileSync(bin, Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x7b]));
	const bad = [
		['state', 'not json{'],
		['state', '{"v":1,"utc":"yesterday","session":"active"}'],
		['state', '{"v":2,"utc":1}'],
		['state', '{"v":1,"unit":"van1","utc":1}'],
		['state', '[1,2,3]'],
		['event', '{"v":1,"seq":"x","type":"checkin"}'],
		['event', '{"v":1,"seq":-4,"type":7}'],
		['location', '{"v":1,"lat":"north","lon":200,"time":"now"}'],
		['emergency', '{"v":1,"active":"yes"}'],
		['availability', 'maybe'],
		['reply', '{"v":1,"id":{"x":1}}'],
		['state', null, { file: big }],
		['event', null, { file: bin }],
		['state', '{"v":1,"utc":1795554000000,"session":{"state":"active","checkin":{"due_utc":"soon"},"crew":"two"},"occupancy":{"occupancy":"many","limit":null},"gps":{"lat":"x"},"link":{"backlog":"lots"},"emergency":{"active":true,"id":"x"}}'],
	];
	for (const [sub, msg, o] of bad)
		vanPub('van9', sub, msg, o);
	await page.waitForFunction(n => window.__vanConsole.fleet.warningCount >= n, w0 + bad.length - 1);
	check(pageErrors.length === 0, `page errors: ${pageErrors.join(' | ')}`);
	check(await page.evaluate(() => window.__vanConsole.pageErrors()) === 0, 'display errors');
	// still alive: a new event from van1 appears
	check((await ctl('van1', { cmd: 'checkin' })).ok, 'van1 checkin');
	await page.locator('#log li', { hasText: /van1\)\s+#\d+\s+checkin/ }).first().waitFor();
	await page.click('#warnings-box summary');
	const wt = await page.locator('#warnings').innerText();
	check(/not JSON/.test(wt) && /not UTF-8/.test(wt) && /too large/.test(wt) && /unsupported payload version/.test(wt), `warnings: ${wt.slice(0, 500)}`);
	await shot('warnings');
});

await step('the ACL keeps vans and operators to their own topics', async () => {
	pub('van1', env.VAN_PASS, 'vanctld/van5/state', JSON.stringify({ v: 1, utc: Date.now() }));
	pub(env.OP_USER, env.OP_PASS, 'vanctld/van6/state', JSON.stringify({ v: 1, utc: Date.now() }));
	pub('van1', env.VAN_PASS, 'vanctld/van2/cmd/status', JSON.stringify({ unit: 'van2' }));
	await sleep(1500);
	const vans = await page.evaluate(() => Object.keys(window.__vanConsole.fleet.vans));
	check(!vans.includes('van5') && !vans.includes('van6'), `forged vans shown: ${vans}`);
});

await step('no request left this machine, no page errors', async () => {
	const other = consoleErrors.filter(e => /another host/.test(e));
	check(other.length === 0, other.join(' | '));
	check(pageErrors.length === 0, pageErrors.join(' | '));
	await page.evaluate(() => window.scrollTo(0, 0));
	await shot('final');
});

await ctx.close();
log('e2e: all steps passed');
