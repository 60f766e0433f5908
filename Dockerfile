# One image per app, chosen by build argument:
#   docker build --build-arg APP=api -t framewatch-api .
#   APP = api | media-converter | detector | aggregator | monolith | cli
# Each app is bundled by `nx build <app>` into dist/apps/<app>: main.js plus only the native
# addons it loads, so the runtime stage needs neither the sources nor the npm tree.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
ARG APP
RUN test -n "$APP" || (echo "set --build-arg APP=<app>" >&2; exit 1)
# better-sqlite3 compiles its addon from source when no prebuilt binary can be fetched.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
RUN ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
COPY . .
RUN NX_DAEMON=false NX_NO_CLOUD=true npx nx run "$APP:build" --outputStyle=static

FROM ${NODE_IMAGE} AS runtime
ARG APP
# Only the processes that decode media need ffmpeg.
RUN if [ "$APP" = "media-converter" ] || [ "$APP" = "monolith" ] || [ "$APP" = "cli" ]; then \
      apt-get update && apt-get install -y --no-install-recommends ffmpeg && rm -rf /var/lib/apt/lists/*; \
    fi
ENV NODE_ENV=production \
    FRAMEWATCH_HOST=0.0.0.0 \
    FRAMEWATCH_PORT=8080 \
    FRAMEWATCH_DATA_DIR=/data
WORKDIR /app
COPY --from=build /src/dist/apps/${APP}/ ./
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
# Services answer GET /healthz on FRAMEWATCH_PORT; the orchestrator's health check (ECS target
# group, Kubernetes probe) points there. No HEALTHCHECK here: the cli image is not a server.
# Same V8 settings as `framewatch serve` (NODE_ARGS in libs/runtime/src/topology.ts).
ENTRYPOINT ["node", "--enable-source-maps", "--max-semi-space-size=32", "main.js"]
