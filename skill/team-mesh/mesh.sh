#!/usr/bin/env bash
# team-mesh skill helper: talk to teammates' OpenClaw agents through a Team Mesh server.
# Needs: curl, node (every OpenClaw machine has it), MESH_URL and MESH_API_KEY (a `requester` key).
# The key is read from the environment or from $MESH_API_KEY_FILE (default
# ~/.openclaw/credentials/team-mesh.key, mode 600); it is sent only in the Authorization header
# and never printed.
#
# Exit codes (same as the team-mesh CLI): 0 ok; 1 the agent answered with a failure (timeout,
# unreachable, ...); 2 usage error; 3 auth error (401/403, no key); 4 teammate/message not found
# or ambiguous; 5 Team Mesh server unreachable; 6 message too large.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: mesh.sh <command> [flags]

  whoami                                   which agent is mine, which key I use
  list                                     teammates and their last known state
  ping [--to NAME]                         probe gateways now (everyone, or one teammate)
  send --to NAME --message TEXT|- [--session S] [--rounds N] [--timeout SEC] [--dry-run]
                                           message one teammate's agent and wait for its reply
  broadcast --message TEXT|- [--timeout SEC] [--dry-run]
                                           message everyone but me; a human confirms it in the
                                           dashboard before anything is sent
  status ID                                where a message or broadcast stands
  sync                                     re-read the registry source (needs an admin key)
  help                                     this text

Environment: MESH_URL (default http://127.0.0.1:8790), MESH_API_KEY or MESH_API_KEY_FILE.
--message - reads the message from standard input.
Exit codes: 0 ok, 1 agent failure, 2 usage, 3 auth, 4 not found/ambiguous, 5 server unreachable, 6 too large.
USAGE
}

die_usage() {
  echo "mesh.sh: $*" >&2
  echo "Try: mesh.sh help" >&2
  exit 2
}

MESH_URL="${MESH_URL:-http://127.0.0.1:8790}"
MESH_URL="${MESH_URL%/}"

load_key() {
  if [ -z "${MESH_API_KEY:-}" ]; then
    local f="${MESH_API_KEY_FILE:-$HOME/.openclaw/credentials/team-mesh.key}"
    if [ -r "$f" ]; then MESH_API_KEY="$(tr -d '[:space:]' <"$f")"; fi
  fi
  if [ -z "${MESH_API_KEY:-}" ]; then
    echo "mesh.sh: no API key: set MESH_API_KEY or put the key in ${MESH_API_KEY_FILE:-$HOME/.openclaw/credentials/team-mesh.key}" >&2
    exit 3
  fi
}

# json KEY:TYPE=VALUE... : a JSON object; TYPE s (string), n (number) or b (boolean).
json() {
  node -e '
    const o = {};
    for (const a of process.argv.slice(1)) {
      const i = a.indexOf("=");
      const [k, t] = a.slice(0, i).split(":");
      const v = a.slice(i + 1);
      o[k] = t === "n" ? Number(v) : t === "b" ? v === "true" : v;
    }
    process.stdout.write(JSON.stringify(o));' -- "$@"
}

# api METHOD PATH [BODY]: prints the body; sets HTTP_STATUS. Exit 5 when the server is unreachable.
api() {
  local method="$1" path="$2" body="${3:-}" out status rc=0
  out="$(mktemp)"
  local args=(-sS -o "$out" -w '%{http_code}' -X "$method" -H "Accept: application/json" -H @- --max-time "${MESH_HTTP_TIMEOUT:-700}")
  if [ -n "$body" ]; then args+=(-H "Content-Type: application/json" --data-binary "$body"); fi
  # The key goes through stdin (-H @-), so it never shows up in `ps`.
  status="$(printf 'Authorization: Bearer %s\n' "$MESH_API_KEY" | curl "${args[@]}" "$MESH_URL$path" 2>"$out.err")" || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "mesh.sh: cannot reach Team Mesh at $MESH_URL ($(head -c 200 "$out.err"))" >&2
    rm -f "$out" "$out.err"
    exit 5
  fi
  HTTP_STATUS="$status"
  API_BODY="$(cat "$out")"
  rm -f "$out" "$out.err"
}

