/*
 * test_vb_hostile.c - whatever the broker hands over, vanbase's core
 * refuses it with a reason and keeps going: not JSON, not an object, wrong
 * versions and units, wrong types, huge numbers, bad dates, unknown vans,
 * oversized payloads, NUL bytes, random bytes on every topic; a corrupt
 * saved state is refused and changes nothing.
 */
#include "test_vb_harness.h"

static int msg(struct vbh *h, const char *unit, enum vb_topic t, const char *p)
{
	return h_msg(h, unit, t, p, false);
}

static void refused(void **st)
{
	(void)st;
	struct vbh h;
	h_init(&h, NULL);
	const char *why = NULL;
	/* a van not in the fleet: refused, nothing kept */
	assert_int_equal(vb_message(h.vb, &h.now, "van9", VB_T_EMERGENCY,
				    "{\"active\":true,\"id\":1}", 22, false, &why), -ENOENT);
	assert_string_equal(why, "not a van of this fleet");
	assert_null(vb_unit_get(h.vb, "van9"));
	assert_int_equal(vb_message(h.vb, &h.now, NULL, VB_T_STATE, "{}", 2, false, &why), -ENOENT);
	assert_int_equal(vb_message(h.vb, &h.now, "van1/../x", VB_T_STATE, "{}", 2, false, &why), -ENOENT);
	assert_int_equal(vb_unit_add(h.vb, "bad/unit"), -EINVAL);
	assert_int_equal(vb_unit_add(h.vb, ""), -EINVAL);
	assert_int_equal(vb_unit_add(h.vb, "base"), -EINVAL);   /* the drills' pseudo-unit */
	assert_int_equal(vb_unit_add(h.vb, "van1"), -EEXIST);
	assert_int_equal(vb_unit_add(h.vb, "a234567890123456789012345678901234"), -EINVAL);
	static const struct { enum vb_topic t; const char *p; } bad[] = {
		{ VB_T_AVAILABILITY, "maybe" },
		{ VB_T_AVAILABILITY, "online\n" },
		{ VB_T_STATE, "not json" },
		{ VB_T_STATE, "[1,2]" },
		{ VB_T_STATE, "\"text\"" },
		{ VB_T_STATE, "{\"utc\":1750000000000" },
		{ VB_T_STATE, "{\"v\":2,\"utc\":1750000000000}" },
		{ VB_T_STATE, "{\"v\":\"1\",\"utc\":1750000000000}" },
		{ VB_T_STATE, "{\"unit\":\"van2\",\"utc\":1750000000000}" },
		{ VB_T_STATE, "{\"unit\":7,\"utc\":1750000000000}" },
		{ VB_T_STATE, "{\"utc\":\"1750000000000\"}" },
		{ VB_T_STATE, "{\"utc\":1e300}" },
		{ VB_T_STATE, "{\"utc\":1e400}" },
		{ VB_T_STATE, "{\"utc\":123456789012345678901234567890}" },
		{ VB_T_STATE, "{\"utc\":1750000000000.5}" },
		{ VB_T_STATE, "{\"time\":\"2025-02-30T00:00:00Z\"}" },
		{ VB_T_STATE, "{\"time\":\"2025-06-16T20:00:00+01:00\"}" },
		{ VB_T_STATE, "{\"utc\":1750000000000,\"session\":\"active\"}" },
		{ VB_T_STATE, "{\"utc\":1750000000000,\"utc\":1750000000001}" },
		{ VB_T_STATE, "{\"utc\":1750000000000,\"s\":\"\xff\xfe\"}" },
		{ VB_T_EMERGENCY, "{\"active\":\"yes\",\"id\":1}" },
		{ VB_T_EMERGENCY, "{\"active\":true,\"id\":\"1\"}" },
		{ VB_T_EMERGENCY, "{\"active\":true,\"id\":1.5}" },
		{ VB_T_EMERGENCY, "{\"active\":true,\"id\":18446744073709551616}" },
		{ VB_T_EMERGENCY, "{\"active\":true,\"id\":9007199254740993}" },
		{ VB_T_EVENT, "{\"seq\":0,\"type\":\"checkin.missed\"}" },
		{ VB_T_EVENT, "{\"seq\":-5,\"type\":\"checkin.missed\"}" },
		{ VB_T_EVENT, "{\"seq\":1.5,\"type\":\"checkin.missed\"}" },
		{ VB_T_EVENT, "{\"seq\":null,\"type\":\"checkin.missed\"}" },
		{ VB_T_EVENT, "{\"seq\":1,\"type\":7}" },
		{ VB_T_EVENT, "{\"seq\":1,\"type\":\"\"}" },
		{ VB_T_LOCATION, "{\"lat\":91,\"lon\":0,\"time\":\"2025-06-16T20:00:00Z\"}" },
		{ VB_T_LOCATION, "{\"lat\":\"53\",\"lon\":0,\"time\":\"2025-06-16T20:00:00Z\"}" },
		{ VB_T_LOCATION, "{\"lat\":53,\"lon\":0,\"time\":\"yesterday\"}" },
		{ VB_T__COUNT, "{}" },
		{ (enum vb_topic)-1, "{}" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		int r = vb_message(h.vb, &h.now, "van1", bad[i].t, bad[i].p, strlen(bad[i].p), false, &why);
		if (r != -EINVAL)
			fail_msg("accepted #%zu: %s", i, bad[i].p);
		assert_non_null(why);
	}
	/* NUL inside, and NULL with a length */
	assert_int_equal(vb_message(h.vb, &h.now, "van1", VB_T_STATE, "{\"utc\":1}\0x", 11, false, &why), -EINVAL);
	assert_int_equal(vb_message(h.vb, &h.now, "van1", VB_T_STATE, NULL, 5, false, &why), -EINVAL);
	/* too large */
	size_t big = VB_PAYLOAD_MAX + 1;
	char *p = malloc(big);
	assert_non_null(p);
	memset(p, ' ', big);
	p[0] = '{';
	p[big - 1] = '}';
	assert_int_equal(vb_message(h.vb, &h.now, "van1", VB_T_STATE, p, big, false, &why), -EINVAL);
	assert_string_equal(why, "message too large");
	free(p);
	/* deep nesting */
	size_t depth = 100000;
	p = malloc(2 * depth + 1);
	assert_non_null(p);
	memset(p, '[', depth);
	memset(p + depth, ']', depth);
	assert_int_equal(vb_message(h.vb, &h.now, "van1", VB_T_EVENT, p, 2 * depth, false, &why), -EINVAL);
	free(p);
	/* wrong types inside a good message read as absent: no session, no alarm */
	assert_int_equal(msg(&h, "van1", VB_T_STATE,
			     "{\"utc\":1750104000000,\"session\":{\"state\":5,\"planned_end_utc\":\"soon\","
			     "\"checkin\":{\"due_utc\":1e300,\"stage\":[]}},\"gps\":{\"lat\":1e999999}}"), -EINVAL);
	assert_int_equal(msg(&h, "van1", VB_T_STATE,
			     "{\"utc\":1750104000000,\"session\":{\"state\":5,\"planned_end_utc\":\"soon\","
			     "\"checkin\":{\"due_utc\":1e300,\"stage\":[]}},\"gps\":{\"lat\":1000,\"lon\":1}}"), 0);
	assert_int_equal(msg(&h, "van1", VB_T_STATE,
			     "{\"utc\":1750104000000,\"session\":{\"state\":\"active\",\"planned_end_utc\":-99999999999999999,"
			     "\"checkin\":{\"due_utc\":99999999999999999}}}"), 0);
	/* events with wrong data types: ignored, never raise */
	assert_int_equal(msg(&h, "van1", VB_T_EVENT,
			     "{\"seq\":1,\"type\":\"emergency.raised\",\"data\":{\"id\":\"x\",\"covert\":\"no\"}}"), 0);
	assert_int_equal(msg(&h, "van1", VB_T_EVENT, "{\"seq\":2,\"type\":\"emergency.raised\",\"data\":[]}"), 0);
	assert_int_equal(msg(&h, "van1", VB_T_EVENT,
			     "{\"seq\":9007199254740992,\"type\":\"emergency.test\",\"data\":{\"id\":1,\"timeout_s\":1e308}}"), 0);
	assert_int_equal(msg(&h, "van1", VB_T_EVENT, "{\"seq\":3,\"type\":\"x.y\",\"data\":{}}"), 0);
	h_adv(&h, 10 * MIN);
	/* only the drill from the self-test (its absurd timeout taken as 60 s) */
	const struct vb_alarm *a = vb_alarm_at(h.vb, 0);
	assert_non_null(a);
	assert_int_equal(a->kind, VB_K_DRILL);
	assert_true(a->resolved);
	assert_int_equal(vb_alarm_count(h.vb), 1);
	h_fini(&h);
}

static void random_bytes(void **st)
{
	(void)st;
	struct vbh h;
	h_init(&h, NULL);
	static const char *const pieces[] = {
		"{", "}", "[", "]", ",", ":", "\"active\"", "\"id\"", "true", "false", "null", "1",
		"-1", "1e308", "9999999999999999999", "\"utc\"", "\"session\"", "\"state\"",
		"\"active\"", "\"checkin\"", "\"due_utc\"", "\"seq\"", "\"type\"", "\"emergency.raised\"",
		"\"checkin.missed\"", "\"data\"", "\"lat\"", "\"lon\"", "\"time\"", "\"2025-06-16T20:00:00Z\"",
		"\xff", "\\u0000", "\"", "0.5", "\"unit\"", "\"van1\"",
	};
	uint32_t x = 12345;
	char buf[512];
	for (int i = 0; i < 20000; i++) {
		size_t n = 0;
		int k = (int)(x % 24);
		for (int j = 0; j < k; j++) {
			x = x * 1103515245 + 12345;
			const char *s = (x >> 8) % 7 == 0 ? NULL : pieces[(x >> 8) % (sizeof(pieces) / sizeof(pieces[0]))];
			if (s) {
				size_t l = strlen(s);
				if (n + l < sizeof(buf)) {
					memcpy(buf + n, s, l);
					n += l;
				}
			} else if (n < sizeof(buf)) {
				buf[n++] = (char)(x >> 16);
			}
		}
		x = x * 1103515245 + 12345;
		enum vb_topic t = (enum vb_topic)((x >> 4) % VB_T__COUNT);
		const char *why = NULL;
		int r = vb_message(h.vb, &h.now, (x >> 12) & 1 ? "van1" : "van2", t, buf, n, (x >> 13) & 1, &why);
		assert_true(r == 0 || r == -EINVAL);
		if (r < 0)
			assert_non_null(why);
		h_drain(&h);
		if (i % 100 == 0)
			h_adv(&h, 7 * SEC);
	}
	json_t *s = vb_save(h.vb);
	assert_non_null(s);
	assert_int_equal(vb_restore(h.vb, s, NULL), 0);
	json_decref(s);
	h_fini(&h);
}

static void bad_saves(void **st)
{
	(void)st;
	struct vbh h;
	h_init(&h, NULL);
	assert_int_equal(h_emergency(&h, "van1", T0, false, false), 0);
	json_t *good = vb_save(h.vb);
	assert_non_null(good);
	static const char *const bad[] = {
		"[]", "{}", "{\"v\":2,\"seq\":1,\"units\":[],\"alarms\":[]}",
		"{\"v\":1,\"seq\":-1,\"units\":[],\"alarms\":[]}",
		"{\"v\":1,\"seq\":1,\"units\":{},\"alarms\":[]}",
		"{\"v\":1,\"seq\":1,\"units\":[{\"id\":\"a/b\"}],\"alarms\":[]}",
		"{\"v\":1,\"seq\":1,\"units\":[{\"id\":\"van1\",\"avail\":7}],\"alarms\":[]}",
		"{\"v\":1,\"seq\":1,\"units\":[{\"id\":\"van1\",\"seq_win\":[\"zz\"]}],\"alarms\":[]}",
		"{\"v\":1,\"seq\":1,\"units\":[{\"id\":\"van1\",\"lat\":\"x\"}],\"alarms\":[]}",
		"{\"v\":1,\"seq\":1,\"units\":[],\"alarms\":[{\"id\":\"van1-emergency-1\"}]}",
		"{\"v\":1,\"seq\":0,\"units\":[],\"alarms\":[{\"id\":\"van1-emergency-1\",\"kind\":\"emergency\","
		"\"raised_at\":1,\"chain_at\":1,\"reached\":[]}]}",
		"{\"v\":1,\"seq\":5,\"units\":[],\"alarms\":[{\"id\":\"van1-emergency-1\",\"kind\":\"nope\","
		"\"raised_at\":1,\"chain_at\":1,\"reached\":[]}]}",
		"{\"v\":1,\"seq\":5,\"units\":[],\"alarms\":[{\"id\":\"van1-emergency-1\",\"kind\":\"emergency\","
		"\"raised_at\":1,\"chain_at\":1,\"step\":99,\"reached\":[]}]}",
		"{\"v\":1,\"seq\":5,\"units\":[],\"alarms\":[{\"id\":\"van1-emergency-1\",\"kind\":\"emergency\","
		"\"raised_at\":1,\"chain_at\":1,\"reached\":[[\"a/b\",\"sms\"]]}]}",
		"{\"v\":1,\"seq\":5,\"units\":[],\"alarms\":[{\"id\":\"van1-emergency-1\",\"kind\":\"emergency\","
		"\"raised_at\":1,\"chain_at\":1,\"reached\":[]},{\"id\":\"van1-emergency-1\",\"kind\":\"emergency\","
		"\"raised_at\":1,\"chain_at\":1,\"reached\":[]}]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_error_t err;
		json_t *j = json_loads(bad[i], 0, &err);
		assert_non_null(j);
		const char *why = NULL;
		if (vb_restore(h.vb, j, &why) != -EINVAL)
			fail_msg("restored #%zu: %s", i, bad[i]);
		assert_non_null(why);
		json_decref(j);
	}
	assert_int_equal(vb_restore(h.vb, NULL, NULL), -EINVAL);
	/* nothing changed */
	json_t *now = vb_save(h.vb);
	assert_true(json_equal(good, now));
	json_decref(now);
	json_decref(good);
	h_fini(&h);
}

/* names from the console or the command line become JSON in the store and
 * the published list: invalid UTF-8 is refused, truncation keeps it valid */
static void utf8_everywhere(void **st)
{
	(void)st;
	struct vbh h;
	const char *why;
	h_init(&h, NULL);
	assert_int_equal(h_emergency(&h, "van1", T0, false, false), 0);
	char id[VB_ID_MAX];
	vb_copy(id, sizeof(id), h_open(&h, "van1", VB_K_EMERGENCY)->id);
	assert_int_equal(vb_ack(h.vb, &h.now, id, "Sam \xff", "cli", &why), -EINVAL);
	assert_int_equal(vb_ack(h.vb, &h.now, id, "Sam \xc3", "cli", &why), -EINVAL);
	assert_int_equal(vb_ack(h.vb, &h.now, id, "Sam \xc2\x85", "cli", &why), -EINVAL);  /* C1 NEL */
	assert_int_equal(vb_ack(h.vb, &h.now, id, "Sam \xed\xa0\x80", "cli", &why), -EINVAL); /* surrogate */
	assert_int_equal(vb_close(h.vb, &h.now, id, "mgr", "bad \xff note", &why), -EINVAL);
	assert_true(vb_valid_who("Zo\xc3\xab at base"));
	/* the longest who, all two-byte characters, closing (resolves "closed by WHO") */
	char who[47];
	for (int i = 0; i < 46; i += 2)
		memcpy(who + i, "\xc3\xab", 2);
	who[46] = '\0';
	assert_true(vb_valid_who(who));
	assert_int_equal(vb_close(h.vb, &h.now, id, who, "\xc3\xab", &why), 0);
	h_drain(&h);
	for (size_t i = 0; i < h.n; i++) {
		json_t *j = h.log[i].kind == VB_OUT_NOTIFY ? vb_notify_json(&h.log[i].u.n, true)
			    : vb_audit_json(&h.log[i].u.a);
		assert_non_null(j);
		json_decref(j);
	}
	assert_non_null(h_audit(&h, VB_AU_RESOLVED, 0));
	assert_true(vb_utf8_printable(h_audit(&h, VB_AU_RESOLVED, 0)->detail));
	json_t *s = vb_save(h.vb);
	assert_non_null(s);
	json_decref(s);
	char cut[8] = "ab\xc3\xab\xe2\x82";
	vb_utf8_trim(cut);
	assert_string_equal(cut, "ab\xc3\xab");
	h_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(refused),
		cmocka_unit_test(random_bytes),
		cmocka_unit_test(bad_saves),
		cmocka_unit_test(utf8_everywhere),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
