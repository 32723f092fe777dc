# uwsgi-edge in front of uWSGI workers, in one image (embedded mode).
#
#   docker build -t uwsgi-edge .
#   docker run --rm -p 8080:8080 uwsgi-edge                       # the bundled demo app
#   docker run --rm -p 8080:8080 -v $PWD:/app uwsgi-edge --config /app/app.ini
#
# Stage 1 builds the single binary with Bun (from npm); stage 2 is a slim Debian with uWSGI
# and its Python 3 plugin, the binary, and the demo app. The edge is PID 1: SIGTERM (docker
# stop) finishes in-flight requests within reload-mercy (25 s, under docker's --time) and
# takes the workers down with it.

FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY deno.json compile.sh main.ts ./
COPY src ./src
RUN EDGE_SKIP_SETUP=1 bash compile.sh uwsgi-edge

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends uwsgi-core uwsgi-plugin-python3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /app --shell /usr/sbin/nologin app
COPY --from=build /src/uwsgi-edge /usr/local/bin/uwsgi-edge
COPY examples/demo_app.py examples/docker.ini /app/
WORKDIR /app
USER app
ENV PORT=8080
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/uwsgi-edge"]
CMD ["--config", "/app/docker.ini"]
