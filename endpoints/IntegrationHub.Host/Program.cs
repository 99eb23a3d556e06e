using IntegrationHub.Hosting;
using IntegrationHub.Sample;

// The all-in-one hub: every endpoint in one process. By default in memory, with nothing to install
// (and nothing durable); Hub__Transport=RabbitMq and Hub__Persistence=PostgreSql for the real thing.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddHubEndpoint(new SampleEndpoint());

var app = builder.Build();
app.MapServiceDefaults();
app.MapGet("/", () => Results.Redirect("/health/ready"));
app.Run();

/// <summary>Entry point, visible to tests that boot the real host.</summary>
public partial class Program;
