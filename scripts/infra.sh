#!/usr/bin/env bash
# Local infrastructure for IntegrationHub: RabbitMQ + PostgreSQL 15, no Docker.
#
# Usage: bash scripts/infra.sh up|down|status
#   up      install (apt) if missing, configure, start and wait; idempotent and
#           fast when everything is already up.
#             RabbitMQ   amqp://guest:guest@127.0.0.1:5672/   (management UI http://127.0.0.1:15672)
#             PostgreSQL Host=127.0.0.1;Port=5432;Username=hub;Password=hub;Database=hub
#           and, for the browser tests, Debian's Chromium (/usr/bin/chromium, driven by
#           Playwright, which downloads no browser) with fonts for Urdu and Hindi.
#   down    stop both services.
#   status  print each service's state and listening ports; exit 0 only if
#           both are reachable.
#
# Needs root (or passwordless sudo) for `up`/`down`. Works in containers without
# systemd (falls back to the SysV init script / `rabbitmq-server -detached`).
set -euo pipefail

export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
export DEBIAN_FRONTEND=noninteractive

PG_VERSION=15
PG_CLUSTER=main
PG_PORT=5432
PG_MAX_CONNECTIONS=300
HUB_USER=hub
HUB_PASSWORD=hub
HUB_DB=hub
AMQP_PORT=5672
MGMT_PORT=15672
RABBIT_CONF=/etc/rabbitmq/rabbitmq.conf
WAIT_SECONDS="${INFRA_WAIT_SECONDS:-120}"

log()  { printf '[infra] %s\n' "$*"; }
warn() { printf '[infra] WARNING: %s\n' "$*" >&2; }
die()  { printf '[infra] ERROR: %s\n' "$*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  fi
fi
need_root() {
  if [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; then
    die "'$1' needs root (or passwordless sudo)."
  fi
}
as_root() { $SUDO "$@"; }
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@")
  else (cd / && $SUDO -u postgres "$@"); fi
}

# ---------------------------------------------------------------- helpers ---

# Prints the local addresses listening on TCP port $1 (from /proc, no tools needed).
listen_addrs() {
  local hexport
  hexport=$(printf '%04X' "$1")
  {
    awk -v p="$hexport" 'NR > 1 && $4 == "0A" { split($2, a, ":"); if (a[2] == p) print a[1] }' /proc/net/tcp 2>/dev/null |
      while read -r h; do
        printf '%d.%d.%d.%d\n' "0x${h:6:2}" "0x${h:4:2}" "0x${h:2:2}" "0x${h:0:2}"
      done
    awk -v p="$hexport" 'NR > 1 && $4 == "0A" { split($2, a, ":"); if (a[2] == p) print a[1] }' /proc/net/tcp6 2>/dev/null |
      while read -r h; do
        case "$h" in
          00000000000000000000000000000000) echo '[::]' ;;
          00000000000000000000000001000000) echo '[::1]' ;;
          0000000000000000FFFF0000*) echo "[::ffff:$(printf '%d.%d.%d.%d' "0x${h:30:2}" "0x${h:28:2}" "0x${h:26:2}" "0x${h:24:2}")]" ;;
          *) echo "[$h]" ;;
        esac
      done
  } | sort -u | paste -sd' ' -
}

# True if something accepts TCP connections on 127.0.0.1:$1.
tcp_open() { timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# True if port $1 listens on a non-loopback address.
listens_publicly() {
  local a
  for a in $(listen_addrs "$1"); do
    case "$a" in 127.*|'[::1]'|'[::ffff:127.'*) ;; *) return 0 ;; esac
  done
  return 1
}

wait_for() { # wait_for <seconds> <description> <command...>
  local secs=$1 what=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 1
  done
  log "$what: ready"
}

APT_UPDATED=0
apt_install() {
  need_root "apt-get install $*"
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install $* manually."
  if [ "$APT_UPDATED" -eq 0 ]; then
    log "apt-get update"
    as_root apt-get update -qq || die "apt-get update failed"
    APT_UPDATED=1
  fi
  log "apt-get install -y $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" \
    || die "apt-get install $* failed"
}

# ----------------------------------------------------------------- rabbit ---

rabbit_installed() { command -v rabbitmq-server >/dev/null 2>&1 && command -v rabbitmqctl >/dev/null 2>&1; }
rabbit_running() { rabbit_installed && as_root rabbitmq-diagnostics -q ping >/dev/null 2>&1; }
amqp_closed() { ! tcp_open "$AMQP_PORT"; }

