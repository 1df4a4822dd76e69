#!/bin/sh
# NameNode entrypoint, rendered by spark-gpu-stack (components/hdfs).
set -eu
name_dir='/data/name'
if [ -f "$name_dir/current/VERSION" ]; then
  echo "HDFS metadata found in $name_dir: starting the NameNode without formatting"
else
  echo "No HDFS metadata in $name_dir: formatting a new filesystem"
  if ! hdfs namenode -format -nonInteractive; then
    echo "Format refused: $name_dir holds data but no current/VERSION; it is left untouched for inspection" >&2
    exit 1
  fi
fi
exec hdfs namenode
