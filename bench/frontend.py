"""Front-end figures for bench/run.sh: what a first load of /login downloads (the page's own
wasm, js and css as the server sends them, brotli), and whether the server sends the
precompressed files with the right Content-Encoding. Prints KEY VALUE lines."""

import re
import sys
import urllib.request
from pathlib import Path

base, site = sys.argv[1], Path(sys.argv[2])
html = urllib.request.urlopen(f"{base}/login").read().decode()
assets = sorted(set(re.findall(r'/pkg/[^"\' )]+\.(?:wasm|js|css)', html)))
# The js glue names the wasm file only inside itself on some versions: add it when missing.
if not any(a.endswith(".wasm") for a in assets):
    assets += [f"/pkg/{p.name}" for p in (site / "pkg").glob("*.wasm")]
total_br = 0
total_raw = 0
for path in assets:
    kind = path.rsplit(".", 1)[1]
    raw = len(urllib.request.urlopen(f"{base}{path}").read())
    for encoding in ("br", "gzip"):
        request = urllib.request.Request(f"{base}{path}", headers={"Accept-Encoding": encoding})
        with urllib.request.urlopen(request) as response:
            body = response.read()
            sent = response.headers.get("Content-Encoding")
            precompressed = (site / (path.lstrip("/") + (".br" if encoding == "br" else ".gz"))).is_file()
            print(f"frontend.{kind}.{encoding}_bytes {len(body)}")
            print(f"frontend.{kind}.{encoding}_encoding_ok {int(sent == encoding and precompressed)}")
            if encoding == "br":
                total_br += len(body)
    print(f"frontend.{kind}.raw_bytes {raw}")
    total_raw += raw
print(f"frontend.total_br_bytes {total_br}")
print(f"frontend.total_raw_bytes {total_raw}")
