/*
 * mqttlink_keys.h - the [mqtt] connection keys of every daemon's config
 * table, in one place (cfg.h): MQTTLINK_CFG_KEYS(S, M) expands to the table
 * rows for a struct mqttlink_conf at member path M of config struct S.
 */
#ifndef VAN_MQTTLINK_KEYS_H
#define VAN_MQTTLINK_KEYS_H

#include <stddef.h>

#include "cfg.h"
#include "mqttlink.h"

#define MQTTLINK_KEY(S, nm, ty, field, mn, mx, ch, df, dc) \
	{ "mqtt", nm, CFG_##ty, offsetof(S, field), mn, mx, 0, ch, df, dc }

#define MQTTLINK_CFG_KEYS(S, M) \
	MQTTLINK_KEY(S, "host", STR, M.host, 0, 0, NULL, "localhost", "Broker host."), \
	MQTTLINK_KEY(S, "port", INT, M.port, 1, 65535, NULL, "1883", "Broker port (8883 is usual with TLS)."), \
	MQTTLINK_KEY(S, "client_id", STR, M.client_id, 0, 0, NULL, NULL, \
		     "MQTT client id (default: the program's name and the unit, e.g. vanctld-UNIT)."), \
	MQTTLINK_KEY(S, "username", STR, M.username, 0, 0, NULL, NULL, "Broker user name (one per van, one for base)."), \
	MQTTLINK_KEY(S, "password_file", STR, M.password_file, 0, 0, NULL, NULL, \
		     "File holding the broker password (first line); kept out of the main config."), \
	MQTTLINK_KEY(S, "tls_ca_file", STR, M.tls_ca_file, 0, 0, NULL, NULL, "CA certificate file; setting it turns TLS on."), \
	MQTTLINK_KEY(S, "tls_cert_file", STR, M.tls_cert_file, 0, 0, NULL, NULL, "Client certificate (optional, with tls_key_file)."), \
	MQTTLINK_KEY(S, "tls_key_file", STR, M.tls_key_file, 0, 0, NULL, NULL, "Client private key."), \
	MQTTLINK_KEY(S, "tls_insecure", BOOL, M.tls_insecure, 0, 0, NULL, "false", \
		     "Skip the broker host name check (testing only)."), \
	{ "mqtt", "keepalive", CFG_DUR, offsetof(S, M.keepalive_s), 5, 3600, 1, NULL, "30", "MQTT keepalive." }, \
	{ "mqtt", "reconnect_max", CFG_DUR, offsetof(S, M.reconnect_max_s), 1, 3600, 1, NULL, "30", \
	  "Longest wait between reconnect attempts (backoff doubles from 1 s)." }, \
	MQTTLINK_KEY(S, "protocol", INT, M.protocol, 0, 0, "5|311", "5", \
		     "MQTT protocol: 5, or 311 for 3.1.1 (5 falls back to 3.1.1 if the broker refuses it).")

#endif
