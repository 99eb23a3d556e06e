using IntegrationHub.Hosting;
using IntegrationHub.Webhooks;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddWebhooks();

var app = builder.Build();
app.MapServiceDefaults();
app.Run();
