using System.Net;
using System.Text.Json;

namespace IntegrationHub.Gateway.Tests;

public sealed class OpenApiTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task OpenApi_document_lists_the_requests_routes_their_problems_and_the_bearer_scheme()
    {
        var document = JsonDocument.Parse(await gateway.Http.GetStringAsync("/openapi/v1.json")).RootElement;

        var paths = document.GetProperty("paths");
        var post = paths.GetProperty("/api/v1/requests").GetProperty("post");
        var get = paths.GetProperty("/api/v1/requests/{id}").GetProperty("get");
        foreach (var status in new[] { "202", "400", "401", "403", "409", "413", "422", "429" })
            Assert.True(post.GetProperty("responses").TryGetProperty(status, out _), $"POST documents {status}");
        foreach (var status in new[] { "200", "401", "403", "404", "429" })
            Assert.True(get.GetProperty("responses").TryGetProperty(status, out _), $"GET documents {status}");
        Assert.True(post.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer");
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());
    }

    [Fact]
    public async Task Scalar_reference_is_served()
    {
        var response = await gateway.Http.GetAsync("/scalar/v1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("text/html", response.Content.Headers.ContentType?.MediaType);
    }
}
