# kopia-webhook container image: build on Debian 12, run on Debian 12 slim
# with only the shared libraries the binary links (tests/scripts/
# test_dockerfile.sh checks the runtime package list against ldd).
#   docker build -t kopia-webhook:0.1.0 .
# The build context has no .git, so `kopia-webhook version` says commit
# "unknown"; its build date is SOURCE_DATE_EPOCH when passed:
#   docker build --build-arg SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) ...

FROM debian:12-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      cmake gcc make pkg-config libmicrohttpd-dev libgnutls28-dev libssl-dev \
      libjansson-dev libyaml-dev libpcre2-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
ARG SOURCE_DATE_EPOCH
COPY . .
RUN cmake -S . -B build -DKW_TESTS=OFF -DCMAKE_BUILD_TYPE=Release \
 && cmake --build build -j "$(nproc)" \
 && install -m 0755 -s build/kopia-webhook /kopia-webhook

FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgnutls30 libjansson4 libmicrohttpd12 libpcre2-8-0 libssl3 libyaml-0-2 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /kopia-webhook /usr/local/bin/kopia-webhook
# The default admin policy (every setting at its default), so the command
# below works with only the TLS pair mounted at /etc/kopia-webhook/tls. The
# Deployment mounts its own config.yaml over this file.
COPY --from=build /src/manifests/base/config/config.yaml /etc/kopia-webhook/config.yaml
USER 65532:65532
EXPOSE 8443 8080
ENTRYPOINT ["/usr/local/bin/kopia-webhook"]
CMD ["serve", "--config", "/etc/kopia-webhook/config.yaml", "--listen", "0.0.0.0:8443", "--health-listen", "0.0.0.0:8080", "--tls-cert", "/etc/kopia-webhook/tls/tls.crt", "--tls-key", "/etc/kopia-webhook/tls/tls.key"]
