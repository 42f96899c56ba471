FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production

# Dependencies first, so source edits do not reinstall them. tsx (used by `npm start`) is a runtime dependency.
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev

COPY tsconfig.json ./
COPY src ./src

ENV PORT=8080 RAIA_DATA_DIR=/data
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 8080
CMD ["npm", "start"]
