"""A uWSGI WebSocket app for uwsgi-edge's tests: /ws echoes every message; the message
"push N" makes it send N messages of its own ("push 0" ...) before echoing on. Run with
threads (each session holds one) and --websocket-max-size large enough for the tests."""
import uwsgi


def application(environ, start_response):
    if environ.get("PATH_INFO") != "/ws":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
        return [b"plain"]
    uwsgi.websocket_handshake()
    uwsgi.websocket_send(b"hello")
    while True:
        message = uwsgi.websocket_recv()
        if message.startswith(b"push "):
            for i in range(int(message[5:])):
                uwsgi.websocket_send(b"push %d" % i)
        else:
            uwsgi.websocket_send_binary(message) if message[:1] == b"\0" else uwsgi.websocket_send(message)
