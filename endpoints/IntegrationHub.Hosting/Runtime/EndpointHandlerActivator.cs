using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Rebus.Activation;
using Rebus.Bus;
using Rebus.Handlers;
using Rebus.Pipeline;
using Rebus.Transport;

namespace IntegrationHub.Hosting.Runtime;

/// <summary>A handler of an endpoint, for a message type it handles (<see cref="HubEndpointBuilder.Handler{THandler}"/>).</summary>
internal sealed record HandlerRegistration(Type MessageType, Type HandlerType);

/// <summary>
/// Gives Rebus the handlers of one endpoint: those registered for it, for the message's type, its base types and its
/// interfaces. Each handled message gets a scope of the process's container of its own, ending with the message's
/// transaction; a handler's constructor gets its services from it, and <see cref="IBus"/> is the endpoint's bus.
/// (The bus is handed to the constructor rather than registered: a container disposes what it gives out, and the bus
/// belongs to the endpoint.)
/// </summary>
internal sealed class EndpointHandlerActivator : IHandlerActivator
{
    const string ScopeKey = "hub-handler-scope";
    static readonly ConcurrentDictionary<Type, (ObjectFactory Create, bool TakesBus)> Factories = new();

    readonly IServiceProvider _services;
    readonly EndpointRuntime _runtime;
    readonly ILookup<Type, Type> _handlersByMessage;
    readonly ConcurrentDictionary<Type, Type[]> _handlersFor = new();

    public EndpointHandlerActivator(IServiceProvider services, EndpointRuntime runtime)
    {
        _services = services;
        _runtime = runtime;
        _handlersByMessage = services.GetKeyedServices<HandlerRegistration>(runtime.Name).ToLookup(r => r.MessageType, r => r.HandlerType);
    }

    /// <summary>What each handler's constructor needs that the container does not have, one line each; empty when all can be made.</summary>
    public IEnumerable<string> MissingDependencies()
    {
        var known = _services.GetRequiredService<IServiceProviderIsService>();
        foreach (var handler in _handlersByMessage.SelectMany(g => g).Distinct())
        {
            var constructor = handler.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
            foreach (var parameter in constructor.GetParameters())
                if (parameter.ParameterType != typeof(IBus) && parameter.ParameterType != typeof(IMessageContext)
                    && !parameter.HasDefaultValue && !known.IsService(parameter.ParameterType))
                    yield return $"{handler.Name} of endpoint {_runtime.Name} needs a {parameter.ParameterType.Name}, which is not registered";
        }
    }

    public Task<IEnumerable<IHandleMessages<TMessage>>> GetHandlers<TMessage>(TMessage message, ITransactionContext transactionContext)
    {
        var handlerTypes = _handlersFor.GetOrAdd(typeof(TMessage), HandlerTypesFor);
        if (handlerTypes.Length == 0)
            return Task.FromResult<IEnumerable<IHandleMessages<TMessage>>>([]);
        try
        {
            var scope = (IServiceProvider)transactionContext.Items.GetOrAdd(ScopeKey, _ => NewScope(transactionContext));
            var bus = _runtime.Bus;
            var handlers = handlerTypes.Select(type =>
            {
                var (create, takesBus) = Factories.GetOrAdd(type, FactoryFor);
                return (IHandleMessages<TMessage>)create(scope, takesBus ? [bus] : null);
            }).ToList();
            return Task.FromResult<IEnumerable<IHandleMessages<TMessage>>>(handlers);
        }
        catch (ObjectDisposedException exception)
        {
            throw new OperationCanceledException($"Endpoint {_runtime.Name} is stopping: its handlers are gone", exception);
        }
    }

    IServiceProvider NewScope(ITransactionContext transactionContext)
    {
        var scope = _services.CreateAsyncScope();
        transactionContext.OnDisposed(_ => scope.DisposeAsync().AsTask().GetAwaiter().GetResult());
        return scope.ServiceProvider;
    }

    // IHandleMessages<in T> is contravariant: a handler of a base type or an interface of the message handles it too.
    Type[] HandlerTypesFor(Type messageType)
    {
        var types = new List<Type>();
        for (var type = messageType; type is not null; type = type.BaseType)
            types.Add(type);
        types.AddRange(messageType.GetInterfaces());
        return types.SelectMany(t => _handlersByMessage[t]).Distinct().ToArray();
    }

    static (ObjectFactory, bool) FactoryFor(Type handler)
    {
        var takesBus = handler.GetConstructors().Any(c => c.GetParameters().Any(p => p.ParameterType == typeof(IBus)));
        return (ActivatorUtilities.CreateFactory(handler, takesBus ? [typeof(IBus)] : []), takesBus);
    }
}
