#!/usr/bin/env bash
# The FieldLink demo in one command: builds everything, fetches Payara Micro and ActiveMQ's
# resource adapter from Maven Central, starts three simulated devices and Payara Micro with the
# adapter, the embedded broker and the sample, and prints where to look. Ctrl-C stops it all.
#
# Ports (all on 127.0.0.1): FIELDLINK_HTTP_PORT (8080), FIELDLINK_DEVICE_PORT (15020, 15021, 15022),
# FIELDLINK_CONTROL_PORT (15099, the simulator's switches). FIELDLINK_SKIP_BUILD=1 reuses the build.
# Nothing listens beyond loopback: src/payara/pre-boot.asadmin binds HTTP to 127.0.0.1 and switches
# Payara Micro's data grid off (its Hazelcast would listen on every interface, even with --nocluster).
# FIELDLINK_SAMPLE_REQUESTS=off switches the sample's raw request endpoint off.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
HTTP_PORT=${FIELDLINK_HTTP_PORT:-8080}
DEVICE_PORT=${FIELDLINK_DEVICE_PORT:-15020}
CONTROL_PORT=${FIELDLINK_CONTROL_PORT:-15099}
WORK=$ROOT/target/demo
PAYARA_VERSION=6.2025.10
ACTIVEMQ_VERSION=6.1.8
mkdir -p "$WORK"

if [ "${FIELDLINK_SKIP_BUILD:-0}" != "1" ]; then
  echo "== building FieldLink (mvn -DskipTests install)"
  mvn -B -q -DskipTests install
fi
if [ ! -f "$WORK/payara-micro.jar" ]; then
  echo "== fetching Payara Micro $PAYARA_VERSION from Maven Central"
  mvn -B -q dependency:copy -Dartifact=fish.payara.extras:payara-micro:$PAYARA_VERSION \
      -Dmdep.stripVersion=true -DoutputDirectory="$WORK"
fi
if [ ! -f "$WORK/activemq-rar.rar" ]; then
  echo "== fetching ActiveMQ's resource adapter $ACTIVEMQ_VERSION from Maven Central"
  mvn -B -q dependency:copy -Dartifact=org.apache.activemq:activemq-rar:$ACTIVEMQ_VERSION:rar \
      -Dmdep.stripVersion=true -DoutputDirectory="$WORK"
fi
FIELDLINK_RAR=$(ls "$ROOT"/rar/target/fieldlink-rar-*.rar | head -n 1)
DEVICES="plc-1\\\\=127.0.0.1\\\\:$DEVICE_PORT,plc-2\\\\=127.0.0.1\\\\:$((DEVICE_PORT + 1)),meter-1\\\\=127.0.0.1\\\\:$((DEVICE_PORT + 2))"
sed -e "s#@ACTIVEMQ_RAR@#$WORK/activemq-rar.rar#" -e "s#@FIELDLINK_RAR@#$FIELDLINK_RAR#" \
    -e "s#@SAMPLE_WAR@#$ROOT/ejb-sample/target/fieldlink-sample.war#" -e "s#@DEVICES@#$DEVICES#" \
    -e "s#@INSTANCE@#demo#" -e "s#@KEEPALIVE_IDLE@#2#" \
    "$ROOT/src/payara/post-boot.asadmin.template" > "$WORK/post-boot.asadmin"

PIDS=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "== stopping (pids ${PIDS[*]:-none})"
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null || true; done
}
trap cleanup INT TERM EXIT

echo "== starting simulated devices plc-1, plc-2, meter-1 on 127.0.0.1:$DEVICE_PORT-$((DEVICE_PORT + 2))"
java -cp "$ROOT/device-simulator/target/classes:$ROOT/device-simulator/target/lib/*" io.fieldlink.simulator.SimulatorMain \
    --framing line --control "$CONTROL_PORT" plc-1="$DEVICE_PORT" plc-2=$((DEVICE_PORT + 1)) meter-1=$((DEVICE_PORT + 2)) \
    > "$WORK/simulator.log" 2>&1 &
PIDS+=($!)

echo "== starting Payara Micro $PAYARA_VERSION (log: $WORK/payara.log)"
START=$(date +%s.%N)
rm -rf "$WORK/root"
java -Dfieldlink.demo.simulatorControl="http://127.0.0.1:$CONTROL_PORT" -jar "$WORK/payara-micro.jar" --nocluster \
    --port "$HTTP_PORT" --rootdir "$WORK/root" --prebootcommandfile "$ROOT/src/payara/pre-boot.asadmin" \
    --postbootcommandfile "$WORK/post-boot.asadmin" > "$WORK/payara.log" 2>&1 &
PAYARA=$!
PIDS+=($PAYARA)

URL="http://127.0.0.1:$HTTP_PORT/"
for _ in $(seq 1 240); do
  if curl -fs "${URL}api/devices" > /dev/null 2>&1; then break; fi
  if ! kill -0 "$PAYARA" 2>/dev/null; then echo "!! Payara Micro exited; see $WORK/payara.log" >&2; exit 1; fi
  sleep 0.5
done
curl -fs "${URL}api/devices" > /dev/null || { echo "!! the sample did not come up; see $WORK/payara.log" >&2; exit 1; }
READY=$(date +%s.%N)
RSS_MB=$(( $(ps -o rss= -p "$PAYARA") / 1024 ))
awk -v s="$START" -v r="$READY" -v m="$RSS_MB" 'BEGIN { printf "\nFieldLink demo is up after %.1f s (Payara Micro RSS %d MB):\n\n", r - s, m }'
echo "    $URL                      the live page"
echo "    ${URL}api/devices           health (JSON)      ${URL}api/notices   notices (JSON)"
echo
# every POST needs the header: a web page on another site cannot send it (docs/operations.md)
SWITCH="curl -H 'X-FieldLink-Request: 1' -X POST"
echo "Pull a cable:   $SWITCH http://127.0.0.1:$CONTROL_PORT/devices/plc-1/drop    (nftables, as root)"
echo "Heal it:        $SWITCH http://127.0.0.1:$CONTROL_PORT/devices/plc-1/heal"
echo "Hang a device:  $SWITCH http://127.0.0.1:$CONTROL_PORT/devices/plc-2/hang    (no root needed)"
echo "Ctrl-C stops everything."
wait "$PAYARA"
