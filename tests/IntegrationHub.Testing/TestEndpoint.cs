using IntegrationHub.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Testing;

/// <summary>An endpoint assembled by a test: its name, its handlers and services, its subscriptions.</summary>
public sealed class TestEndpoint(string name, Action<HubEndpointBuilder> configure, params Type[] subscriptions) : HubEndpoint
{
    public override string Name => name;

    public override IEnumerable<Type> Subscriptions => subscriptions;

    public override void Configure(HubEndpointBuilder endpoint) => configure(endpoint);
}

public static class TestEndpointExtensions
{
    /// <summary>Records every <typeparamref name="T"/> the endpoint receives in <paramref name="recorder"/> (one recorder per process).</summary>
    public static HubEndpointBuilder Recording<T>(this HubEndpointBuilder endpoint, MessageRecorder recorder)
    {
        var registered = endpoint.Services.FirstOrDefault(s => s.ServiceType == typeof(MessageRecorder))?.ImplementationInstance;
        if (registered is null)
            endpoint.Services.AddSingleton(recorder);
        else if (!ReferenceEquals(registered, recorder))
            throw new InvalidOperationException("A test process has one MessageRecorder: pass the same one to every test endpoint.");
        return endpoint.Handler<RecordingHandler<T>>();
    }

    /// <summary>A service instance the test's handlers take.</summary>
    public static HubEndpointBuilder With<T>(this HubEndpointBuilder endpoint, T instance) where T : class
    {
        endpoint.Services.AddSingleton(instance);
        return endpoint;
    }
}
