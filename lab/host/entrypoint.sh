#!/bin/sh
# PID 1 of a lab host (under docker-init): sshd in the background, dockerd in
# the foreground, so the host is "up" exactly while its engine is.
set -eu

mkdir -p /run/sshd /root/.ssh /etc/docker
chmod 700 /root/.ssh
# Keys of this machine's own: the image's (made when its root filesystem was
# built) would be every host's, and a pinned key could not tell two hosts
# apart. Made once per host; a restarted or paused host keeps them.
if [ ! -e /etc/ssh/.keys-of-this-host ]; then
  rm -f /etc/ssh/ssh_host_*
  ssh-keygen -A >/dev/null
  touch /etc/ssh/.keys-of-this-host
fi
/usr/sbin/sshd -o PasswordAuthentication=no -o PermitRootLogin=prohibit-password

# The deploy directory of this host's environment (see UPSTREAM.md).
[ -n "${LAB_DEPLOY_DIR:-}" ] && mkdir -p "$LAB_DEPLOY_DIR"

# The Pi's compose file names the UART, sound and GPU device nodes: Docker
# refuses to create a container whose device is missing, as on a real host.
if [ "${LAB_DEVICE_NODES:-0}" = 1 ]; then
  [ -e /dev/ttyS0 ] || mknod -m 660 /dev/ttyS0 c 4 64
  mkdir -p /dev/snd /dev/dri
  [ -e /dev/snd/timer ] || mknod -m 660 /dev/snd/timer c 116 33
  [ -e /dev/dri/card0 ] || mknod -m 660 /dev/dri/card0 c 226 0
fi

# Pull from the lab registry under the images' unchanged Docker Hub names.
cat > /etc/docker/daemon.json <<JSON
{
  "registry-mirrors": ["http://${LAB_REGISTRY}"],
  "insecure-registries": ["${LAB_REGISTRY}"],
  "storage-driver": "vfs"
}
JSON
# Docker >= 26 cannot toggle IPv6 in these nested network namespaces.
export DOCKER_ALLOW_IPV6_ON_IPV4_INTERFACE=1
rm -f /var/run/docker.pid
exec dockerd >>/var/log/dockerd.log 2>&1
