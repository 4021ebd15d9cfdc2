#!/usr/bin/env python3
"""Prepares a running `qiao serve` (demo data + imported capabilities) for the
mixed load of mixed.lua and writes the files it reads into LOAD_DIR.
Usage: prepare.py BASE_URL LOAD_DIR ADMIN_TOKEN STAFF_TOKEN QUERIES_JSONL
Approves every pending organization (so imported listings are public), creates
128 login accounts (password qiao-demo-2026) and 50 needs the load may PATCH."""
import http.client, json, random, sys, threading, time, urllib.parse

base, out, admin, staff, queries = sys.argv[1:6]
host = urllib.parse.urlparse(base).netloc
local = threading.local()

def call(method, path, token=None, body=None, ok=(200, 201)):
    if not hasattr(local, "c"):
        local.c = http.client.HTTPConnection(host, timeout=120)
    h = {"Content-Type": "application/json"}
    if token:
        h["Authorization"] = "Bearer " + token
    local.c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
    r = local.c.getresponse()
    data = r.read()
    if r.status not in ok:
        raise SystemExit(f"{method} {path}: {r.status} {data[:300]!r}")
    return json.loads(data) if data else None

def parallel(fn, items, n=4):
    items = list(items)
    def worker(k):
        for x in items[k::n]:
            fn(x)
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(n)]
    [t.start() for t in ts]
    [t.join() for t in ts]

# 1. approve every pending organization
t0 = time.time(); approved = 0
while True:
    page = call("GET", "/api/v1/organizations?status=pending&limit=100", staff)
    ids = [o["id"] for o in page["items"]]
    if not ids:
        break
    parallel(lambda i: call("POST", f"/api/v1/organizations/{i}/review", staff, {"status": "approved"}), ids)
    approved += len(ids)
print(f"approved {approved} organizations in {time.time() - t0:.0f} s", file=sys.stderr)

# 2. login accounts, demo-like: members of demo organizations
orgs = [call("GET", f"/api/v1/organizations/{i}", ok=(200, 404)) for i in range(1, 60)]  # the demo's
orgs = [o for o in orgs if o and o.get("external_id", "") and o["external_id"].startswith("org-")]
ent = [o["name"] for o in orgs if o["kind"] == "enterprise"][:8] or [None]
uni = [o["name"] for o in orgs if o["kind"] == "university"][:8] or [None]
accounts = [f"load-{i:03d}@demo.qiao.cn" for i in range(128)]
def mk(i):
    role = "enterprise" if i % 2 == 0 else "university"
    org = (ent if role == "enterprise" else uni)[i % len(ent if role == "enterprise" else uni)]
    call("POST", "/api/v1/users", admin, {"email": accounts[i], "password": "qiao-demo-2026",
         "role": role, "org_name": org}, ok=(201, 409))
parallel(mk, range(128), 2)

# 3. needs the load may PATCH
def need(i):
    return call("POST", "/api/v1/needs", staff, {"org_name": ent[0], "title": f"压测可修改需求 {i}",
        "description": "负载测试预置的需求，压测中会被反复修改。"})["id"]
mine = [need(i) for i in range(50)]

# 4. wait until the index has caught up, then collect public ids
for _ in range(600):
    c = http.client.HTTPConnection(host); c.request("GET", "/readyz"); r = c.getresponse(); r.read()
    if r.status == 200:
        break
    time.sleep(1)
needs = [n["id"] for off in range(0, 1000, 100)
         for n in call("GET", f"/api/v1/needs?limit=100&offset={off}")["items"]]
total = call("GET", "/api/v1/capabilities?limit=1")["total"]
caps = []
for off in random.Random(1).sample(range(0, max(total - 100, 1)), 30):
    caps += [c["id"] for c in call("GET", f"/api/v1/capabilities?limit=100&offset={off}")["items"]]
print(f"{len(needs)} public needs, {total} public capabilities ({len(caps)} sampled)", file=sys.stderr)

qs = []
for l in open(queries, encoding="utf-8"):
    if l.strip():
        qs.append(urllib.parse.quote(" ".join(json.loads(l)["keywords"])))
for name, rows in [("queries.txt", qs), ("needs.txt", needs), ("caps.txt", caps), ("mine.txt", mine),
                   ("accounts.txt", accounts), ("token.txt", [staff])]:
    with open(f"{out}/{name}", "w", encoding="utf-8") as f:
        f.write("\n".join(map(str, rows)) + "\n")
