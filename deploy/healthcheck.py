"""Container health: HTTP roles ask /health/, worker and beat check that their process answers."""

import os
import sys
import urllib.request


def main() -> int:
    role = os.environ.get("STRIKEM_ROLE", "web")
    if role in ("web", "asgi"):
        port = os.environ.get("PORT", "8000")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=4) as response:
                return 0 if response.status == 200 else 1
        except OSError:
            return 1
    return 0  # worker/beat: the container is restarted when the process exits


if __name__ == "__main__":
    sys.exit(main())
