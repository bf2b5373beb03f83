#!/usr/bin/env bash
# run.sh — starnet's echo benchmark: compares starnet (Starlark and Go
# protocols) with uvloop, CPython asyncio, Node and Go's standard library on
# the same echo protocol, over loopback, and prints a table of medians,
# spreads and ratios to uvloop.
#
#   tests/bench/run.sh [--servers a,b] [--workloads x,y] [--rounds N]
#                      [--duration S] [--out DIR] [--no-install] [--syscalls]
#
# Servers:   uvloop asyncio node go-std starnet-go starnet-star
#            (default), and starnet-2cpu, starnet-2loops (only on request):
#            scripts/echo_server.star with 1 loop and with --loops 2, both
#            allowed on the server's and the client's core, to compare one
#            loop with two.
# Workloads: pingpong-64      ping-pong, 50 connections, 64 B messages
#            pingpong-4k      ping-pong, 50 connections, 4 KiB messages
#            stream-64k       streaming, 10 connections, 64 KiB writes
#            idle-10k         10,000 idle connections: server RSS per connection
#            tls-pingpong-1k  ping-pong over TLS, 50 connections, 1 KiB messages
#                             (handshakes done before the warm-up)
#            stream-pingpong-64  pingpong-64 against each server's echo on
#                             asyncio's Streams API (see "Streams" below)
#            stream-idle-10k  idle-10k against the same servers
#
# Streams: the stream-* workloads run only the servers that have an echo
# written on asyncio's Streams API, and compare them with uvloop's: uvloop
# and asyncio run echo_asyncio.py --streams (asyncio.start_server, a
# coroutine per client looping on `await reader.read(65536)`,
# `writer.write`, `await writer.drain()`), starnet-star runs
# scripts/stream_echo_server.star (start_server, a task per client looping
# on `line = wait(reader.readline())`, `writer.write`, `wait(writer.drain())`).
# Every message the load generator sends ends in a newline, so a line
# echo answers each one; an idle connection then holds a task waiting in
# readline. Other servers are skipped on these workloads.
#
# TLS: each server's TLS echo (uvloop and asyncio with an ssl.SSLContext,
# Node's tls module, Go's crypto/tls, starnet's TLS layer under the Go
# protocol and scripts/tls_echo_server.star) serves a P-256 certificate
# that openssl makes at run time in the temporary build directory (removed
# on exit; no key is kept). The client (Go's crypto/tls) verifies it and
# offers Go's default suites; every server follows the client's preference,
# so all encrypt with the same suite, which the table names.
#
# Environment (options override): BENCH_SERVERS, BENCH_WORKLOADS (space or
# comma separated), BENCH_ROUNDS (3), BENCH_DURATION (measured seconds per
# run, 5), BENCH_WARMUP (seconds, 1), BENCH_IDLE_CONNS (10000), BENCH_HOLD
# (seconds idle connections are held, 1), BENCH_OUT (results directory; a new
# temporary one by default), BENCH_BASELINE (uvloop), BENCH_SERVER_CPU (0)
# and BENCH_CLIENT_CPU (1) — the cores the server and the load generator are
# pinned to with taskset, BENCH_SYSCALLS (0; 1 is --syscalls).
#
# --syscalls: the load generator also counts the system calls the server
# makes per request (per MB for stream) over the measured window, with
# "perf stat -e raw_syscalls:sys_enter" (columns sysc/req and sysc/MB;
# needs root). perf is installed with apt-get when missing (linux-perf);
# without it the runs go on and the figure is left out. Counting makes every
# system call slightly dearer, so compare CPU figures only between runs made
# with the same setting.
#
# Each run starts a fresh server (pinned to one core), runs the load
# generator (pinned to the other, GOMAXPROCS=1) and stops the server by its
# PID. Every round runs every workload on every server, the server order
# rotating from round to round. Missing tools (python3-uvloop, nodejs,
# taskset, openssl) are installed with apt-get when running as root. Results are kept
# in the output directory: results.jsonl (one JSON line per run), the
# servers' logs, and table.txt. The default run takes about 9 minutes.
#
# Reading the figures: the client does one write and one read per round trip
# (epoll engine), as the best server does, so on fast servers both cores are
# near 100% — "cli %" says when the client was the limit, and the server's
# µs of CPU per request is then the figure to compare. Server CPU comes from
# /proc/PID/stat and leaves out softirq time (loopback TCP processing, which
# the kernel charges to no process); it is the same work for every server.
# Over TLS the client is the goroutines engine (crypto/tls on net.Conn), so
# its CPU share is higher there than in the plain ping-pong rows.
# The machine is shared: "oth %" flags runs that other processes disturbed,
# and medians over several rounds (BENCH_ROUNDS=5 for decisions) absorb them.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_DIR=$ROOT/tests/bench
PYTHON=/usr/bin/python3 # Debian's, which has python3-uvloop (not pyenv's)