# set_conf_key <file> <key> <value>: sets "key = value" (sysctl format); returns 0 if the file changed.
set_conf_key() {
  local file=$1 key=$2 value=$3 kre
  kre=$(printf '%s' "$key" | sed 's/[.[\*^$]/\\&/g')
  if grep -Eq "^[[:space:]]*${kre}[[:space:]]*=[[:space:]]*${value//./\\.}[[:space:]]*$" "$file"; then
    return 1
  fi
  if grep -Eq "^[[:space:]]*${kre}[[:space:]]*=" "$file"; then
    as_root sed -i -E "s|^[[:space:]]*${kre}[[:space:]]*=.*$|${key} = ${value}|" "$file"
  else
    printf '%s = %s\n' "$key" "$value" | as_root tee -a "$file" >/dev/null
  fi
  return 0
}

rabbit_configure() { # returns 0 if the configuration changed
  local changed=1
  as_root mkdir -p /etc/rabbitmq
  if [ ! -f "$RABBIT_CONF" ]; then
    log "writing $RABBIT_CONF (loopback only)"
    printf '# Written by IntegrationHub scripts/infra.sh: loopback-only listeners.\n' | as_root tee "$RABBIT_CONF" >/dev/null
  fi
  set_conf_key "$RABBIT_CONF" listeners.tcp.default "127.0.0.1:${AMQP_PORT}" && changed=0
  set_conf_key "$RABBIT_CONF" management.tcp.ip 127.0.0.1 && changed=0
  set_conf_key "$RABBIT_CONF" management.tcp.port "$MGMT_PORT" && changed=0
  [ "$changed" -eq 0 ] && log "updated $RABBIT_CONF (AMQP 127.0.0.1:${AMQP_PORT}, management 127.0.0.1:${MGMT_PORT})"
  return "$changed"
}

rabbit_start() {
  log "starting rabbitmq-server"
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    as_root systemctl start rabbitmq-server || true
  elif [ -x /etc/init.d/rabbitmq-server ]; then
    as_root /etc/init.d/rabbitmq-server start >/dev/null 2>&1 || true
  fi
  if ! rabbit_running; then
    # The init script returns before the node answers; give it a moment before the fallback.
    wait_for 20 "rabbitmq node" rabbit_running >/dev/null ||
      { log "init script did not start it; trying 'rabbitmq-server -detached'"; as_root rabbitmq-server -detached || true; }
  fi
}

rabbit_stop() {
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    as_root systemctl stop rabbitmq-server || true
  elif [ -x /etc/init.d/rabbitmq-server ]; then
    as_root /etc/init.d/rabbitmq-server stop >/dev/null 2>&1 || true
  fi
  if rabbit_running; then as_root rabbitmqctl -q shutdown >/dev/null 2>&1 || as_root rabbitmqctl -q stop || true; fi
}

rabbit_wait() {
  local deadline=$((SECONDS + WAIT_SECONDS))
  until as_root rabbitmqctl -q await_startup --timeout 10 >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] ||
      die "RabbitMQ did not start within ${WAIT_SECONDS}s; see /var/log/rabbitmq/ (rabbit@$(hostname -s).log, startup_err)."
    sleep 2
  done
  log "rabbitmq node: started"
  wait_for 60 "AMQP 127.0.0.1:${AMQP_PORT}" tcp_open "$AMQP_PORT" ||
    die "RabbitMQ runs but 127.0.0.1:${AMQP_PORT} does not accept connections (listening on: $(listen_addrs "$AMQP_PORT"))."
  wait_for 60 "management 127.0.0.1:${MGMT_PORT}" tcp_open "$MGMT_PORT" ||
    die "RabbitMQ management does not answer on 127.0.0.1:${MGMT_PORT}."
}

