using IntegrationHub.Hosting;
using IntegrationHub.Sample;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddHubEndpoint(new SampleEndpoint());

var app = builder.Build();
app.MapServiceDefaults();
app.Run();
