"""Render nginx/strikem.conf.template into a self-contained nginx prefix (a main nginx.conf beside it).

Used by `deploy/lint.sh` (nginx -t) and by the e2e tests that run nginx in front of real servers.
"""

import argparse
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MAIN = """worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    sendfile on;
    include {prefix}/strikem.conf;
}}
"""


def render(
    *,
    output: Path,
    web: list[str],
    asgi: list[str],
    listen: str,
    static: str,
    media: str,
    trusted: str = "127.0.0.1/32",
    forwarded_proto: str = "$scheme",
) -> Path:
    output.mkdir(parents=True, exist_ok=True)
    (output / "tmp").mkdir(exist_ok=True)
    values = {
        "WEB_SERVERS": " ".join(f"server {address};" for address in web),
        "ASGI_SERVERS": " ".join(f"server {address};" for address in asgi),
        "LISTEN": listen,
        "TRUSTED_PROXY_CIDR": trusted,
        "FORWARDED_PROTO": forwarded_proto,
        "STATIC_ROOT": static,
        "MEDIA_ROOT": media,
    }
    # Like envsubst with a list: only these ${NAME}s are replaced; nginx's own $variables stay.
    text = (ROOT / "nginx" / "strikem.conf.template").read_text()
    config = re.sub(r"\$\{(" + "|".join(values) + r")\}", lambda match: values[match[1]], text)
    (output / "strikem.conf").write_text(config)
    (output / "nginx.conf").write_text(MAIN.format(prefix=output))
    return output / "nginx.conf"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--web", action="append", required=True)
    parser.add_argument("--asgi", action="append", required=True)
    parser.add_argument("--listen", default="127.0.0.1:8080")
    parser.add_argument("--static", required=True)
    parser.add_argument("--media", required=True)
    args = parser.parse_args()
    render(output=args.output, web=args.web, asgi=args.asgi, listen=args.listen, static=args.static, media=args.media)


if __name__ == "__main__":
    main()
