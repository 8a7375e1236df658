#!/usr/bin/env python3
"""A Hugging Face hub double for the CLI's download tests, on 127.0.0.1 only.

Serves `/<org>/<repo>/resolve/<revision>/<path>` (GET and HEAD) from the folders given as
ORG/REPO=DIR, with the headers huggingface_hub and pockettts read: X-Repo-Commit, ETag (the
sha256 of the file, as for LFS files) and Content-Length. Writes the port it listens on to
PORT_FILE, logs each request path to stderr, and serves until killed.

usage: fake_hub.py PORT_FILE ORG/REPO=DIR...
"""
import hashlib
import http.server
import pathlib
import sys
import urllib.parse

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def main():
    port_file = pathlib.Path(sys.argv[1])
    repos = {}
    for spec in sys.argv[2:]:
        name, _, folder = spec.partition("=")
        repos[name] = pathlib.Path(folder)

    class Hub(http.server.BaseHTTPRequestHandler):
        def find(self):
            parts = urllib.parse.unquote(urllib.parse.urlparse(self.path).path).split("/")
            # ['', org, repo, 'resolve', revision, path...]
            if len(parts) < 6 or parts[3] != "resolve":
                return None
            folder = repos.get(parts[1] + "/" + parts[2])
            if folder is None or parts[4] not in ("main", COMMIT):
                return None
            file = folder.joinpath(*parts[5:])
            return file if file.is_file() and folder in file.resolve().parents else None

        def answer(self, with_body):
            file = self.find()
            if file is None:
                self.send_response(404)
                self.send_header("X-Error-Code", "EntryNotFound")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = file.read_bytes()
            self.send_response(200)
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("ETag", '"%s"' % hashlib.sha256(body).hexdigest())
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def do_GET(self):
            self.answer(True)

        def do_HEAD(self):
            self.answer(False)

        def log_message(self, fmt, *args):
            sys.stderr.write("fake_hub: %s %s\n" % (self.command, self.path))

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    port_file.write_text(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