DEFAULT_SERVERS="uvloop asyncio node go-std starnet-go starnet-star"
ALL_SERVERS="$DEFAULT_SERVERS starnet-2cpu starnet-2loops"
ALL_WORKLOADS="pingpong-64 pingpong-4k stream-64k idle-10k tls-pingpong-1k stream-pingpong-64 stream-idle-10k"
SERVERS=${BENCH_SERVERS:-$DEFAULT_SERVERS}
WORKLOADS=${BENCH_WORKLOADS:-$ALL_WORKLOADS}
ROUNDS=${BENCH_ROUNDS:-3}
DURATION=${BENCH_DURATION:-5}
WARMUP=${BENCH_WARMUP:-1}
IDLE_CONNS=${BENCH_IDLE_CONNS:-10000}
HOLD=${BENCH_HOLD:-1}
OUT=${BENCH_OUT:-}
BASELINE=${BENCH_BASELINE:-uvloop}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
SYSCALLS=${BENCH_SYSCALLS:-0}
INSTALL=1

usage() {
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

log() { printf '%s\n' "$*" >&2; }
die() {
	log "run.sh: $*"
	exit 1
}

parse_args() {
	while (($#)); do
		case $1 in
		--servers) SERVERS=${2:?--servers needs a list} && shift ;;
		--workloads) WORKLOADS=${2:?--workloads needs a list} && shift ;;
		--rounds) ROUNDS=${2:?--rounds needs a number} && shift ;;
		--duration) DURATION=${2:?--duration needs seconds} && shift ;;
		--out) OUT=${2:?--out needs a directory} && shift ;;
		--no-install) INSTALL=0 ;;
		--syscalls) SYSCALLS=1 ;;
		-h | --help) usage && exit 0 ;;
		*) die "unknown argument '$1' (see --help)" ;;
		esac
		shift
	done
	SERVERS=${SERVERS//,/ }
	WORKLOADS=${WORKLOADS//,/ }
	local s w
	for s in $SERVERS; do
		[[ " $ALL_SERVERS " == *" $s "* ]] || die "unknown server '$s' (known: $ALL_SERVERS)"
	done
	for w in $WORKLOADS; do
		[[ " $ALL_WORKLOADS " == *" $w "* ]] || die "unknown workload '$w' (known: $ALL_WORKLOADS)"
	done
	[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "rounds must be a positive integer, not '$ROUNDS'"
	[[ $DURATION =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "duration must be seconds, not '$DURATION'"
	[[ $WARMUP =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "BENCH_WARMUP must be seconds, not '$WARMUP'"
	[[ $HOLD =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "BENCH_HOLD must be seconds, not '$HOLD'"
	[[ $IDLE_CONNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_IDLE_CONNS must be a positive integer, not '$IDLE_CONNS'"
	[[ $SYSCALLS =~ ^[01]$ ]] || die "BENCH_SYSCALLS must be 0 or 1, not '$SYSCALLS'"
}

selected() { [[ " $SERVERS " == *" $1 "* ]]; }

# install_missing installs, with apt-get, the tools the selected servers
# need and that are not there.
install_missing() {
	local pkgs=()
	command -v taskset >/dev/null || pkgs+=(util-linux)
	if selected uvloop || selected asyncio; then
		[[ -x $PYTHON ]] || pkgs+=(python3)
	fi
	if selected uvloop && ! { [[ -x $PYTHON ]] && $PYTHON -c 'import uvloop' 2>/dev/null; }; then
		pkgs+=(python3-uvloop)
	fi
	if selected node && ! command -v node >/dev/null; then
		pkgs+=(nodejs)
	fi
	if tls_selected && ! command -v openssl >/dev/null; then
		pkgs+=(openssl)
	fi
	((${#pkgs[@]})) || return 0
	if ((INSTALL == 0)) || [[ $(id -u) != 0 ]]; then
		log "missing: ${pkgs[*]} (install them with apt-get, or run as root without --no-install)"
		return 0
	fi
	log "installing ${pkgs[*]}"
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >&2
}

# install_perf installs perf for --syscalls when it is missing: linux-perf
# (Debian), else perf or linux-tools-common, whichever apt knows; without
# perf the results lack the system-call counts.
install_perf() {
	if ((!SYSCALLS)) || command -v perf >/dev/null; then
		return 0
	fi
	if ((INSTALL == 0)) || [[ $(id -u) != 0 ]]; then
		log "perf is missing: system-call counts will be missing (install linux-perf, or run as root without --no-install)"
		return 0
	fi
	local p
	apt-get update -qq >&2 || true
	for p in linux-perf perf linux-tools-common; do
		apt-cache show "$p" >/dev/null 2>&1 || continue
		log "installing $p"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >&2 || continue
		command -v perf >/dev/null && return 0
	done
	log "could not install perf: system-call counts will be missing"
}

# drop_server removes a server from the selection, saying why.
drop_server() {
	log "skipping $1: $2"
	SERVERS=$(tr ' ' '\n' <<<"$SERVERS" | { grep -vx "$1" || true; } | tr '\n' ' ')
}

# check_servers drops selected servers whose runtime is missing.
check_servers() {
	if selected uvloop && ! $PYTHON -c 'import uvloop' 2>/dev/null; then
		drop_server uvloop "$PYTHON cannot import uvloop"
	fi
	if selected asyncio && [[ ! -x $PYTHON ]]; then
		drop_server asyncio "$PYTHON is missing"
	fi
	if selected node && ! command -v node >/dev/null; then
		drop_server node "node is missing"
	fi
}

# build compiles the load generator, the report tool and the Go servers into
# $BIN; a starnet server whose build fails is skipped.
build() {
	log "building into $BIN"
	(cd "$ROOT" && go build -o "$BIN/" ./tests/bench/loadgen ./tests/bench/report) || die "cannot build the load generator"
	if selected go-std; then
		(cd "$ROOT" && go build -o "$BIN/" ./tests/bench/stdecho) || drop_server go-std "build failed"
	fi
	if selected starnet-go; then
		(cd "$ROOT" && go build -o "$BIN/" ./tests/bench/goecho) || drop_server starnet-go "build failed"
	fi
	if selected starnet-star || selected starnet-2cpu || selected starnet-2loops; then
		(cd "$ROOT" && go build -o "$BIN/starnet" ./cmd/starnet) || {
			drop_server starnet-star "build failed"
			drop_server starnet-2cpu "build failed"
			drop_server starnet-2loops "build failed"
		}
	fi
}

# server_command prints the command line of a server for a workload, one
# word a line: the TLS echo for TLS workloads, the Streams API echo for the
# stream-* ones (nothing for a server without one), the plain one otherwise.
server_command() {
	if is_tls "$2"; then
		tls_server_command "$1"
		return
	fi
	if is_streams "$2"; then
		streams_server_command "$1"
		return
	fi
	case $1 in
	uvloop) printf '%s\n' "$PYTHON" "$BENCH_DIR/servers/echo_asyncio.py" --uvloop ;;
	asyncio) printf '%s\n' "$PYTHON" "$BENCH_DIR/servers/echo_asyncio.py" ;;
	node) printf '%s\n' node "$BENCH_DIR/servers/echo_node.js" ;;
	go-std) printf '%s\n' "$BIN/stdecho" ;;
	starnet-go) printf '%s\n' "$BIN/goecho" ;;
	starnet-star | starnet-2cpu) printf '%s\n' "$BIN/starnet" run -A "$ROOT/scripts/echo_server.star" ;;
	starnet-2loops) printf '%s\n' "$BIN/starnet" run --loops 2 -A "$ROOT/scripts/echo_server.star" ;;
	esac
}

# tls_server_command prints the command line of a server's TLS echo, which
# serves $CERT_DIR's certificate.
tls_server_command() {
	local cert=$CERT_DIR/cert.pem key=$CERT_DIR/key.pem
	case $1 in
	uvloop) printf '%s\n' "$PYTHON" "$BENCH_DIR/servers/echo_asyncio.py" --uvloop --tls "$cert" "$key" ;;
	asyncio) printf '%s\n' "$PYTHON" "$BENCH_DIR/servers/echo_asyncio.py" --tls "$cert" "$key" ;;
	node) printf '%s\n' node "$BENCH_DIR/servers/echo_node.js" --tls "$cert" "$key" ;;
	go-std) printf '%s\n' "$BIN/stdecho" -tls "$cert" "$key" ;;
	starnet-go) printf '%s\n' "$BIN/goecho" -tls "$cert" "$key" ;;
	starnet-star | starnet-2cpu) printf '%s\n' "$BIN/starnet" run --allow-net --allow-read "$ROOT/scripts/tls_echo_server.star" "$cert" "$key" ;;
	starnet-2loops) printf '%s\n' "$BIN/starnet" run --loops 2 --allow-net --allow-read "$ROOT/scripts/tls_echo_server.star" "$cert" "$key" ;;
	esac
}