rabbit_up() {
  if ! rabbit_installed; then
    log "rabbitmq-server not installed"
    # Write the loopback config first so the service apt starts is already correct.
    rabbit_configure || true
    apt_install rabbitmq-server
    rabbit_installed || die "rabbitmq-server still missing after apt-get install"
  fi
  local config_changed=0 running=0
  rabbit_configure && config_changed=1
  rabbit_running && running=1

  if ! grep -q 'rabbitmq_management' /etc/rabbitmq/enabled_plugins 2>/dev/null; then
    log "enabling rabbitmq_management"
    if [ "$running" -eq 1 ]; then as_root rabbitmq-plugins -q enable rabbitmq_management >/dev/null
    else as_root rabbitmq-plugins -q enable --offline rabbitmq_management >/dev/null; fi
  fi

  if [ "$running" -eq 1 ]; then
    if [ "$config_changed" -eq 1 ] || listens_publicly "$AMQP_PORT" || listens_publicly "$MGMT_PORT"; then
      log "restarting rabbitmq-server to apply loopback-only listeners"
      rabbit_stop
      wait_for 30 "rabbitmq stopped" amqp_closed >/dev/null || true
      rabbit_start
    else
      log "rabbitmq-server already running"
    fi
  else
    rabbit_start
  fi
  rabbit_wait
  if listens_publicly "$AMQP_PORT" || listens_publicly "$MGMT_PORT"; then
    warn "RabbitMQ still listens on a non-loopback address (${AMQP_PORT}: $(listen_addrs "$AMQP_PORT"); ${MGMT_PORT}: $(listen_addrs "$MGMT_PORT")); check $RABBIT_CONF and RABBITMQ_* env settings."
  fi
}

# --------------------------------------------------------------- postgres ---

