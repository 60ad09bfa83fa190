"""Runs inside a sandbox: `leave` plants files where state could persist, `find` looks for them."""

import json
import os
import sys

HOME = os.environ["HOME"]  # the sandbox user's home; the rest of the root is read-only
PLACES = ["/tmp/canary", "/var/tmp/canary", f"{HOME}/canary", f"{HOME}/Downloads/canary", f"{HOME}/.config/canary",
          "/run/canary", "/dev/shm/canary"]

if sys.argv[1] == "leave":
    for place in PLACES:
        os.makedirs(os.path.dirname(place), exist_ok=True)
        with open(place, "w") as f:
            f.write("1")
    print(json.dumps({"left": PLACES}))
else:
    print(json.dumps({"found": [p for p in PLACES if os.path.exists(p)]}))
