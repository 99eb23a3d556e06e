using System.Net;
using IntegrationHub.Clinical.Api;
using IntegrationHub.Clinical.Hl7v2;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Clinical.Tests;

/// <summary>The Clinical endpoint with its HL7 v2 store away: nothing is held, and the sender learns to send again.</summary>
public sealed class StorageAwayClinicalFixture : ClinicalFixture
{
    protected override void ConfigureServices(IServiceCollection services) =>
        services.AddSingleton<IReceivedHl7v2Store, UnavailableReceivedStore>();
}

public sealed class Hl7v2StorageAwayApiTests(StorageAwayClinicalFixture clinical) : IClassFixture<StorageAwayClinicalFixture>
{
    Task<HttpResponseMessage> Post(string message) =>
        clinical.Post(Hl7v2Api.Path, Hl7v2Messages.Bytes(message), Hl7v2Api.Er7Media, token: clinical.Token(scopes: ClinicalScopes.Write.Name));

    [Fact]
    public async Task Storage_away_answers_503_with_the_AE_ack_and_Retry_After()
    {
        using var response = await Post(Hl7v2Messages.AdtA04("AWAY1"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Equal(("AE", "AWAY1", "207"), Read(await response.Content.ReadAsByteArrayAsync()));
    }

    [Fact]
    public async Task Storage_away_answers_503_problem_when_the_message_asked_for_no_ACK()
    {
        using var response = await Post(Hl7v2Messages.AdtA04("AWAY2", extraMsh: "|||NE|NE"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    static (string, string, string) Read(byte[] ack)
    {
        var (code, controlId, errors) = Hl7v2Messages.Read(ack);
        return (code, controlId, errors.Single());
    }
}