# streams_server_command prints the command line of a server's echo on
# asyncio's Streams API, or nothing when it has none.
streams_server_command() {
	case $1 in
	uvloop) printf '%s\n' "$PYTHON" "$BENCH_DIR/servers/echo_asyncio.py" --uvloop --streams ;;
	asyncio) printf '%s\n' "$PYTHON" "$BENCH_DIR/servers/echo_asyncio.py" --streams ;;
	starnet-star | starnet-2cpu) printf '%s\n' "$BIN/starnet" run -A "$ROOT/scripts/stream_echo_server.star" ;;
	starnet-2loops) printf '%s\n' "$BIN/starnet" run --loops 2 -A "$ROOT/scripts/stream_echo_server.star" ;;
	esac
}

# has_echo reports whether a server has an echo for a workload (not every
# one has a Streams API echo).
has_echo() { [[ -n $(server_command "$1" "$2") ]]; }

# is_streams reports whether a workload runs the Streams API echoes.
is_streams() { [[ $1 == stream-pingpong-* || $1 == stream-idle-* ]]; }

# is_tls reports whether a workload runs over TLS.
is_tls() { [[ $1 == tls-* ]]; }

# tls_selected reports whether a TLS workload is selected.
tls_selected() { [[ " $WORKLOADS " == *" tls-"* ]]; }

