"""A uwsgi backend that answers with a sizeless 200 head and some body bytes, then resets
the connection (SO_LINGER 0): a backend that dies mid-response. Usage:
    python3 reset_backend.py ADDRESS [BODY_BYTES]
ADDRESS is a unix socket path or host:port. It prints "ready" once listening."""
import os
import socket
import struct
import sys

address = sys.argv[1]
body = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
if ":" in address:
    host, port = address.rsplit(":", 1)
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((host, int(port)))
else:
    if os.path.exists(address):
        os.unlink(address)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(address)
server.listen(16)
print("ready", flush=True)
unix = server.family == socket.AF_UNIX
while True:
    conn, _ = server.accept()
    head = conn.recv(4)
    if not unix:
        size = head[1] | (head[2] << 8)
        while size > 0:
            size -= len(conn.recv(size))
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + b"x" * body)
    # TCP: SO_LINGER 0 sends a RST. Unix sockets have none: closing with unread input (the
    # vars left unread above) makes the peer's next read fail with ECONNRESET
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()
