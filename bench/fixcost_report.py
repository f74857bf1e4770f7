#!/usr/bin/env python3
"""fixcost_report.py WORK "RATES" - the table of bench/fix-cost.sh from its work directory."""
import os, re, sys
work, rates = sys.argv[1], sys.argv[2].split()
names = ["gpxlogger", "vanctld", "python"]

def timev(path):
    t = open(path).read()
    u = float(re.search(r"User time \(seconds\): ([\d.]+)", t).group(1))
    s = float(re.search(r"System time \(seconds\): ([\d.]+)", t).group(1))
    r = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
    return u, s, r

def instr(path):
    for line in open(path):
        if line.startswith("summary:") or line.startswith("totals:"):
            return int(line.split()[1])
    raise SystemExit("no totals in " + path)

def received(d):
    r = {}
    for line in open(os.path.join(d, "received.tsv")):
        f = line.split()
        r[f[0]] = [int(x) if x.isdigit() else 0 for x in f[1:]]
    return r

print("cost per GPS fix: the same gpsd stream to all three in one run; per fix = (long - short) / (fixes_long - fixes_short)")
for rate in rates:
    L, S = os.path.join(work, "long." + rate), os.path.join(work, "short." + rate)
    rl, rs = received(L), received(S)
    print()
    print("== %s Hz track%s: gpsd sent %d fixes (short run %d)" % (
        rate, " replayed at 5x, vanctld's time settings / 5" if rate == "1" else " in real time",
        rl["sent"][0], rs["sent"][0]))
    print("%-10s %15s %13s %13s %11s %9s %9s %9s" % ("client", "fixes rcvd n/cg", "instr/fix", "CPU us/fix",
                                                "user/sys %", "peak RSS", "startup", "startup"))
    print("%-10s %15s %13s %13s %11s %9s %9s %9s" % ("", "", "(callgrind)", "(native)", "", "MB", "Minstr", "CPU ms"))
    res = {}
    for n in names:
        ul, sl, rssl = timev(os.path.join(L, "time." + n))
        us, ss, _ = timev(os.path.join(S, "time." + n))
        il, is_ = instr(os.path.join(L, "cg." + n)), instr(os.path.join(S, "cg." + n))
        fn, fc = rl[n]
        fns, fcs = rs[n]
        ipf = (il - is_) / max(1, fc - fcs)
        cpf = ((ul + sl) - (us + ss)) / max(1, fn - fns) * 1e6
        usr = (ul - us) / max(1e-9, (ul + sl) - (us + ss)) * 100
        res[n] = (ipf, cpf, rssl)
        print("%-10s %7d/%-7d %13.0f %13.1f %5.0f/%-5.0f %9.1f %9.1f %9.0f" % (
            n, fn, fc, ipf, cpf, usr, 100 - usr, rssl / 1024, is_ / 1e6, (us + ss) * 1e3))
    g, v, p = res["gpxlogger"], res["vanctld"], res["python"]
    print("ratios: vanctld/gpxlogger instructions %.2fx (target <= 1.5x); "
          "python/vanctld CPU %.1fx (target >= 6x); vanctld/gpxlogger CPU %.2fx; "
          "peak RSS vanctld %.1f MB (target < 8), gpxlogger %.1f, python %.1f" % (
              v[0] / g[0], p[1] / v[1], v[1] / g[1], v[2] / 1024, g[2] / 1024, p[2] / 1024))
