# gatepay-refunds: the worker (with its HTTP server), the CLI and the GatePay sandbox, one
# image for all of them. Multi-stage: the build stage compiles TypeScript; the runtime
# stage has production dependencies only.
#
# The application files belong to root and are only readable by the unprivileged `node`
# user that runs them: a compromised process cannot rewrite its own code or dependencies.
#
# No HEALTHCHECK here: the image also runs one-shot commands (`enqueue`, `batch`,
# `status`) that serve nothing. docker-compose.yml checks the services that do serve
# (the worker's `/readyz`, the sandbox's health route).

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY examples ./examples
USER node
EXPOSE 8080
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["worker"]
