#!/usr/bin/env python3
"""Writes the ~108k real documents as a capabilities JSONL, mapped exactly as
crates/bench/src/lib.rs `all_capability_rows` does (CSL papers, funded research
projects without untitled/repeated ids, patent titles).
Usage: make-capabilities.py SHARED_DATA_DIR OUT.jsonl"""
import gzip, json, sys

data, out = sys.argv[1], sys.argv[2]

def read(name):
    with gzip.open(f"{data}/{name}", "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)

def paper_title(p):
    t = (p.get("title") or "").strip()
    if t:
        return t
    text = (p.get("abstract") or "").strip()
    import re
    clauses = re.split(r"[。；;.，,]", text)
    c = next((c for c in clauses if len(c) >= 6), text)
    return c[:60]

n = 0
with open(out, "w", encoding="utf-8") as o:
    def w(row):
        global n
        n += 1
        o.write(json.dumps(row, ensure_ascii=False) + "\n")
    for p in read("csl-papers.jsonl.gz"):
        w({"external_id": p["id"], "org_name": "CSL 论文作者团队", "kind": "achievement",
           "title": paper_title(p), "description": p.get("abstract")})
    seen = set()
    for p in read("research-projects.jsonl.gz"):
        key = json.dumps(p["id"])
        if not p.get("title") or key in seen:
            continue
        seen.add(key)
        desc = f'{p.get("discipline") or ""} {p.get("outcome_title") or ""}'.strip()
        w({"external_id": p["id"], "org_name": p.get("institution") or "未署名单位", "kind": "team",
           "title": p["title"], "description": desc})
    for p in read("patent-titles.jsonl.gz"):
        nums = p.get("publication_numbers") or []
        w({"external_id": f"patent-{nums[0] if nums else ''}", "org_name": "专利文献库", "kind": "patent",
           "title": p["title"], "patents": nums})
print(n, "rows", file=sys.stderr)
