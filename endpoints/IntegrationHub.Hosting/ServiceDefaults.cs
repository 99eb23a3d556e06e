using System.Text.Json;
using IntegrationHub.Hosting.Observability;
using IntegrationHub.Hosting.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Serilog;
using Serilog.Formatting.Compact;

namespace IntegrationHub.Hosting;

/// <summary>What every hub process has, in one line per Program.cs: logs, traces, metrics, health.</summary>
public static class ServiceDefaults
{
    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder)
    {
        var name = builder.Environment.ApplicationName;
        var json = builder.Configuration.GetValue<bool?>($"{HubOptions.SectionName}:{nameof(HubOptions.JsonLogs)}")
                   ?? !builder.Environment.IsDevelopment();

        builder.Services.AddSerilog((_, log) =>
        {
            log.ReadFrom.Configuration(builder.Configuration)
               .MinimumLevel.Override("Microsoft.AspNetCore", Serilog.Events.LogEventLevel.Warning)
               .MinimumLevel.Override("Rebus", Serilog.Events.LogEventLevel.Information)
               // Its "Hosting failed to start" repeats, with a stack trace, what RunHub prints in one line (a
               // configuration problem) or what the runtime prints anyway (an unhandled exception).
               .MinimumLevel.Override("Microsoft.Extensions.Hosting.Internal.Host", Serilog.Events.LogEventLevel.Fatal)
               .Enrich.FromLogContext()
               .Enrich.WithProperty("Application", name);
            if (json)
                log.WriteTo.Console(new RenderedCompactJsonFormatter());
            else
                log.WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}");
        });

        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(name))
            .WithMetrics(m => m
                .AddMeter(HubMetrics.MeterName)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddPrometheusExporter());
        // Traces only go somewhere through OTLP: without an exporter, recording a span per request is pure cost.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            otel.WithTracing(t => t
                    .AddSource(HubMetrics.ActivitySourceName)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation())
                .UseOtlpExporter();
        }

        builder.AddHubCore();
        builder.AddHubHttp();
        return builder;
    }

    /// <summary>
    /// <c>/health/live</c> (the process answers), <c>/health/ready</c> (endpoints running, RabbitMQ and PostgreSQL
    /// reachable when configured; JSON body says which check failed) and <c>/metrics</c> (Prometheus).
    /// </summary>
    public static WebApplication MapServiceDefaults(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("ready"),
            ResponseWriter = WriteHealthReport,
        });
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }

    /// <summary>
    /// Every check's status; what each found (hosts, users, error texts) only for a token with scope <c>ops</c> — a load
    /// balancer needs the status, an attacker would like the rest. Failures are logged with their reason too.
    /// </summary>
    static readonly JsonSerializerOptions ReadinessJson = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    static Task WriteHealthReport(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var details = context.User.Scopes().Contains(Security.HubScopes.Ops, StringComparer.Ordinal);
        return JsonSerializer.SerializeAsync(context.Response.Body, new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = details ? e.Value.Description : null }),
        }, ReadinessJson);
    }
}
