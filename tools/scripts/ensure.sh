#!/bin/sh
# Installs what a fresh machine with only Node and npm lacks: ffmpeg/ffprobe from the system
# package manager, and the locked npm dependencies. Safe to run again; does nothing when set up.
set -eu
cd "$(dirname "$0")/../.."

if ! command -v ffmpeg >/dev/null 2>&1 || ! command -v ffprobe >/dev/null 2>&1; then
  echo "framewatch: ffmpeg not found; installing it from the system package manager" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  if command -v apt-get >/dev/null 2>&1; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null
  elif command -v dnf >/dev/null 2>&1; then
    $SUDO dnf install -y ffmpeg
  elif command -v brew >/dev/null 2>&1; then
    brew install ffmpeg
  else
    echo "framewatch: please install ffmpeg (with ffprobe) and run this again" >&2
    exit 1
  fi
fi

# npm ci when node_modules is missing or was installed from a different lockfile.
if [ ! -f node_modules/.framewatch-lock ] || ! cmp -s package-lock.json node_modules/.framewatch-lock; then
  echo "framewatch: installing npm dependencies (npm ci)" >&2
  # onnxruntime-node's postinstall downloads CUDA libraries, which cannot work offline.
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.framewatch-lock
fi
