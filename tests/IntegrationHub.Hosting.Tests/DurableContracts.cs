using IntegrationHub.Testing;
using IntegrationHub.Hosting;

namespace IntegrationHub.Hosting.Tests;

public sealed class SampleConversation_RabbitMqPostgreSql(IsolatedDurableInfrastructure infrastructure)
    : SampleConversationContract<IsolatedDurableInfrastructure>(infrastructure);

public sealed class Recoverability_RabbitMqPostgreSql(DurableInfrastructure infrastructure)
    : RecoverabilityContract<DurableInfrastructure>(infrastructure);
