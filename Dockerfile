# IntegrationHub container image (multi-stage). Builds one endpoint project;
# defaults to the all-in-one host.
#   docker build -t integrationhub .
#   docker build -t integrationhub-sample --build-arg PROJECT=endpoints/IntegrationHub.Sample/IntegrationHub.Sample.csproj .
ARG PROJECT=endpoints/IntegrationHub.Host/IntegrationHub.Host.csproj

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG PROJECT
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
WORKDIR /src
COPY . .
RUN dotnet restore "$PROJECT"
RUN dotnet publish "$PROJECT" -c Release --no-restore -o /app \
 && name="$(basename "$PROJECT" .csproj)" \
 && asm="$(sed -n 's:.*<AssemblyName>\(.*\)</AssemblyName>.*:\1:p' "$PROJECT")" \
 && echo "${asm:-$name}" > /app/.entrypoint

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
ENV ASPNETCORE_URLS=http://+:8080 \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
COPY --from=build /app ./
# /data: the demo's development signing key (docker-compose.demo.yml); owned by the app user so a volume there is writable.
RUN mkdir -p /data && chown "$APP_UID" /data
EXPOSE 8080
USER $APP_UID
ENTRYPOINT ["/bin/sh", "-c", "exec dotnet \"/app/$(cat /app/.entrypoint).dll\" \"$@\"", "--"]
