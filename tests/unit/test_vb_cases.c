/*
 * test_vb_cases.c - the shared cases of base's alarm rules
 * (tests/data/base_rules_cases.json, the one definition the base console's
 * fallback must pass too) run through vanbase's core on the fake clock.
 */
#include "test_vb_harness.h"

/* a copy of j with "$ms+S" / "$iso+S" strings replaced */
static json_t *subst(const json_t *j, int64_t t0)
{
	if (json_is_object(j)) {
		json_t *o = json_object();
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)j, k, v)
			json_object_set_new(o, k, subst(v, t0));
		return o;
	}
	if (json_is_array(j)) {
		json_t *a = json_array();
		for (size_t i = 0; i < json_array_size(j); i++)
			json_array_append_new(a, subst(json_array_get(j, i), t0));
		return a;
	}
	const char *s = json_string_value(j);
	if (s && (!strncmp(s, "$ms", 3) || !strncmp(s, "$iso", 4))) {
		bool iso = s[1] == 'i';
		char *end;
		double sec = strtod(s + (iso ? 4 : 3), &end);
		assert_true(*end == '\0');
		int64_t ms = t0 + (int64_t)(sec * 1000);
		if (!iso)
			return json_integer(ms);
		char buf[32];
		vb_iso_fmt(buf, sizeof(buf), ms);
		return json_string(buf);
	}
	return json_deep_copy(j);
}

static void open_alarms(struct vbh *h, char *buf, size_t n)
{
	char items[32][80];
	int k = 0;
	for (size_t i = 0; i < vb_alarm_count(h->vb) && k < 32; i++) {
		const struct vb_alarm *a = vb_alarm_at(h->vb, i);
		if (!a->resolved)
			snprintf(items[k++], sizeof(items[0]), "%s:%s", a->unit, vb_kind_name(a->kind));
	}
	for (int i = 1; i < k; i++)
		for (int j = i; j > 0 && strcmp(items[j - 1], items[j]) > 0; j--) {
			char t[80];
			memcpy(t, items[j], sizeof(t));
			memcpy(items[j], items[j - 1], sizeof(t));
			memcpy(items[j - 1], t, sizeof(t));
		}
	buf[0] = '\0';
	for (int i = 0; i < k; i++) {
		strncat(buf, i ? "," : "", n - strlen(buf) - 1);
		strncat(buf, items[i], n - strlen(buf) - 1);
	}
}

static void run_case(const json_t *c, int64_t t0)
{
	struct vbh h;
	h_init(&h, NULL);
	assert_int_equal(h.now.utc_ms, t0);
	const char *name = json_string_value(json_object_get(c, "name"));
	const json_t *steps = json_object_get(c, "steps");
	print_message("case: %s\n", name);
	for (size_t i = 0; i < json_array_size(steps); i++) {
		const json_t *s = json_array_get(steps, i);
		int64_t at = t0 + (int64_t)(json_number_value(json_object_get(s, "at")) * 1000);
		assert_true(at >= h.now.utc_ms);
		h_adv(&h, at - h.now.utc_ms);
		const json_t *exp = json_object_get(s, "expect");
		if (exp) {
			char want[512] = "", got[512];
			for (size_t k = 0; k < json_array_size(exp); k++) {
				strncat(want, k ? "," : "", sizeof(want) - strlen(want) - 1);
				strncat(want, json_string_value(json_array_get(exp, k)), sizeof(want) - strlen(want) - 1);
			}
			open_alarms(&h, got, sizeof(got));
			if (strcmp(want, got) != 0)
				fail_msg("%s, step %zu (at %g s): want [%s], got [%s]", name, i,
					 json_number_value(json_object_get(s, "at")), want, got);
			continue;
		}
		const char *topic = json_string_value(json_object_get(s, "topic"));
		assert_non_null(topic);
		const char *slash = strchr(topic, '/');
		assert_non_null(slash);
		char unit[VB_NAME_MAX];
		vb_copy(unit, sizeof(unit), topic);
		unit[slash - topic < VB_NAME_MAX ? slash - topic : VB_NAME_MAX - 1] = '\0';
		int t = vb_topic_of(slash + 1);
		assert_true(t >= 0);
		const json_t *p = json_object_get(s, "payload");
		bool retained = json_is_true(json_object_get(s, "retained"));
		int r;
		if (json_is_string(p)) {
			r = h_msg(&h, unit, (enum vb_topic)t, json_string_value(p), retained);
		} else {
			json_t *x = subst(p, t0);
			char *text = json_dumps(x, JSON_COMPACT);
			json_decref(x);
			r = h_msg(&h, unit, (enum vb_topic)t, text, retained);
			free(text);
		}
		if (r != 0)
			fail_msg("%s, step %zu: message refused (%d)", name, i, r);
	}
	h_fini(&h);
}

static void shared_cases(void **st)
{
	(void)st;
	const char *src = getenv("VAN_SOURCE_DIR");
	char path[4096];
	snprintf(path, sizeof(path), "%s/tests/data/base_rules_cases.json", src ? src : ".");
	json_error_t err;
	json_t *f = json_load_file(path, 0, &err);
	if (!f)
		fail_msg("%s: %s", path, err.text);
	const json_t *o = json_object_get(f, "options");
	struct vb_params p;
	vb_params_default(&p);
	/* the cases are written for these: the harness runs the core's defaults */
	assert_int_equal(json_integer_value(json_object_get(o, "dueGraceS")) * 1000, p.rules.due_grace_ms);
	assert_int_equal(json_integer_value(json_object_get(o, "silentAfterS")) * 1000, p.rules.silent_after_ms);
	assert_int_equal(json_integer_value(json_object_get(o, "settleS")) * 1000, p.rules.settle_ms);
	assert_int_equal(json_integer_value(json_object_get(o, "offsetWindowS")) * 1000, p.rules.offset_window_ms);
	int64_t t0 = json_integer_value(json_object_get(f, "t0"));
	const json_t *cases = json_object_get(f, "cases");
	assert_true(json_array_size(cases) >= 10);
	for (size_t i = 0; i < json_array_size(cases); i++)
		run_case(json_array_get(cases, i), t0);
	json_decref(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(shared_cases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
