#!/bin/sh
# Runs spark-submit (arguments as given) in cluster mode, then follows the driver pod and exits with
# its real outcome: 0 only when the driver pod Succeeded. spark-submit has exited 0 for a failed
# driver (SPARK-26365), so it only submits (waitAppCompletion=false) and this loop does the waiting.
# A driver or executor Pending for longer than PENDING_TIMEOUT_SECONDS ends the run, with the reason
# Kubernetes gives, instead of holding the Job until its deadline.
# Environment: POD_NAME and POD_UID (this pod, downward API), DRIVER_POD_NAME, PENDING_TIMEOUT_SECONDS.
set -eu

: "${POD_NAME:?is not set (downward API metadata.name)}"
: "${POD_UID:?is not set (downward API metadata.uid)}"
: "${DRIVER_POD_NAME:?is not set}"
: "${PENDING_TIMEOUT_SECONDS:?is not set}"

# driver-phase sits next to this script.
PATH="$(dirname "$0"):$PATH"
export PATH

# The driver pod is owned by this pod: when the Job goes (TTL, replacement, deletion), the driver
# goes too, and the executors (owned by the driver) with it.
mkdir -p "/tmp/spark-gpu-stack"
sed -e "s/@SUBMITTER_POD_NAME@/$POD_NAME/" -e "s/@SUBMITTER_POD_UID@/$POD_UID/" \
  "/opt/spark-gpu-stack/driver-template.yaml" >"/tmp/spark-gpu-stack/driver-template.yaml"

submit_status=0
spark-submit "$@" || submit_status=$?
echo "submit: spark-submit exited $submit_status; following driver pod $DRIVER_POD_NAME"

# Wait for a final phase; while the run goes on, stop it when its pods cannot start.
failures=0
while :; do
  if phase=$(driver-phase "$DRIVER_POD_NAME"); then
    case "$phase" in
      Pending | Running | Unknown) ;;
      *) break ;;
    esac
    pending_status=0
    driver-phase --stop-if-pending "$PENDING_TIMEOUT_SECONDS" "$DRIVER_POD_NAME" || pending_status=$?
    case "$pending_status" in
      0) failures=0 ;;
      3)
        echo "submit: the run's pods stayed Pending longer than ${PENDING_TIMEOUT_SECONDS}s (spark.pendingTimeoutSeconds); stopped" >&2
        exit 1
        ;;
      *) failures=$((failures + 1)) ;;
    esac
  else
    failures=$((failures + 1))
  fi
  if [ "$failures" -ge 6 ]; then
    echo "submit: cannot read the state of driver pod $DRIVER_POD_NAME (spark-submit exited $submit_status)" >&2
    exit 1
  fi
  sleep 10
done

case "$phase" in
  Succeeded)
    echo "submit: driver pod $DRIVER_POD_NAME succeeded"
    exit 0
    ;;
  Absent)
    echo "submit: no driver pod $DRIVER_POD_NAME: the submission failed (spark-submit exited $submit_status)" >&2
    ;;
  *)
    echo "submit: driver pod $DRIVER_POD_NAME ended $phase (spark-submit exited $submit_status); its log: kubectl logs $DRIVER_POD_NAME" >&2
    ;;
esac
exit 1
