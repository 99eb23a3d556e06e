using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace IntegrationHub.Testing;

/// <summary>
/// A hub's JSON API as a department calls it in tests: a bearer token (the fixture's default when <c>""</c>, none when
/// null), an optional Idempotency-Key, and the answer with its body parsed when it is JSON.
/// </summary>
public sealed class JsonApi(Func<HttpClient> http, Func<string> defaultToken)
{
    public Task<(HttpResponseMessage Response, JsonNode? Body)> Get(string path, string? token = "") =>
        Send(new HttpRequestMessage(HttpMethod.Get, path), token, null);

    public Task<(HttpResponseMessage Response, JsonNode? Body)> Post(string path, string json, string? token = "", string? idempotencyKey = null) =>
        Send(new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") }, token, idempotencyKey);

    async Task<(HttpResponseMessage Response, JsonNode? Body)> Send(HttpRequestMessage request, string? token, string? idempotencyKey)
    {
        using (request)
        {
            if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token == "" ? defaultToken() : token);
            if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
            var response = await http().SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            return (response, text.StartsWith('{') || text.StartsWith('[') ? JsonNode.Parse(text) : null);
        }
    }
}