# fail_on_error: maps an error answer to the exit code, printing {"error":...} to stderr.
fail_on_error() {
  case "$HTTP_STATUS" in
    2??) return 0 ;;
  esac
  echo "$API_BODY" >&2
  local code
  code="$(node -e 'try { process.stdout.write(JSON.parse(process.argv[1]).error.code || "") } catch { }' -- "$API_BODY")"
  case "$code" in
    AMBIGUOUS_TEAMMATE | TEAMMATE_NOT_FOUND | MESSAGE_NOT_FOUND | BROADCAST_NOT_FOUND | NOT_FOUND) exit 4 ;;
    MESSAGE_TOO_LARGE) exit 6 ;;
    UNAUTHENTICATED | FORBIDDEN | INVALID_CREDENTIALS) exit 3 ;;
    VALIDATION_FAILED | INVALID_JSON) exit 2 ;;
    SHUTTING_DOWN) exit 5 ;;
  esac
  case "$HTTP_STATUS" in
    401 | 403) exit 3 ;;
    404) exit 4 ;;
    413) exit 6 ;;
    400) exit 2 ;;
    *) exit 1 ;;
  esac
}

read_message() {
  if [ "$1" = "-" ]; then
    local m
    m="$(cat)"
    [ -n "$m" ] || die_usage "--message -: standard input was empty"
    printf '%s' "$m"
  else
    printf '%s' "$1"
  fi
}

