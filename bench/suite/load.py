"""The load generator: wrk, with a Lua script that rotates the request paths, sends the agent's
headers and body, and prints the numbers as JSON when done."""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from contender import RequestSpec

MARKER = "WRKJSON "

# Each wrk thread reads the request file (method, headers, hex body, paths), starts at its own
# offset in the paths and goes round-robin; done() prints one JSON line for the whole run.
LUA = r"""
local method, body
local headers = {}
local paths = {}
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local function unhex(s)
  return (s:gsub("..", function(h) return string.char(tonumber(h, 16)) end))
end

function init(args)
  local f = assert(io.open(args[1], "r"))
  method = f:read("*l")
  for i = 1, tonumber(f:read("*l")) do
    local name, value = f:read("*l"):match("^([^:]+):%s?(.*)$")
    headers[name] = value
  end
  local hex = f:read("*l")
  if hex ~= "" then body = unhex(hex) end
  for line in f:lines() do
    if line ~= "" then table.insert(paths, line) end
  end
  f:close()
  counter = (id or 0) * 7919
end

function request()
  counter = counter + 1
  return wrk.format(method, paths[(counter % #paths) + 1], headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "bytes": %d, "errors_connect": %d, ' ..
    '"errors_read": %d, "errors_write": %d, "errors_status": %d, "errors_timeout": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
"""


class LoadError(RuntimeError):
    pass


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    errors: int  # connection errors, timeouts and answers >= 400
    p50_ms: float
    p99_ms: float

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    return path


def wrk_version() -> str:
    done = subprocess.run([wrk_path(), "--version"], capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr) \
        else "wrk"


def headers_for(spec: RequestSpec, headers: dict[str, str]) -> dict[str, str]:
    merged = dict(headers)
    if spec.body is not None:
        merged.setdefault("Content-Type", spec.content_type)
    return merged


def write_request_file(path: Path, spec: RequestSpec, headers: dict[str, str]) -> None:
    merged = headers_for(spec, headers)
    if not spec.paths:
        raise LoadError("no paths to request")
    lines = [spec.method, str(len(merged)), *(f"{k}: {v}" for k, v in merged.items()),
             spec.body.hex() if spec.body else "", *spec.paths]
    if any("\n" in line for line in lines):
        raise LoadError("a header or path holds a newline")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def probe(port: int, spec: RequestSpec, headers: dict[str, str]) -> tuple[int, bytes]:
    """One request as the load will send it: (status, body), to catch a broken setup (a bad
    token, a wrong path) before it becomes thousands of fast errors."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(spec.method, spec.paths[0], body=spec.body,
                     headers=headers_for(spec, headers))
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def run_wrk(port: int, request_file: Path, *, script: Path, seconds: float, connections: int,
            threads: int = 2) -> WrkResult:
    if not script.exists() or script.read_text() != LUA:
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text(LUA)
    argv = [wrk_path(), "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s",
            "--timeout", "30s", "-s", str(script), f"http://127.0.0.1:{port}", "--",
            str(request_file)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False,
                          timeout=seconds + 120)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith(MARKER)), None)
    if done.returncode != 0 or line is None:
        raise LoadError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout}")
    data = json.loads(line[len(MARKER):])
    errors = sum(data[k] for k in data if k.startswith("errors_"))
    return WrkResult(requests=data["requests"], seconds=data["duration_us"] / 1e6,
                     errors=errors, p50_ms=data["p50_us"] / 1000, p99_ms=data["p99_us"] / 1000)
