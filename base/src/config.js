/*
 * config.js - this base's settings for the console.  Edit the installed copy
 * (next to index.html); docs/base.md explains each one.  Every setting can
 * also be given in the page's address: ?url=wss://host:8884/&tiles=none
 */
window.VAN_CONSOLE_CONFIG = {
	/* The broker's WebSocket address.  Empty: the address the page was
	 * loaded from (mosquitto serves the page on its websockets listener),
	 * e.g. https://base:8884/ -> wss://base:8884/ */
	url: '',

	/* Topic prefix (mqtt.prefix of the vans). */
	prefix: 'vanctld',

	/* vanbase's topic prefix (its mqtt.prefix): the console shows its alarm
	 * list while it is up, and a loud banner while it is not. */
	basePrefix: 'vanbase',

	/* MQTT protocol level: 4 = 3.1.1, 5 = MQTT 5. */
	protocolVersion: 4,

	/* Map tiles: a URL template such as 'https://tiles.example.org/{z}/{x}/{y}.png',
	 * or '' for none (vans and tracks on a plain background; nothing is
	 * fetched from anywhere).  Tiles are the only thing the page may fetch
	 * from another server. */
	tiles: '',
	tilesAttribution: '',
	tilesMaxZoom: 19,

	/* Base's own named places (besides the planned locations the vans'
	 * plans bring): the cards and the alarm say how far the van is from the
	 * nearest, and the map shows them.  E.g.
	 * [{ name: 'Office', lat: 53.7925, lon: -1.5460 }, { name: 'Night shelter', lat: 53.8012, lon: -1.5390, radius_m: 60 }] */
	places: [],

	/* Where the map starts before any van has a position. */
	center: [53.8, -1.55],
	zoom: 13,

	/* Escalation on base's own clock (seconds): the console's fallback while
	 * vanbase is down; keep them equal to vanbase's [rules]. */
	dueGraceS: 60,      /* check-in / planned end this far past before base alerts */
	silentAfterS: 180,  /* an online van in a session with no message for this long */

	/* Event gaps: ask the van to replay missing events automatically. */
	autoReplay: true,
	gapWaitS: 5,

	/* Sound: volume 0..1 */
	volume: 0.6
};
