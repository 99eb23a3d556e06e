using IntegrationHub.Testing;
using IntegrationHub.Hosting;

namespace IntegrationHub.Hosting.Tests;

public sealed class SampleConversation_RabbitMqPostgreSql(DurableInfrastructure infrastructure)
    : SampleConversationContract<DurableInfrastructure>(infrastructure);

public sealed class Recoverability_RabbitMqPostgreSql(DurableInfrastructure infrastructure)
    : RecoverabilityContract<DurableInfrastructure>(infrastructure);
