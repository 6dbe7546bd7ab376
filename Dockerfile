# Builds the connector (asapp-sync) and the local API stand-in (asapp-sandbox).
#
#   docker build -t asapp-sync .
#   docker run --rm asapp-sync --help
#   docker run --rm --entrypoint asapp-sandbox asapp-sync --host 0.0.0.0 --port 8080

# The dependencies' manifests need Swift tools 6.2 (async-http-client, swift-log, swift-collections), so
# the 6.0 images cannot resolve the package graph; the language mode stays Swift 6.
ARG SWIFT_VERSION=6.2

# ---- build ----
FROM swift:${SWIFT_VERSION} AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build

# Resolve dependencies in their own layer, so source edits do not refetch them.
COPY Package.swift Package.resolved* ./
RUN swift package resolve

COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib --product asapp-sync \
    && swift build -c release --static-swift-stdlib --product asapp-sandbox \
    && mkdir /staging \
    && cp "$(swift build -c release --show-bin-path)/asapp-sync" \
          "$(swift build -c release --show-bin-path)/asapp-sandbox" /staging/

# ---- run ----
# Same distribution as the build image, so libpq and the C library match.
FROM swift:${SWIFT_VERSION}-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --user-group --home-dir /app --create-home asapp
COPY --from=build /staging/ /usr/local/bin/
WORKDIR /app
USER asapp:asapp
ENTRYPOINT ["asapp-sync"]
CMD ["--help"]