# make_cert writes a throw-away self-signed P-256 certificate for
# 127.0.0.1 and its key into $CERT_DIR (inside $BIN, removed on exit).
make_cert() {
	CERT_DIR=$BIN/tls
	mkdir -p "$CERT_DIR"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$CERT_DIR/key.pem" -out "$CERT_DIR/cert.pem" -days 1 \
		-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
		>"$CERT_DIR/openssl.log" 2>&1
}

# drop_tls_workloads removes the TLS workloads from the selection, saying why.
drop_tls_workloads() {
	log "skipping the TLS workloads: $1"
	WORKLOADS=$(tr ' ' '\n' <<<"$WORKLOADS" | { grep -v '^tls-' || true; } | tr '\n' ' ')
}

# workload_flags prints the load generator's flags for a workload.
workload_flags() {
	local timed=(-duration "${DURATION}s" -warmup "${WARMUP}s")
	case $1 in
	pingpong-64 | stream-pingpong-64) echo -mode pingpong -conns 50 -size 64 "${timed[@]}" ;;
	pingpong-4k) echo -mode pingpong -conns 50 -size 4096 "${timed[@]}" ;;
	stream-64k) echo -mode stream -conns 10 -size 65536 "${timed[@]}" ;;
	idle-10k | stream-idle-10k) echo -mode idle -conns "$IDLE_CONNS" -size 1 -hold "${HOLD}s" ;;
	tls-pingpong-1k) echo -mode pingpong -conns 50 -size 1024 -tls -tls-ca "$CERT_DIR/cert.pem" "${timed[@]}" ;;
	esac
}

