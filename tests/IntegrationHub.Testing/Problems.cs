using System.Net;
using System.Text.Json;

namespace IntegrationHub.Testing;

public static class Problems
{
    /// <summary>Asserts an RFC 9457 problem with the status, a title and a detail; returns the body.</summary>
    public static async Task<JsonElement> AssertProblem(this HttpResponseMessage response, HttpStatusCode status, string? detailContains = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(text).RootElement;
        Assert.Equal((int)status, body.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("title").GetString()));
        if (detailContains is not null)
            Assert.Contains(detailContains, body.GetProperty("detail").GetString());
        return body;
    }

    /// <summary>Asserts a 400 validation problem whose errors for <paramref name="field"/> mention <paramref name="errorContains"/>.</summary>
    public static async Task AssertValidationProblem(this HttpResponseMessage response, string field, string errorContains)
    {
        var body = await response.AssertProblem(HttpStatusCode.BadRequest);
        var errors = body.GetProperty("errors").GetProperty(field).EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains(errors, e => e!.Contains(errorContains, StringComparison.Ordinal));
    }
}
