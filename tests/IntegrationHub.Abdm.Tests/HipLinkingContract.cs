using System.Net;
using System.Text.Json.Nodes;
using IntegrationHub.Adapters.Abdm.Gateway;
using IntegrationHub.Testing;

namespace IntegrationHub.Abdm.Tests;

/// <summary>
/// HIP-initiated linking (v3): a department links its patient's care contexts through the hub, which asks the gateway for
/// a link token and links with it; every end shows in the link's status.
/// </summary>
public abstract class HipLinkingContract<THub>(THub hub) : IClassFixture<THub> where THub : AbdmHub
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    static string LinkBody(string abha, string patient) => new JsonObject
    {
        ["abhaAddress"] = abha,
        ["patientReference"] = patient,
        ["patientName"] = "Kavya Rao",
        ["gender"] = "F",
        ["yearOfBirth"] = 1992,
        ["careContexts"] = new JsonArray(
            new JsonObject { ["referenceNumber"] = patient + "-OPD-1", ["display"] = "OPD visit 2026-11-20", ["hiType"] = "OPConsultation" },
            new JsonObject { ["referenceNumber"] = patient + "-RX-1", ["display"] = "Prescription 2026-11-20", ["hiType"] = "Prescription" }),
    }.ToJsonString();

    async Task<JsonNode> FinalStatus(string statusUrl)
    {
        JsonNode status = null!;
        await Eventually.Until(async () =>
        {
            var response = await hub.Get(statusUrl);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            return status["status"]!.GetValue<string>() is "linked" or "failed";
        }, Wait, "the link's end");
        return status;
    }

    static string StatusUrl(JsonNode accepted) => accepted["statusUrl"]!.GetValue<string>();

    [Fact]
    public async Task Department_links_care_contexts_with_a_link_token()
    {
        var patient = "HIP-" + Guid.NewGuid().ToString("N")[..8];
        var abha = patient.ToLowerInvariant() + "@sbx";

        var response = await hub.Post("/api/v1/abdm/links", LinkBody(abha, patient));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var status = await FinalStatus(StatusUrl(JsonNode.Parse(await response.Content.ReadAsStringAsync())!));
        Assert.Equal("linked", status["status"]!.GetValue<string>());
        var link = Assert.Single(hub.Gateway.Received, r => r.Call == AbdmOutbound.LinkCareContexts && r.Body["abhaAddress"]?.GetValue<string>() == abha);
        Assert.StartsWith("sim-link-", link.Headers["X-LINK-TOKEN"]);
        Assert.Equal(AbdmHub.HipId, link.Headers["X-HIP-ID"]);
        Assert.Equal(2, link.Body["patient"]!.AsArray().Count); // one item per HI type
        var listed = JsonNode.Parse(await (await hub.Get($"/api/v1/abdm/care-contexts?patientReference={patient}")).Content.ReadAsStringAsync())!.AsArray();
        Assert.Equal(2, listed.Count);
        Assert.All(listed, row => Assert.Equal("hip", row!["initiatedBy"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Refused_link_token_fails_the_link_with_abdms_code()
    {
        hub.Gateway.RefusingLinkTokens();
        try
        {
            var response = await hub.Post("/api/v1/abdm/links", LinkBody("refused" + Guid.NewGuid().ToString("N")[..6] + "@sbx", "REF-1"));
            var status = await FinalStatus(StatusUrl(JsonNode.Parse(await response.Content.ReadAsStringAsync())!));

            Assert.Equal("failed", status["status"]!.GetValue<string>());
            Assert.Contains("ABDM-1204", status["error"]!.GetValue<string>());
        }
        finally
        {
            hub.Gateway.RefusingLinkTokens(false);
        }
    }

    [Fact]
    public async Task Gateway_that_never_answers_fails_the_link_at_the_timeout()
    {
        hub.Gateway.Silent();
        try
        {
            var response = await hub.Post("/api/v1/abdm/links", LinkBody("silent" + Guid.NewGuid().ToString("N")[..6] + "@sbx", "SIL-1"));
            var status = await FinalStatus(StatusUrl(JsonNode.Parse(await response.Content.ReadAsStringAsync())!));

            Assert.Equal("failed", status["status"]!.GetValue<string>());
            Assert.Contains("no link token", status["error"]!.GetValue<string>());
        }
        finally
        {
            hub.Gateway.Silent(false);
        }
    }

    [Fact]
    public async Task Answer_for_no_running_link_is_kept_for_operators()
    {
        var answered = Guid.NewGuid().ToString();
        var (status, requestId) = await hub.Gateway.Call(AbdmInbound.OnGenerateLinkToken, AbdmHub.HipId, new JsonObject
        {
            ["abhaAddress"] = "ghost@sbx",
            ["linkToken"] = "whatever",
            ["response"] = new JsonObject { ["requestId"] = answered },
        });
        Assert.Equal(202, status);

        await Eventually.Until(async () =>
        {
            var list = JsonNode.Parse(await (await hub.Get("/api/v1/abdm/unmatched-calls", hub.Token(AbdmHub.Department, "ops"))).Content.ReadAsStringAsync())!.AsArray();
            return list.Any(c => c!["answeredRequestId"]!.GetValue<string>() == answered && c["requestId"]!.GetValue<string>() == requestId);
        }, Wait, "the unmatched answer listed for operators");
    }

    [Theory]
    [InlineData("{}", "abhaAddress")]
    [InlineData("{\"abhaAddress\":\"no-at-sign\",\"patientReference\":\"p\",\"patientName\":\"n\",\"careContexts\":[{\"referenceNumber\":\"c\",\"display\":\"d\",\"hiType\":\"OPConsultation\"}]}", "abhaAddress")]
    [InlineData("{\"abhaAddress\":\"a@sbx\",\"patientReference\":\"p\",\"patientName\":\"n\",\"careContexts\":[{\"referenceNumber\":\"c\",\"display\":\"d\",\"hiType\":\"Gossip\"}]}", "careContexts[0].hiType")]
    [InlineData("{\"abhaAddress\":\"a@sbx\",\"patientReference\":\"p\",\"patientName\":\"n\",\"careContexts\":[]}", "careContexts")]
    [InlineData("{\"abhaAddress\":\"a@sbx\",\"patientReference\":\"p\\u0000\",\"patientName\":\"n\",\"careContexts\":[]}", "body")]
    public async Task Bad_link_request_gets_400_naming_the_field(string body, string field)
    {
        var response = await hub.Post("/api/v1/abdm/links", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]!.AsObject();
        Assert.True(errors.ContainsKey(field), $"errors name {field}: {errors.ToJsonString()}");
    }

    [Fact]
    public async Task Linking_needs_the_write_scope_and_reading_the_read_scope()
    {
        var readOnly = hub.Token(AbdmHub.Department, AbdmScopes.Read.Name);
        Assert.Equal(HttpStatusCode.Forbidden, (await hub.Post("/api/v1/abdm/links", LinkBody("x@sbx", "P"), readOnly)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await hub.Post("/api/v1/abdm/links", LinkBody("x@sbx", "P"), token: null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await hub.Get("/api/v1/abdm/care-contexts", hub.Token(AbdmHub.Department, AbdmScopes.Write.Name))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await hub.Get("/api/v1/abdm/unmatched-calls")).StatusCode);
    }

    [Fact]
    public async Task Another_departments_link_is_not_found()
    {
        var response = await hub.Post("/api/v1/abdm/links", LinkBody("mine" + Guid.NewGuid().ToString("N")[..6] + "@sbx", "MINE-1"));
        var url = StatusUrl(JsonNode.Parse(await response.Content.ReadAsStringAsync())!);

        Assert.Equal(HttpStatusCode.NotFound, (await hub.Get(url, hub.Token(AbdmHub.Other))).StatusCode);
    }
}

public sealed class HipLinking_InMemory(InMemoryV3Hub hub) : HipLinkingContract<InMemoryV3Hub>(hub);

public sealed class HipLinking_RabbitMqPostgreSql(DurableV3Hub hub) : HipLinkingContract<DurableV3Hub>(hub);
