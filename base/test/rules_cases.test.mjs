// base/test/rules_cases.test.mjs - the console's fallback rules
// (src/js/fleet.js) against the shared cases, tests/data/base_rules_cases.json,
// which vanbase's core runs too (tests/unit/test_vb_cases.c): one definition
// of base's alarm rules, held by both implementations (docs/escalation.md).
//
//   node --test base/test/          (or ctest -R base_rules_cases)
//
// Each case starts with an empty fleet and base's broker link up at t0.  A
// step hands a message to the fleet at its time on base's clock, or compares
// the open alarms ("unit:kind", sorted) with the expected ones.  The console
// names two kinds differently: its alerts() says "selftest" for vanbase's
// "selftest_failed", and its emergencies are emergencies(), not alerts.
// Alerts vanbase does not raise (overlimit, storage: the van's own reports,
// shown but not escalated) are not compared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const Fleet = require('../src/js/fleet.js');
const here = dirname(fileURLToPath(import.meta.url));
const CASES = process.env.VAN_RULES_CASES || join(here, '..', '..', 'tests', 'data', 'base_rules_cases.json');
const file = JSON.parse(readFileSync(CASES, 'utf8'));

const KINDS = ['emergency', 'overdue', 'checkin', 'offline', 'silent', 'selftest_failed'];
const CONSOLE_KIND = { selftest: 'selftest_failed' };
const NOT_VANBASE = ['overlimit', 'storage'];

// '$ms+S' -> t0 + S s in ms; '$iso+S' -> the same instant in ISO 8601 UTC
function subst(j, t0) {
	if (Array.isArray(j))
		return j.map(x => subst(x, t0));
	if (j !== null && typeof j === 'object') {
		const o = {};
		for (const k of Object.keys(j))
			o[k] = subst(j[k], t0);
		return o;
	}
	if (typeof j === 'string') {
		const m = /^\$(ms|iso)([+-]\d+(?:\.\d+)?)$/.exec(j);
		if (m) {
			const ms = t0 + Math.round(Number(m[2]) * 1000);
			return m[1] === 'iso' ? new Date(ms).toISOString() : ms;
		}
		assert.ok(!j.startsWith('$'), `a placeholder this runner does not know: ${j}`);
	}
	return j;
}

// the open alarms as the cases name them
export function openAlarms(f, now) {
	const out = [];
	for (const a of f.alerts(now, true)) {
		if (NOT_VANBASE.includes(a.kind))
			continue;
		const k = CONSOLE_KIND[a.kind] || a.kind;
		assert.ok(KINDS.includes(k), `fleet.js raised a kind the cases do not know: ${a.kind}`);
		out.push(`${a.unit}:${k}`);
	}
	for (const e of f.emergencies())
		out.push(`${e.van.unit}:emergency`);
	return out.sort();
}

// a case, step by step; returns [] or the mismatches
export function runCase(c, t0, options) {
	const f = new Fleet(options);
	const bad = [];
	let last = -Infinity;
	c.steps.forEach((s, i) => {
		assert.equal(typeof s.at, 'number', `${c.name}: step ${i} has no "at"`);
		assert.ok(s.at >= last, `${c.name}: step ${i} goes back in time`);
		last = s.at;
		const now = t0 + s.at * 1000;
		if (s.expect) {
			const want = [...s.expect].sort();
			const got = openAlarms(f, now);
			if (JSON.stringify(got) !== JSON.stringify(want))
				bad.push(`step ${i} (at ${s.at} s): want [${want}] got [${got}]`);
			return;
		}
		assert.equal(typeof s.topic, 'string', `${c.name}: step ${i} has neither topic nor expect`);
		const payload = typeof s.payload === 'string' ? s.payload : JSON.stringify(subst(s.payload, t0));
		const r = f.handle(`${f.o.prefix}/${s.topic}`, payload, { retained: s.retained === true, now });
		if (r === null && f.warnings.length)
			bad.push(`step ${i} (at ${s.at} s): fleet.js refused the message: ${f.warnings[0].text}`);
	});
	return bad;
}

test('the shared cases file is well formed', () => {
	assert.equal(typeof file.t0, 'number');
	assert.ok(Array.isArray(file.cases) && file.cases.length > 0, 'no cases');
	for (const c of file.cases) {
		assert.equal(typeof c.name, 'string');
		assert.ok(c.steps.some(s => s.expect), `${c.name}: expects nothing`);
		for (const s of c.steps)
			for (const e of s.expect || [])
				assert.ok(KINDS.includes(e.split(':')[1]), `${c.name}: unknown kind in ${e}`);
	}
});

for (const c of file.cases) {
	test(`case: ${c.name}`, () => {
		const bad = runCase(c, file.t0, file.options);
		assert.deepEqual(bad, [], `fleet.js differs from the shared rules:\n  ${bad.join('\n  ')}`);
	});
}

// the runner itself must be able to fail: the same cases with a longer
// grace must differ somewhere (a check-in judged a minute later)
test('the runner notices a rule that differs', () => {
	const changed = Object.assign({}, file.options, { dueGraceS: file.options.dueGraceS + 120 });
	const diffs = file.cases.map(c => runCase(c, file.t0, changed)).filter(b => b.length);
	assert.ok(diffs.length > 0, 'a different grace changed no outcome: the runner compares nothing');
});
