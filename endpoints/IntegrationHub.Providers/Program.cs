using IntegrationHub.Hosting;
using IntegrationHub.Providers;
using IntegrationHub.Providers.Api;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddHubEndpoint(new ProvidersEndpoint());
builder.AddProvidersApi();

var app = builder.Build();
app.MapServiceDefaults();
app.MapProviderCallbacksApi();
app.Run();

/// <summary>Visible to WebApplicationFactory in tests.</summary>
public partial class Program;
