/*
 * review.h - the manager's review in vanctl: sessions, reports, exports,
 * funders' summaries and the retention purge.
 *
 * Everything but purge opens the database read-only (store_open readonly):
 * it runs beside the daemon and never creates or changes a file.  Nothing
 * printed or written names a person: the database holds counts only, and
 * the one free text (incident notes, written by the crew) is escaped for
 * wherever it goes (terminal, HTML, XML, CSV).  See docs/review.md.
 */
#ifndef VAN_REVIEW_H
#define VAN_REVIEW_H

/*
 * Run one review subcommand.  argv[0] is the subcommand: "sessions",
 * "report", "export", "summary" or "purge"; the rest are its options and
 * arguments (`vanctl review --help` style: each subcommand takes --help).
 * Output goes to stdout (or the file named by -o / --html), messages to
 * stderr.  The database is --db FILE, else [storage] db of the config file
 * (-c FILE, default CONF_DEFAULT_PATH; a missing default config means the
 * built-in defaults).
 *
 * Returns the exit code: 0 done, 1 failed (a message was printed),
 * 2 usage error (usage was printed).
 */
int review_main(int argc, char **argv);

#endif
