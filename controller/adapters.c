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

/* One Home Assistant entity: its discovery config is base_cfg's fields, the
 * van's topic it reads (UNIT's state, location or emergency) with the
 * template that reads it, and those of the optional fields it has. */
struct ha_entity {
	const char *component, *object, *name;
	const char *topic;     /* under PREFIX/UNIT/ */
	int attributes;        /* a device tracker: json_attributes_*, not state_topic/value_template */
	const char *template;
	const char *source_type, *unit, *state_class, *icon, *device_class;
};

static const struct ha_entity ha_entities[] = {
	{ .component = "device_tracker", .object = "location", .name = "Location", .topic = "location",
	  .attributes = 1,
	  .template = "{{ {'latitude': value_json.lat, 'longitude': value_json.lon, "
		      "'gps_accuracy': value_json.eph | default(0, true)} | tojson }}",
	  .source_type = "gps" },
	{ .component = "sensor", .object = "occupancy", .name = "Service users on board", .topic = "state",
	  .template = "{{ value_json.occupancy.occupancy }}",
	  .unit = "people", .state_class = "measurement", .icon = "mdi:account-group" },
	{ .component = "binary_sensor", .object = "session", .name = "Session running", .topic = "state",
	  .template = "{{ 'ON' if value_json.session.state in ['active', 'overdue'] else 'OFF' }}",
	  .device_class = "running" },
	{ .component = "binary_sensor", .object = "overdue", .name = "Session overdue", .topic = "state",
	  .template = "{{ 'ON' if value_json.session.state == 'overdue' else 'OFF' }}",
	  .device_class = "problem" },
	{ .component = "binary_sensor", .object = "alarm", .name = "Emergency", .topic = "emergency",
	  .template = "{{ 'ON' if value_json.active else 'OFF' }}",
	  .device_class = "safety" },
};

static void set_opt(json_t *j, const char *key, const char *value)
{
	if (value)
		json_object_set_new(j, key, json_string(value));
}

size_t adapters_ha_discovery(const struct conf *c, struct adapter_msg *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(ha_entities) / sizeof(ha_entities[0]) && n < max; i++) {
		const struct ha_entity *e = &ha_entities[i];
		char src[256];
		json_t *j = base_cfg(c, e->object, e->name);

		snprintf(src, sizeof(src), "%s/%s/%s", c->mqtt.prefix, c->unit.id, e->topic);
		json_object_set_new(j, e->attributes ? "json_attributes_topic" : "state_topic", json_string(src));
		json_object_set_new(j, e->attributes ? "json_attributes_template" : "value_template",
				    json_string(e->template));
		set_opt(j, "source_type", e->source_type);
		set_opt(j, "unit_of_measurement", e->unit);
		set_opt(j, "state_class", e->state_class);
		set_opt(j, "icon", e->icon);
		set_opt(j, "device_class", e->device_class);
		topic(c, &out[n], e->component, e->object);
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
