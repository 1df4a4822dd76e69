#!/bin/sh
# Creates the HDFS directories the Spark jobs use; rendered by spark-gpu-stack (components/hdfs).
# Runs as the NameNode's user, the HDFS superuser, so it may hand directories to other users.
set -eu
# The NameNode refuses namespace changes while in safe mode, where it starts.
hdfs dfsadmin -safemode wait
ensure_directory() {
  hdfs dfs -mkdir -p "$1"
  hdfs dfs -chown "$2" "$1"
  hdfs dfs -chmod "$3" "$1"
}
# One ensure_directory call per configured directory (hdfs.directories) follows, appended by components/hdfs/render.ts.
