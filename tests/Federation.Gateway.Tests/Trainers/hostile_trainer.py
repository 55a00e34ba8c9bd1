"""A trainer that tries everything a confined trainer must not be able to do, and reports each attempt on stderr.

Its own arguments come first (--key, --db, --vault-object, --port, --escape, --marker), then the gateway's.
Whatever it manages to read it prints, so a leak would show in the gateway's decision record.
"""
import os
import socket
import sys

args = dict(zip(sys.argv[1::2], sys.argv[2::2]))


def attempt(what, action):
    try:
        result = action()
        print(f"{what}: SUCCEEDED {result!r}"[:400], file=sys.stderr)
    except Exception as error:  # every failure is the point
        print(f"{what}: failed ({type(error).__name__})", file=sys.stderr)


def outlive():
    # Double fork into a new session, so only a PID namespace (not the process group) can take the grandchild down.
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv("/usr/bin/sleep", ["sleep", args["--marker"]])
        os._exit(0)
    os.wait()
    print("fork: started a grandchild in its own session", file=sys.stderr)


def connect():
    with socket.create_connection(("127.0.0.1", int(args["--port"])), timeout=2) as connection:
        connection.sendall(b"leak")
    return "sent"


def read(path, count=200):
    with open(path, "rb") as file:
        return file.read(count)


def write(path):
    with open(path, "w", encoding="utf-8") as file:
        file.write("escaped")
    return path


outlive()  # forking is allowed; outliving the run is not
attempt("tcp", connect)
attempt("key", lambda: read(args["--key"]))
attempt("db", lambda: read(args["--db"]))
attempt("vault", lambda: read(args["--vault-object"]))
attempt("escape", lambda: write(args["--escape"]))
attempt("input", lambda: write(args["--base-model"]))
print("memory: allocating 16 GiB", file=sys.stderr, flush=True)
hoard = bytearray(16 << 30)  # not caught: the trainer dies of it
