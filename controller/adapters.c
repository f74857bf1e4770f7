/*
 * adapters.c - Home Assistant discovery and OwnTracks formats.  See adapters.h.
 */
#include "adapters.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static json_t *device(const struct conf *c)
{
	char id[64];
	snprintf(id, sizeof(id), "vanctld_%s", c->unit.id);
	return json_pack("{s:[s], s:s, s:s, s:s, s:s}", "identifiers", id, "name",
			 c->unit.name ? c->unit.name : c->unit.id, "manufacturer", "vanctld", "model",
			 "outreach van controller", "sw_version", VAN_VERSION);
}

/* Common fields: unique id, availability, device. */
static json_t *base_cfg(const struct conf *c, const char *object, const char *name)
{
	char uid[96], avail[256];
	snprintf(uid, sizeof(uid), "vanctld_%s_%s", c->unit.id, object);
	snprintf(avail, sizeof(avail), "%s/%s/availability", c->mqtt.prefix, c->unit.id);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "name", name, "unique_id", uid, "availability_topic",
			 avail, "payload_available", "online", "payload_not_available", "offline", "device",
			 device(c));
}

static void topic(const struct conf *c, struct adapter_msg *m, const char *component, const char *object)
{
	snprintf(m->topic, sizeof(m->topic), "%s/%s/vanctld_%s/%s/config", c->mqtt.homeassistant_prefix,
		 component, c->unit.id, object);
}

size_t adapters_ha_discovery(const struct conf *c, struct adapter_msg *out, size_t max)
{
	char state[256], loc[256], em[256];
	size_t n = 0;

	snprintf(state, sizeof(state), "%s/%s/state", c->mqtt.prefix, c->unit.id);
	snprintf(loc, sizeof(loc), "%s/%s/location", c->mqtt.prefix, c->unit.id);
	snprintf(em, sizeof(em), "%s/%s/emergency", c->mqtt.prefix, c->unit.id);
	if (n < max) {
		json_t *j = base_cfg(c, "location", "Location");
		json_object_set_new(j, "json_attributes_topic", json_string(loc));
		json_object_set_new(j, "json_attributes_template",
				    json_string("{{ {'latitude': value_json.lat, 'longitude': value_json.lon, "
						"'gps_accuracy': value_json.eph | default(0, true)} | tojson }}"));
		json_object_set_new(j, "source_type", json_string("gps"));
		topic(c, &out[n], "device_tracker", "location");
		out[n++].payload = j;
	}
	if (n < max) {
		json_t *j = base_cfg(c, "occupancy", "Service users on board");
		json_object_set_new(j, "state_topic", json_string(state));
		json_object_set_new(j, "value_template", json_string("{{ value_json.occupancy.occupancy }}"));
		json_object_set_new(j, "unit_of_measurement", json_string("people"));
		json_object_set_new(j, "state_class", json_string("measurement"));
		json_object_set_new(j, "icon", json_string("mdi:account-group"));
		topic(c, &out[n], "sensor", "occupancy");
		out[n++].payload = j;
	}
	if (n < max) {
		json_t *j = base_cfg(c, "session", "Session running");
		json_object_set_new(j, "state_topic", json_string(state));
		json_object_set_new(j, "value_template",
				    json_string("{{ 'ON' if value_json.session.state in ['active', 'overdue'] else 'OFF' }}"));
		json_object_set_new(j, "device_class", json_string("running"));
		topic(c, &out[n], "binary_sensor", "session");
		out[n++].payload = j;
	}
	if (n < max) {
		json_t *j = base_cfg(c, "overdue", "Session overdue");
		json_object_set_new(j, "state_topic", json_string(state));
		json_object_set_new(j, "value_template",
				    json_string("{{ 'ON' if value_json.session.state == 'overdue' else 'OFF' }}"));
		json_object_set_new(j, "device_class", json_string("problem"));
		topic(c, &out[n], "binary_sensor", "overdue");
		out[n++].payload = j;
	}
	if (n < max) {
		json_t *j = base_cfg(c, "alarm", "Emergency");
		json_object_set_new(j, "state_topic", json_string(em));
		json_object_set_new(j, "value_template", json_string("{{ 'ON' if value_json.active else 'OFF' }}"));
		json_object_set_new(j, "device_class", json_string("safety"));
		topic(c, &out[n], "binary_sensor", "alarm");
		out[n++].payload = j;
	}
	return n;
}

struct adapter_msg adapters_owntracks(const struct conf *c, const struct fix *f, int64_t utc_ms)
{
	struct adapter_msg m = { .payload = NULL };
	size_t len = strlen(c->unit.id);

	snprintf(m.topic, sizeof(m.topic), "owntracks/%s/van", c->unit.id);
	if (!fix_usable(f))
		return m;
	/* tracker id: the unit id's last two characters */
	char tid[3] = { 0 };
	snprintf(tid, sizeof(tid), "%s", c->unit.id + (len > 2 ? len - 2 : 0));
	m.payload = json_pack("{s:s, s:f, s:f, s:I, s:s}", "_type", "location", "lat", f->lat, "lon", f->lon,
			      "tst", (json_int_t)(utc_ms / 1000), "tid", tid);
	if (!m.payload)
		return m;
	if (isfinite(f->eph))
		json_object_set_new(m.payload, "acc", json_integer((json_int_t)lround(f->eph)));
	if (isfinite(f->speed))
		json_object_set_new(m.payload, "vel", json_integer((json_int_t)lround(f->speed * 3.6)));
	if (isfinite(f->track))
		json_object_set_new(m.payload, "cog", json_integer((json_int_t)lround(f->track)));
	if (isfinite(f->alt))
		json_object_set_new(m.payload, "alt", json_integer((json_int_t)lround(f->alt)));
	json_object_set_new(m.payload, "t", json_string("t"));  /* trigger: timer */
	return m;
}
