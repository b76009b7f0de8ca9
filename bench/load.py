"""wrk runs and their figures; Lua for authenticated GETs and for progress batches with unique event ids."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

WRK = "/usr/bin/wrk"


def ensure_wrk() -> None:
    """wrk comes from Debian's packages: installed here when running as root, else a clear instruction."""
    if Path(WRK).exists():
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        return
    raise SystemExit("the bench drives load with wrk: install it first (Debian: sudo apt-get install wrk)")


BATCH_LUA = r"""
-- Progress batches: one learner token per request from TOKENS (a file, one per line), taken round-robin
-- over all threads (thread t takes tokens t, t + THREADS, ...: every learner in turn, not one per thread);
-- 7 lesson_completed events with ids unique in this run (salt, thread, counter, index).
-- THREADS is passed in: each thread runs in its own Lua state, where `threads` (filled in setup) is empty.
local tokens_file, salt, course, lessons_csv = "%(tokens)s", %(salt)d, "%(course)s", "%(lessons)s"
local nthreads = %(threads)d
local threads, counter, tokens, lessons = {}, 0, {}, {}
local thread_id = 0
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  for line in io.lines(tokens_file) do table.insert(tokens, line) end
  for lesson in string.gmatch(lessons_csv, "[^,]+") do table.insert(lessons, lesson) end
  thread_id = tonumber(wrk.thread:get("id"))
  accepted, duplicates, rejected, ok = 0, 0, 0, 0
end
function request()
  counter = counter + 1
  local token = tokens[((counter - 1) * nthreads + thread_id) %% #tokens + 1]
  local events = {}
  for i, lesson in ipairs(lessons) do
    local id = string.format("%%08x-%%04x-4%%03x-8%%03x-%%012x", salt, thread_id, i, 0, counter)
    events[i] = string.format(
      '{"id":"%%s","type":"lesson_completed","course":"%%s","lesson":"%%s","at":"%(at)s"}', id, course, lesson)
  end
  return wrk.format("POST", "/api/v1/progress/events",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token},
    '{"events":[' .. table.concat(events, ",") .. ']}')
end
function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
    accepted = accepted + tonumber(string.match(body, '"accepted":%%s*(%%d+)') or 0)
    duplicates = duplicates + tonumber(string.match(body, '"duplicates":%%s*(%%d+)') or 0)
    local r = string.match(body, '"rejected":%%s*%%[(.-)%%]')
    if r and #r > 0 then rejected = rejected + select(2, string.gsub(r, '"id"', '')) end
  end
  wrk.thread:set("accepted", accepted)
  wrk.thread:set("duplicates", duplicates)
  wrk.thread:set("rejected", rejected)
  wrk.thread:set("ok", ok)
end
function done(summary, latency, requests)
  local t = {accepted = 0, duplicates = 0, rejected = 0, ok = 0}
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + (tonumber(thread:get(k)) or 0) end
  end
  io.write(string.format('BATCHES {"accepted":%%d,"duplicates":%%d,"rejected":%%d,"ok":%%d}\n',
    t.accepted, t.duplicates, t.rejected, t.ok))
  io.write(string.format('LATENCY {"p95_ms":%%.3f}\n', latency:percentile(95) / 1000))
end
"""

GET_LUA = r"""
-- Authenticated GETs of PATH: one learner token per request from TOKENS (a file, one per line), round-robin
-- over all threads, as in BATCH_LUA.
local tokens_file, path, nthreads = "%(tokens)s", "%(path)s", %(threads)d
local threads, counter, tokens = {}, 0, {}
local thread_id = 0
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  for line in io.lines(tokens_file) do table.insert(tokens, line) end
  thread_id = tonumber(wrk.thread:get("id"))
end
function request()
  counter = counter + 1
  local token = tokens[((counter - 1) * nthreads + thread_id) %% #tokens + 1]
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
end
function done(summary, latency, requests)
  io.write(string.format('LATENCY {"p95_ms":%%.3f}\n', latency:percentile(95) / 1000))
end
"""


P95_LUA = r"""
-- Plain GETs of the URL given to wrk; only adds the p95 latency, which wrk's --latency table leaves out.
function done(summary, latency, requests)
  io.write(string.format('LATENCY {"p95_ms":%.3f}\n', latency:percentile(95) / 1000))
end
"""


def p95_script(path: Path) -> Path:
    """The Lua script for plain GETs that reports their p95 (`p95_ms` in `run`'s result)."""
    path.write_text(P95_LUA)
    return path


def batch_script(
    path: Path, *, tokens: Path, salt: int, course: str, lessons: list[str], at: str, threads: int
) -> Path:
    """The progress-batch Lua script for a wrk run with `threads` threads."""
    values = {"tokens": tokens, "salt": salt, "course": course, "lessons": ",".join(lessons), "at": at}
    path.write_text(BATCH_LUA % {**values, "threads": threads})
    return path


def get_script(path: Path, *, tokens: Path, url_path: str, threads: int) -> Path:
    """The Lua script for authenticated GETs of `url_path`, one learner token after another."""
    path.write_text(GET_LUA % {"tokens": tokens, "path": url_path, "threads": threads})
    return path


def run(url: str, *, threads: int, connections: int, seconds: int, script: Path | None = None) -> dict:
    """Requests per second, latency percentiles (ms), errors (socket errors and non-2xx/3xx) of one wrk run."""
    cmd = [WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if script:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    result["requests"] = int(re.search(r"(\d+) requests in", out).group(1))
    for pct in ("50", "95", "99"):
        found = re.search(rf"\s{pct}(?:\.000)?%\s+([\d.]+)(us|ms|s)\b", out)
        if found:
            value, unit = float(found.group(1)), found.group(2)
            result[f"p{pct}_ms"] = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    errors = 0
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket:
        errors += sum(int(g) for g in socket.groups())
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        errors += int(non2xx.group(1))
    result["errors"] = errors
    latency = re.search(r"LATENCY (\{.*\})", out)
    if latency:
        result.update(json.loads(latency.group(1)))
    batches = re.search(r"BATCHES (\{.*\})", out)
    if batches:
        result["batches"] = json.loads(batches.group(1))
    return result