pg_installed() { [ -x "/usr/lib/postgresql/${PG_VERSION}/bin/postgres" ] && command -v pg_lsclusters >/dev/null 2>&1; }
pg_cluster_exists() { pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1 == v && $2 == c { f = 1 } END { exit !f }'; }
pg_cluster_field() { pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" -v n="$1" '$1 == v && $2 == c { print $n }'; }
pg_online() { [ "$(pg_cluster_field 4)" = online ]; }
pg_ready() { pg_isready -q -h 127.0.0.1 -p "$PG_PORT" -t 2 >/dev/null 2>&1; }
psql_admin() { as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -tA "$@"; }
hub_login() { PGPASSWORD="$HUB_PASSWORD" PGCONNECT_TIMEOUT=5 psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U "$HUB_USER" -d "$HUB_DB" -tAc 'select 1' 2>/dev/null | grep -qx 1; }

pg_up() {
  if ! pg_installed; then
    log "postgresql-${PG_VERSION} not installed"
    apt_install "postgresql-${PG_VERSION}"
    pg_installed || die "postgresql-${PG_VERSION} still missing after apt-get install"
  fi
  if ! pg_cluster_exists; then
    log "creating cluster ${PG_VERSION}/${PG_CLUSTER}"
    as_root pg_createcluster "$PG_VERSION" "$PG_CLUSTER" -p "$PG_PORT" >/dev/null || die "pg_createcluster failed"
  fi

  local restart=0 cur
  cur=$(pg_cluster_field 3)
  if [ "$cur" != "$PG_PORT" ]; then
    log "cluster ${PG_VERSION}/${PG_CLUSTER} uses port $cur; setting port = $PG_PORT"
    as_root pg_conftool "$PG_VERSION" "$PG_CLUSTER" set port "$PG_PORT"; restart=1
  fi
  cur=$(pg_conftool -s "$PG_VERSION" "$PG_CLUSTER" show listen_addresses 2>/dev/null || echo localhost)
  case ",${cur// /}," in
    *,localhost,*|*,127.0.0.1,*|*,\*,*|*,0.0.0.0,*) ;;
    *) log "listen_addresses = '$cur'; adding localhost"
       as_root pg_conftool "$PG_VERSION" "$PG_CLUSTER" set listen_addresses "localhost${cur:+,$cur}"; restart=1 ;;
  esac

  if pg_online; then
    if [ "$restart" -eq 1 ]; then
      log "restarting postgresql ${PG_VERSION}/${PG_CLUSTER} to apply settings"
      as_root pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" restart -m fast || die "pg_ctlcluster restart failed"
    else
      log "postgresql ${PG_VERSION}/${PG_CLUSTER} already running"
    fi
  else
    log "starting postgresql ${PG_VERSION}/${PG_CLUSTER}"
    as_root pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start ||
      die "pg_ctlcluster ${PG_VERSION} ${PG_CLUSTER} start failed; see /var/log/postgresql/postgresql-${PG_VERSION}-${PG_CLUSTER}.log"
  fi
  wait_for "$WAIT_SECONDS" "postgresql 127.0.0.1:${PG_PORT}" pg_ready ||
    die "PostgreSQL does not accept connections on 127.0.0.1:${PG_PORT}; see /var/log/postgresql/postgresql-${PG_VERSION}-${PG_CLUSTER}.log"

  # Headroom for tests and endpoints: each endpoint instance holds up to MaxParallelism connections.
  local max_connections
  max_connections=$(psql_admin -c "show max_connections")
  if [ "${max_connections:-0}" -lt "$PG_MAX_CONNECTIONS" ]; then
    log "raising max_connections from ${max_connections} to ${PG_MAX_CONNECTIONS} (restarts PostgreSQL)"
    psql_admin -c "ALTER SYSTEM SET max_connections = ${PG_MAX_CONNECTIONS}" >/dev/null
    as_root pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" restart ||
      die "pg_ctlcluster ${PG_VERSION} ${PG_CLUSTER} restart failed; see /var/log/postgresql/postgresql-${PG_VERSION}-${PG_CLUSTER}.log"
    wait_for "$WAIT_SECONDS" "postgresql 127.0.0.1:${PG_PORT}" pg_ready ||
      die "PostgreSQL does not accept connections on 127.0.0.1:${PG_PORT} after restart"
  fi

  # Role: LOGIN + CREATEDB (password is (re)set only if the login test fails).
  local attrs
  attrs=$(psql_admin -c "select rolcanlogin::text || ',' || rolcreatedb::text from pg_roles where rolname = '$HUB_USER'")
  if [ -z "$attrs" ]; then
    log "creating role '$HUB_USER' (LOGIN CREATEDB)"
    psql_admin -c "CREATE ROLE \"$HUB_USER\" WITH LOGIN CREATEDB PASSWORD '$HUB_PASSWORD'" >/dev/null
  elif [ "$attrs" != "true,true" ]; then
    log "granting LOGIN CREATEDB to role '$HUB_USER'"
    psql_admin -c "ALTER ROLE \"$HUB_USER\" WITH LOGIN CREATEDB" >/dev/null
  fi
  # Database owned by hub.
  local owner
  owner=$(psql_admin -c "select pg_get_userbyid(datdba) from pg_database where datname = '$HUB_DB'")
  if [ -z "$owner" ]; then
    log "creating database '$HUB_DB' owned by '$HUB_USER'"
    psql_admin -c "CREATE DATABASE \"$HUB_DB\" OWNER \"$HUB_USER\"" >/dev/null
  elif [ "$owner" != "$HUB_USER" ]; then
    log "database '$HUB_DB' owned by '$owner'; changing owner to '$HUB_USER'"
    psql_admin -c "ALTER DATABASE \"$HUB_DB\" OWNER TO \"$HUB_USER\"" >/dev/null
  fi

  if hub_login; then
    log "role '$HUB_USER' and database '$HUB_DB' OK"
    return 0
  fi
  log "password login as '$HUB_USER' failed; setting its password"
  psql_admin -c "ALTER ROLE \"$HUB_USER\" WITH PASSWORD '$HUB_PASSWORD'" >/dev/null

  if ! hub_login; then
    # pg_hba may not allow password auth over TCP; add an explicit rule at the top.
    local hba
    hba=$(psql_admin -c 'show hba_file')
    if ! grep -Eq "^host[[:space:]]+${HUB_DB}[[:space:]]+${HUB_USER}[[:space:]]+127\.0\.0\.1/32" "$hba"; then
      log "adding password-auth rule for $HUB_USER@127.0.0.1 to $hba"
      as_root sed -i "1i host    ${HUB_DB}    ${HUB_USER}    127.0.0.1/32    scram-sha-256" "$hba"
      psql_admin -c 'select pg_reload_conf()' >/dev/null
      sleep 1
    fi
  fi
  hub_login || die "password login 'psql -h 127.0.0.1 -U $HUB_USER -d $HUB_DB' still fails; check pg_hba.conf and the server log."
  log "role '$HUB_USER' and database '$HUB_DB' OK"
}

pg_down() {
  if pg_installed && pg_cluster_exists && pg_online; then
    log "stopping postgresql ${PG_VERSION}/${PG_CLUSTER}"
    as_root pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" stop -m fast || die "pg_ctlcluster stop failed"
  else
    log "postgresql ${PG_VERSION}/${PG_CLUSTER} not running"
  fi
}

# ---------------------------------------------------------------- browser ---