need_value() { [ $# -ge 2 ] && [ -n "$2" ] || die_usage "$1 needs a value"; }

cmd="${1:-help}"
[ $# -gt 0 ] && shift
case "$cmd" in
  help | -h | --help)
    usage
    exit 0
    ;;
  whoami)
    load_key
    api GET /api/v1/whoami
    fail_on_error
    echo "$API_BODY"
    ;;
  list)
    load_key
    api GET /api/v1/teammates
    fail_on_error
    node -e '
      for (const t of JSON.parse(process.argv[1]).items)
        console.log([t.handle + (t.isMe ? " (me)" : ""), t.displayName || t.name, t.status.state, t.gatewayUrl || "-"].join("\t"));' -- "$API_BODY"
    ;;
  ping)
    to=""
    while [ $# -gt 0 ]; do
      case "$1" in
        --to) need_value "$@"; to="$2"; shift 2 ;;
        *) die_usage "ping: unknown flag $1" ;;
      esac
    done
    load_key
    if [ -n "$to" ]; then api POST /api/v1/ping "$(json "to:s=$to")"; else api POST /api/v1/ping '{}'; fi
    fail_on_error
    node -e '
      const ts = JSON.parse(process.argv[1]).teammates;
      for (const t of ts) console.log([t.handle, t.status.state, t.status.latencyMs == null ? "-" : t.status.latencyMs + " ms", t.status.pairing ? "approve on the gateway: " + t.status.pairing.approveCommand : (t.status.error ? t.status.error.message : "")].join("\t"));
      process.exit(process.argv[2] && !ts.some((t) => t.status.state === "online") ? 1 : 0);' -- "$API_BODY" "$to"
    ;;
  send)
    to="" message="" session="main" rounds=1 timeout=60 dry=false
    while [ $# -gt 0 ]; do
      case "$1" in
        --to) need_value "$@"; to="$2"; shift 2 ;;
        --message | -m) need_value "$@"; message="$2"; shift 2 ;;
        --session) need_value "$@"; session="$2"; shift 2 ;;
        --rounds) need_value "$@"; rounds="$2"; shift 2 ;;
        --timeout) need_value "$@"; timeout="$2"; shift 2 ;;
        --dry-run) dry=true; shift ;;
        *) die_usage "send: unknown flag $1" ;;
      esac
    done
    [ -n "$to" ] || die_usage "send needs --to"
    [ -n "$message" ] || die_usage "send needs --message"
    [[ "$rounds" =~ ^([1-9]|10)$ ]] || die_usage "--rounds must be 1-10"
    [[ "$timeout" =~ ^[0-9]+$ ]] && [ "$timeout" -ge 1 ] && [ "$timeout" -le 600 ] || die_usage "--timeout must be 1-600 seconds"
    text="$(read_message "$message")"
    load_key
    api POST /api/v1/messages "$(json "to:s=$to" "message:s=$text" "session:s=$session" "rounds:n=$rounds" "timeoutSec:n=$timeout" "dryRun:b=$dry")"
    fail_on_error
    node -e '
      const m = JSON.parse(process.argv[1]);
      if (m.dryRun) {
        console.log(`dry run: would send ${m.messageBytes} bytes to ${m.to.handle} (${m.gatewayUrl || "no address"}), token ${m.credentialSet ? "set" : "missing"}`);
        for (const b of m.blockers) console.log(`blocked: ${b.message}`);
        process.exit(m.blockers.length ? 1 : 0);
      }
      for (const w of m.warnings || []) console.error(`warning: ${w.message}`);
      for (const x of m.exchanges) {
        console.log(`[${m.to.handle}, round ${x.round}] ${x.status}`);
        if (x.reply) console.log(x.reply);
        if (x.error) console.log(`error: ${x.error.message} (${x.error.code})`);
      }
      if (m.fallback && m.fallback.attempted) console.log(m.fallback.ok ? "fallback: teammate notified by the IM hook" : "fallback failed");
      process.exit(["replied", "delivered_no_reply"].includes(m.status) ? 0 : 1);' -- "$API_BODY"
    ;;
  broadcast)
    message="" timeout=60 dry=false
    while [ $# -gt 0 ]; do
      case "$1" in
        --message | -m) need_value "$@"; message="$2"; shift 2 ;;
        --timeout) need_value "$@"; timeout="$2"; shift 2 ;;
        --dry-run) dry=true; shift ;;
        --yes | -y) shift ;; # accepted for the CLI's sake; an agent never confirms a broadcast
        *) die_usage "broadcast: unknown flag $1" ;;
      esac
    done
    [ -n "$message" ] || die_usage "broadcast needs --message"
    [[ "$timeout" =~ ^[0-9]+$ ]] && [ "$timeout" -ge 1 ] && [ "$timeout" -le 600 ] || die_usage "--timeout must be 1-600 seconds"
    text="$(read_message "$message")"
    load_key
    api POST /api/v1/broadcasts "$(json "message:s=$text" "timeoutSec:n=$timeout" "dryRun:b=$dry")"
    fail_on_error
    # Never confirmed from here, even if the key could: a person confirms in the dashboard.
    node -e '
      const b = JSON.parse(process.argv[1]);
      const who = (xs) => xs.map((r) => r.handle + (r.reason ? " (" + r.reason + ")" : "")).join(", ") || "none";
      if (b.dryRun) console.log(`dry run: would go to ${who(b.recipients)}; skipped: ${who(b.skipped)}`);
      else console.log(`broadcast ${b.id} is awaiting confirmation in the Team Mesh dashboard (recipients: ${who(b.recipients)}; skipped: ${who(b.skipped)}). Check it with: mesh.sh status ${b.id}`);' -- "$API_BODY"
    ;;
  status)
    [ $# -eq 1 ] || die_usage "status needs one message or broadcast id"
    load_key
    id="$(node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' -- "$1")"
    api GET "/api/v1/messages/$id"
    if [ "$HTTP_STATUS" = 404 ]; then api GET "/api/v1/broadcasts/$id"; fi
    fail_on_error
    echo "$API_BODY"
    ;;
  sync)
    load_key
    api POST /api/v1/teammates/sync '{}'
    fail_on_error
    echo "$API_BODY"
    ;;
  *)
    usage >&2
    echo "mesh.sh: unknown command: $cmd" >&2
    exit 2
    ;;
esac
