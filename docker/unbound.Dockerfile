# Unbound for the compose demo: Debian's package (there is no official Unbound image), with the
# demo config: a stub-zone for example.com pointing at steerdns and EDNS Client Subnet on.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends unbound dns-root-data \
 && rm -rf /var/lib/apt/lists/*
COPY unbound.conf /etc/unbound/unbound.conf
EXPOSE 53/udp 53/tcp
# Starts as root to bind 53, then drops to the "unbound" user (username: in the config).
ENTRYPOINT ["unbound", "-d", "-p", "-c", "/etc/unbound/unbound.conf"]