# pinned runs a command on one core when pinning is possible.
pinned() {
	local cpu=$1
	shift
	if ((PIN)); then
		exec taskset -c "$cpu" "$@"
	fi
	exec "$@"
}

SRV_PID=
SRV_PORT=
CERT_DIR= # set by make_cert

# server_cpus prints the cores a server is pinned to: its own, or both for
# the one-loop-or-two comparison.
server_cpus() {
	case $1 in
	starnet-2cpu | starnet-2loops) echo "$SERVER_CPU,$CLIENT_CPU" ;;
	*) echo "$SERVER_CPU" ;;
	esac
}

# start_server starts a server for a workload on port 0 and sets SRV_PID and SRV_PORT from
# the "listening on HOST:PORT" line it prints.
start_server() {
	local name=$1 workload=$2 logfile=$3 cmd
	mapfile -t cmd < <(server_command "$name" "$workload")
	: >"$logfile"
	(pinned "$(server_cpus "$name")" "${cmd[@]}" 0 127.0.0.1) >"$logfile" 2>&1 &
	SRV_PID=$!
	SRV_PORT=
	local i
	for ((i = 0; i < 200; i++)); do # up to 10 s
		SRV_PORT=$(grep -m1 -oE 'listening on [^ ]+:[0-9]+' "$logfile" | grep -oE '[0-9]+$' || true)
		[[ -n $SRV_PORT ]] && return 0
		is_running "$SRV_PID" || break
		sleep 0.05
	done
	log "$name did not print its port; its output:"
	sed 's/^/    /' "$logfile" >&2
	stop_server
	return 1
}

# is_running reports whether pid is alive and not a zombie.
is_running() {
	local state
	[[ -r /proc/$1/stat ]] || return 1
	read -r _ _ state _ <"/proc/$1/stat" || return 1
	[[ $state != Z ]]
}

# stop_server stops the server by its PID: SIGTERM, SIGKILL after 5 s, wait.
stop_server() {
	[[ -n $SRV_PID ]] || return 0
	kill -TERM "$SRV_PID" 2>/dev/null || true
	local i
	for ((i = 0; i < 100; i++)); do # up to 5 s
		is_running "$SRV_PID" || break
		sleep 0.05
	done
	kill -KILL "$SRV_PID" 2>/dev/null || true
	wait "$SRV_PID" 2>/dev/null || true
	SRV_PID=
}

# run_one measures one server on one workload, appending a JSON line to
# results.jsonl.
run_one() {
	local server=$1 workload=$2 round=$3 logfile="$OUT/logs/$1-$2-r$3.log" flags rc=0
	start_server "$server" "$workload" "$logfile" || {
		FAILED+=("$server $workload round $round: did not start")
		return 0
	}
	read -ra flags <<<"$(workload_flags "$workload")"
	if ((SYSCALLS)); then flags+=(-syscalls); fi
	(pinned "$CLIENT_CPU" "$BIN/loadgen" -addr "127.0.0.1:$SRV_PORT" -pid "$SRV_PID" \
		-server "$server" -workload "$workload" -round "$round" "${flags[@]}") \
		>>"$OUT/results.jsonl" 2> >(sed 's/^/  /' >&2) || rc=$?
	stop_server
	case $rc in
	0) ;;
	3) FAILED+=("$server $workload round $round: some connections failed (see results.jsonl)") ;;
	*) FAILED+=("$server $workload round $round: load generator exited $rc") ;;
	esac
}

# machine_line describes the machine and the versions compared.
machine_line() {
	local cpu uv py node rev ossl
	cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)
	py=$($PYTHON -c 'import platform; print(platform.python_version())' 2>/dev/null || echo none)
	uv=$($PYTHON -c 'import uvloop; print(uvloop.__version__)' 2>/dev/null || echo none)
	node=$(node --version 2>/dev/null || echo none)
	ossl=$($PYTHON -c 'import ssl; print(ssl.OPENSSL_VERSION.split()[1])' 2>/dev/null || echo none)
	rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
	git -C "$ROOT" diff --quiet HEAD 2>/dev/null || rev+="+changes"
	printf 'machine: %s; %s cores; Linux %s; %s; Python %s (OpenSSL %s); uvloop %s; Node %s; starnet %s\n' \
		"${cpu:-unknown CPU}" "$(nproc)" "$(uname -r)" "$(go env GOVERSION)" "$py" "$ossl" "$uv" "$node" "$rev"
}

