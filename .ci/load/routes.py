#!/usr/bin/env python3
"""Reads the server's /metrics on stdin; prints requests, mean latency and the
histogram bucket holding p50/p99 per route (warm-up included)."""
import re, sys, collections
b = collections.defaultdict(list); s = {}; n = {}
for line in sys.stdin:
    m = re.match(r'qiao_http_request_duration_seconds_(bucket|sum|count)\{(.*)\} (\S+)', line)
    if not m:
        continue
    kind, labels, v = m.groups()
    lab = dict(re.findall(r'(\w+)="([^"]*)"', labels))
    key = f'{lab.get("method", "")} {lab.get("route", "")}'
    if kind == "bucket":
        b[key].append((float("inf") if lab["le"] == "+Inf" else float(lab["le"]), float(v)))
    elif kind == "sum":
        s[key] = float(v)
    else:
        n[key] = float(v)
def q(key, p):
    for le, c in sorted(b[key]):
        if c >= p * n[key]:
            return f"≤{le * 1000:g} ms"
for key in sorted(n, key=lambda k: -s[k]):
    if n[key] >= 10:
        print(f"  {key:48} {n[key]:7.0f} req  mean {s[key] / n[key] * 1000:7.1f} ms  p50 {q(key, .5)}  p99 {q(key, .99)}")
