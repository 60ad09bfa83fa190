"""Runs inside a sandbox: `leave` plants files where state could persist, `find` looks for them."""

import json
import os
import sys

PLACES = ["/tmp/canary", "/root/canary", "/root/Downloads/canary", "/root/.config/canary", "/run/canary",
          "/dev/shm/canary", "/home/canary"]

if sys.argv[1] == "leave":
    for place in PLACES:
        os.makedirs(os.path.dirname(place), exist_ok=True)
        with open(place, "w") as f:
            f.write("1")
    print(json.dumps({"left": PLACES}))
else:
    print(json.dumps({"found": [p for p in PLACES if os.path.exists(p)]}))
