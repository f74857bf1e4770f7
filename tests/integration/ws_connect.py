#!/usr/bin/env python3
"""ws_connect.py - one MQTT 3.1.1 CONNECT over WebSockets (ws:// or wss://),
for broker tests that need no browser and no npm packages.

  ws_connect.py URL CLIENT_ID USER PASSWORD [HOLD_S]

Prints the CONNACK return code (0 = accepted, 5 = not authorised, ...), or
"closed" when the broker closed the connection without one, then holds the
connection HOLD_S seconds (default 2; sending PINGREQ) and exits 0 if it
was accepted and stayed up, 1 otherwise.  TLS certificates are not checked
(the tests' throw-away certificate)."""
import base64
import os
import socket
import ssl
import struct
import sys
import time
from urllib.parse import urlparse


def ws_frame(payload):
    # client frames are masked; binary opcode
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([0x82])
    if n < 126:
        head += bytes([0x80 | n])
    else:
        head += bytes([0x80 | 126]) + struct.pack('!H', n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def read_exact(s, n):
    b = b''
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError
        b += c
    return b


def ws_read(s):
    h = read_exact(s, 2)
    op, n = h[0] & 0x0f, h[1] & 0x7f
    if n == 126:
        n = struct.unpack('!H', read_exact(s, 2))[0]
    elif n == 127:
        n = struct.unpack('!Q', read_exact(s, 8))[0]
    data = read_exact(s, n)
    if op == 8:
        raise EOFError
    return data


def mqtt_str(v):
    b = v.encode()
    return struct.pack('!H', len(b)) + b


def main():
    url, cid, user, pw = sys.argv[1:5]
    hold = float(sys.argv[5]) if len(sys.argv) > 5 else 2.0
    u = urlparse(url)
    s = socket.create_connection((u.hostname, u.port), timeout=5)
    if u.scheme == 'wss':
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(['http/1.1'])
        s = ctx.wrap_socket(s, server_hostname=u.hostname)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f'GET {u.path or "/"} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\n'
               'Upgrade: websocket\r\nConnection: Upgrade\r\n'
               f'Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n'
               'Sec-WebSocket-Protocol: mqtt\r\n\r\n').encode())
    resp = b''
    while b'\r\n\r\n' not in resp:
        c = s.recv(1024)
        if not c:
            print('closed')
            return 1
        resp += c
    if b' 101 ' not in resp.split(b'\r\n', 1)[0]:
        print('no websocket: ' + resp.split(b'\r\n', 1)[0].decode(errors='replace'))
        return 1
    var = mqtt_str('MQTT') + bytes([4, 0xc2]) + struct.pack('!H', 30)
    body = var + mqtt_str(cid) + mqtt_str(user) + mqtt_str(pw)
    n, rl = len(body), b''
    while True:
        n, d = n >> 7, n & 0x7f
        rl += bytes([d | (0x80 if n else 0)])
        if not n:
            break
    s.sendall(ws_frame(bytes([0x10]) + rl + body))
    try:
        ack = ws_read(s)
    except (EOFError, OSError):
        print('closed')
        return 1
    rc = ack[3] if len(ack) >= 4 and ack[0] == 0x20 else -1
    print(rc)
    if rc != 0:
        return 1
    end = time.time() + hold
    try:
        while time.time() < end:
            s.sendall(ws_frame(bytes([0xc0, 0])))
            s.settimeout(max(0.1, min(1.0, end - time.time())))
            try:
                ws_read(s)
            except socket.timeout:
                pass
            time.sleep(max(0.0, min(0.5, end - time.time())))
    except (EOFError, OSError):
        print('dropped')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
