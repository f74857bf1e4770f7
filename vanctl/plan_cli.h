/*
 * plan_cli.h - `vanctl plan`: check and show route plans (docs/plans.md).
 */
#ifndef VAN_PLAN_CLI_H
#define VAN_PLAN_CLI_H

/*
 * Run `vanctl plan ACTION ...`.  argv[0] is "plan" (as vanctl passes
 * argv + 1), argv[1] the action:
 *
 *   check FILE...          read and check each plan file completely; every
 *                          problem is printed to stderr as
 *                          "FILE: key.path: what is wrong" (or
 *                          "FILE:LINE:COL: ..." for JSON syntax).
 *   show NAME|FILE [--json] [-d DIR | -c CONF]
 *                          print a plan: its timetable, places and rules
 *                          (--json: the checked plan in its file format).
 *                          NAME is looked up as DIR/NAME.json, DIR from -d,
 *                          else [session] plans_dir of the configuration
 *                          (-c FILE, default /etc/vanctld/vanctld.conf; a
 *                          missing default file means the built-in
 *                          default).  An argument with a '/' or ending in
 *                          ".json" is a file.
 *
 * Output to stdout, problems to stderr.  Returns the exit code: 0 all
 * plans good, 1 a plan has problems or cannot be read, 2 usage error.
 */
int plan_main(int argc, char **argv);

#endif
