using IntegrationHub.Hosting.Observability;
using IntegrationHub.Hosting.Persistence;
using IntegrationHub.Hosting.Recoverability;
using Microsoft.Extensions.Logging;
using Rebus.Config;
using Rebus.Logging;
using Rebus.Persistence.InMem;
using Rebus.Pipeline;
using Rebus.Pipeline.Receive;
using Rebus.Pipeline.Send;
using Rebus.PostgreSql;
using Rebus.Retry;
using Rebus.Retry.Simple;
using Rebus.Routing;
using Rebus.Serialization;
using Rebus.Time;
using Rebus.Transport;
using Rebus.Transport.InMem;
using Rebus.Workers.ThreadPoolBased;

namespace IntegrationHub.Hosting.Bus;

/// <summary>The one place where a hub endpoint's Rebus bus is put together, whatever transport and storage it runs on.</summary>
internal static class HubBusConfiguration
{
    public static RebusConfigurer Configure(RebusConfigurer rebus, EndpointRuntime runtime, InMemNetwork network, ILoggerFactory loggerFactory)
    {
        var endpointName = runtime.Name;
        var inputQueue = runtime.Endpoint.QueueName;
        var options = runtime.Options;
        var metrics = runtime.Metrics;
        var endpointTransport = runtime.Transport;
        var externalCalls = new ExternalCallMessages(runtime.Definition.ExternalCallMessages);
        rebus.Logging(l => l.Use(new RebusLoggerFactory(loggerFactory)));

        rebus.Transport(t =>
        {
            switch (options.Transport)
            {
                case HubTransport.RabbitMq:
                    RabbitMqTransport.Configure(t, options, inputQueue);
                    break;
                default:
                    t.UseInMemoryTransport(network, inputQueue);
                    break;
            }
        });

        rebus.Routing(r => r.Register(_ => new ConventionRouter()));

        var durable = options.Persistence == HubPersistence.PostgreSql;
        var cs = options.PostgresConnectionString;
        if (durable)
        {
            rebus.Sagas(s => s.Register(_ => new PostgreSqlSagaStorage(cs)));
            rebus.Timeouts(t => t.StoreInPostgres(new PostgresConnectionHelper(cs), "timeouts", automaticallyCreateTables: false, schemaName: "rebus"));
        }
        else
        {
            rebus.Sagas(s => s.StoreInMemory());
            rebus.Timeouts(t => t.StoreInMemory());
        }

        var delays = options.Retries.EffectiveDelays;

        rebus.Options(o =>
        {
            o.SetBusName(endpointName);
            o.SetNumberOfWorkers(options.Workers);
            o.SetMaxParallelism(options.MaxParallelism);
            o.Register<IBackoffStrategy>(_ => new HubBackoffStrategy());
            o.RetryStrategy(errorQueueName: options.ErrorQueue, maxDeliveryAttempts: options.Retries.ImmediateAttempts);

            o.Decorate<ISerializer>(c => new FailFastDeserializer(c.Get<ISerializer>(), endpointName));
            o.Decorate<IErrorHandler>(c => new DelayedRetryErrorHandler(
                c.Get<IErrorHandler>(), c.Get<IErrorTracker>(), c.Get<ITransport>(), delays,
                options.Retries.ImmediateAttempts, c.Get<IRebusTime>(), metrics, c.Get<IRebusLoggerFactory>()));

            o.Decorate<IPipeline>(c => new PipelineStepInjector(c.Get<IPipeline>())
                .OnSend(new HubHeadersStep(endpointName), PipelineRelativePosition.Before, typeof(SerializeOutgoingMessageStep))
                .OnReceive(new MessageObservabilityStep(endpointName, metrics), PipelineRelativePosition.Before, typeof(DeserializeIncomingMessageStep))
                .OnReceive(new HandlerStageStep(endpointName), PipelineRelativePosition.Before, typeof(DispatchIncomingMessageStep)));

            if (durable)
            {
                o.Decorate<ITransport>(c => endpointTransport.Transport = new OutboxTransport(c.Get<ITransport>()));
                o.Register(c => endpointTransport.Outbox = new OutboxForwarder(cs, endpointName, c.Get<ITransport>(), options.Outbox, metrics, c.Get<IRebusLoggerFactory>()));
                o.Decorate<IPipeline>(c =>
                {
                    var outbox = c.Get<OutboxForwarder>(); // started with the bus, disposed with it
                    return new PipelineStepInjector(c.Get<IPipeline>())
                        .OnReceive(new UnitOfWorkStep(cs, endpointName, c.Get<ITransport>(), outbox, externalCalls, c.Get<IRebusLoggerFactory>()),
                            PipelineRelativePosition.After, typeof(DefaultRetryStep))
                        .OnReceive(new InboxClaimStep(), PipelineRelativePosition.Before, typeof(HandlerStageStep));
                });
            }
        });

        return rebus;
    }
}

/// <summary>The endpoint's transport as Rebus built it, for work that sends outside the bus's pipeline.</summary>
internal sealed class EndpointTransport
{
    public ITransport? Transport { get; set; }
    public OutboxForwarder? Outbox { get; set; }
}
