/*
 * mqttlink.h - one MQTT client connection inside our poll loop, for any of
 * the project's daemons (vanctld's uplink, vanbase's watch of the fleet).
 *
 * It owns the connection only: the broker's name resolved without blocking
 * (resolve.c) and each address tried in turn, TLS and the password file,
 * MQTT 5 with a fall-back to 3.1.1, reconnection with exponential backoff,
 * the availability topic ("online" on connect, "offline" as the last will
 * and on a clean stop, both retained), and libmosquitto driven from the
 * loop: loop_read when readable, loop_write when mosquitto_want_write(),
 * loop_misc once a second.  No mosquitto threads.  What to subscribe to, and
 * what a message or a confirmation means, is the user's (callbacks).
 */
#ifndef VAN_MQTTLINK_H
#define VAN_MQTTLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"

struct mosquitto;
struct mosquitto_message;

typedef struct mqttlink mqttlink_t;

/* The connection's settings: the [mqtt] keys every daemon has
 * (MQTTLINK_CFG_KEYS in mqttlink_keys.h puts them in a config table). */
struct mqttlink_conf {
	char *host;
	int port;
	char *client_id;          /* NULL: the daemon's default */
	char *username;
	char *password_file;
	char *tls_ca_file;        /* set: TLS */
	char *tls_cert_file;
	char *tls_key_file;
	bool tls_insecure;
	int keepalive_s;
	int reconnect_max_s;
	int protocol;             /* 5 or 311 */
	/* set by the daemon, not by the config: */
	bool clean_session;       /* false: the broker keeps our subscriptions and queues QoS 1 */
	const char *availability_topic; /* NULL: no birth and will messages */
};

struct mqttlink_callbacks {
	/* CONNACK accepted ("online" is already published): subscribe here. */
	void (*on_up)(void *arg);
	/* The link went down (was_up) or an attempt failed (!was_up). */
	void (*on_down)(void *arg, bool was_up);
	/* A message on a subscribed topic. */
	void (*on_message)(void *arg, const struct mosquitto_message *msg);
	/* The broker confirmed (reason < 0x80) or refused a QoS 1 publish. */
	void (*on_publish)(void *arg, int mid, int reason);
	/* After each read from the socket (the callbacks of one batch ran). */
	void (*after_read)(void *arg);
	/* Once a second. */
	void (*on_misc)(void *arg);
};

/* Create; connects asynchronously from the loop.  Returns NULL with a
 * message in err (bad TLS files, unreadable password file, ...). */
mqttlink_t *mqttlink_new(loop_t *l, const struct mqttlink_conf *c, const struct mqttlink_callbacks *cb,
			 void *arg, char *err, size_t errlen);
/* Publish "offline" (retained) and wait up to 2 s for it to go out (a clean
 * disconnect does not fire the will), disconnect, free.  Accepts NULL. */
void mqttlink_free(mqttlink_t *m);

/* The client, to publish and subscribe with.  After publishing, call
 * mqttlink_flush (or mqttlink_watch) so the write is not forgotten. */
struct mosquitto *mqttlink_mosq(mqttlink_t *m);
/* Re-register the socket with the loop and its write interest. */
void mqttlink_watch(mqttlink_t *m);
/* Write what is queued now, not at the next poll: an emergency must not
 * wait behind the rest of this loop iteration.  Not from inside one of
 * libmosquitto's callbacks (it holds its callback lock there, and a write
 * that confirms a message would take it again): then only watch.  Returns
 * false if the link went down. */
bool mqttlink_flush(mqttlink_t *m);

bool mqttlink_connected(const mqttlink_t *m);
int64_t mqttlink_connected_since(const mqttlink_t *m);  /* mono ms, 0 if down */
int mqttlink_protocol(const mqttlink_t *m);             /* 5 or 311 (after a fall-back) */
const char *mqttlink_last_error(const mqttlink_t *m);
const char *mqttlink_host(const mqttlink_t *m);
int mqttlink_port(const mqttlink_t *m);

#endif
