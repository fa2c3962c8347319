#!/usr/bin/env bash
# A local Redis Cluster from Debian's redis-server: three masters and three replicas on loopback
# ports 7100-7105 (cluster bus 17100-17105), nothing kept on disk. For trying cluster mode and
# for bench/run.sh; the tests start their own (tests/api/common/topology.rs).
#
#   bash scripts/redis-cluster.sh start   # prints the REDIS_URL to use
#   bash scripts/redis-cluster.sh stop
set -euo pipefail
base=${REDIS_CLUSTER_BASE_PORT:-7100}
dir=${REDIS_CLUSTER_DIR:-/tmp/gatehouse-redis-cluster}
ports=$(seq "$base" $((base + 5)))

case ${1:-start} in
start)
    mkdir -p "$dir"
    for port in $ports; do
        redis-cli -p "$port" ping >/dev/null 2>&1 && continue
        rm -f "$dir/nodes-$port.conf"
        redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --cluster-port $((port + 10000)) \
            --cluster-enabled yes --cluster-config-file "nodes-$port.conf" --cluster-node-timeout 2000 \
            --save "" --appendonly no --dir "$dir" --logfile "$dir/$port.log"
    done
    for port in $ports; do
        until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.2; done
    done
    if ! redis-cli -p "$base" cluster info | grep -q cluster_state:ok; then
        # shellcheck disable=SC2046
        redis-cli --cluster create $(for p in $ports; do echo "127.0.0.1:$p"; done) \
            --cluster-replicas 1 --cluster-yes >/dev/null
        until redis-cli -p "$base" cluster info | grep -q cluster_state:ok; do sleep 0.2; done
    fi
    echo "redis-cluster://$(for p in $ports; do printf '127.0.0.1:%s,' "$p"; done | sed 's/,$//')"
    ;;
stop)
    for port in $ports; do redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; done
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
