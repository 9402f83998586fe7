# chat-webhooks production image. One image, one process per container:
#   docker run IMAGE migrate | api | worker
# Configuration comes from the environment only (see src/config.ts and .env.example).

############################
# Build: compile TypeScript to dist/
############################
FROM node:20-bookworm-slim AS build
WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci

COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY scripts ./scripts
# The app-owner portal, built into portal/dist by `npm run build`.
COPY portal ./portal
# The build finds the package root by package.json beside migrations/.
COPY migrations ./migrations
# Emits dist/src, dist/workflows and dist/activities.
RUN npm run build

############################
# Runtime: production dependencies + compiled code
############################
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
# Built by `npm run build`: workers load it instead of bundling workflows at start.
ENV WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js
WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

COPY --from=build /app/dist ./dist
COPY --from=build /app/portal/dist ./portal/dist
COPY migrations ./migrations
COPY bin ./bin

# Files stay owned by root and read-only to the process; it writes nothing in production mode.
USER node

EXPOSE 3000
ENTRYPOINT ["node", "bin/chat-webhooks.js"]
CMD ["api"]
