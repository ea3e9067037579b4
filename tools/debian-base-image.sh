#!/usr/bin/env bash
# Makes a stand-in for python:3.12-slim on a machine that cannot pull from a registry: a minimal
# Debian bookworm with Python 3 imported into the local Docker daemon as NAME (default
# debian-python:bookworm). Build the classifier on it with `make image BASE_IMAGE=NAME`.
# Needs root, debootstrap and a running daemon. A developer/CI helper: never part of the image.
set -euo pipefail

name=${1:-debian-python:bookworm}
suite=${SUITE:-bookworm}
mirror=${MIRROR:-http://deb.debian.org/debian}
ca_bundle=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT

debootstrap --variant=minbase \
  --include=python3,python3-venv,python3-pip,python-is-python3,ca-certificates \
  "$suite" "$rootfs" "$mirror"
# mktemp makes the folder 0700; as the image's / it would keep the non-root user from starting Python.
chmod 755 "$rootfs"
# Package downloads may pass through a proxy whose certificate only this machine's bundle holds.
cp "$ca_bundle" "$rootfs/etc/ssl/certs/ca-certificates.crt"
printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' > "$rootfs/etc/pip.conf"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*

tar -C "$rootfs" -c . | docker import - "$name"
docker image ls "$name"
