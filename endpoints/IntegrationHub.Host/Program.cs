using IntegrationHub.Hosting;
using IntegrationHub.Sample;

namespace IntegrationHub.Host;

/// <summary>
/// The all-in-one hub: every endpoint in one process. By default in memory, with nothing to install (and
/// nothing durable); Hub__Transport=RabbitMq and Hub__Persistence=PostgreSql for the real thing.
/// </summary>
public sealed class Program
{
    public static void Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        builder.AddHubEndpoint(new SampleEndpoint());

        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapGet("/", () => Results.Redirect("/health/ready"));
        app.Run();
    }
}
