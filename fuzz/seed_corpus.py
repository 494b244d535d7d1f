#!/usr/bin/env python3
"""Writes seed corpora for the fuzz targets (fuzz/corpus/<target>/) from the shared package
corpus: pipeline files, their Painless sources, grok/dissect patterns, date formats, test inputs.
Usage: python3 fuzz/seed_corpus.py [/path/to/shared/corpus/packages]"""
import hashlib, os, re, sys

here = os.path.dirname(os.path.abspath(__file__))
src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "shared", "corpus", "packages")
out = os.path.join(here, "corpus")


def put(target, data, limit=4000):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    if len(os.listdir(d)) >= limit:
        return
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def unquote(v):
    v = v.strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
        v = v[1:-1]
    return v


for root, _, files in os.walk(src):
    for fn in files:
        p = os.path.join(root, fn)
        try:
            text = open(p, encoding="utf-8").read()
        except (UnicodeDecodeError, OSError):
            continue
        if len(text) > 200_000:
            continue
        if "ingest_pipeline" in root and fn.endswith((".yml", ".json")):
            put("pipeline_loader", (b"\x00" if fn.endswith(".yml") else b"\x01") + text.encode())
            for m in re.finditer(r"(?:source|if):\s*(\|-?|>-?)?\s*\n?((?:[ \t]+.*\n?)+)", text):
                body = m.group(2)
                lines = body.splitlines()
                if lines:
                    ind = len(lines[0]) - len(lines[0].lstrip())
                    put("painless", "\n".join(l[ind:] for l in lines))
            for m in re.finditer(r"(?:source|if):\s*(['\"].*['\"])\s*$", text, re.M):
                put("painless", unquote(m.group(1)))
            for m in re.finditer(r"^\s*-\s*(['\"]?%\{.*)$", text, re.M):
                put("grok", unquote(m.group(1)) + "\0" + "127.0.0.1 GET /index.html 200")
            for m in re.finditer(r"pattern:\s*(['\"].*%\{.*['\"])\s*$", text, re.M):
                put("dissect", unquote(m.group(1)) + "\0" + "a b c d e f")
            for m in re.finditer(r"^\s*-\s*(['\"]?[yMdHhmsSZXaEz][^%{}]*)$", text, re.M):
                v = unquote(m.group(1))
                if any(c in v for c in "yMdH"):
                    put("dates", v + "\0" + "2024-05-06T07:08:09.123Z\0UTC\0en")
            for m in re.finditer(r"\{\{\{?[^}]+\}\}\}?", text):
                put("template", m.group(0) + "\0hello")
        elif "_dev/test/pipeline" in root and fn.startswith("test-"):
            if fn.endswith(".json") and not fn.endswith("-expected.json"):
                put("json_input", text)
            elif fn.endswith("-expected.json"):
                put("json_input", text, limit=6000)
            elif fn.endswith(".log"):
                put("log_input", "^\\d{4}-\0" + text[:20_000])
for t in ["painless", "pipeline_loader", "dates", "dissect", "grok", "template", "json_input", "log_input"]:
    d = os.path.join(out, t)
    print(t, len(os.listdir(d)) if os.path.isdir(d) else 0)