# raise_fd_limit lets the server and the client each hold the idle
# workload's connections.
raise_fd_limit() {
	local want=$((IDLE_CONNS + 1024))
	(($(ulimit -n) >= want)) && return 0
	ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
	if (($(ulimit -n) < want)); then
		log "open-file limit is $(ulimit -n): idle-10k will hold fewer than $IDLE_CONNS connections"
		IDLE_CONNS=$(($(ulimit -n) - 1024))
	fi
}

cleanup() {
	stop_server
	[[ -n ${BIN:-} ]] && rm -rf "$BIN"
}

main() {
	parse_args "$@"
	[[ $(uname -s) == Linux ]] || die "the benchmark needs Linux (/proc, taskset)"
	install_missing
	install_perf
	check_servers
	PIN=0
	if command -v taskset >/dev/null && (($(nproc) >= 2)); then
		PIN=1
	else
		log "not pinning: needs taskset and two cores"
	fi
	BIN=$(mktemp -d /tmp/starnet-bench-bin.XXXXXX)
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	build
	[[ -n ${SERVERS// /} ]] || die "no server left to run"
	if tls_selected; then
		if ! command -v openssl >/dev/null; then
			drop_tls_workloads "openssl is missing"
		elif ! make_cert; then
			drop_tls_workloads "openssl could not make a certificate: $(tail -n1 "$BIN/tls/openssl.log")"
		fi
	fi
	[[ -n ${WORKLOADS// /} ]] || die "no workload left to run"
	OUT=${OUT:-$(mktemp -d /tmp/starnet-bench.XXXXXX)}
	mkdir -p "$OUT/logs"
	: >"$OUT/results.jsonl"
	{ selected_workload idle-10k || selected_workload stream-idle-10k; } && raise_fd_limit

	local servers workloads runs n=0 round w i s
	read -ra servers <<<"$SERVERS"
	read -ra workloads <<<"$WORKLOADS"
	runs=0
	for w in "${workloads[@]}"; do
		for s in "${servers[@]}"; do
			if has_echo "$s" "$w"; then runs=$((runs + ROUNDS)); fi
		done
	done
	machine_line >"$OUT/machine.txt"
	log "$(cat "$OUT/machine.txt")"
	log "results in $OUT; $runs runs (${#servers[@]} servers × ${#workloads[@]} workloads × $ROUNDS rounds, less the servers without a workload's echo)"
	FAILED=()
	for ((round = 1; round <= ROUNDS; round++)); do
		for w in "${workloads[@]}"; do
			for ((i = 0; i < ${#servers[@]}; i++)); do
				# Rotate the order each round: no server always goes first.
				local s=${servers[(i + round - 1) % ${#servers[@]}]}
				has_echo "$s" "$w" || continue
				n=$((n + 1))
				log "[$n/$runs] round $round: $w on $s"
				run_one "$s" "$w" "$round"
			done
		done
	done

	echo
	{
		cat "$OUT/machine.txt"
		echo "rounds: $ROUNDS; measured window ${DURATION} s after ${WARMUP} s warm-up; server on CPU $SERVER_CPU, client on CPU $CLIENT_CPU (pinned: $PIN)"
		echo
		"$BIN/report" -baseline "$BASELINE" -servers "${SERVERS// /,}" "$OUT/results.jsonl"
	} | tee "$OUT/table.txt"
	if ((${#FAILED[@]})); then
		log ""
		log "problems:"
		printf '  %s\n' "${FAILED[@]}" >&2
	fi
	log "results: $OUT/results.jsonl, table: $OUT/table.txt"
}

selected_workload() { [[ " $WORKLOADS " == *" $1 "* ]]; }

main "$@"
