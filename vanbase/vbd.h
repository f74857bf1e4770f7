/*
 * vbd.h - the vanbase daemon's shell: one poll() loop around the core
 * (core/: rules, alarm life cycle, rota and chains), the channels
 * (notify/), the fleet's MQTT stream (mqttlink), the database (vbstore)
 * and the control socket (ctl).  It owns the life cycle and the wiring;
 * every decision is the core's.
 */
#ifndef VB_VBD_H
#define VB_VBD_H

#include <stddef.h>

#include "vbconf.h"

struct vbd;

/* Open the database, the control socket, start connecting.  c is borrowed
 * for the daemon's life.  NULL with a sentence in err. */
struct vbd *vbd_new(struct vbconf *c, char *err, size_t errlen);
/* Run until SIGTERM/SIGINT.  Returns 0, or 1 on a loop failure. */
int vbd_run(struct vbd *d);
void vbd_free(struct vbd *d);

#endif
