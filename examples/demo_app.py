"""The demo WSGI app behind uwsgi-edge: a greeting and the request as the app sees it."""
import json


def application(environ, start_response):
    if environ.get("PATH_INFO") == "/env":
        env = {k: v for k, v in environ.items() if isinstance(v, str)}
        body = json.dumps(env, indent=1, sort_keys=True).encode()
        ctype = "application/json"
    else:
        body = (
            "Hello from a uWSGI worker, through uwsgi-edge!\n"
            "Try /env to see the uwsgi vars the edge sent.\n"
        ).encode()
        ctype = "text/plain; charset=utf-8"
    start_response("200 OK", [("Content-Type", ctype), ("Content-Length", str(len(body)))])
    return [body]
