#!/usr/bin/env python3
"""Prints the phase of a pod in this pod's namespace (Pending, Running, Succeeded, Failed, Unknown),
or Absent when there is no such pod; exits 1 when the API server cannot tell.

Reaches the API server as in-cluster clients do: KUBERNETES_SERVICE_HOST/PORT, the service
account's token, CA and namespace. Never through a proxy: the API server is in the cluster, and
Python's no_proxy matching knows no CIDRs.
"""
import json
import os
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


def read(name):
    with open(os.path.join(SERVICE_ACCOUNT_DIR, name), encoding="utf-8") as f:
        return f.read().strip()


def main(argv):
    if len(argv) != 2:
        print("usage: driver-phase POD_NAME", file=sys.stderr)
        return 2
    host = os.environ.get("KUBERNETES_SERVICE_HOST")
    port = os.environ.get("KUBERNETES_SERVICE_PORT")
    if not host or not port:
        print("driver-phase: KUBERNETES_SERVICE_HOST/PORT not set (not in a pod?)", file=sys.stderr)
        return 1
    if ":" in host:
        host = f"[{host}]"
    quote = urllib.parse.quote
    url = f"https://{host}:{port}/api/v1/namespaces/{quote(read('namespace'))}/pods/{quote(argv[1])}"
    context = ssl.create_default_context(cafile=os.path.join(SERVICE_ACCOUNT_DIR, "ca.crt"))
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
    # The token is read at every call: projected tokens rotate.
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {read('token')}", "Accept": "application/json"})
    try:
        with opener.open(request, timeout=30) as response:
            pod = json.load(response)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            print("Absent")
            return 0
        print(f"driver-phase: the API server answered {error.code} for pod {argv[1]}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as error:
        print(f"driver-phase: {error}", file=sys.stderr)
        return 1
    print(pod.get("status", {}).get("phase", "Unknown"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
