#!/usr/bin/env python3
"""Asks the API server about a Spark driver pod in this pod's namespace.

    driver-phase POD_NAME
        Prints the pod's phase (Pending, Running, Succeeded, Failed, Unknown), or Absent when there
        is no such pod; exits 1 when the API server cannot tell.

    driver-phase --stop-if-pending SECONDS POD_NAME
        When the driver, or one of the executors it owns, has been Pending for more than SECONDS,
        prints each such pod with the reason Kubernetes gives (the PodScheduled condition, else the
        waiting containers), deletes the driver (its executors go with it) and exits 3. Exits 0,
        printing nothing, while every pod is within the time; exits 1 when the API server cannot tell.

Reaches the API server as in-cluster clients do: KUBERNETES_SERVICE_HOST/PORT, the service
account's token, CA and namespace. Never through a proxy: the API server is in the cluster, and
Python's no_proxy matching knows no CIDRs.
"""
import datetime
import json
import os
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
# Spark's label on executor pods (Constants.SPARK_ROLE_LABEL); they are owned by their driver pod.
EXECUTOR_SELECTOR = "spark-role=executor"
USAGE = "usage: driver-phase POD_NAME | driver-phase --stop-if-pending SECONDS POD_NAME"


class ApiError(Exception):
    pass


def read(name):
    with open(os.path.join(SERVICE_ACCOUNT_DIR, name), encoding="utf-8") as f:
        return f.read().strip()


def api(method, path, query=None):
    """The decoded answer of the API server, or None for 404."""
    host = os.environ.get("KUBERNETES_SERVICE_HOST")
    port = os.environ.get("KUBERNETES_SERVICE_PORT")
    if not host or not port:
        raise ApiError("KUBERNETES_SERVICE_HOST/PORT not set (not in a pod?)")
    if ":" in host:
        host = f"[{host}]"
    namespace = urllib.parse.quote(read("namespace"))
    url = f"https://{host}:{port}/api/v1/namespaces/{namespace}/pods{path}"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    context = ssl.create_default_context(cafile=os.path.join(SERVICE_ACCOUNT_DIR, "ca.crt"))
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
    # The token is read at every call: projected tokens rotate.
    headers = {"Authorization": f"Bearer {read('token')}", "Accept": "application/json"}
    request = urllib.request.Request(url, method=method, headers=headers)
    try:
        with opener.open(request, timeout=30) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise ApiError(f"the API server answered {error.code} to {method} pods{path}") from error
    except (OSError, ValueError) as error:
        raise ApiError(str(error)) from error


def pending_seconds(pod, now):
    """How long the pod has been Pending, or None when it is not."""
    if pod.get("status", {}).get("phase") != "Pending":
        return None
    created = pod.get("metadata", {}).get("creationTimestamp")
    if not created:
        return 0
    started = datetime.datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    return int((now - started).total_seconds())


def pending_reason(pod):
    """Why Kubernetes keeps the pod Pending: the scheduler's word, else the waiting containers'."""
    status = pod.get("status", {})
    for condition in status.get("conditions", []):
        if condition.get("type") == "PodScheduled" and condition.get("status") == "False":
            return f"not scheduled: {condition.get('reason', '?')}: {condition.get('message', '')}".rstrip(": ")
    waiting = []
    for container in status.get("initContainerStatuses", []) + status.get("containerStatuses", []):
        state = container.get("state", {}).get("waiting")
        if state:
            waiting.append(f"container {container.get('name')} waiting: {state.get('reason', '?')}: {state.get('message', '')}".rstrip(": "))
    return "; ".join(waiting) or "no reason reported yet"


def stop_if_pending(limit, driver_name):
    driver = api("GET", "/" + urllib.parse.quote(driver_name))
    if driver is None:
        return 0
    executors = api("GET", "", {"labelSelector": EXECUTOR_SELECTOR}) or {}
    owned = [
        pod
        for pod in executors.get("items", [])
        if any(owner.get("name") == driver_name for owner in pod.get("metadata", {}).get("ownerReferences", []))
    ]
    now = datetime.datetime.now(datetime.timezone.utc)
    stuck = []
    for pod in [driver, *owned]:
        seconds = pending_seconds(pod, now)
        if seconds is not None and seconds > limit:
            stuck.append(f"pod {pod['metadata']['name']} Pending for {seconds}s (limit {limit}s): {pending_reason(pod)}")
    if not stuck:
        return 0
    for line in stuck:
        print(line)
    api("DELETE", "/" + urllib.parse.quote(driver_name))
    print(f"deleted driver pod {driver_name} and with it its executors")
    return 3


def main(argv):
    try:
        if len(argv) == 2 and not argv[1].startswith("-"):
            pod = api("GET", "/" + urllib.parse.quote(argv[1]))
            print("Absent" if pod is None else pod.get("status", {}).get("phase", "Unknown"))
            return 0
        if len(argv) == 4 and argv[1] == "--stop-if-pending" and argv[2].isdigit():
            return stop_if_pending(int(argv[2]), argv[3])
    except ApiError as error:
        print(f"driver-phase: {error}", file=sys.stderr)
        return 1
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
