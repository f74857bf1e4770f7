// base/e2e/vanbase.mjs - the base console with vanbase, in headless
// Chromium (Debian's /usr/bin/chromium through playwright-core) against a
// real broker, a real vanctld (van1) and a real vanbase, which this script
// starts and stops itself.  Started by tests/integration/it_62_base_vanbase.sh.
// Prints PASS/FAIL lines; exit 0 = passed.
//
//   WORK, SHOTS          work directory, screenshot directory
//   WS_PORT, WSS_PORT    websockets listeners (page; console's wss://)
//   MQTT_PORT            loopback MQTT listener
//   OP_USER, OP_PASS     the operator's broker account
//   VANBASE, VANBASE_CONF  the vanbase binary and its configuration
import { chromium } from 'playwright-core';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

const env = process.env;
const WORK = env.WORK;
const SHOTS = env.SHOTS || join(WORK, 'shots');
mkdirSync(SHOTS, { recursive: true });
const OPERATOR = 'Sam at base';
let page, ctx, vanbase = null;
let shotN = 0;
const pageErrors = [];

function log(...a) { console.log(...a); }
async function shot(name) {
	const p = join(SHOTS, `${String(++shotN).padStart(2, '0')}-${name}.png`);
	await page.screenshot({ path: p, fullPage: true });
	log(`screenshot: ${p}`);
	return p;
}
function stopVanbase(sig = 'SIGTERM') {
	if (!vanbase)
		return Promise.resolve();
	const p = vanbase;
	vanbase = null;
	return new Promise(resolve => {
		const t = setTimeout(() => { p.kill('SIGKILL'); }, 5000);
		p.once('exit', () => { clearTimeout(t); resolve(); });
		p.kill(sig);
	});
}
async function fail(what, err) {
	log(`FAIL: ${what}${err ? ': ' + (err.message || err) : ''}`);
	try {
		await shot('failure');
		const dbg = await page.evaluate(() => {
			const c = window.__vanConsole;
			return c ? JSON.stringify({ conn: c.conn(), esc: c.escalation(), vb: c.fleet.vb,
				warnings: c.fleet.warnings.slice(0, 10) }) : 'no __vanConsole';
		});
		log('page state: ' + dbg);
	} catch (e) { /* the page may be gone */ }
	if (pageErrors.length)
		log('page errors: ' + pageErrors.join(' | '));
	await stopVanbase();
	if (ctx)
		await ctx.close().catch(() => {});
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
function check(cond, msg) {
	if (!cond)
		throw new Error(msg);
}
const sleep = ms => new Promise(r => setTimeout(r, ms));

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

// vanbase's own record, through its CLI (control socket)
function vbAlarms(all) {
	const out = execFileSync(env.VANBASE, ['-c', env.VANBASE_CONF, '--json', 'alarms', ...(all ? ['--all'] : [])],
		{ encoding: 'utf8', timeout: 10000 });
	const j = JSON.parse(out);
	const l = Array.isArray(j) ? j : Array.isArray(j.result) ? j.result : Array.isArray(j.alarms) ? j.alarms :
		j.result && Array.isArray(j.result.alarms) ? j.result.alarms : null;
	check(l, `vanbase alarms: unexpected output ${out.slice(0, 300)}`);
	// a row of vanbase's database: its columns, and the alarm as published in "detail"
	return l.map(r => {
		const d = typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail && typeof r.detail === 'object' ? r.detail : {};
		return Object.assign({}, r, d);
	});
}
async function until(what, fn, ms = 15000) {
	const end = Date.now() + ms;
	let last;
	for (;;) {
		try {
			last = await fn();
			if (last)
				return last;
		} catch (e) { last = e.message; }
		if (Date.now() > end)
			throw new Error(`${what}: not within ${ms / 1000} s (last: ${JSON.stringify(last)})`);
		await sleep(200);
	}
}

const banner = () => page.locator('#vanbase-banner');
const alertOf = (unit, kind) => page.locator(`#alerts .alert[data-unit="${unit}"][data-kind="${kind}"]`);
const vba = (unit, kind) => page.locator(`#vbalarms .vba[data-unit="${unit}"][data-kind="${kind}"]`);
const alarmOf = unit => page.locator(`#alarms .alarm[data-unit="${unit}"]`);

const userDir = mkdtempSync(join(WORK, 'chromium-'));
ctx = await chromium.launchPersistentContext(userDir, {
	executablePath: '/usr/bin/chromium',
	headless: true,
	ignoreHTTPSErrors: true,
	viewport: { width: 1440, height: 1000 },
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	       '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
page = ctx.pages()[0] || await ctx.newPage();
page.on('pageerror', e => { pageErrors.push(e.message); log(`page error: ${e.message}`); });
page.setDefaultTimeout(15000);

await step('the console connects (vanbase not started yet)', async () => {
	await page.goto(`http://127.0.0.1:${env.WS_PORT}/?dueGraceS=2`);
	await page.locator('#login[open]').waitFor();
	await page.fill('#f-url', `wss://127.0.0.1:${env.WSS_PORT}/`);
	await page.fill('#f-user', env.OP_USER);
	await page.fill('#f-pass', env.OP_PASS);
	await page.fill('#f-op', OPERATOR);
	await page.click('#f-connect');
	await page.waitForFunction(() => window.__vanConsole.conn() === 'on');
});

await step('vanbase never heard: a loud banner says nobody is being paged; the console judges base\'s clock itself', async () => {
	await banner().waitFor({ state: 'visible' });
	const t = await banner().innerText();
	check(/ESCALATION SERVICE DOWN/.test(t) && /nobody is being paged/.test(t), `banner: ${t}`);
	check(/No vanbase has been heard/.test(t), `banner does not say vanbase was never heard: ${t}`);
	check(/ESCALATION DOWN/.test(await page.locator('#esc').innerText()), 'top pill');
	// the fallback: van4's past-due retained state, judged by the console
	// (a retained state is judged once the console's settleS, 15 s, passed)
	await alertOf('van4', 'overdue').waitFor({ timeout: 30000 });
	await alertOf('van4', 'checkin').waitFor();
	check(await page.locator('#vbalarms .vba').count() === 0, 'vanbase alarms shown with no vanbase');
	const box = await banner().boundingBox();
	check(box && box.width > 1400 * 0.95 && box.height >= 40, `banner not full width and tall: ${JSON.stringify(box)}`);
	check((await page.title()).includes('NO ESCALATION'), `title: ${await page.title()}`);
	await shot('banner-no-vanbase');
});

await step('vanbase starts: the banner goes, vanbase\'s alarms replace the console\'s own (notified, with the contact)', async () => {
	const logfd = openSync(join(WORK, 'vanbase.log'), 'a');
	vanbase = spawn(env.VANBASE, ['-c', env.VANBASE_CONF, '-v'], { stdio: ['ignore', logfd, logfd] });
	writeFileSync(join(WORK, 'vanbase.pid'), String(vanbase.pid));
	vanbase.on('exit', (code, sig) => log(`--- vanbase exited (${code ?? sig})`));
	await banner().waitFor({ state: 'hidden', timeout: 20000 });
	await until('pill up', async () => /escalation: vanbase \(Test base\) up/.test(await page.locator('#esc').innerText()));
	const row = vba('van4', 'overdue');
	await row.waitFor({ timeout: 20000 });
	await until('van4 overdue notified', async () => (await row.getAttribute('data-state')) === 'notified');
	const t = await row.innerText();
	check(/SESSION OVERDUE/i.test(t) && /Van 4/.test(t), `row: ${t}`);
	check(/sam by sms/.test(t), `no contact and channel in the row: ${t}`);
	check(/NOT YET/.test(t), 'not shown as unacknowledged');
	await vba('van4', 'checkin').waitFor();
	// the console raises none of base's clock alerts of its own now
	check(await alertOf('van4', 'overdue').count() === 0, 'the console still shows its own overdue alert');
	check(await alertOf('van4', 'checkin').count() === 0, 'the console still shows its own check-in alert');
	check(/Session overdue: NOTIFIED/.test(await page.locator('#fleet .van[data-key="van4"] .r-alarms').innerText()),
	      'the van\'s card does not show vanbase\'s alarm');
});

let emAlarm;
await step('a panic at van1: the alarm shows vanbase\'s "notified" and who was paged on which channel', async () => {
	const r = await ctl('van1', { cmd: 'panic' });
	check(r.ok, `panic refused: ${JSON.stringify(r)}`);
	await alarmOf('van1').waitFor({ timeout: 5000 });
	await until('emergency notified', async () => (await alarmOf('van1').getAttribute('data-state')) === 'notified');
	emAlarm = await alarmOf('van1').getAttribute('data-alarm');
	const t = await alarmOf('van1').locator('.f-esc').innerText();
	check(/NOTIFIED/.test(t) && /paged sam by sms/.test(t), `escalation line: ${t}`);
	check(/EMERGENCY/.test(await alarmOf('van1').innerText()), 'alarm block');
	// shown once: in full above, not again in the list
	check(await vba('van1', 'emergency').count() === 0, 'the emergency is shown twice');
	const l = vbAlarms(false).find(a => a.id === emAlarm);
	check(l && l.kind === 'emergency' && l.unit === 'van1', `vanbase has no such alarm ${emAlarm}`);
	await page.evaluate(() => window.scrollTo(0, 0));
	await shot('alarm-list-notified');
});

await step('ACKNOWLEDGE of the emergency goes to the van; vanbase records it acknowledged at the van', async () => {
	await alarmOf('van1').locator('button.ack').click();
	await until('van confirmed', async () => /Van confirmed/.test(await alarmOf('van1').locator('.ack-status').innerText()));
	await until('vanbase acked', async () => (await alarmOf('van1').getAttribute('data-state')) === 'acknowledged', 20000);
	const t = await alarmOf('van1').locator('.f-esc').innerText();
	check(/ACKNOWLEDGED/.test(t) && /Sam at base/.test(t) && /at the van/.test(t), `escalation line: ${t}`);
	const a = vbAlarms(false).find(x => x.id === emAlarm);
	check(a.acked_by === OPERATOR && a.acked_how === 'van', `vanbase: ${JSON.stringify(a)}`);
});

await step('the crew clears it: the block goes, vanbase\'s alarm stays listed as resolved until closed', async () => {
	const r = await ctl('van1', { cmd: 'alarm_clear' });
	check(r.ok, `alarm_clear refused: ${JSON.stringify(r)}`);
	await alarmOf('van1').waitFor({ state: 'detached' });
	const row = page.locator(`#vbalarms .vba[data-alarm="${emAlarm}"]`);
	await row.waitFor();
	await until('resolved', async () => (await row.getAttribute('data-state')) === 'resolved');
	const t = await row.innerText();
	check(/Resolved/.test(t) && /Sam at base at the van/.test(t), `row: ${t}`);
	check(await row.locator('button.vack').isHidden(), 'ACKNOWLEDGE offered for a resolved alarm');
	await row.locator('button.vclose').click();
	await row.waitFor({ state: 'detached' });
	// vanbase's audit trail has the close by the operator, and its alarm row
	// says closed (a resolved alarm leaves vanbase's core when it is closed:
	// the row is closed from the audit record)
	const a = await until('vanbase closed (audit)', () => vbAlarms(true).find(x => x.id === emAlarm &&
		Array.isArray(x.audit) && x.audit.some(e => e.what === 'closed' && e.who === OPERATOR)));
	check(a.state === 'closed' && a.closed_utc_ms > 0,
		`alarm ${emAlarm} closed (audit) but its row says ${a.state}, closed_utc_ms ${a.closed_utc_ms}`);
});

await step('a covert panic keeps the console\'s discretion (purple, do not call the van) with vanbase\'s line', async () => {
	const r = await ctl('van1', { cmd: 'panic', covert: true });
	check(r.ok, `covert panic refused: ${JSON.stringify(r)}`);
	await page.locator('#alarms .alarm.covert[data-unit="van1"]').waitFor({ timeout: 5000 });
	await until('covert notified', async () => (await alarmOf('van1').getAttribute('data-state')) === 'notified');
	check(await alarmOf('van1').locator('.alarm-covert').isVisible(), 'no "do not call the van openly"');
	check(/paged sam by sms/.test(await alarmOf('van1').locator('.f-esc').innerText()), 'no escalation line');
	const id = await alarmOf('van1').getAttribute('data-alarm');
	check(id !== emAlarm, 'the same alarm as the cleared one');
	const a = vbAlarms(false).find(x => x.id === id);
	check(a && a.covert === true, `vanbase's alarm not covert: ${JSON.stringify(a)}`);
	await page.evaluate(() => window.scrollTo(0, 0));
	await shot('covert-notified');
});

let odAlarm;
await step('ACKNOWLEDGE of van4\'s overdue in the console reaches vanbase (by the operator, how "console")', async () => {
	const row = vba('van4', 'overdue');
	odAlarm = await row.getAttribute('data-alarm');
	await row.locator('button.vack').click();
	await until('row acked', async () => (await row.getAttribute('data-state')) === 'acknowledged');
	const a = await until('vanbase acked', () => vbAlarms(false).find(x => x.id === odAlarm && x.state === 'acknowledged'));
	check(a.acked_by === OPERATOR, `acked_by ${a.acked_by}`);
	check(a.acked_how === 'console', `acked_how ${a.acked_how}`);
	const t = await row.innerText();
	check(/Sam at base in a base console/.test(t), `row: ${t}`);
	check(/vanbase shows it/.test(t), `command status: ${t}`);
	check(await row.locator('button.vack').isHidden(), 'ACKNOWLEDGE still offered');
});

await step('the notification\'s link opens the console at the van and the alarm', async () => {
	const lines = readFileSync(join(WORK, 'pager.jsonl'), 'utf8').split('\n').filter(l => l.trim()).map(l => JSON.parse(l));
	const n = lines.find(x => JSON.stringify(x).includes(odAlarm) && typeof x.link === 'string');
	check(n, `no notification with a link for ${odAlarm} in pager.jsonl`);
	check(n.link.includes(`#van=van4&alarm=${odAlarm}`), `link ${n.link}`);
	const p2 = await ctx.newPage();
	p2.on('pageerror', e => { pageErrors.push(e.message); log(`page error (link): ${e.message}`); });
	try {
		await p2.goto(n.link);
		await p2.locator('#login[open]').waitFor();
		await p2.fill('#f-pass', env.OP_PASS);   // the address, user and operator are remembered
		await p2.click('#f-connect');
		await p2.locator('#panel[data-unit="van4"]').waitFor({ state: 'visible' });
		await p2.locator(`#vbalarms .vba.target[data-alarm="${odAlarm}"]`).waitFor();
	} finally {
		await p2.close();
	}
});

await step('CLOSE with a note: vanbase closes it, the row goes', async () => {
	const row = vba('van4', 'checkin');
	const id = await row.getAttribute('data-alarm');
	await row.locator('input.vnote').fill('phoned the crew: all fine, forgot to check in');
	await row.locator('button.vclose').click();
	await row.waitFor({ state: 'detached' });
	const a = await until('vanbase closed', () => vbAlarms(true).find(x => x.id === id && x.state === 'closed'));
	check(a.closed_by === OPERATOR, `closed_by ${a.closed_by}`);
	check(a.note === 'phoned the crew: all fine, forgot to check in', `note ${a.note}`);
	await page.evaluate(() => window.scrollTo(0, 0));
	await shot('alarm-list-acked');
});

// vanbase's heartbeat (docs/escalation.md): hung, it keeps its connection
// and its retained "online" (the broker's keepalive is 30 s, its will comes
// after 45 s); its alarm list stops, and within 3 heartbeats the banner says so
const HB = Number(env.VANBASE_HEARTBEAT || 5);
await step(`vanbase hung (SIGSTOP): within 3 heartbeats (${3 * HB} s) the banner says NOT RESPONDING; SIGCONT: it goes`, async () => {
	check(/escalation: vanbase \(Test base\) up$/.test(await page.locator('#esc').innerText()), 'not up and confirmed before the stop');
	const t0 = Date.now();
	vanbase.kill('SIGSTOP');
	try {
		await sleep(1000);
		check(await banner().isHidden(), 'the banner came 1 s after the stop, before 3 heartbeats missed');
		await banner().waitFor({ state: 'visible', timeout: (3 * HB + 4) * 1000 });
		const dt = (Date.now() - t0) / 1000;
		log(`banner ${dt.toFixed(1)} s after SIGSTOP (heartbeat ${HB} s, limit ${3 * HB} s + a render tick)`);
		check(dt <= 3 * HB + 2.5, `banner after ${dt.toFixed(1)} s`);
		const t = await banner().innerText();
		check(/ESCALATION SERVICE DOWN/.test(t) && /NOT RESPONDING/.test(t) && /no heartbeat for \d+ s \(last at \d\d:\d\d:\d\d\)/.test(t) &&
		      new RegExp(`every ${HB} s`).test(t), `banner: ${t}`);
		check(/ESCALATION DOWN: NOT RESPONDING/.test(await page.locator('#esc').innerText()), 'top pill');
		check(await page.locator('#vbalarms .vba').count() === 0, 'vanbase\'s (stale) alarms still shown');
		await alertOf('van4', 'overdue').waitFor();   // the console's own rules again
		// the broker still holds vanbase's retained "online" and list
		const vb = await page.evaluate(() => window.__vanConsole.fleet.vb.availability);
		check(vb === 'online', `availability ${vb}: the last will came, not the heartbeat rule`);
		await page.evaluate(() => window.scrollTo(0, 0));
		await shot('banner-vanbase-not-responding');
		// a console opened now gets the retained list at once: no proof of
		// life, it shows "checking", then the banner
		const p2 = await ctx.newPage();
		p2.on('pageerror', e => { pageErrors.push(e.message); log(`page error (second console): ${e.message}`); });
		try {
			await p2.goto(`http://127.0.0.1:${env.WS_PORT}/?dueGraceS=2`);
			await p2.locator('#login[open]').waitFor();
			await p2.fill('#f-pass', env.OP_PASS);
			await p2.click('#f-connect');
			await p2.waitForFunction(() => window.__vanConsole.conn() === 'on');
			await until('second console, retained list only: "checking"', async () =>
				/escalation: vanbase \(Test base\) up \(checking…\)/.test(await p2.locator('#esc').innerText()), 3000);
			check(await p2.locator('#vanbase-banner').isHidden(), 'second console: the banner at once');
			await p2.locator('#vanbase-banner').waitFor({ state: 'visible', timeout: (3 * HB + 4) * 1000 });
			const t2 = await p2.locator('#vanbase-banner').innerText();
			check(/NOT RESPONDING/.test(t2) && /since this console connected/.test(t2), `second console's banner: ${t2}`);
		} finally {
			await p2.close();
		}
	} finally {
		vanbase.kill('SIGCONT');
	}
	const t1 = Date.now();
	await banner().waitFor({ state: 'hidden', timeout: (HB + 4) * 1000 });
	log(`banner gone ${((Date.now() - t1) / 1000).toFixed(1)} s after SIGCONT`);
	await until('pill up again', async () => /escalation: vanbase \(Test base\) up$/.test(await page.locator('#esc').innerText()));
	await vba('van4', 'overdue').waitFor();
});

await step('vanbase stops: the banner is back (offline since), the console falls back to its own rules', async () => {
	await stopVanbase('SIGTERM');
	await banner().waitFor({ state: 'visible', timeout: 10000 });
	const t = await banner().innerText();
	check(/vanbase is offline since \d\d:\d\d/.test(t), `banner: ${t}`);
	check(await page.locator('#vbalarms .vba').count() === 0, 'vanbase\'s (stale) alarms still shown');
	await alertOf('van4', 'overdue').waitFor();
	const f = await alarmOf('van1').locator('.f-esc').innerText();
	check(/ESCALATION SERVICE DOWN/.test(f), `the alarm does not say nobody is paged: ${f}`);
	await page.evaluate(() => window.scrollTo(0, 0));
	await shot('banner-vanbase-down');
});

await step('no page errors', async () => {
	check(pageErrors.length === 0, pageErrors.join(' | '));
});

await ctx.close();
log('e2e: all steps passed');