# The browser tests (receipt pages in Urdu and Hindi) drive Debian's Chromium through Playwright; their font check
# fails unless Noto fonts for Arabic script and Devanagari are installed. fonts-noto-core has every family the pages
# name: Noto Sans, Noto Nastaliq Urdu, Noto Naskh Arabic, Noto Sans Devanagari.
CHROMIUM=/usr/bin/chromium
BROWSER_FONT_PACKAGE=fonts-noto-core
BROWSER_FONT_FAMILIES=("Noto Sans" "Noto Nastaliq Urdu" "Noto Naskh Arabic" "Noto Sans Devanagari")

chromium_installed() { [ -x "$CHROMIUM" ]; }
# True if fontconfig knows every family (what Chromium asks); without fc-list, if the package is installed.
browser_fonts_installed() {
  local family
  if command -v fc-list >/dev/null 2>&1; then
    for family in "${BROWSER_FONT_FAMILIES[@]}"; do
      [ -n "$(fc-list ":family=${family}" family 2>/dev/null)" ] || return 1
    done
    return 0
  fi
  dpkg-query -W -f='${Status}' "$BROWSER_FONT_PACKAGE" 2>/dev/null | grep -q 'install ok installed'
}

browser_up() {
  local missing=()
  chromium_installed || missing+=(chromium)
  browser_fonts_installed || missing+=("$BROWSER_FONT_PACKAGE" fontconfig)
  if [ "${#missing[@]}" -gt 0 ]; then
    log "not installed: ${missing[*]}"
    apt_install "${missing[@]}"
    chromium_installed || die "$CHROMIUM still missing after apt-get install chromium"
    browser_fonts_installed || die "fonts ${BROWSER_FONT_FAMILIES[*]} still missing after apt-get install $BROWSER_FONT_PACKAGE"
  fi
  log "chromium and fonts for Urdu and Hindi: installed ($CHROMIUM)"
}

# ---------------------------------------------------------------- commands ---

cmd_up() {
  need_root up
  local t0=$SECONDS
  log "== RabbitMQ"
  rabbit_up
  log "== PostgreSQL ${PG_VERSION}"
  pg_up
  log "== Chromium and fonts (browser tests)"
  browser_up
  log "infrastructure up in $((SECONDS - t0))s: amqp://guest:guest@127.0.0.1:${AMQP_PORT}/  http://127.0.0.1:${MGMT_PORT}/  postgres://${HUB_USER}:${HUB_PASSWORD}@127.0.0.1:${PG_PORT}/${HUB_DB}"
}

cmd_down() {
  need_root down
  log "== RabbitMQ"
  if rabbit_installed && rabbit_running; then
    log "stopping rabbitmq-server"
    rabbit_stop
    wait_for 30 "rabbitmq stopped" amqp_closed >/dev/null ||
      warn "port ${AMQP_PORT} still open after stopping RabbitMQ"
    log "rabbitmq-server stopped"
  else
    log "rabbitmq-server not running"
  fi
  log "== PostgreSQL ${PG_VERSION}"
  pg_down
}

cmd_status() {
  local ok=0 state
  if ! rabbit_installed; then
    state="not installed"; ok=1
  elif tcp_open "$AMQP_PORT"; then
    state="running"
  else
    state="not reachable"; ok=1
  fi
  printf '%-11s %-14s amqp %s -> [%s]  management %s -> [%s]\n' RabbitMQ "$state" \
    "$AMQP_PORT" "$(listen_addrs "$AMQP_PORT")" "$MGMT_PORT" "$(listen_addrs "$MGMT_PORT")"
  if [ "$state" = running ] && ! tcp_open "$MGMT_PORT"; then
    printf '%-11s management UI not reachable on 127.0.0.1:%s\n' "" "$MGMT_PORT"; ok=1
  fi

  if ! pg_installed; then
    state="not installed"; ok=1
  elif pg_ready; then
    if hub_login; then state="running"; else state="running (hub login FAILED)"; ok=1; fi
  else
    state="not reachable"; ok=1
  fi
  printf '%-11s %-14s pg   %s -> [%s]  cluster %s/%s\n' PostgreSQL "$state" \
    "$PG_PORT" "$(listen_addrs "$PG_PORT")" "$PG_VERSION" "$PG_CLUSTER"

  if chromium_installed; then state="installed"; else state="not installed"; fi
  printf '%-11s %-14s %s; fonts for Urdu and Hindi: %s\n' Chromium "$state" "$CHROMIUM" \
    "$(browser_fonts_installed && echo installed || echo 'not installed')"

  if [ "$ok" -eq 0 ]; then log "all services reachable"; else log "some services are not reachable (run: bash scripts/infra.sh up)"; fi
  return "$ok"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
