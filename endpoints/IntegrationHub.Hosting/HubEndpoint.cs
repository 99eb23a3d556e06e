using IntegrationHub.Hosting.Configuration;
using IntegrationHub.Hosting.Persistence;
using IntegrationHub.Hosting.Security;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace IntegrationHub.Hosting;

/// <summary>
/// One endpoint, and everything about it in one class: one name everywhere (folder and assembly
/// <c>IntegrationHub.{Name}</c>, queue <c>hub.{name}</c>, settings <c>Hub:{Name}</c>, shared bus overrides in
/// <c>Hub:Endpoints:{Name}</c>), its handlers and the services its HTTP API shares with them, its routes and scopes,
/// its tables and their retention, what it gives hubctl and the development simulators it brings.
/// A process runs it with <c>builder.AddHubEndpoint&lt;TEndpoint&gt;()</c> and <c>app.MapHubEndpoints()</c>.
/// </summary>
public abstract class HubEndpoint
{
    public abstract string Name { get; }

    public string QueueName => QueueNameOf(Name);

    /// <summary>The endpoint's own settings: <c>Hub:{Name}</c>.</summary>
    public string SettingsSection => SettingsSectionOf(Name);

    /// <summary>
    /// Registers the endpoint's handlers (<see cref="HubEndpointBuilder.Handler{THandler}"/>), its settings and the
    /// services its handlers and its HTTP API use. Everything is registered once, in the process's container:
    /// an API and a handler that ask for the same service get the same instance.
    /// </summary>
    public abstract void Configure(HubEndpointBuilder endpoint);

    /// <summary>The endpoint's HTTP routes (called by <c>app.MapHubEndpoints()</c>).</summary>
    public virtual void MapRoutes(IEndpointRouteBuilder routes)
    {
    }

    /// <summary>Event types the endpoint subscribes to when it starts.</summary>
    public virtual IEnumerable<Type> Subscriptions => [];

    /// <summary>
    /// Tables the endpoint keeps of its own (PostgreSQL mode), applied at start-up and by <c>hubctl db migrate</c>:
    /// typically <c>MigrationSet.FromAssembly("payments", typeof(PaymentsEndpoint).Assembly)</c> over its <c>Migrations/*.sql</c>.
    /// </summary>
    public virtual MigrationSet? Migrations => null;

    /// <summary>
    /// The token scopes its routes require, named <c>{name}:{verb}</c> (<c>payments:write</c>); <see cref="HubScopes.Ops"/>
    /// for operators' routes. A process whose endpoints require any scope needs <c>Hub:Auth</c>.
    /// </summary>
    public virtual IEnumerable<HubScope> Scopes => [];

    /// <summary>Settings that moved to a new key: the old key keeps working for one release, with a warning naming the new one.</summary>
    public virtual IEnumerable<MovedSetting> MovedSettings => [];

    /// <summary>
    /// Development only (<c>Hub:Simulators:Enabled</c>): starts simulators of the external systems the endpoint talks to
    /// and points the endpoint's settings at them, so that the embedded host runs the endpoint with nothing installed.
    /// Called while the process is being composed, with the configuration known at that time.
    /// </summary>
    public virtual void AddDevelopmentSimulators(IHostApplicationBuilder builder)
    {
    }

    /// <summary>
    /// Settings of this endpoint that are development conveniences (e.g. insecure callback URLs), in words an operator
    /// can act on: refused outside Development (<see cref="Development.DevelopmentConveniences"/>).
    /// </summary>
    public virtual IEnumerable<string> DevelopmentConveniences(Microsoft.Extensions.Configuration.IConfiguration configuration) => [];

    /// <summary>Routes of the development simulators (e.g. a simulated department's webhook receiver); simulators on only.</summary>
    public virtual void MapDevelopmentSimulators(IEndpointRouteBuilder routes)
    {
    }

    public static string QueueNameOf(string endpointName) => "hub." + endpointName.ToLowerInvariant();

    public static string SettingsSectionOf(string endpointName) => $"{HubOptions.SectionName}:{endpointName}";
}
